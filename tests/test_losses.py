"""Tests of the loss catalog (issue 3), parametrized over the registry.

Accuracy is measured against the mpmath references of tests/reference_losses.py (each written the
plain textbook way at 256+ bits); run that file as a script for the full ULP table.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference_losses import BY_LOSS, cases, measure

from actloss import losses as L
from actloss.cli import main as cli_main

NAMES = sorted(name for name, _ in L.REGISTRY.items())
DTYPES = [np.float32, np.float64]


def test_every_api_loss_is_registered_with_its_aliases():
    expected = {
        "mean_squared_error": ["mse"], "root_mean_squared_error": ["rmse"],
        "mean_absolute_error": ["mae"], "binary_crossentropy": ["bce"],
        "categorical_crossentropy": ["cce", "cross_entropy"],
        "sparse_categorical_crossentropy": [], "log_loss": [], "huber": [], "smooth_l1": [],
        "smooth_l2": [], "log_cosh": [], "hinge": [], "squared_hinge": [],
        "categorical_hinge": [], "kl_divergence": ["kld"], "poisson": [],
        "mean_absolute_percentage_error": ["mape"], "mean_squared_logarithmic_error": ["msle"],
        "cosine_similarity": [], "binary_focal_crossentropy": []}
    for name, aliases in expected.items():
        assert L.REGISTRY.aliases_of(name) == aliases
        assert L.get(name.upper().replace("_", "-")).name == name
        assert getattr(L, name) is L.get(name)
    assert set(expected) <= set(NAMES)
    assert set(NAMES) == set(BY_LOSS)  # every loss has an mpmath reference


@pytest.mark.parametrize("name", NAMES)
def test_docstring_has_formula_reductions_shape_peers_and_example(name):
    doc = L.get(name).__doc__
    for needle in (".. math::", "Reductions:", "Shape:", "Ours", ">>> "):
        assert needle in doc, needle
    loss = L.get(name)
    assert loss.formula and loss.derivative_formula and loss.summary and loss.pros


# ---------------------------------------------------------------- documented numbers
# The numbers printed in the Keras documentation examples, for the same inputs (their conventions
# are ours for these losses), and scikit-learn's for log_loss.
Y01, P01 = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
Y4, Z4 = [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]
DOC_NUMBERS = [
    ("mean_squared_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.5),
    ("mean_absolute_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.5),
    ("mean_absolute_percentage_error", [[2.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [1.0, 0.0]], {}, 50.0),
    ("mean_squared_logarithmic_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.240),
    ("binary_crossentropy", Y01, P01, {}, 0.815),
    ("binary_crossentropy", Y4, Z4, {"from_logits": True}, 0.865),
    ("categorical_crossentropy", [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], {},
     1.177),
    ("sparse_categorical_crossentropy", [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], {}, 1.177),
    ("huber", Y01, P01, {}, 0.155),
    ("log_cosh", Y01, [[1.0, 1.0], [0.0, 0.0]], {}, 0.108),
    ("hinge", Y01, P01, {}, 1.3),
    ("squared_hinge", Y01, P01, {}, 1.86),
    ("categorical_hinge", Y01, P01, {}, 1.4),
    ("kl_divergence", Y01, P01, {}, 0.458),
    ("poisson", Y01, [[1.0, 1.0], [0.0, 0.0]], {}, 0.5),
    ("cosine_similarity", [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], {}, -0.5),
    ("binary_focal_crossentropy", Y01, P01, {"gamma": 2.0}, 0.268),
    ("binary_focal_crossentropy", Y4, Z4, {"gamma": 2.0, "from_logits": True}, 0.691),
    ("binary_focal_crossentropy", Y4, Z4, {"gamma": 2.0, "from_logits": True, "alpha": 0.25}, 0.51),
    ("log_loss", [0, 1, 1], [0.1, 0.8, 0.6], {}, 0.2797765635793423),
]


@pytest.mark.parametrize("name, y, p, params, expected", DOC_NUMBERS,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(DOC_NUMBERS)])
def test_values_documented_by_keras_and_sklearn(name, y, p, params, expected):
    assert float(L.get(name)(y, p, **params)) == pytest.approx(expected, abs=6e-4)


# ---------------------------------------------------------------- accuracy
@pytest.mark.parametrize("dt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_within_4_ulp_of_mpmath(name, dt):
    result = measure(name, dt, seed=1, n=10)
    assert result["value"][0] <= 4, result["value"]
    assert result["grad"][0] <= 4, result["grad"]
    # soft labels / label smoothing: measured in ULP of max(|reference|, 1)
    assert result["soft"][0] <= 32, result["soft"]


def _fd_inputs(name, rng):
    """Moderate float64 inputs away from kinks and clamps, with the loss's parameters."""
    n = 5
    if name in ("categorical_crossentropy", "categorical_hinge", "log_loss"):
        y = np.eye(4)[rng.integers(0, 4, n)]
        return y, rng.dirichlet(np.full(4, 2.0), n), {}
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, 4, n), rng.normal(size=(n, 4)), {"from_logits": True}
    if name in ("binary_crossentropy", "binary_focal_crossentropy"):
        return rng.uniform(size=(n, 3)), rng.uniform(0.05, 0.95, (n, 3)), {}
    if name in ("hinge", "squared_hinge"):
        return rng.choice([-1.0, 1.0], (n, 3)), rng.normal(size=(n, 3)) * 2, {}
    if name == "kl_divergence":
        return rng.dirichlet(np.ones(4), n), rng.dirichlet(np.ones(4), n), {}
    y = rng.uniform(0.5, 3, (n, 3))
    return y, y + rng.normal(size=(n, 3)), {}


def _central_differences(f, p, h=1e-6):
    g = np.empty_like(p)
    for idx in np.ndindex(*p.shape):
        step = h * max(1.0, abs(p[idx]))
        up, down = p.copy(), p.copy()
        up[idx] += step
        down[idx] -= step
        g[idx] = (f(up) - f(down)) / (2 * step)
    return g


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name, reduction, rng):
    y, p, params = _fd_inputs(name, rng)
    loss = L.get(name, reduction=reduction, **params)
    numeric = _central_differences(lambda q: float(loss(y, q)), p)
    np.testing.assert_allclose(loss.grad(y, p), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, params", [("binary_crossentropy", {"from_logits": True}),
                                          ("binary_crossentropy", {"label_smoothing": 0.2}),
                                          ("binary_focal_crossentropy", {"from_logits": True}),
                                          ("binary_focal_crossentropy",
                                           {"gamma": 0.5, "alpha": 0.3, "label_smoothing": 0.1}),
                                          ("categorical_crossentropy", {"from_logits": True}),
                                          ("categorical_crossentropy", {"label_smoothing": 0.1}),
                                          ("huber", {"delta": 0.3}), ("smooth_l1", {"beta": 0.3}),
                                          ("smooth_l1", {"beta": 0.0})])
