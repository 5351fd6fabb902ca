"""The public contract (/work/shared/API.md), line by line, as a Keras/PyTorch user reads it.

Every bullet and code line of API.md is at least one assertion here. Where the code disagrees
with API.md the test is kept as written and marked ``xfail(strict=True)`` with the exact
discrepancy, so that fixing the code turns the mark into a failure to be removed.
"""

from __future__ import annotations

import builtins
import inspect
import io
import json
import os
import subprocess
import sys
import textwrap
import tomllib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import actloss
from actloss import activations as A
from actloss import losses as L

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------------------------
# Package
# --------------------------------------------------------------------------------------------

def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def test_package_metadata_name_python_and_core_dependencies():
    project = _pyproject()["project"]
    assert project["name"] == "actloss"
    assert project["requires-python"].replace(" ", "") == ">=3.10"
    core = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()
            for d in project["dependencies"]}
    assert core == {"numpy", "scipy"}
    assert (ROOT / "src" / "actloss" / "__init__.py").is_file()  # src/ layout


def test_optional_extras_exist_for_plot_progress_data_dask_torch():
    extras = _pyproject()["project"]["optional-dependencies"]
    for extra in ("plot", "progress", "data", "dask", "torch"):
        assert extra in extras, extra


def test_console_script_is_the_same_main_as_python_dash_m():
    assert _pyproject()["project"]["scripts"]["actloss"] == "actloss.cli:main"
    main_src = (SRC / "actloss" / "__main__.py").read_text()
    assert "from actloss.cli import main" in main_src


LAZY_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import actloss, actloss.models, actloss.activations, actloss.losses
    from actloss.models import Sequential
    from actloss.layers import Dense
    from actloss.optimizers import Adam
    x = np.random.default_rng(0).random((16, 4)); y = (x[:, 0] > 0.5).astype(float)
    m = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")])
    m.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    heavy = [name for name in ("scipy.special", "matplotlib", "tqdm", "dask", "sklearn")
             if name in sys.modules]
    print("HEAVY=" + ",".join(heavy))
