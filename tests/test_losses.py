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
    ("mse", [1.0, 1.0], [np.nan, 2.0], {}, "y_pred must be finite"),
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
    with pytest.raises(TypeError, match="register"):
        L.get(lambda y, p: 0)


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