def test_gradient_with_parameters_matches_central_differences(name, params, rng):
    y, p, _ = _fd_inputs(name, rng)
    if params.get("from_logits"):
        p = rng.normal(size=p.shape) * 3
    loss = L.get(name, **params)
    numeric = _central_differences(lambda q: float(loss(y, q)), p)
    np.testing.assert_allclose(loss.grad(y, p), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_reductions_and_sample_weights_are_consistent(name, rng):
    y, p, params = _fd_inputs(name, rng)
    loss = L.get(name, **params)
    n = p.shape[0]
    per = loss.per_sample(y, p)
    assert per.shape == (n,)
    mean, total = loss(y, p), loss(y, p, reduction="sum")
    assert total == pytest.approx(mean * n, rel=1e-14)
    assert mean == pytest.approx(math.fsum(per) / n, rel=1e-15)
    np.testing.assert_array_equal(loss(y, p, reduction="none"), per)
    np.testing.assert_array_equal(loss(y, p, sample_weight=np.ones(n)), mean)
    w = rng.uniform(0, 2, n)
    assert loss(y, p, sample_weight=w) == pytest.approx(math.fsum(w * per) / n, rel=1e-14)
    np.testing.assert_allclose(loss(y, p, sample_weight=w, reduction="none"), w * per)
    g = loss.grad(y, p, reduction="none")
    w_col = w.reshape((-1,) + (1,) * (g.ndim - 1))
    np.testing.assert_allclose(loss.grad(y, p, sample_weight=w), g * w_col / n, rtol=1e-15)
    np.testing.assert_allclose(loss.grad(y, p, sample_weight=w, reduction="sum"), g * w_col,
                               rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_per_call_parameters_dtypes_and_lists(name, rng):
    y, p, params = _fd_inputs(name, rng)
    loss = L.get(name)
    assert loss(y, p, **params) == L.get(name, **params)(y, p)
    for dt in DTYPES:
        value, g = loss(y, p.astype(dt), **params), loss.grad(y, p.astype(dt), **params)
        # a Python float (API.md), holding exactly a value of y_pred's dtype
        assert isinstance(value, float) and dt(value) == value
        assert g.dtype == dt and g.shape == p.shape
    assert loss(y.tolist(), p.tolist(), **params) == loss(y, p, **params)
    half = loss(y, p.astype(np.float16), **params)  # computed in float32, rounded once
    assert isinstance(half, float) and np.float16(half) == half and np.isfinite(half)
    config = L.get(name, **params).get_config()
    assert L.get(config.pop("name"), **config) == L.get(name, **params)


# ---------------------------------------------------------------- extremes
def test_mean_of_a_million_samples_is_accurately_summed(rng):
    y = rng.normal(size=10**6)
    p = y + rng.normal(size=10**6) * 10.0 ** rng.uniform(-3, 3, 10**6)
    exact = math.fsum(((p - y) ** 2).tolist()) / 10**6  # each square within 1 ULP
    assert abs(L.mse(y, p) / exact - 1) < 1e-15
    y32, p32 = y.astype(np.float32), p.astype(np.float32)
    exact32 = math.fsum(((p32.astype(np.float64) - y32) ** 2).tolist()) / 10**6
    assert abs(float(L.mse(y32, p32)) / exact32 - 1) < 5e-7
    z = rng.normal(size=(10**6, 1)) * 5
    labels = (rng.uniform(size=(10**6, 1)) < 0.5).astype(float)
    per = L.bce.per_sample(labels, z, from_logits=True)
    assert abs(L.bce(labels, z, from_logits=True) / (math.fsum(per.tolist()) / 10**6) - 1) < 1e-15


def test_single_sample_and_one_dimensional_predictions():
    assert L.mse([3.0], [1.0]) == 4.0
    assert L.mse.grad([3.0], [1.0]).shape == (1,)
    assert L.bce([[1.0]], [0.5]) == pytest.approx(math.log(2))
    np.testing.assert_array_equal(L.mse.grad([[0.0], [1.0]], [0.0, 3.0]), [0.0, 2.0])


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", ["binary_crossentropy", "log_loss", "categorical_crossentropy",
                                  "binary_focal_crossentropy", "kl_divergence"])
def test_probability_clamp_is_finite_and_monotone(name, dt):
    tiny = np.finfo(dt).tiny
    ps = np.array([0.0, tiny / 4, tiny, 1e-30, 1e-10, 1e-3, 0.5], dtype=dt)
    if name in ("categorical_crossentropy", "kl_divergence"):
        y, p = np.tile([1.0, 0.0], (len(ps), 1)), np.stack([ps, 1 - ps], axis=1)
    else:
        y, p = np.ones(len(ps)), ps
    values = L.get(name).per_sample(y, p)
    g = L.get(name).grad(y, p, reduction="none")
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(g))
    assert np.all(np.diff(values) <= 0) and values[0] == values[2] > values[3]
    assert values[0] == pytest.approx(-np.log(tiny), rel=1e-6) or name == "binary_focal_crossentropy"


def test_bce_at_p_exactly_one_against_label_zero_is_large_and_finite():
    values = L.bce.per_sample([0.0, 0.0], [1.0, 1 - 2.0**-53])
    assert values[0] == pytest.approx(-np.log(np.finfo(float).tiny)) and values[0] > values[1]
    assert np.all(np.isfinite(L.bce.grad([0.0, 0.0], [1.0, 1 - 2.0**-53])))