""")


def test_optional_extras_and_scipy_special_are_imported_lazily():
    out = subprocess.run([sys.executable, "-c", LAZY_SCRIPT], capture_output=True, text=True,
                         env=_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY=\n" in out.stdout, out.stdout


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------

REQUIRED_ACTIVATIONS = {
    "step": ("heaviside", "binary_step"), "linear": ("identity",), "sigmoid": ("logistic",),
    "tanh": (), "relu": (), "leaky_relu": (), "elu": (), "softmax": (), "selu": (), "gelu": (),
    "silu": ("swish",), "softplus": (), "softsign": (), "mish": (), "relu6": (),
    "hard_sigmoid": (), "hard_tanh": (), "hard_silu": (), "celu": (), "log_sigmoid": (),
    "log_softmax": (), "exponential": (),
}
ALL_ACTIVATION_NAMES = sorted({*REQUIRED_ACTIVATIONS, *(a for v in REQUIRED_ACTIVATIONS.values()
                                                       for a in v)})
NON_ELEMENTWISE = ("softmax", "log_softmax")


def test_module_attributes_are_ready_made_activation_objects():
    for name in ALL_ACTIVATION_NAMES:
        obj = getattr(A, name)
        assert isinstance(obj, A.Activation), name
    for name, aliases in REQUIRED_ACTIVATIONS.items():
        assert getattr(A, name).name == name
        for alias in aliases:
            assert A.get(alias).name == name, alias


def test_forward_relu_and_grad_same_shape_and_dtype():
    x = np.array([[-2.0, 0.5], [3.0, -0.1]], dtype=np.float32)
    np.testing.assert_array_equal(A.relu(x), np.maximum(x, 0))
    g = A.relu.grad(x)
    assert g.shape == x.shape and g.dtype == x.dtype
    np.testing.assert_array_equal(g, (x > 0).astype(np.float32))


def test_every_activation_has_vjp_equal_to_g_times_jacobian():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)) + 0.013  # off kinks
    g = rng.normal(size=(3, 4))
    for name in REQUIRED_ACTIVATIONS:
        act = getattr(A, name)
        v = act.vjp(x, g)
        assert v.shape == x.shape, name
        if name in NON_ELEMENTWISE:
            h = 1e-6
            expected = np.zeros_like(x)
            for r in range(x.shape[0]):
                for j in range(x.shape[1]):
                    xp, xm = x[r].copy(), x[r].copy()
                    xp[j] += h
                    xm[j] -= h
                    expected[r, j] = g[r] @ ((act(xp) - act(xm)) / (2 * h))
            np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-7, err_msg=name)
        else:
            np.testing.assert_allclose(v, g * act.grad(x), rtol=1e-12, err_msg=name)


def test_softmax_vjp_snippet():
    x = np.array([[1.0, 2.0, 3.0]])
    g = np.array([[1.0, 0.0, 0.0]])
    s = A.softmax(x)[0]
    jac = np.diag(s) - np.outer(s, s)
    np.testing.assert_allclose(A.softmax.vjp(x, g)[0], g[0] @ jac, rtol=1e-12)


def test_get_by_name_case_insensitive_dash_is_underscore_with_parameters():
    a = A.get("leaky_relu", alpha=0.1)
    assert a.name == "leaky_relu" and a.params["negative_slope"] == 0.1  # alpha is its alias (API.md)
    np.testing.assert_allclose(a(np.array([-1.0, 2.0])), [-0.1, 2.0])
    assert A.get("Leaky-ReLU").name == "leaky_relu"
    assert A.get("SIGMOID").name == "sigmoid"
    assert A.get("Binary-Step").name == "step"


def test_leaky_relu_accepts_negative_slope_too():
    a = A.get("leaky_relu", negative_slope=0.1)
    np.testing.assert_allclose(a(np.array([-1.0, 2.0])), [-0.1, 2.0])
    np.testing.assert_allclose(a.grad(np.array([-1.0, 2.0])), [0.1, 1.0])
    b = A.leaky_relu.with_params(negative_slope=0.2)
    np.testing.assert_allclose(b(np.array([-1.0])), [-0.2])


def test_activation_passes_through_get():
    a = A.get("leaky_relu", alpha=0.1)
    assert A.get(a) is a
    assert A.get(A.relu) is A.relu


def test_plain_callable_is_rejected_with_advice():
    with pytest.raises(TypeError) as info:
        A.get(lambda x: x)
    msg = str(info.value)
    assert "register" in msg


def test_names_sorted_with_every_required_name_and_alias():
    names = A.names()
    assert isinstance(names, list)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in ALL_ACTIVATION_NAMES:
        assert name in names, name


def test_register_checks_grad_against_finite_differences():
    before = set(A.names())
    try:
        cube = A.register("api_contract_cube", lambda x: x ** 3, lambda x: 3 * x ** 2,
                          formula="x^3")
        assert isinstance(cube, A.Activation)
        assert A.get("api-contract-cube") is cube
        assert cube.formula == "x^3"
        np.testing.assert_allclose(cube(np.array([2.0])), [8.0])
        np.testing.assert_allclose(cube.grad(np.array([2.0])), [12.0])
        with pytest.raises(ValueError):
            A.register("api_contract_wrong", lambda x: x ** 3, lambda x: 2 * x ** 2)
        assert "api_contract_wrong" not in A.names()
    finally:
        for key in set(A.names()) - before:
            A.REGISTRY._objects.pop(key, None)
            A.REGISTRY._aliases.pop(key, None)


def test_required_parameters_and_defaults():
    assert A.leaky_relu.params == {"negative_slope": 0.2}  # Keras's function default (API.md)
    assert A.elu.params == {"alpha": 1.0}
    assert A.softmax.params == {"axis": -1}
    assert A.log_softmax.params == {"axis": -1}
    assert A.gelu.params == {"approximate": False}
    assert "alpha" in A.celu.params
    assert A.get("celu", alpha=2.0).params["alpha"] == 2.0
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(A.get("softmax", axis=0)(x).sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(np.exp(A.get("log_softmax", axis=0)(x)).sum(axis=0), [1.0, 1.0])
    approx = A.get("gelu", approximate=True)
    assert approx.params["approximate"] is True
    assert abs(float(approx(np.array([1.0]))[0]) - float(A.gelu(np.array([1.0]))[0])) < 1e-3


@pytest.mark.parametrize("name", NON_ELEMENTWISE)
def test_grad_of_non_elementwise_raises_typeerror_pointing_to_vjp(name):
    with pytest.raises(TypeError, match="vjp"):
        getattr(A, name).grad(np.array([[1.0, 2.0]]))


def test_step_grad_is_zero_everywhere_and_documented():
    x = np.array([-np.inf, -3.0, -1e-300, 0.0, 1e-300, 2.0, np.inf])
    np.testing.assert_array_equal(A.step.grad(x), np.zeros_like(x))
    doc = (A.step.__doc__ or "") + " ".join(A.step.cons)
    assert "gradient" in doc.lower()


def test_every_activation_carries_metadata():
    for name in ALL_ACTIVATION_NAMES:
        a = A.get(name)
        assert isinstance(a.name, str) and a.name, name
        assert isinstance(a.params, dict), name
        for field in ("formula", "derivative_formula", "reference"):
            value = getattr(a, field)
            assert isinstance(value, str) and value.strip(), (name, field)
        assert a.output_range, name
        for field in ("pros", "cons"):
            value = getattr(a, field)
            assert value and all(isinstance(s, str) and s for s in value), (name, field)


def _outputs(act, x):
    y = act(x)
    d = act.grad(x) if act.elementwise else act.vjp(x, np.ones(np.shape(x)))
    return np.asarray(y), np.asarray(d)


@pytest.mark.parametrize("name", sorted(REQUIRED_ACTIVATIONS))
def test_input_dtypes(name):
    act = getattr(A, name)
    for dt in (np.float16, np.float32, np.float64):
        y, d = _outputs(act, np.array([[-1.5, 0.25, 2.0]], dtype=dt))
        assert y.dtype == dt and d.dtype == dt, (name, dt, y.dtype, d.dtype)
    for x in (np.array([[-2, 0, 3]]), np.array([[True, False, True]]), [[-1, 2, 3]]):
        y, d = _outputs(act, x)
        assert y.dtype == np.float64 and d.dtype == np.float64, (name, x)
    y, d = _outputs(act, [[0.5, -0.5]])  # a list
    assert y.dtype == np.float64 and y.shape == (1, 2)


@pytest.mark.parametrize("name", sorted(REQUIRED_ACTIVATIONS))
def test_no_warning_for_finite_or_infinite_input_and_nan_propagates(name):
    act = getattr(A, name)
    for dt in (np.float16, np.float32, np.float64):
        info = np.finfo(dt)
        x = np.array([[-np.inf, -float(info.max), -100.0, -float(info.tiny), 0.0,
                       float(info.tiny), 100.0, float(info.max), np.inf]], dtype=dt)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
                y, d = _outputs(act, x)
                row = np.array([[1.0, np.nan, 2.0]], dtype=dt)
                yn, dn = _outputs(act, row)
        assert y.shape == x.shape and d.shape == x.shape
        assert not np.isnan(y).any(), (name, dt, y)
        if act.elementwise:
            assert np.isnan(yn[0, 1]) and np.isnan(dn[0, 1]), (name, dt, yn, dn)
            assert not np.isnan(yn[0, [0, 2]]).any()
        else:
            assert np.isnan(yn).all() and np.isnan(dn).all(), (name, dt, yn, dn)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------

REQUIRED_LOSSES = {
    "mean_squared_error": ("mse",), "root_mean_squared_error": ("rmse",),
    "mean_absolute_error": ("mae",), "binary_crossentropy": ("bce",),
    "categorical_crossentropy": ("cce", "cross_entropy"), "sparse_categorical_crossentropy": (),
    "log_loss": (), "huber": (), "smooth_l1": (), "smooth_l2": (), "log_cosh": (), "hinge": (),
    "squared_hinge": (), "categorical_hinge": (), "kl_divergence": ("kld",), "poisson": (),
    "mean_absolute_percentage_error": ("mape",), "mean_squared_logarithmic_error": ("msle",),
    "cosine_similarity": (), "binary_focal_crossentropy": (),
}


def test_every_required_loss_and_alias_exists():
    names = L.names()
    assert names == sorted(names)
    for name, aliases in REQUIRED_LOSSES.items():
        obj = getattr(L, name)
        assert isinstance(obj, L.Loss) and obj.name == name
        assert name in names
        for alias in aliases:
            assert alias in names, alias
            assert L.get(alias) is obj or L.get(alias).name == name
            assert getattr(L, alias).name == name, alias
    assert L.get("Mean-Squared-Error").name == "mean_squared_error"


def test_loss_parameters_and_defaults():
    assert L.binary_crossentropy.params["from_logits"] is False
    assert L.binary_crossentropy.params["label_smoothing"] == 0.0
    cce = L.categorical_crossentropy.params
    assert cce["from_logits"] is False and cce["label_smoothing"] == 0.0 and cce["axis"] == -1
    scce = L.sparse_categorical_crossentropy.params
    assert scce["from_logits"] is False and "ignore_index" in scce
    assert L.huber.params["delta"] == 1.0
    assert L.smooth_l1.params["beta"] == 1.0
    assert L.binary_focal_crossentropy.params["gamma"] == 2.0
    assert L.binary_focal_crossentropy.params["alpha"] is None
    for name in REQUIRED_LOSSES:
        assert getattr(L, name).params["reduction"] == "mean", name


Y_TRUE = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
Y_PRED = np.array([[0.5, 1.0], [1.0, 1.0], [0.0, 3.0]])


def test_mse_value_is_a_float_with_mean_reduction():
    v = L.mse(Y_TRUE, Y_PRED)
    assert isinstance(v, float)
    assert np.ndim(v) == 0
    np.testing.assert_allclose(v, np.mean((Y_PRED - Y_TRUE) ** 2))


def test_mse_grad_shape_and_consistent_with_reduction():
    for reduction in ("mean", "sum"):
        loss = L.get("mse", reduction=reduction)
        g = loss.grad(Y_TRUE, Y_PRED)
        assert g.shape == Y_PRED.shape
        h = 1e-6
        num = np.zeros_like(Y_PRED)
        for idx in np.ndindex(Y_PRED.shape):
            p, m = Y_PRED.copy(), Y_PRED.copy()
            p[idx] += h
            m[idx] -= h
            num[idx] = (loss(Y_TRUE, p) - loss(Y_TRUE, m)) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)
    g_none = L.get("mse", reduction="none").grad(Y_TRUE, Y_PRED)
    assert g_none.shape == Y_PRED.shape


def test_per_sample_shape_n_and_multi_output_is_mean_over_last_axis():
    ps = L.mse.per_sample(Y_TRUE, Y_PRED)
    assert ps.shape == (3,)
    np.testing.assert_allclose(ps, np.mean((Y_PRED - Y_TRUE) ** 2, axis=-1))
    assert L.mse.per_sample(Y_TRUE[:, 0], Y_PRED[:, 0]).shape == (3,)
    e = Y_PRED - Y_TRUE
    np.testing.assert_allclose(L.mae.per_sample(Y_TRUE, Y_PRED), np.mean(np.abs(e), axis=-1))
    np.testing.assert_allclose(L.rmse.per_sample(Y_TRUE, Y_PRED), np.sqrt(np.mean(e ** 2, -1)))
    np.testing.assert_allclose(L.log_cosh.per_sample(Y_TRUE, Y_PRED),
                               np.mean(np.log(np.cosh(e)), axis=-1))
    a = np.abs(e)
    huber = np.where(a <= 1.0, 0.5 * e ** 2, a - 0.5)
    np.testing.assert_allclose(L.huber.per_sample(Y_TRUE, Y_PRED), huber.mean(-1))


def test_reductions_mean_sum_none():
    ps = L.mse.per_sample(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(L.get("mse", reduction="mean")(Y_TRUE, Y_PRED), ps.mean())
    np.testing.assert_allclose(L.get("mse", reduction="sum")(Y_TRUE, Y_PRED), ps.sum())
    none = L.get("mse", reduction="none")(Y_TRUE, Y_PRED)
    assert none.shape == (3,)
    np.testing.assert_allclose(none, ps)
    np.testing.assert_allclose(L.mse(Y_TRUE, Y_PRED, reduction="sum"), ps.sum())
    with pytest.raises(ValueError, match="reduction"):
        L.get("mse", reduction="average")


def test_get_huber_with_delta_and_sum_reduction():
    h = L.get("huber", delta=2.0, reduction="sum")
    assert h.params["delta"] == 2.0 and h.params["reduction"] == "sum"
    e = Y_PRED - Y_TRUE
    a = np.abs(e)
    expected = np.where(a <= 2.0, 0.5 * e ** 2, 2.0 * (a - 1.0)).mean(-1).sum()
    np.testing.assert_allclose(h(Y_TRUE, Y_PRED), expected)


def test_parameters_may_be_passed_per_call():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    logits = np.array([2.0, -1.0, -0.5, 3.0])
    probs = 1 / (1 + np.exp(-logits))
    per_call = L.binary_crossentropy(y, logits, from_logits=True)
    expected = -np.mean(y * np.log(probs) + (1 - y) * np.log(1 - probs))
    np.testing.assert_allclose(per_call, expected, rtol=1e-12)
    np.testing.assert_allclose(L.binary_crossentropy(y, probs), expected, rtol=1e-12)
    assert L.binary_crossentropy.params["from_logits"] is False  # the call did not mutate it
    np.testing.assert_allclose(L.huber(Y_TRUE, Y_PRED, delta=2.0),
                               L.get("huber", delta=2.0)(Y_TRUE, Y_PRED))


def test_sample_weight_semantics_keras_sum_over_batch_size():
    w = np.array([1.0, 0.0, 3.0])
    ps = L.mse.per_sample(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(L.mse(Y_TRUE, Y_PRED, sample_weight=w), np.sum(w * ps) / 3)
    np.testing.assert_allclose(L.mse(Y_TRUE, Y_PRED, sample_weight=w, reduction="sum"),
                               np.sum(w * ps))
    np.testing.assert_allclose(L.mse(Y_TRUE, Y_PRED, sample_weight=np.ones(3)),
                               L.mse(Y_TRUE, Y_PRED))
    g = L.mse.grad(Y_TRUE, Y_PRED, sample_weight=w)
    np.testing.assert_allclose(g, w[:, None] * 2 * (Y_PRED - Y_TRUE) / (3 * 2))
    with pytest.raises(ValueError, match="sample_weight"):
        L.mse(Y_TRUE, Y_PRED, sample_weight=np.ones(4))


def test_definitions_of_smooth_l1_smooth_l2_and_log_loss():
    e = Y_PRED - Y_TRUE
    a = np.abs(e)
    beta = 0.5
    torch_smooth_l1 = np.where(a < beta, 0.5 * e ** 2 / beta, a - 0.5 * beta).mean(-1)
    np.testing.assert_allclose(L.get("smooth_l1", beta=beta).per_sample(Y_TRUE, Y_PRED),
                               torch_smooth_l1)
    np.testing.assert_allclose(L.smooth_l2(Y_TRUE, Y_PRED), 0.5 * L.mse(Y_TRUE, Y_PRED))
    # log_loss: binary from 1-D probabilities, multiclass from (n, k) and integer labels
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.2, 0.6, 0.3])
    np.testing.assert_allclose(L.log_loss(y, p),
                               -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    labels = np.array([0, 2, 1])
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    np.testing.assert_allclose(L.log_loss(labels, probs),
                               -np.mean(np.log(probs[np.arange(3), labels])))
    np.testing.assert_allclose(L.cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]), -1.0)  # Keras


def test_docstrings_state_ours_and_the_peers_definition():
    assert "PyTorch" in L.huber.__doc__ and "Keras" in L.huber.__doc__
    assert "PyTorch" in L.smooth_l1.__doc__ and "Keras" in L.smooth_l1.__doc__
    assert "Keras" in L.binary_crossentropy.__doc__ and "PyTorch" in L.binary_crossentropy.__doc__


def _value_error(fn, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_value_errors_name_the_argument_the_value_and_the_expectation():
    msg = _value_error(L.mse, np.zeros((3, 2)), np.zeros((4, 2)))
    assert "y_pred" in msg or "y_true" in msg
    assert "(3, 2)" in msg and "(4, 2)" in msg
    msg = _value_error(L.binary_crossentropy, np.array([1.0, 0.0]), np.array([1.5, 0.5]))
    assert "y_pred" in msg and "1.5" in msg and "[0, 1]" in msg
    msg = _value_error(L.binary_crossentropy, np.array([2.0, 0.0]), np.array([0.5, 0.5]))
    assert "y_true" in msg and "2" in msg
    probs = np.full((2, 3), 1 / 3)
    msg = _value_error(L.sparse_categorical_crossentropy, np.array([0, 5]), probs)
    assert "y_true" in msg and "5" in msg and "3" in msg
    msg = _value_error(L.sparse_categorical_crossentropy, np.eye(3)[[0, 1]], probs)
    assert "y_true" in msg and "categorical_crossentropy" in msg  # one-hot given to sparse
    msg = _value_error(L.categorical_crossentropy, np.array([0, 2]), probs)
    assert "y_true" in msg and "sparse_categorical_crossentropy" in msg  # the reverse
    for name in ("poisson", "msle"):
        msg = _value_error(L.get(name), np.array([-1.0, 1.0]), np.array([1.0, 1.0]))
        assert "y_true" in msg and "-1" in msg, name


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

@pytest.fixture
def tutorial_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 10))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    return X, y


def test_models_snippet_runs_exactly_as_written(tutorial_data, tmp_path, monkeypatch, capsys):
    from actloss.callbacks import History
    from actloss.layers import Activation, Dense, Dropout, Input  # noqa: F401  (the snippet)
    from actloss.models import Sequential, load_model
    from actloss.optimizers import SGD, Adam  # noqa: F401

    X, y = tutorial_data
    monkeypatch.chdir(tmp_path)
    model = Sequential()
    model.add(Dense(10, input_dim=10, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X, y, epochs=10, batch_size=32)
    assert isinstance(history, History)
    assert len(history.history["loss"]) == 10
    assert "accuracy" in history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
    model = Sequential([Dense(64, activation="relu", input_shape=(10,)),
                        Dense(64, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, epochs=1, verbose=0)
    loss = model.evaluate(X, y)
    assert np.ndim(loss) == 0 and np.isfinite(loss)
    pred = model.predict(X)
    assert pred.shape == (64, 1)
    capsys.readouterr()
    model.summary()
    out = capsys.readouterr().out
    assert "Dense" in out and str(10 * 64 + 64 + 64 * 64 + 64 + 64 + 1) in out.replace(",", "")
    model.save("model.actloss")
    assert sorted(os.listdir(tmp_path)) == ["model.actloss"]  # one file, no temp left over
    model2 = load_model("model.actloss")
    np.testing.assert_array_equal(model2.predict(X), pred)
    np.testing.assert_allclose(model2.evaluate(X, y, verbose=0), loss, rtol=1e-6)


def test_other_layers_of_the_snippet_import_and_work(tutorial_data):
    from actloss.layers import Activation, Dense, Dropout, Input
    from actloss.models import Sequential
    from actloss.optimizers import SGD

    X, y = tutorial_data
    model = Sequential([Input(shape=(10,)), Dense(8), Activation("relu"), Dropout(0.5),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer=SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                  loss="binary_crossentropy")
    model.fit(X, y, epochs=2, verbose=0)
    p1, p2 = model.predict(X), model.predict(X)
    np.testing.assert_array_equal(p1, p2)  # Dropout off at inference


def test_fit_signature_has_the_api_parameters_and_defaults():
    from actloss.models import Sequential

    params = inspect.signature(Sequential.fit).parameters
    expected = {"x": None, "y": None, "epochs": 1, "batch_size": 32, "verbose": "auto",
                "validation_split": 0.0, "validation_data": None, "shuffle": True,
                "callbacks": None, "sample_weight": None, "class_weight": None,
                "initial_epoch": 0}
    for name in expected:
        assert name in params, name
    for name, default in expected.items():
        if name in ("x", "y"):
            continue
        if name == "batch_size":
            continue  # checked strictly below
        assert params[name].default == default, name


def test_fit_batch_size_default_is_32_in_the_signature():
    from actloss.models import Sequential

    assert inspect.signature(Sequential.fit).parameters["batch_size"].default == 32


def test_fit_accepts_every_api_parameter_as_keyword():
    from actloss.models import Sequential

    names = [n for n in inspect.signature(Sequential.fit).parameters if n != "self"]
    assert {"x", "y", "epochs", "batch_size", "verbose", "validation_split", "validation_data",
            "shuffle", "callbacks", "sample_weight", "class_weight", "initial_epoch"} <= set(names)


def test_batch_size_len_x_is_batch_gd_and_1_is_sgd(tutorial_data):
    from actloss.layers import Dense
    from actloss.models import Sequential

    X, y = tutorial_data
    X, y = X[:12], y[:12]
    for batch_size, steps in ((len(X), 1), (1, 12), (None, 1)):
        model = Sequential([Dense(1, input_shape=(10,))])
        model.compile(optimizer="sgd", loss="mse")
        h = model.fit(X, y, batch_size=batch_size, epochs=2, verbose=0)
        assert h.params["steps"] == steps
        assert model.optimizer.iterations == 2 * steps


def test_fit_accepts_every_api_keyword(tutorial_data):
    from actloss.callbacks import TerminateOnNaN
    from actloss.layers import Dense
    from actloss.models import Sequential

    X, y = tutorial_data
    model = Sequential([Dense(4, activation="relu", input_shape=(10,)),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(X, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25,
                  shuffle=False, callbacks=[TerminateOnNaN()], sample_weight=np.ones(64),
                  class_weight={0: 1.0, 1: 2.0}, initial_epoch=1)
    assert len(h.history["loss"]) == 2 and "val_loss" in h.history
    h = model.fit(X, y, epochs=1, verbose=0, validation_data=(X[:8], y[:8]))
    assert "val_loss" in h.history


KERAS_OPTIMIZER_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
             "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-7, "amsgrad": False},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


@pytest.mark.parametrize("name", sorted(KERAS_OPTIMIZER_DEFAULTS))
def test_optimizers_have_keras_names_and_defaults(name):
    from actloss import optimizers as O

    cls = getattr(O, name)
    sig = inspect.signature(cls).parameters
    config = cls().get_config()
    for key, value in KERAS_OPTIMIZER_DEFAULTS[name].items():
        assert sig[key].default == value, (name, key)
        assert config[key] == value, (name, key)
    assert O.get(name.lower()).__class__ is cls


def test_sgd_positional_learning_rate_momentum_nesterov():
    from actloss.optimizers import SGD

    cfg = SGD(0.1, 0.9, True).get_config()
    assert (cfg["learning_rate"], cfg["momentum"], cfg["nesterov"]) == (0.1, 0.9, True)


def test_learning_rate_schedules_module():
    import actloss.optimizers
    from actloss.optimizers import SGD, schedules

    assert actloss.optimizers.schedules is schedules
    sched = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert isinstance(sched, schedules.LearningRateSchedule)
    np.testing.assert_allclose(float(sched(10)), 0.05)
    SGD(learning_rate=sched)


def test_callbacks_exist_and_run_in_fit(tutorial_data, tmp_path):
    from actloss import callbacks as C
    from actloss.layers import Dense
    from actloss.models import Sequential

    for name in ("History", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN",
                 "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger"):
        assert isinstance(getattr(C, name), type), name
    X, y = tutorial_data
    model = Sequential([Dense(1, input_shape=(10,))])
    model.compile(optimizer="sgd", loss="mse")
    csv = tmp_path / "log.csv"
    ckpt = tmp_path / "best.actloss"
    h = model.fit(X, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[
        C.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
        C.ModelCheckpoint(str(ckpt)), C.TerminateOnNaN(),
        C.LearningRateScheduler(lambda epoch, lr: lr), C.ReduceLROnPlateau(),
        C.CSVLogger(str(csv))])
    assert isinstance(h, C.History)
    assert csv.read_text().splitlines()[0].startswith("epoch")
    assert ckpt.is_file()


def test_float32_by_default_and_set_floatx_float64(tutorial_data):
    from actloss.layers import Dense
    from actloss.models import Sequential

    X, y = tutorial_data

    def assert_trains_in(dtype):
        model = Sequential([Dense(2, input_shape=(10,)), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(X, y, epochs=1, verbose=0)
        assert model.predict(X).dtype == dtype
        assert all(w.dtype == dtype for w in model.get_weights())

    assert actloss.floatx() == "float32"
    assert_trains_in(np.float32)
    try:
        actloss.set_floatx("float64")
        assert actloss.floatx() == "float64"
        assert_trains_in(np.float64)
    finally:
        actloss.set_floatx("float32")
    assert actloss.floatx() == "float32"
    with pytest.raises(ValueError):
        actloss.set_floatx("int8")


class _Exploit:
    def __reduce__(self):
        return (exec, ("import builtins; builtins._ACTLOSS_API_PWNED = True",))


def test_load_never_unpickles(tutorial_data, tmp_path, monkeypatch):
    import pickle

    from actloss.layers import Dense
    from actloss.models import Sequential, load_model

    X, y = tutorial_data
    model = Sequential([Dense(1, input_shape=(10,))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, epochs=1, verbose=0)
    path = tmp_path / "m.actloss"
    model.save(str(path))

    def boom(*args, **kwargs):
        raise AssertionError("pickle used")

    with monkeypatch.context() as m:
        for fn in ("load", "loads", "dump", "dumps"):
            m.setattr(pickle, fn, boom)
        model2 = load_model(str(path))
        model2.save(str(tmp_path / "again.actloss"))
    np.testing.assert_array_equal(model2.predict(X), model.predict(X))

    # a file whose arrays hold a pickle payload is refused without running it
    evil = tmp_path / "evil.actloss"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".npy"):
                buf = io.BytesIO()
                np.save(buf, np.array([_Exploit()], dtype=object), allow_pickle=True)
                data = buf.getvalue()
            dst.writestr(info, data)
    with pytest.raises(Exception):
        load_model(str(evil))
    assert not getattr(builtins, "_ACTLOSS_API_PWNED", False)


# --------------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------------

def _is_plain(obj):
    if isinstance(obj, dict):
        return all(isinstance(k, str | int) and _is_plain(v) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return all(_is_plain(v) for v in obj)
    return obj is None or isinstance(obj, str | int | float | bool | np.ndarray | np.generic)


def test_diagnostics_return_plain_data(tutorial_data):
    from actloss import diagnostics as D
    from actloss.layers import Dense
    from actloss.models import Sequential

    X, y = tutorial_data
    X, y = X[:16], y[:16]
    for obj in (A.tanh, A.softmax):
        r = D.gradcheck(obj)
        assert _is_plain(r) and r["max_rel_error"] < 1e-5
    r = D.gradcheck(A.tanh, np.linspace(-2, 2, 7))
    assert _is_plain(r) and r["max_rel_error"] < 1e-5
    r = D.gradcheck(L.huber, Y_TRUE, Y_PRED)
    assert _is_plain(r) and r["max_rel_error"] < 1e-5
    try:
        actloss.set_floatx("float64")
        model = Sequential([Dense(4, activation="relu", input_shape=(10,)),
                            Dense(3, activation="tanh"), Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(X, y, epochs=1, verbose=0)
        r = D.gradcheck(model, X, y)
    finally:
        actloss.set_floatx("float32")
    assert _is_plain(r) and r["max_rel_error"] < 1e-4
    for result in (D.gradient_flow(model, X, y), D.dead_units(model, X),
                   D.saturation(model, X)):
        assert isinstance(result, dict) and _is_plain(result), result
        json.dumps(result, default=lambda o: o.tolist())


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

COMMANDS = ("list", "explain", "plot", "gradcheck", "train", "compare", "demo")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    from actloss.cli import main

    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "Example" in out and f"actloss {command}" in out, out


BAD_INPUTS = {
    "list": ["list", "--kind", "nonsense"],
    "explain": ["explain", "no_such_function"],
    "plot": ["plot", "no_such_function", "--out", "{out}"],
    "gradcheck": ["gradcheck", "no_such_function"],
    "train": ["train", "--dataset", "no_such_dataset", "--out", "{out}"],
    "compare": ["compare", "--dataset", "xor", "--activations", "no_such_function",
                "--out", "{out}"],
    "demo": ["demo", "--epochs", "-1", "--out", "{out}"],
}


def _one_line_error(err: str) -> bool:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    if "usage:" in err:  # argparse: the usage, then one error line
        lines = [line for line in lines if "error:" in line]
    return len(lines) == 1 and "error" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_exits_non_zero_with_one_line_error(command, capsys, tmp_path, monkeypatch):
    from actloss.cli import main

    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in BAD_INPUTS[command]]
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc not in (0, None), (command, rc)
    assert _one_line_error(err), err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))


@pytest.mark.parametrize("argv", [["list", "--kind", "nonsense"], ["compare", "--dataset"],
                                  ["demo", "--epochs", "-1"], ["train", "--epochs", "x"]])
def test_argparse_errors_are_one_line_too(argv, capsys):
    from actloss.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code not in (0, None)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err


def test_explain_prints_the_metadata(capsys):
    from actloss.cli import main

    assert main(["explain", "relu", "--latex"]) == 0  # LaTeX only on request (issue 15)
    out = " ".join(capsys.readouterr().out.split())  # lines are wrapped to the terminal
    for field in (A.relu.formula, A.relu.derivative_formula, A.relu.reference, *A.relu.pros,
                  *A.relu.cons):
        assert " ".join(field.split()) in out, field
    assert main(["explain", "huber"]) == 0
    assert "huber" in capsys.readouterr().out


@pytest.mark.needs("plot")
def test_commands_write_files_only_under_out(capsys, tmp_path, monkeypatch):
    from actloss.cli import main

    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    assert main(["gradcheck", "relu", "huber", "--out", str(out)]) == 0
    assert main(["plot", "relu", "elu", "--derivative", "--loss", "mse", "--out", str(out)]) == 0
    assert any(out.rglob("*.png"))
    assert main(["explain", "huber"]) == 0
    assert main(["list"]) == 0
    assert list(work.iterdir()) == []
    assert {p.parent for p in out.rglob("*") if p.is_file()} <= {out} | set(out.rglob("*"))
    assert (out / "gradcheck.json").is_file()
    capsys.readouterr()


def test_python_dash_m_behaves_like_the_console_script(capsys):
    from actloss.cli import main

    assert main(["list"]) == 0
    in_process = capsys.readouterr().out
    run = subprocess.run([sys.executable, "-m", "actloss", "list"], capture_output=True,
                         text=True, env=_env(), timeout=60)
    assert run.returncode == 0
    assert run.stdout == in_process
    bad = subprocess.run([sys.executable, "-m", "actloss", "explain", "no_such_function"],
                         capture_output=True, text=True, env=_env(), timeout=60)
    assert main(["explain", "no_such_function"]) == bad.returncode != 0
    assert capsys.readouterr().err == bad.stderr
    assert _one_line_error(bad.stderr)


def test_train_writes_files_only_under_out(capsys, tmp_path, monkeypatch):
    from actloss.cli import main

    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--hidden", "3",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    assert list(work.iterdir()) == []
    assert any(out.rglob("*.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "out"]


# --------------------------------------------------------------------------------------------
# More of the contract, read as a Keras / PyTorch user
# --------------------------------------------------------------------------------------------

MISSING_EXTRAS_SCRIPT = textwrap.dedent("""
    import contextlib, io, sys
    for mod in ("matplotlib", "rich", "tqdm", "tqdm.auto", "sklearn", "distributed", "dask"):
        sys.modules[mod] = None   # as if the extra were not installed
    import numpy as np
    msgs = {}
    import actloss.plots
    try:
        actloss.plots.new_axes()
    except ImportError as exc:
        msgs["plot"] = str(exc)
    import actloss.datasets
    try:
        actloss.datasets.load("digits")
    except ImportError as exc:
        msgs["data"] = str(exc)
    from actloss.experiments._executors import execute
    try:
        list(execute(["a cell"], None, scheduler="local"))
    except ImportError as exc:
        msgs["dask"] = str(exc)
    from actloss.models import Sequential
    from actloss.layers import Dense
    m = Sequential([Dense(1, input_shape=(2,))]); m.compile(optimizer="sgd", loss="mse")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        m.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=1)
    msgs["progress"] = err.getvalue()
    for k, v in sorted(msgs.items()):
        print(k, "::", v.replace(chr(10), " "))
