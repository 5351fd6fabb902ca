"""The activation catalog, parametrized over the registry: a newly registered activation is
tested at once. Accuracy is measured against the mpmath references of ``tests/reference.py``
(60 digits, rounded once to the dtype); ``python tests/reference.py`` prints the table."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import reference as R
from actloss import activations as A

ALL = sorted(A.REGISTRY.items())
NAMES = [n for n, _ in ALL]
ELEMENTWISE = [n for n, a in ALL if a.elementwise]
ROWWISE = [n for n, a in ALL if not a.elementwise]
DTYPES = [np.float32, np.float64]
CONFIG_IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in R.CONFIGS]
TOL_ULP = 2       # values and derivatives, in ULPs of the correctly rounded reference
TOL_ILL_EPS = 2   # near a derivative's zero: |error| / eps (absolute; relative is meaningless)


def _grid(lo=-6.0, hi=6.0, n=97):
    # Off the kinks at integers, +-3, 0 and 6.
    return np.linspace(lo, hi, n) + 0.0123


def _rows(rng, shape=(6, 5)):
    return rng.normal(0, 3, shape)


# ---------------------------------------------------------------- accuracy vs mpmath
def test_every_catalog_activation_has_a_reference():
    assert set(ELEMENTWISE) <= set(R.REFERENCES), set(ELEMENTWISE) - set(R.REFERENCES)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("which", [0, 1], ids=["value", "derivative"])
@pytest.mark.parametrize("name,params", R.CONFIGS, ids=CONFIG_IDS)
def test_ulp_error_vs_mpmath(name, params, which, dtype):
    act = A.get(name, **params)
    ulps, abs_err, ill, x = R.errors(name, params, dtype, which, act)
    well = ~ill
    worst = int(np.argmax(np.where(well, ulps, 0)))
    assert ulps[well].max() <= TOL_ULP, (
        f"{name}{params} {'derivative' if which else 'value'} {np.dtype(dtype)}: "
        f"{ulps[worst]} ULP at x={x[worst]!r}")
    if ill.any():  # the window around a zero of f': absolute error in units of eps
        assert abs_err[ill].max() <= TOL_ILL_EPS


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_ulp_error_vs_mpmath(log, dtype):
    act = A.log_softmax if log else A.softmax
    for row, ref in zip(R.softmax_rows(), R.softmax_reference(log)):
        got = act(row.astype(dtype)[None, :])[0]
        assert R.ulp_count(got, ref[dtype]).max() <= TOL_ULP, (row, got, ref[dtype])


TOL_SOFTMAX_ULP = 4  # per element, issue 11


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_vjp_ulp_error_vs_mpmath(log, dtype):
    """Near-one-hot rows included: the dominant element's term is computed without the
    cancellation of g_k - <g, s>."""
    act = A.log_softmax if log else A.softmax
    for row, g in R.softmax_vjp_cases(dtype):
        with np.errstate(all="raise"):
            got = act.vjp(row[None, :], g[None, :])[0]
        want = R.softmax_vjp_reference(row, g, log, dtype)
        ulps = R.ulp_count(got, want)
        assert ulps.max() <= TOL_SOFTMAX_ULP, (row, g, got, want, ulps)


def test_issue_11_edges():
    with np.errstate(all="raise"):
        assert np.isfinite(A.exponential.vjp([710.0], [-0.1])).all()
        np.testing.assert_allclose(A.exponential.vjp([710.0], [-0.1]), [-0.1 * np.exp(np.longdouble(710))])
        r = A.get("leaky_relu", alpha=1e-300)(np.float32([-np.inf, -1.0, 2.0]))
        assert r[0] == -np.inf and r[1] == 0 and np.signbit(r[1]) and r[2] == 2
        assert np.isnan(A.relu.vjp([np.nan, -1.0, 2.0], [1.0, 1.0, 1.0])[0])
        d = A.sigmoid.vjp([0.0, 50.0, np.inf], [np.inf, np.inf, np.inf])
        assert d[0] == np.inf and d[1] == np.inf and np.isnan(d[2])  # inf * 0: undefined
    x = np.array([[0.0, -40.0, -60.0]])
    top = A.log_softmax(x)[0, 0]
    want = -float(mpmath_log1p_exp_sum([-40.0, -60.0]))
    assert R.ulp_count(np.array([top]), np.array([want])).max() <= 1


def mpmath_log1p_exp_sum(v):
    import mpmath
    mpmath.mp.dps = 60
    return mpmath.log1p(mpmath.fsum(mpmath.exp(mpmath.mpf(t)) for t in v))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_softmax_rows_sum_to_one_and_are_stable(rng, dtype):
    x = (rng.normal(0, 1, (50, 40)) * np.logspace(-3, 4, 50)[:, None]).astype(dtype)
    s = A.softmax(x)
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(s.sum(axis=1) - 1) <= 2 * eps * x.shape[1])
    assert np.all(np.isfinite(A.log_softmax(x)))
    one = A.softmax(np.array([[3.0], [-1e4]], dtype))
    assert one.tolist() == [[1.0], [1.0]] and one.dtype == dtype
    assert A.softmax(np.array([1e4, -1e4], dtype)).tolist() == [1.0, 0.0]
    assert A.softmax(x, ).shape == x.shape
    cols = A.get("softmax", axis=0)(x)
    np.testing.assert_allclose(cols, A.softmax(x.T).T, rtol=4 * eps)


def test_softmax_infinite_and_nan_entries():
    inf, nan = np.inf, np.nan
    x = np.array([[inf, 0.0, inf], [-inf, 0.0, 1.0], [-inf, -inf, -inf], [nan, 0.0, 1.0]])
    s = A.softmax(x)
    np.testing.assert_allclose(s[:3], [[0.5, 0, 0.5], [0, 1 / (1 + np.e), np.e / (1 + np.e)],
                                       [1 / 3, 1 / 3, 1 / 3]])
    assert np.isnan(s[3]).all()
    ls = A.log_softmax(x)
    assert ls[0].tolist() == [np.log(0.5), -inf, np.log(0.5)] and ls[1, 0] == -inf
    assert np.isnan(ls[3]).all()


# ---------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_grad_matches_central_differences(name):
    act = A.get(name)
    x = _grid()
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    numeric = (act(x + h) - act(x - h)) / (2 * h)
    np.testing.assert_allclose(act.grad(x), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_vjp_matches_central_differences_of_g_dot_f(name, rng):
    """d/dx_i sum_j g_j f(x_j) by central differences of the forward, against vjp: fails if
    vjp and the forward disagree (a wrong derivative, a wrong product, a dropped g)."""
    act = A.get(name)
    x, g = _grid(), rng.normal(0, 1, 97)
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    numeric = g * (act(x + h) - act(x - h)) / (2 * h)
    np.testing.assert_allclose(act.vjp(x, g), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ROWWISE)
def test_rowwise_vjp_matches_explicit_jacobian(name, rng):
    act = A.get(name)
    x, g = _rows(rng), rng.normal(0, 1, (6, 5))
    s = A.softmax(x)
    for i in range(x.shape[0]):
        jac = (np.diag(s[i]) - np.outer(s[i], s[i]) if name == "softmax"
               else np.eye(5) - np.outer(np.ones(5), s[i]))
        np.testing.assert_allclose(act.vjp(x, g)[i], g[i] @ jac, rtol=1e-12, atol=1e-15)
    with pytest.raises(TypeError, match=r"vjp"):
        act.grad(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_layer_backprop_matches_vjp(name, dtype, rng):
    """The layers' one backward against the public vjp: from the input it is the vjp itself;
    from the output, g * f'(x) rounded once more (within 1 ULP of g * f'(x))."""
    act = A.get(name)
    x = _rows(rng, (8, 7)).astype(dtype)
    g = rng.normal(0, 1, x.shape).astype(dtype)
    with np.errstate(all="ignore"):   # the layers' executors run under the caller's errstate
        y = act.forward(x)
        b = act.backprop(x if act.backprop_needs_input else None, y, g.copy())
    assert b.dtype == dtype
    if act.backprop_needs_input:
        np.testing.assert_array_equal(b, act.vjp(x, g))
    else:
        assert R.ulp_count(b, act.vjp(x, g)).max() <= 1


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if not A.get(n).backprop_needs_input])
def test_output_derivative_equals_grad_bit_for_bit(name):
    """Where layers back-propagate from the output, f'(x) from y = f(x) is grad(x) exactly:
    same bits, NaN where NaN, at every special value and on a dense grid."""
    act = A.get(name)
    for dtype in (np.float16, np.float32, np.float64):
        x = np.concatenate([R.special_values(dtype), np.linspace(-8, 8, 4001).astype(dtype)])
        got, want = act.output_derivative(act(x)), act.grad(x)
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", NAMES)
def test_forward_writes_into_out_even_in_place(name, rng):
    act = A.get(name)
    x = _rows(rng).astype(np.float32)
    expected = act(x)
    out = np.empty_like(x)
    assert act.forward(x, out=out) is out
    np.testing.assert_array_equal(out, expected)
    assert act.forward(x, out=x) is x
    np.testing.assert_array_equal(x, expected)
    strided = np.asfortranarray(_rows(rng))
    np.testing.assert_array_equal(act.forward(strided), act(np.ascontiguousarray(strided)))


# ---------------------------------------------------------------- dtypes and special values
@pytest.mark.parametrize("name", NAMES)
def test_dtype_is_kept_and_integers_compute_in_float64(name):
    act = A.get(name)
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array([[-2.0, 0.5, 3.0]], dtype)
        assert act(x).dtype == dtype
        assert act.vjp(x, np.ones_like(x)).dtype == dtype
        if act.elementwise:
            assert act.grad(x).dtype == dtype
    ints = act(np.array([[-2, 0, 3]]))
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints, act(np.array([[-2.0, 0.0, 3.0]])))
    assert act([[True, False]]).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_zero_inf_nan_without_warnings(name, dtype):
    act = A.get(name)
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype)
    big = np.finfo(dtype).max
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        if act.elementwise:
            y, d = act(x), act.grad(x)
            assert np.isnan(y[4]) and np.isnan(d[4])
            assert not np.isnan(y[:4]).any() and not np.isnan(d[:4]).any()
            ext = np.array([-big, big, -1e4, 1e4], dtype)
            assert not np.isnan(act(ext)).any() and not np.isnan(act.grad(ext)).any()
        else:
            rows = np.array([[0.0, -0.0, 1.0], [big, -big, 0.0], [1e4, -1e4, 0.0]], dtype)
            assert np.isfinite(act(rows)[0]).all() and not np.isnan(act(rows)).any()
            assert not np.isnan(act.vjp(rows, np.ones_like(rows))).any()


# ---------------------------------------------------------------- registry and metadata
def test_required_names_and_aliases():
    required = {"step", "heaviside", "binary_step", "linear", "identity", "sigmoid", "logistic",
                "tanh", "relu", "leaky_relu", "elu", "softmax", "selu", "gelu", "silu", "swish",
                "softplus", "softsign", "mish", "relu6", "hard_sigmoid", "hard_tanh",
                "hard_silu", "celu", "log_sigmoid", "log_softmax", "exponential"}
    assert required <= set(A.names())
    for alias, name in [("heaviside", "step"), ("Binary-Step", "step"), ("identity", "linear"),
                        ("logistic", "sigmoid"), ("swish", "silu"), ("hard_swish", "hard_silu")]:
        assert A.get(alias).name == name


@pytest.mark.parametrize("name", NAMES)
def test_name_get_config_round_trip_and_metadata(name):
    act = A.get(name)
    assert act.name == name and A.get(act) is act
    config = act.get_config()
    assert A.get(config.pop("name"), **config) == act
    for field in ("formula", "derivative_formula", "output_range", "reference", "summary"):
        assert getattr(act, field), field
    assert act.pros and act.cons
    assert act.monotonic in (None, "increasing", "nondecreasing")
    assert act.__doc__ and ".. math::" in act.__doc__ and ">>>" in act.__doc__


def test_parameters_validated_with_messages():
    assert A.get("leaky_relu", alpha=0.3).params == {"negative_slope": 0.3}
    assert A.get("leaky-relu", alpha=0.1).grad([-2.0, 3.0]).tolist() == [0.1, 1.0]  # README
    assert repr(A.get("leaky-relu", alpha=0.1).grad([-2.0, 3.0])) == "array([0.1, 1. ])"
    with pytest.raises(ValueError, match=r"alpha.*received alpha=-1"):
        A.get("elu", alpha=-1)
    with pytest.raises(ValueError, match=r"alpha.*nonzero.*alpha=0"):
        A.get("celu", alpha=0.0)
    with pytest.raises(ValueError, match=r"negative_slope.*finite.*inf"):
        A.get("leaky_relu", alpha=float("inf"))
    with pytest.raises(ValueError, match=r"negative_slope.*received negative_slope=-0.1"):
        A.get("leaky_relu", alpha=-0.1)
    with pytest.raises(TypeError, match=r"approximate"):
        A.get("gelu", approximate="tanh")
    with pytest.raises(TypeError, match=r"axis"):
        A.get("softmax", axis=1.5)
    with pytest.raises(TypeError, match=r"unexpected parameter 'beta'"):
        A.get("relu", beta=2)
    with pytest.raises(TypeError, match=r"register"):
        A.get(np.tanh)


def test_parameters_change_the_function():
    x = np.array([-2.0, 1.0])
    assert A.get("leaky_relu", alpha=0.2)(x).tolist() == [-0.4, 1.0]
    assert A.get("leaky_relu", alpha=2.0)(x).tolist() == [-4.0, 1.0]
    assert A.get("leaky_relu", alpha=2.0).grad(x).tolist() == [2.0, 1.0]
    np.testing.assert_allclose(A.get("elu", alpha=2.0)(x), [2 * np.expm1(-2), 1])
    np.testing.assert_allclose(A.get("celu", alpha=-1.0)(np.array([1.0])), [1.0])
    assert A.get("gelu", approximate=True)(x)[1] != A.gelu(x)[1]


def test_register_checks_the_derivative():
    with pytest.raises(ValueError, match=r"disagrees with central finite differences at x="):
        A.register("cube_wrong", lambda x: x ** 3, lambda x: 2 * x ** 2)
    assert "cube_wrong" not in A.names()
    act = A.register("cube_ok_test", lambda x: x ** 3 / 3, lambda x: x ** 2)
    try:
        assert A.get("cube-ok-test") is act
        np.testing.assert_allclose(act.vjp([2.0], [3.0]), [12.0])
    finally:
        A.REGISTRY._objects.pop("cube_ok_test")


# ---------------------------------------------------------------- property tests
floats = st.sampled_from([np.float32, np.float64])


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_properties_shape_dtype_monotonic_finite(name, data):
    act = A.get(name)
    dtype = data.draw(floats)
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=6))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-2.0**100, 2.0**100, width=32)))
    y = act(x)
    assert y.shape == x.shape and y.dtype == dtype
    assert not np.isnan(y).any()
    if name != "exponential" and act.elementwise:
        small = np.clip(x, -1e3, 1e3)
        assert np.isfinite(act(small)).all() and np.isfinite(act.grad(small)).all()
    if act.monotonic:
        y = act(np.sort(x.ravel()))
        assert np.all(y[1:] >= y[:-1])


@pytest.mark.parametrize("name", ["sigmoid", "elu", "tanh", "gelu", "softmax", "log_softmax"])
def test_threaded_blocks_give_the_same_result(name, monkeypatch, rng):
    import actloss._numerics as N

    act = A.get(name)
    x = rng.normal(0, 5, (64, 300)).astype(np.float32)
    x[3, 7], x[40, 0] = np.inf, -np.inf
    g = rng.normal(0, 1, x.shape).astype(np.float32)
    single = [act(x), act.grad(x) if act.elementwise else act.vjp(x, g)]
    monkeypatch.setattr(N, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(N, "BLOCK", 512)
    monkeypatch.setenv("ACTLOSS_NUM_THREADS", "3")
    threaded = [act(x), act.grad(x) if act.elementwise else act.vjp(x, g)]
    for a, b in zip(threaded, single):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_scalars_and_empty_arrays(name):
    act = A.get(name)
    for x in (2.0, np.float32(0.5), np.zeros(0), np.zeros((3, 0), np.float32)):
        y = act(x)
        d = act.grad(x) if act.elementwise else act.vjp(x, np.ones_like(np.asarray(x)))
        assert y.shape == d.shape == np.shape(x)
        assert y.dtype == d.dtype == np.asarray(x).dtype


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_threads_work_in_a_forked_child(monkeypatch):
    import multiprocessing

    import actloss._numerics as N

    monkeypatch.setattr(N, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(N, "BLOCK", 512)
    x = np.linspace(-5, 5, 5000, dtype=np.float32)
    expected = A.sigmoid(x)  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(A.sigmoid, (x,)).get(timeout=30)
    np.testing.assert_array_equal(got, expected)