def test_logits_of_1000_are_exact():
    z = np.array([-1000.0, 1000.0, -1000.0, 1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(L.bce.per_sample(y, z, from_logits=True), [1000, 1000, 0, 0])
    np.testing.assert_array_equal(L.bce.grad(y, z, from_logits=True, reduction="none"), [-1, 1, 0, 0])
    rows = np.array([[1000.0, -1000.0, 0.0], [0.0, 1000.0, -1000.0]])
    np.testing.assert_array_equal(L.sparse_categorical_crossentropy.per_sample(
        [1, 1], rows, from_logits=True), [2000.0, 0.0])


def test_huge_errors_overflow_honestly_in_mse_but_not_in_huber_or_log_cosh():
    y, p = [0.0, 0.0], [1e200, -1e200]
    assert L.mse(y, p) == np.inf and L.smooth_l2(y, p) == np.inf
    assert L.huber(y, p) == pytest.approx(1e200) and L.smooth_l1(y, p) == pytest.approx(1e200)
    assert L.rmse(y, p) == pytest.approx(1e200) and L.rmse([0.0], [1e-300]) == 1e-300
    assert L.log_cosh([0.0], [1e4]) == 1e4 - math.log(2)
    assert np.all(np.isfinite(L.huber.grad(y, p))) and L.mse.grad(y, p)[0] == 0.5 * 2e200


def test_smooth_l1_is_huber_over_beta_and_not_the_tutorial_formula(rng):
    e = rng.normal(size=200) * 3
    zero = np.zeros_like(e)
    for beta in (0.5, 1.0, 2.0):
        assert L.smooth_l1(zero, e, beta=beta) == pytest.approx(L.huber(zero, e, delta=beta) / beta)
    tutorial = np.mean(np.maximum(0.5 * e**2, np.abs(e) - 0.5))
    assert tutorial == pytest.approx(L.smooth_l2(zero, e))  # it is half-MSE ...
    assert L.smooth_l1(zero, e) < tutorial  # ... not Smooth L1
    assert L.smooth_l1(zero, e, beta=0.0) == L.mae(zero, e)


# ---------------------------------------------------------------- label forms and bad input
def test_binary_targets_as_column_row_bool_and_list():
    p = np.array([0.2, 0.7, 0.9])
    ref = L.bce([0, 1, 1], p)
    for y in ([[0], [1], [1]], [False, True, True], np.array([0, 1, 1], dtype=np.int8)):
        assert L.bce(y, p) == ref and L.bce(y, p[:, None]) == ref
    assert L.bce.grad([[0], [1], [1]], p).shape == (3,)


def test_integer_labels_and_one_hot_are_redirected():
    probs = [[0.2, 0.8], [0.6, 0.4]]
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        L.cce([1, 0], probs)
    with pytest.raises(ValueError, match="categorical_crossentropy for one-hot"):
        L.sparse_categorical_crossentropy([[0, 1], [1, 0]], probs)
    assert L.cce([[0, 1], [1, 0]], probs) == L.sparse_categorical_crossentropy([1, 0], probs)
    assert L.sparse_categorical_crossentropy([[1.0], [0.0]], probs) == L.cce([[0, 1], [1, 0]], probs)
    assert L.cce([[0, 1], [1, 0]], np.transpose(probs), axis=0) == L.cce([[0, 1], [1, 0]], probs)
    np.testing.assert_array_equal(L.cce.grad([[0, 1], [1, 0]], np.transpose(probs), axis=0),
                                  np.transpose(L.cce.grad([[0, 1], [1, 0]], probs)))


def test_sparse_ignore_index_averages_over_kept_samples_as_pytorch():
    z = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    per = L.sparse_categorical_crossentropy.per_sample([0, 1, 2], z, from_logits=True)
    loss = L.get("sparse_categorical_crossentropy", from_logits=True, ignore_index=-100)
    assert loss([0, -100, 2], z) == pytest.approx((per[0] + per[2]) / 2)
    assert np.all(loss.grad([0, -100, 2], z)[1] == 0)
    assert loss([-100, -100, -100], z) == 0


def test_log_loss_decides_binary_or_multiclass_by_shape_as_sklearn():
    sklearn = pytest.importorskip("sklearn.metrics")
    y, p = [0, 1, 1, 0], [0.1, 0.8, 0.6, 0.35]
    assert L.log_loss(y, p) == pytest.approx(sklearn.log_loss(y, p), rel=1e-14)
    pm = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]
    assert L.log_loss([0, 2, 1], pm) == pytest.approx(sklearn.log_loss([0, 2, 1], pm), rel=1e-14)


BAD_INPUT = [
    ("mse", [1.0, 2.0], [1.0, 2.0, 3.0], {}, r"y_true.shape=\(2,\), y_pred.shape=\(3,\)"),
    ("mse", [[1.0, 2.0]], [[1.0], [2.0]], {}, "same shape"),
    ("mse", [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], {}, r"y_true.shape=\(2,\)"),
    ("mse", [], [], {}, "at least one sample"),
    ("mse", [np.nan, 1.0], [1.0, 2.0], {}, "y_true must be finite"),
    ("mse", [np.inf, 1.0], [1.0, 2.0], {}, "y_true must be finite"),
    ("bce", [0.0, 1.0], [0.5, 1.5], {}, r"y_pred must lie in \[0, 1\].*1.5.*from_logits=True"),
    ("bce", [0.0, 2.0], [0.5, 0.5], {}, r"y_true must lie in \[0, 1\]"),
    ("cce", [[0, 1]], [[-0.1, 1.1]], {}, r"y_pred must lie in \[0, 1\]"),
    ("sparse_categorical_crossentropy", [0, 3], [[0.5, 0.5], [0.5, 0.5]], {},
     r"y_true must lie in \[0, 1\].*3.0.*2 classes"),
    ("sparse_categorical_crossentropy", [0, -1], [[0.5, 0.5], [0.5, 0.5]], {}, "-1"),
    ("sparse_categorical_crossentropy", [0.5, 1], [[0.5, 0.5], [0.5, 0.5]], {},
     "integer class labels; found 0.5"),
    ("poisson", [-1.0, 2.0], [1.0, 2.0], {}, r"y_true must lie in \[0, inf\].*-1.0"),
    ("poisson", [1.0, 2.0], [-1.0, 2.0], {}, r"y_pred must lie in \[0, inf\]"),
    ("msle", [-1.0, 2.0], [1.0, 2.0], {}, r"y_true must lie in \[0, inf\]"),
    ("hinge", [0.5, 1.0], [1.0, 2.0], {}, r"labels in \{-1, 1\} or \{0, 1\}; found 0.5"),
    ("kld", [[0.5, 1.5]], [[0.5, 0.5]], {}, r"y_true must lie in \[0, 1\]"),
    ("log_loss", [0, 2], [0.3, 0.4], {}, r"y_true must lie in \[0, 1\]"),
    ("log_loss", [0, 0.5], [0.3, 0.4], {}, "0/1 labels"),
    ("mse", [1e300], np.float32([1.0]), {}, "beyond the range of float32"),
    ("mse", [1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0]}, r"sample_weight must have shape \(2,\)"),
    ("mse", [1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0, -1.0]}, "sample_weight must be finite and >= 0"),
    ("mse", [1.0, 2.0], [1.0, 2.0], {"reduction": "avg"}, r"reduction.*'mean'.*reduction='avg'"),
    ("huber", [1.0], [1.0], {"delta": 0.0}, r"delta in \(0"),
    ("bce", [1.0], [1.0], {"label_smoothing": 2.0}, "label_smoothing"),
    ("mse", "abc", [1.0], {}, "y_true must be numeric"),
]