""")


def test_missing_extra_gives_a_clear_message_naming_the_extra():
    out = subprocess.run([sys.executable, "-c", MISSING_EXTRAS_SCRIPT], capture_output=True,
                         text=True, env=_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" :: ", 1) for line in out.stdout.splitlines() if " :: " in line)
    for extra in ("plot", "data", "dask", "progress"):
        assert f"pip install 'actloss[{extra}]'" in lines.get(extra, ""), (extra, out.stdout)


def test_loss_inputs_lists_ints_and_n_vs_n1():
    np.testing.assert_allclose(L.mse([0, 1], [0, 3]), 2.0)
    np.testing.assert_allclose(L.mse(np.array([0.0, 1.0]), np.array([[0.0], [3.0]])), 2.0)
    assert L.mse.per_sample([0, 1], [[0.0], [3.0]]).shape == (2,)


def test_loss_value_is_a_float_for_float32_inputs_too():
    v = L.mse(np.zeros(3, np.float32), np.ones(3, np.float32))
    assert isinstance(v, float)
    json.dumps({"loss": v})


def test_label_smoothing_ignore_index_from_logits_semantics():
    y = np.array([1.0, 0.0])
    p = np.array([0.7, 0.4])
    s = 0.2
    ys = y * (1 - s) + s / 2  # Keras
    np.testing.assert_allclose(L.bce(y, p, label_smoothing=s),
                               -np.mean(ys * np.log(p) + (1 - ys) * np.log(1 - p)))
    Y = np.eye(3)[[0, 2]]
    P = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    Ys = Y * (1 - s) + s / 3  # Keras
    np.testing.assert_allclose(L.cce(Y, P, label_smoothing=s),
                               -np.mean(np.sum(Ys * np.log(P), -1)))
    # ignore_index (PyTorch): ignored samples count neither in the sum nor in n
    P3 = np.vstack([P, [[0.2, 0.2, 0.6]]])
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy(np.array([0, 2, -100]), P3, ignore_index=-100),
        -np.mean(np.log([0.5, 0.7])))
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(L.cce(Y, Z, from_logits=True), L.cce(Y, A.softmax(Z)))
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy(np.array([0, 2]), Z, from_logits=True),
        L.cce(Y, A.softmax(Z)))
    # focal with alpha=None: no class balancing; gamma=0 is plain BCE
    np.testing.assert_allclose(L.binary_focal_crossentropy(y, p),
                               np.mean(-(y * (1 - p) ** 2 * np.log(p)
                                         + (1 - y) * p ** 2 * np.log(1 - p))))
    np.testing.assert_allclose(L.binary_focal_crossentropy(y, p, gamma=0.0), L.bce(y, p))


def test_activation_get_reconfigures_and_scalars_are_accepted():
    a = A.get(A.leaky_relu, alpha=0.3)
    assert a.params["negative_slope"] == 0.3 and A.leaky_relu.params["negative_slope"] == 0.2
    r = A.relu(3)
    assert np.ndim(r) == 0 and r.dtype == np.float64 and float(r) == 3.0
    assert float(A.sigmoid(True)) == pytest.approx(1 / (1 + np.exp(-1)))


def test_fit_positional_order_is_keras_order():
    """API.md lists fit's keywords; positionally we keep Keras's order, so that
    ``model.fit(X, y, 32, 10)`` means what it means in tensorflow.keras."""
    from actloss.models import Sequential

    names = [n for n in inspect.signature(Sequential.fit).parameters if n != "self"]
    assert names[:12] == ["x", "y", "batch_size", "epochs", "verbose", "callbacks",
                          "validation_split", "validation_data", "shuffle", "class_weight",
                          "sample_weight", "initial_epoch"]


def test_schedules_have_every_keras_name():
    from actloss.optimizers import schedules

    for name in ("ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay", "CosineDecay",
                 "PolynomialDecay", "CosineDecayRestarts"):
        assert hasattr(schedules, name), name


def test_callbacks_keras_defaults_and_restore_best_weights(tutorial_data):
    from actloss import callbacks as C
    from actloss.layers import Dense
    from actloss.models import Sequential

    es = inspect.signature(C.EarlyStopping).parameters
    assert es["monitor"].default == "val_loss" and es["patience"].default == 0
    assert es["restore_best_weights"].default is False
    rl = inspect.signature(C.ReduceLROnPlateau).parameters
    assert (rl["factor"].default, rl["patience"].default, rl["min_lr"].default) == (0.1, 10, 0.0)

    X, y = tutorial_data

    class Record(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.weights.append([w.copy() for w in self.model.get_weights()])

    model = Sequential([Dense(1, input_shape=(10,))])
    model.compile(optimizer=SGD_big(), loss="mse")
    rec = Record()
    rec.weights = []
    stop = C.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    h = model.fit(X, y, epochs=20, batch_size=64, verbose=0, callbacks=[rec, stop])
    losses = h.history["loss"]
    assert len(losses) < 20  # diverging: stopped early
    best = int(np.argmin(losses))
    for w, w_best in zip(model.get_weights(), rec.weights[best]):
        np.testing.assert_array_equal(w, w_best)


def SGD_big():
    from actloss.optimizers import SGD

    return SGD(learning_rate=0.6)  # large enough to diverge on this data after a step or two


def test_dead_units_finds_a_dead_relu_unit():
    from actloss import diagnostics as D
    from actloss.layers import Dense
    from actloss.models import Sequential

    model = Sequential([Dense(3, activation="relu", input_shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).random((8, 2))
    w = model.get_weights()
    w[0][:] = 1.0
    w[0][:, 0] = -1.0
    w[1][:] = 0.0
    w[1][0] = -1.0
    model.set_weights(w)
    r = D.dead_units(model, x)
    assert r["dead"] == [1] and r["units"] == [3]


def test_keras_tutorial_idioms(tutorial_data):
    from actloss.layers import Dense, Input
    from actloss.models import Sequential

    X, _ = tutorial_data
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)  # 3 classes
    model = Sequential([Input(shape=(10,)),
                        Dense(5, activation=A.get("leaky_relu", alpha=0.2),
                              kernel_initializer="he_normal"),
                        Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(X, labels, epochs=2, verbose=0, validation_split=0.25)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    loss, acc = model.evaluate(X, labels, verbose=0)
    assert model.evaluate(X, labels, verbose=0, return_dict=True) == {"loss": loss,
                                                                       "accuracy": acc}
    assert model.predict(X).shape == (64, 3)
    np.testing.assert_allclose(model.predict(X).sum(axis=1), 1.0, rtol=1e-5)
    onehot = np.eye(3)[labels]
    for opt in ("sgd", "rmsprop", "adagrad", "adam", "adamw", "nadam"):
        model.compile(optimizer=opt, loss=L.get("cce", label_smoothing=0.1))
        model.fit(X, onehot, epochs=1, verbose=0)
    assert len(model.layers) == 2
    assert [w.shape for w in model.get_weights()] == [(10, 5), (5,), (5, 3), (3,)]


def test_existing_schedules_follow_keras_formulas():
    import math

    from actloss.optimizers import schedules as S

    assert float(S.CosineDecay(0.1, decay_steps=10, alpha=0.1)(5)) == pytest.approx(
        0.1 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * 0.5)) + 0.1))
    p = S.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [float(p(s)) for s in (0, 5, 6, 10, 11)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    assert float(S.InverseTimeDecay(0.1, 10, 0.5)(10)) == pytest.approx(0.1 / 1.5)
    assert float(S.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15)) == pytest.approx(0.05)
    warm = S.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
    assert [float(warm(s)) for s in (0, 5, 10)] == pytest.approx([0.0, 0.1, 0.05])


def test_adam_and_sgd_momentum_first_steps_are_keras_updates():
    from actloss.optimizers import SGD, Adam

    opt = Adam(learning_rate=0.1)
    opt.build(1, np.float64)
    w = np.array([1.0])
    opt.apply(w, np.array([0.5]))
    m, v = 0.1 * 0.5, 0.001 * 0.25
    lr_t = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(w, 1.0 - lr_t * m / (np.sqrt(v) + 1e-7), rtol=1e-12)
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.build(1, np.float64)
    w = np.array([1.0])
    opt.apply(w, np.array([1.0]))
    opt.apply(w, np.array([1.0]))
    np.testing.assert_allclose(w, 1.0 - 0.1 - (0.9 * 0.1 + 0.1))


def test_saved_model_keeps_compile_settings_and_optimizer_state(tutorial_data, tmp_path):
    from actloss.layers import Dense
    from actloss.models import Sequential, load_model

    X, y = tutorial_data
    model = Sequential([Dense(4, activation="tanh", input_shape=(10,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, epochs=2, verbose=0)
    model.save(str(tmp_path / "m.actloss"))
    again = load_model(str(tmp_path / "m.actloss"))
    assert again.optimizer.iterations == model.optimizer.iterations
    model.fit(X, y, epochs=1, verbose=0, shuffle=False)
    again.fit(X, y, epochs=1, verbose=0, shuffle=False)  # compiled: no compile() needed
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    (tmp_path / "junk.actloss").write_text("not a model")
    with pytest.raises(ValueError, match="junk.actloss"):
        load_model(str(tmp_path / "junk.actloss"))
    with pytest.raises(FileNotFoundError):
        load_model(str(tmp_path / "missing.actloss"))


def test_unknown_names_and_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="nonexistent"):
        A.get("nonexistent")
    with pytest.raises(TypeError, match="alpha"):
        A.get("relu", alpha=0.1)
    with pytest.raises(TypeError, match="delta"):
        L.get("mse", delta=1.0)
    with pytest.raises(ValueError, match="sample_weight"):
        L.mse([1.0, 2.0], [1.0, 2.0], sample_weight=[-1.0, 1.0])


def test_unknown_loss_message_spelling():
    with pytest.raises(ValueError) as info:
        L.get("nope")
    assert "Known losses" in str(info.value)


def test_fit_bad_input_value_errors_name_the_argument():
    from actloss.layers import Dense
    from actloss.models import Sequential

    X = np.random.default_rng(0).random((10, 3))
    m = Sequential([Dense(3, activation="softmax", input_shape=(3,))])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="5"):
        m.fit(X, np.array([0, 1, 2, 5, 0, 1, 2, 0, 1, 2]), verbose=0)
    with pytest.raises(ValueError, match=r"x .*10.*y .*9"):
        m.fit(X, np.zeros(9, int), verbose=0)
    with pytest.raises(ValueError, match=r"\(10, 2\)"):
        m.fit(X[:, :2], np.zeros(10, int), verbose=0)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        m.fit(X, np.eye(3)[np.zeros(10, int)], verbose=0)