@pytest.mark.parametrize("name, y, p, kwargs, match", BAD_INPUT,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_INPUT)])
def test_bad_input_raises_value_error_naming_the_argument(name, y, p, kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.get(name)(y, p, **kwargs)


def test_unknown_loss_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'huber'"):
        L.get("hubber")
    with pytest.raises(TypeError, match=r"loss name \(str\) or Loss object; received int"):
        L.get(3)


@pytest.fixture
def scratch_registry():
    """Names registered by a test are removed afterwards (the registry is process-wide)."""
    before = set(L.REGISTRY._objects)
    yield
    for name in set(L.REGISTRY._objects) - before:
        del L.REGISTRY._objects[name]


def test_register_checks_the_gradient_by_finite_differences(scratch_registry):
    cube = L.register("cube_test_loss", lambda t, p: np.mean((p - t) ** 3, axis=-1),
                      lambda t, p: 3 * (p - t) ** 2 / p.shape[-1], formula="mean e^3")
    assert L.get("cube_test_loss") is cube and cube([0.0], [2.0]) == 8.0
    with pytest.raises(ValueError, match="finite differences"):
        L.register("bad_test_loss", lambda t, p: np.mean((p - t) ** 2, axis=-1),
                   lambda t, p: (p - t) / p.shape[-1])
    assert "bad_test_loss" not in L.names()


def test_explain_huber_from_the_command_line(capsys):
    assert cli_main(["explain", "huber", "--latex"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("huber (loss)") and "delta" in out and r"\delta" in out


# ---------------------------------------------------------------- training hot path
@pytest.mark.parametrize("dt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_hot_path_matches_the_public_calls(name, dt, rng):
    y, p, params = _fd_inputs(name, rng)
    p = p.astype(dt)
    loss = L.get(name, **params)
    t = loss.prepare_targets(y, p.shape, p.dtype)
    t_before, p_before = t.copy(), p.copy()
    values, g = loss.per_sample_unchecked(t, p), loss.grad_unchecked(t, p)
    assert values.dtype == dt and g.dtype == dt and values.shape == (p.shape[0],)
    np.testing.assert_array_equal(values, loss.per_sample(y, p))
    np.testing.assert_array_equal(g, loss.grad(y, p, reduction="none"))
    np.testing.assert_array_equal(t, t_before)  # the kernels never write to their inputs
    np.testing.assert_array_equal(p, p_before)
    assert loss.task in ("regression", "binary", "multiclass", "classification", "distribution",
                         "count")


@pytest.mark.parametrize("name, act", [("binary_crossentropy", "sigmoid"),
                                       ("categorical_crossentropy", "softmax"),
                                       ("sparse_categorical_crossentropy", "softmax")])
def test_fused_logits_gradient_equals_the_chain_rule(name, act, rng):
    from actloss import activations as A

    z = rng.normal(size=(6, 3)) * 2
    y = rng.integers(0, 3, 6) if name.startswith("sparse") else (
        np.eye(3)[rng.integers(0, 3, 6)] if act == "softmax" else rng.integers(0, 2, (6, 3)))
    probs = L.get(name)
    fused = L.get(name).with_params(from_logits=True)
    p = A.get(act)(z)
    g_p = probs.grad(y, p, reduction="none")
    chain = A.get(act).vjp(z, g_p)
    np.testing.assert_allclose(fused.grad(y, z, reduction="none"), chain, rtol=1e-10, atol=1e-13)
    assert fused.per_sample(y, z) == pytest.approx(probs.per_sample(y, p), rel=1e-12)
    onehot = y if not name.startswith("sparse") else np.eye(3)[y]
    d = 3 if act == "sigmoid" else 1
    np.testing.assert_allclose(fused.grad_unchecked(fused.prepare_targets(y, z.shape, z.dtype), z),
                               (p - onehot) / d, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- comparisons with PyTorch
def test_matches_pytorch_functions(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    T = torch.from_numpy
    y, p = rng.normal(size=(20, 3)), rng.normal(size=(20, 3)) * 2
    for beta in (1.0, 0.5, 0.0):
        assert L.smooth_l1(y, p, beta=beta) == pytest.approx(
            F.smooth_l1_loss(T(p), T(y), beta=beta).item(), rel=1e-14)
    assert L.huber(y, p, delta=0.7) == pytest.approx(F.huber_loss(T(p), T(y), delta=0.7).item(), rel=1e-14)
    assert L.mse(y, p) == pytest.approx(F.mse_loss(T(p), T(y)).item(), rel=1e-14)
    assert L.mae(y, p) == pytest.approx(F.l1_loss(T(p), T(y)).item(), rel=1e-14)
    yb, pb = rng.integers(0, 2, (20, 3)).astype(float), rng.uniform(0.01, 0.99, (20, 3))
    assert L.bce(yb, pb) == pytest.approx(F.binary_cross_entropy(T(pb), T(yb)).item(), rel=1e-13)
    assert L.bce(yb, p, from_logits=True) == pytest.approx(
        F.binary_cross_entropy_with_logits(T(p), T(yb)).item(), rel=1e-13)
    labels = rng.integers(0, 3, 20)
    for s in (0.0, 0.1):
        assert L.cce(np.eye(3)[labels], p, from_logits=True, label_smoothing=s) == pytest.approx(
            F.cross_entropy(T(p), T(labels), label_smoothing=s).item(), rel=1e-13)
    labels[:5] = -100
    assert L.get("sparse_categorical_crossentropy", from_logits=True, ignore_index=-100)(
        labels, p) == pytest.approx(F.cross_entropy(T(p), T(labels)).item(), rel=1e-13)
    yd, pd = rng.dirichlet(np.ones(3), 20), rng.dirichlet(np.ones(3), 20)
    assert L.kld(yd, pd) == pytest.approx(
        F.kl_div(T(np.log(pd)), T(yd), reduction="batchmean").item(), rel=1e-13)
    # PyTorch clamps log p at -100: p = 0 and p = 1e-50 cost the same there, not here
    torch_flat = F.binary_cross_entropy(T(np.array([0.0, 1e-50])), T(np.ones(2)), reduction="none")
    assert torch_flat[0].item() == torch_flat[1].item() == 100.0
    ours = L.bce.per_sample([1.0, 1.0], [0.0, 1e-50])
    assert ours[0] > ours[1] == pytest.approx(50 * math.log(10))


# ---------------------------------------------------------------- property tests
_F64 = st.floats(-1e150, 1e150, allow_nan=False, width=64)
_F32 = st.floats(-2.0**50, 2.0**50, allow_nan=False, width=32)
_SPECIAL = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 1e-30, 1 - 1e-7, 3.0, -1e-3, 1e10])


@st.composite
def _loss_inputs(draw):
    name = draw(st.sampled_from(NAMES))
    dt = draw(st.sampled_from(DTYPES))
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(n,), (n, 1), (n, d)]))
    elems = st.one_of(_SPECIAL, _F64 if dt == np.float64 else _F32)
    p = draw(hnp.arrays(dt, shape, elements=elems))
    if name == "sparse_categorical_crossentropy" and draw(st.booleans()):
        y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(-1, d)))
    else:
        yshape = draw(st.sampled_from([shape, shape, (n,), (n, 1)]))
        y = draw(hnp.arrays(np.float64, yshape, elements=st.one_of(_SPECIAL, _F64 if dt == np.float64
                                                                  else _F32)))
    params = {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}
    if "from_logits" in L.get(name).params and draw(st.booleans()):
        params["from_logits"] = True
    weights = draw(st.one_of(st.none(), hnp.arrays(np.float64, st.sampled_from([(n,), (n + 1,)]),
                                                   elements=st.floats(-0.5, 1.0))))
    return name, y, p, params, weights


@given(_loss_inputs())
def test_any_input_gives_a_finite_value_or_a_documented_value_error(case):
    name, y, p, params, w = case
    loss = L.get(name, **params)
    try:
        value, g = loss(y, p, sample_weight=w), loss.grad(y, p, sample_weight=w)
    except ValueError as exc:
        assert any(word in str(exc) for word in ("y_true", "y_pred", "sample_weight")), exc
        return
    assert np.all(np.isfinite(value)) and np.all(np.asarray(value, p.dtype) == value), (value, y, p)
    assert np.all(np.isfinite(g)) and g.shape == p.shape and g.dtype == p.dtype


def test_cases_cover_every_loss():
    for name in NAMES:
        assert cases(name, np.float64, np.random.default_rng(0), 2), name


# ---------------------------------------------------------------- the fused output path
SPECIAL_LOGITS = [0.0, -0.0, 5e-324, -5e-324, 1e-3, -1e-3, 1.0, -1.0, 16.0, -16.0, 37.0, -37.0,
                  40.0, -40.0, 88.0, -88.0, 709.0, -709.0, 745.0, -745.0, 1000.0, -1000.0,
                  1e300, -1e300, np.inf, -np.inf, np.nan]
FUSED = [("binary_crossentropy", "sigmoid"), ("categorical_crossentropy", "softmax"),
         ("sparse_categorical_crossentropy", "softmax")]


def _fused_case(name, dt):
    """Logits (rows of 3) built from the special values, and hard targets for them."""
    z = np.array(SPECIAL_LOGITS + [0.5], dtype=np.float64)
    with np.errstate(over="ignore"):   # 1e300 is inf in float32
        z = np.stack([z, np.roll(z, 1), np.roll(z, 5)], axis=1).astype(dt)
    n = z.shape[0]
    if name == "binary_crossentropy":
        y = (np.arange(3 * n).reshape(n, 3) % 2).astype(dt)
    else:
        labels = np.arange(n) % 3
        y = labels if name.startswith("sparse") else np.eye(3, dtype=dt)[labels]
    return z, y


def _chain_rule_reference(name, y, z):
    """The chain rule dL/dz = J_act(z)^T dL/dp, evaluated exactly (mpmath), per sample (rows
    holding NaN, or an undefined limit such as +inf twice in a softmax row, give NaN)."""
    import mpmath
    out = np.empty(z.shape)
    with mpmath.workprec(4000):
        for i, row in enumerate(z):
            if name == "binary_crossentropy":   # elementwise: NaN stays where it is
                out[i] = [np.nan if np.isnan(v) else float((1 / (1 + mpmath.exp(-v)) - int(t)) / 3)
                          if np.isfinite(v) else float((v > 0) - int(t)) / 3
                          for v, t in zip(row, y[i])]
                continue
            if np.isnan(row).any():
                out[i] = np.nan
                continue
            zs = [mpmath.mpf(float(v)) for v in row]
            onehot = np.eye(3)[y[i]] if name.startswith("sparse") else y[i]
            big = [k for k, v in enumerate(zs) if v == mpmath.inf]
            if len(big) > 1:
                out[i] = np.nan   # two +inf logits: the limit depends on how they grow
                continue
            if big:
                p = [mpmath.mpf(int(k == big[0])) for k in range(3)]
            else:
                top = max(zs)
                ex = [mpmath.exp(v - top) if mpmath.isfinite(v) else mpmath.mpf(0) for v in zs]
                p = [e / mpmath.fsum(ex) for e in ex]
            out[i] = [float(pk - int(tk)) for pk, tk in zip(p, onehot)]
    return out


@pytest.mark.parametrize("dt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, act", FUSED)
def test_fused_path_equals_the_chain_rule_at_special_logits(name, act, dt):
    """The training loop's loss step at the logits (models._fused) against the chain rule
    through the activation: exactly (mpmath) at every special value, within 1 ULP, NaN where
    NaN; and against the float chain rule of the public objects where that is well
    conditioned (1 - p computed from a rounded p loses digits near p = 1)."""
    from actloss import activations as A
    from actloss.models import _fused

    z, y = _fused_case(name, dt)
    loss = L.get(name)
    kernel = _fused.select(loss, None, True, 3)
    t = kernel.loss.prepare_targets(y, z.shape, z.dtype)
    with np.errstate(all="ignore"):   # the training step's error state
        _, g = kernel(z.copy(), t, None, "none")
    assert g.dtype == dt
    ref = _chain_rule_reference(name, y, z.astype(np.float64)).astype(dt)
    expected_nan = np.isnan(ref)
    if name != "binary_crossentropy":   # NaN logits poison their softmax row
        expected_nan |= np.isnan(z).any(axis=1, keepdims=True) & np.ones_like(ref, bool)
    np.testing.assert_array_equal(np.isnan(g), expected_nan)
    ok = ~expected_nan
    ulps = np.abs(g[ok].astype(np.float64) - ref[ok]) / np.spacing(np.abs(ref[ok]).astype(dt))
    assert np.max(np.where(g[ok] == ref[ok], 0, ulps)) <= 1.0
    # the generic chain rule of the public objects, in float, where p is not 0 or 1 to rounding
    activation = A.get(act)
    finite_rows = np.isfinite(z).all(axis=1)
    p = activation(z[finite_rows])
    inner = finite_rows.copy()
    inner[finite_rows] = ((p > 1e-3) & (p < 1 - 1e-3)).all(axis=1)  # 1 - p keeps its digits
    zi, yi = z[inner], y[inner]
    chain = activation.vjp(zi, loss.grad(yi, activation(zi), reduction="none"))
    np.testing.assert_allclose(g[inner], chain, rtol=8 * np.finfo(dt).eps,
                               atol=8 * np.finfo(dt).tiny)


@pytest.mark.parametrize("name, kind", [("binary_crossentropy", "binary"),
                                        ("categorical_crossentropy", "onehot"),
                                        ("sparse_categorical_crossentropy", "labels"),
                                        ("mean_squared_error", "real")])
@pytest.mark.parametrize("weighted", [False, True])
def test_training_loss_step_is_the_public_loss_and_reduction(name, kind, weighted, rng):
    """models._fused's kernel gives the loss and gradient of the public call (same definition,
    same reduction), weights included, for the fused pairs and a plain loss."""
    from actloss.models import _fused
    z = rng.standard_normal((6, 3)) * 4
    y = {"binary": rng.integers(0, 2, (6, 3)).astype(float),
         "onehot": np.eye(3)[rng.integers(0, 3, 6)], "labels": rng.integers(0, 3, 6),
         "real": rng.normal(size=(6, 3))}[kind]
    fused = kind != "real"
    kernel = _fused.select(L.get(name), None, fused, 3)
    w = rng.uniform(0.5, 2.0, 6) if weighted else None
    t = kernel.loss.prepare_targets(y, z.shape, z.dtype)
    value, g = kernel(z.copy(), t, w)
    public = L.get(name, from_logits=True) if fused else L.get(name)
    assert value == public(y, z, sample_weight=w)
    np.testing.assert_array_equal(g, public.grad(y, z, sample_weight=w))


# ---------------------------------------------------------------- IEEE semantics (issue 11)
ROW_COUPLED = {"root_mean_squared_error", "cosine_similarity", "categorical_crossentropy",
               "sparse_categorical_crossentropy", "categorical_hinge", "kl_divergence", "log_loss"}


def _ordinary_inputs(name, rng, dt):
    """A valid (y, p, params) of 4 samples x 3 outputs for ``name``, predictions in (0, 1)."""
    p = rng.uniform(0.1, 0.9, (4, 3)).astype(dt)
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, 3, 4), p
    if name in ("categorical_crossentropy", "categorical_hinge", "log_loss"):
        return np.eye(3, dtype=dt)[rng.integers(0, 3, 4)], p
    if name in ("hinge", "squared_hinge"):
        return rng.choice([-1.0, 1.0], (4, 3)).astype(dt), p
    return rng.uniform(0, 1, (4, 3)).astype(dt), p


@pytest.mark.parametrize("dt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_nan_prediction_gives_nan_for_its_sample_only(name, dt, rng):
    """A NaN in y_pred: that sample's loss is NaN (so the mean is), its gradient NaN where the
    NaN sits (in its row, for losses that couple a sample's outputs), every other sample
    untouched; no warning, no error."""
    y, p = _ordinary_inputs(name, rng, dt)
    loss = L.get(name)
    clean_v, clean_g = loss.per_sample(y, p), loss.grad(y, p, reduction="none")
    p[1, 2] = np.nan
    v, g = loss.per_sample(y, p), loss.grad(y, p, reduction="none")
    assert np.isnan(v[1]) and math.isnan(loss(y, p))
    np.testing.assert_array_equal(np.delete(v, 1), np.delete(clean_v, 1))
    np.testing.assert_array_equal(np.delete(g, 1, axis=0), np.delete(clean_g, 1, axis=0))
    assert np.isnan(g[1, 2])
    if name not in ROW_COUPLED:
        np.testing.assert_array_equal(g[1, :2], clean_g[1, :2])
    assert g.dtype == dt and v.dtype == dt


def test_infinite_predictions_give_the_mathematical_limits():
    inf = np.inf
    # binary cross-entropy from logits: exact 0 and inf, gradient 0 and -1 (mean over d = 1)
    assert L.bce.per_sample([1.0, 0.0], [inf, -inf], from_logits=True).tolist() == [0.0, 0.0]
    assert L.bce.per_sample([1.0, 0.0], [-inf, inf], from_logits=True).tolist() == [inf, inf]
    assert L.bce.grad([1.0, 1.0], [inf, -inf], from_logits=True, reduction="none").tolist() \
        == [0.0, -1.0]
    assert L.bce.per_sample([0.25], [inf], from_logits=True)[0] == inf   # soft label: inf
    # regression: MSE inf, Huber and Smooth L1 linear to inf with bounded gradients
    assert L.mse([0.0, 0.0], [inf, 1.0]) == inf
    assert L.huber.per_sample([0.0], [-inf])[0] == inf
    assert L.huber.grad([0.0], [-inf], delta=2.0, reduction="none")[0] == -2.0
    assert L.smooth_l1.grad([0.0], [inf], reduction="none")[0] == 1.0
    assert math.isnan(L.mse([0.0, 0.0], [inf, np.nan]))
    # masked -inf logits on non-target classes are exactly ignored
    z = np.array([[2.0, -inf, 0.5, -inf]])
    kept = np.array([[2.0, 0.5]])
    assert L.cce([[1, 0, 0, 0]], z, from_logits=True) == L.cce([[1, 0]], kept, from_logits=True)
    g = L.cce.grad([[1, 0, 0, 0]], z, from_logits=True)
    np.testing.assert_array_equal(g[:, [0, 2]], L.cce.grad([[1, 0]], kept, from_logits=True))
    assert g[0, 1] == g[0, 3] == 0.0
    assert L.sparse_categorical_crossentropy([1], z, from_logits=True) == inf   # target masked
    # undefined limits are NaN: two +inf logits in one softmax row
    assert math.isnan(L.cce([[1, 0, 0]], [[inf, inf, 0.0]], from_logits=True))


def test_cosine_with_several_infinite_predictions_is_zero_when_the_target_misses_them():
    """y.p stays finite while |p| -> inf on every path: cosine 0 (found by the long fuzz, it
    was NaN); where y weighs an infinite entry the limit depends on the rates: NaN. The
    gradient, at most 2/|p| in size, is 0 in both cases."""
    inf = np.inf
    y = [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 1]]
    for dt in (np.float16, np.float32, np.float64):
        p = np.array([[2, inf, inf, 0], [2, -inf, inf, 3], [2, inf, inf, 0], [0, inf, -inf, 0],
                      [inf, inf, inf, inf]], dtype=dt)
        v = L.cosine_similarity.per_sample(y, p)
        assert v.dtype == dt and v[:2].tolist() == [0.0, 0.0] and np.isnan(v[2:]).all()
        g = L.cosine_similarity.grad(y, p, reduction="none")
        assert g.dtype == dt and not np.any(g)
    # y at the infinite entries below float64's resolution of |y|: every path rounds to 0
    p = np.array([[0, inf, 0, inf], [0, inf, 0, -inf], [0, inf, 0, inf]])
    v = L.cosine_similarity.per_sample([[0, 1e-300, 1e200, 0], [0, 1e-300, 1e200, 0],
                                        [0, 1e-100, 1e200, 0]], p)
    assert v[:2].tolist() == [0.0, 0.0] and np.isnan(v[2])


def test_focal_gradient_with_gamma_below_one_where_q_underflows():
    """gamma = 0 is BCE: at z = -745 (y = 0) q = sigmoid(z) is subnormal in the float64 the
    float32 kernel runs in, and gamma q^(gamma-1) was 0 * inf = NaN (found by the long fuzz)."""
    for dt in (np.float16, np.float32, np.float64):
        for y, z in ((0.0, -745.0), (1.0, 745.0)):
            z = np.array([z], dtype=dt)
            g = L.binary_focal_crossentropy.grad([y], z, from_logits=True, gamma=0.0)
            # sigmoid(-745) - 0 = 4.9e-324: BCE's fast path rounds it to 0 in float64 (1 ULP)
            np.testing.assert_array_max_ulp(g, L.bce.grad([y], z, from_logits=True), maxulp=1)
            assert g.dtype == dt


def test_focal_alpha_of_one_removes_the_negatives_even_at_infinite_logits():
    """alpha = 1 weighs y = 0 entries by exactly 0: 0, not 0 * inf = NaN, where their bce is
    inf (z = +inf; found by the long fuzz); the positives keep theirs."""
    inf = np.inf
    for dt in (np.float16, np.float32, np.float64):
        z = np.array([[inf, 0.0], [inf, -inf]], dtype=dt)
        v = L.binary_focal_crossentropy.per_sample([[0, 0], [0, 1]], z, from_logits=True,
                                                   alpha=1.0)
        assert v.tolist() == [0.0, inf] and v.dtype == dt
        g = L.binary_focal_crossentropy.grad([[0, 0], [0, 1]], z, from_logits=True, alpha=1.0,
                                             reduction="none")
        assert g.tolist() == [[0.0, 0.0], [0.0, -0.5]]
        assert L.binary_focal_crossentropy.per_sample([[1]], np.array([[inf]], dt),
                                                      from_logits=True, alpha=0.0)[0] == 0


def test_zero_weight_removes_a_sample_even_if_its_loss_overflows():
    assert L.mse([0.0], [1e300], sample_weight=[0.0]) == 0.0
    assert L.mse([0.0, 0.0], [1e300, 2.0], sample_weight=[0.0, 1.0]) == 2.0
    assert L.mse([0.0, 0.0], [np.inf, 2.0], sample_weight=[0.0, 1.0], reduction="sum") == 4.0
    assert L.mse([0.0, 0.0], [np.nan, 2.0], sample_weight=[0.0, 3.0]) == 6.0
    np.testing.assert_array_equal(
        L.mse.grad([0.0, 0.0], [np.inf, 2.0], sample_weight=[0.0, 1.0]), [0.0, 2.0])
    np.testing.assert_array_equal(
        L.mse([0.0, 0.0], [np.inf, 2.0], sample_weight=[0.0, 1.0], reduction="none"), [0.0, 4.0])


def test_huge_weights_do_not_overflow_a_float32_mean_that_fits():
    y, p = np.zeros(4, np.float32), np.full(4, 2.0, np.float32)
    w = np.full(4, 1e30)
    value = L.mse(y, p, sample_weight=w)
    assert value == pytest.approx(4e30, rel=1e-7) and np.float32(value) == value
    assert L.mse(y, p, sample_weight=w, reduction="mean_with_sample_weight") == 4.0
    g = L.mse.grad(y, p, sample_weight=w)
    assert g.dtype == np.float32 and np.all(g == np.float32(1e30))


def test_mean_of_a_million_float32_cross_entropies_is_accurate(rng):
    z = (rng.normal(size=(10**6, 1)) * 5).astype(np.float32)
    labels = (rng.uniform(size=(10**6, 1)) < 0.5).astype(np.float32)
    per = L.bce.per_sample(labels, z, from_logits=True).astype(np.float64)
    assert abs(L.bce(labels, z, from_logits=True) / (math.fsum(per.tolist()) / 10**6) - 1) < 5e-7


def test_mape_mean_fits_in_float32_though_its_sum_would_not():
    y = np.ones((2, 3), np.float32)
    p = np.full((2, 3), 3e36, np.float32)   # 100 |e| / |y| = 3e38 per entry: the sum overflows
    assert L.mape(y, p) == pytest.approx(3e38, rel=1e-6)


def test_keras_reduction_names_are_accepted_and_mean_with_sample_weight_divides_by_sum_w():
    y, p, w = [0.0, 0.0], [1.0, 3.0], [1.0, 3.0]
    assert L.mse(y, p, reduction="sum_over_batch_size") == L.mse(y, p) == 5.0
    assert L.get("mse", reduction=None)(y, p).tolist() == [1.0, 9.0]
    assert L.mse(y, p, sample_weight=w, reduction="mean_with_sample_weight") == 28 / 4
    assert L.mse.grad(y, p, sample_weight=w, reduction="mean_with_sample_weight").tolist() == \
        [2 / 4, 18 / 4]
    assert L.get("mse", reduction="sum_over_batch_size").reduction == "mean"


# ---------------------------------------------------------------- Keras classes and custom functions
def test_keras_classes_are_generated_for_every_registered_loss():
    import inspect
    for name, loss in L.REGISTRY.items():
        cls = L.KERAS_CLASSES[L._keras.class_name(name)]
        assert cls.loss_object is loss
        params = list(inspect.signature(cls).parameters)
        assert params[-3:] == ["reduction", "name", "dtype"] or \
            params[-4:] == ["reduction", "axis", "name", "dtype"]
    assert L.Huber().name == "huber_loss" and L.KLDivergence().name == "kl_divergence"
    obj = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0)
    assert L.get(obj) == L.get("binary_focal_crossentropy", alpha=0.4, gamma=1.0)
    assert L.get(L.BinaryFocalCrossentropy()).params["alpha"] is None
    assert L.get(L.SparseCategoricalCrossentropy(ignore_class=-1)).params["ignore_index"] == -1
    assert L.get("CategoricalCrossentropy") == L.cce
    assert L.get(L.MeanSquaredError(reduction="sum")).reduction == "sum"


def test_serialize_and_deserialize_round_trip():
    for obj in (L.Huber(delta=2.5, reduction="sum", name="h"), L.bce.with_params(from_logits=True),
                L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3)):
        config = L.serialize(obj)
        assert config["class_name"] in L.KERAS_CLASSES
        back = L.deserialize(config)
        assert L.get(back) == L.get(obj)
        assert L.get(config) == L.get(obj)
    with pytest.raises(ValueError, match="Unknown loss class 'Nope'"):
        L.deserialize({"class_name": "Nope", "config": {}})


def test_keras_sample_weight_forms_and_nd_inputs():
    y = np.arange(12.0).reshape(2, 3, 2)
    p = y + np.arange(12.0).reshape(2, 3, 2) % 3
    mse = L.MeanSquaredError()
    per = ((p - y) ** 2).mean(axis=-1)   # Keras: values of shape (2, 3), mean over all of them
    assert mse(y, p) == pytest.approx(per.mean())
    assert mse(y, p, sample_weight=2.0) == pytest.approx(2 * per.mean())
    w = np.array([1.0, 3.0])
    assert mse(y, p, sample_weight=w) == pytest.approx((per * w[:, None]).mean())
    wt = np.arange(6.0).reshape(2, 3)
    assert mse(y, p, sample_weight=wt) == pytest.approx((per * wt).mean())
    assert L.MeanSquaredError(reduction=None)(y, p).shape == (2, 3)
    g = L.mse.grad(y, p, sample_weight=wt)
    np.testing.assert_allclose(g, 2 * (p - y) / 2 * wt[..., None] / 6)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(2,\) or \(2, 3\)"):
        mse(y, p, sample_weight=np.ones(4))
    # axis: classes in the middle
    z = np.random.default_rng(0).normal(size=(2, 4, 3))
    onehot = np.eye(4)[[[0, 1, 2], [3, 3, 1]]].transpose(0, 2, 1)
    moved = L.cce.per_sample(onehot.transpose(0, 2, 1), z.transpose(0, 2, 1), from_logits=True)
    np.testing.assert_allclose(L.cce.per_sample(onehot, z, from_logits=True, axis=1), moved)
    labels = np.array([[0, 1, 2], [3, 3, 1]])
    np.testing.assert_allclose(L.SparseCategoricalCrossentropy(from_logits=True, axis=1,
                                                               reduction=None)(labels, z), moved)


def test_custom_loss_function_gets_an_exact_numerical_gradient(caplog):
    from actloss.losses import _custom

    def cubic(y_true, y_pred):
        return np.mean((y_pred - y_true) ** 3 + np.sin(y_pred), axis=-1)

    y = np.array([[0.5, -1.0], [2.0, 0.25]])
    p = np.array([[1.5, 0.5], [-1.0, 3.0]])
    with caplog.at_level("WARNING", logger="actloss.losses"):
        loss = L.get(cubic)
        g = loss.grad(y, p, reduction="none")
        loss.grad(y, p)
    assert loss._kernel.method == "complex"
    np.testing.assert_allclose(g, (3 * (p - y) ** 2 + np.cos(p)) / 2, rtol=1e-15)
    assert sum("register(name, per_sample, grad)" in r.message for r in caplog.records) == 1
    # np.abs on complex input is not analytic: the check switches to central differences
    mae_like = L.get(lambda y, p: np.abs(p - y))
    np.testing.assert_allclose(mae_like.grad(y, p, reduction="none"), np.sign(p - y) / 2,
                               rtol=1e-8)
    assert mae_like._kernel.method == "central"
    bad = L.get(lambda y, p: np.sum(p))
    with pytest.raises(ValueError, match=r"returned shape \(\) .* expected \(2,\)"):
        bad(y, p)
    assert _custom.from_function(cubic).name == "cubic"


def test_compile_accepts_a_keras_object_and_a_plain_function(rng):
    from actloss.layers import Dense
    from actloss.models import Sequential

    x = rng.normal(size=(32, 3))
    y = (x[:, :1] > 0).astype(float)
    for loss in (L.BinaryCrossentropy(), lambda t, p: -np.mean(t * np.log(p) + (1 - t) *
                                                              np.log(1 - p), axis=-1)):
        model = Sequential([Dense(4, activation="tanh", input_shape=(3,)),
                            Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss=loss)
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
