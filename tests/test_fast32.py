"""The optional Numba kernels (actloss._fast32): the same accuracy bounds as the NumPy path
(2 ULP against mpmath, at ordinary and extreme inputs), agreement with the NumPy path within one
ULP, the same special values, and the NumPy path whenever they do not apply."""

import numpy as np
import pytest

import reference as R
from actloss import _fast32
from actloss import activations as A
from test_activations import TOL_ILL_EPS, TOL_ULP

pytestmark = pytest.mark.skipif(_fast32.kernel("sigmoid", np.zeros(_fast32.MIN_SIZE, np.float32))
                                is None, reason="Numba is not installed (the 'fast' extra)")

# activation configuration -> (forward kernel, derivative kernel); softmax has a vjp kernel
COVERED = [("sigmoid", {}), ("tanh", {}), ("elu", {}), ("elu", {"alpha": 0.5}),
           ("elu", {"alpha": 2.0}), ("gelu", {}), ("leaky_relu", {}),
           ("leaky_relu", {"alpha": 0.2}), ("leaky_relu", {"alpha": 3.0})]
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in COVERED]


@pytest.fixture
def fast(monkeypatch):
    """Kernels for every float32 array, however small."""
    monkeypatch.setattr(_fast32, "MIN_SIZE", 0)


def _numpy_path(fn, *args):
    saved = _fast32.MIN_SIZE
    _fast32.MIN_SIZE = 1 << 62
    try:
        return fn(*args)
    finally:
        _fast32.MIN_SIZE = saved


def _inputs(rng, n=100_000):
    f32 = np.finfo(np.float32)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, f32.max, -f32.max, f32.tiny, -f32.tiny,
               f32.smallest_subnormal, -f32.smallest_subnormal, 1e-30, -1e-30, 88.72, -88.72,
               103.97, -103.97, 104.0, -104.0, 9.01, -9.01, 15.1, -15.1, 38.6, -38.6, 1e6, -1e6]
    return np.concatenate([np.float32(special), rng.normal(0, 3, n).astype(np.float32),
                           rng.uniform(-120, 120, n).astype(np.float32)])


def test_kernels_are_used_for_large_float32_only(fast, monkeypatch):
    x = np.zeros(8, np.float32)
    assert _fast32.kernel("sigmoid", x) is not None
    for other in (x.astype(np.float64), x.astype(np.float16)):
        assert _fast32.kernel("sigmoid", other) is None
    monkeypatch.setenv("ACTLOSS_NUMBA", "0")
    assert _fast32.kernel("sigmoid", x) is None
    monkeypatch.delenv("ACTLOSS_NUMBA")
    monkeypatch.setattr(_fast32, "MIN_SIZE", 9)
    assert _fast32.kernel("sigmoid", x) is None


@pytest.mark.parametrize("which", [0, 1], ids=["value", "derivative"])
@pytest.mark.parametrize("name,params", [c for c in R.CONFIGS if c in COVERED],
                         ids=[i for c, i in zip(COVERED, IDS) if c in R.CONFIGS])
def test_ulp_error_vs_mpmath(name, params, which, fast):
    ulps, abs_err, ill, x = R.errors(name, params, np.float32, which, A.get(name, **params))
    well = ~ill
    worst = int(np.argmax(np.where(well, ulps, 0)))
    assert ulps[well].max() <= TOL_ULP, f"{name}{params}: {ulps[worst]} ULP at x={x[worst]!r}"
    if ill.any():
        assert abs_err[ill].max() <= TOL_ILL_EPS


@pytest.mark.parametrize("name,params", COVERED, ids=IDS)
def test_agree_with_the_numpy_path(name, params, fast, rng):
    """Within one ULP (the float64 values differ by < 1e-11 relative, so only a value next to
    a float32 rounding boundary can round the other way), NaN where it is NaN, and on +-inf."""
    act = A.get(name, **params)
    x = _inputs(rng)
    for fn in (act, act.grad):
        got, want = fn(x), _numpy_path(fn, x)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ulps = R.ulp_count(np.nan_to_num(got), np.nan_to_num(want))
        assert ulps.max() <= 1, (fn, x[np.argmax(ulps)], got[np.argmax(ulps)])
        assert np.mean(ulps > 0) < 1e-4
        np.testing.assert_array_equal(got[2:4], want[2:4])  # +-inf inputs exactly


@pytest.mark.parametrize("log_of_vjp", [False, True], ids=["softmax", "softmax_vjp"])
def test_softmax_rows_agree_with_the_numpy_path(log_of_vjp, fast, rng):
    x = rng.normal(0, 5, (300, 37)).astype(np.float32)
    x[3, 5], x[4, :], x[5, 9], x[6, 1], x[7, :3] = np.inf, -np.inf, np.nan, -np.inf, np.inf
    x[8] = np.float32(1e4) * np.sign(x[8])
    g = rng.normal(0, 1, x.shape).astype(np.float32)
    fn = (lambda a: A.softmax.vjp(a, g)) if log_of_vjp else A.softmax
    got, want = fn(x), _numpy_path(fn, x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    got, want = np.nan_to_num(got), np.nan_to_num(want)
    scale = np.spacing(np.max(np.abs(want), axis=1, keepdims=True))
    assert np.max(np.abs(got - want) / scale) <= 1
    np.testing.assert_array_equal(got[3:8], want[3:8])  # the general path's rows, exactly


def test_softmax_ulp_error_vs_mpmath(fast):
    for row, ref in zip(R.softmax_rows(), R.softmax_reference(False)):
        got = A.softmax(row.astype(np.float32)[None, :])[0]
        assert R.ulp_count(got, ref[np.float32]).max() <= TOL_ULP, (row, got)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu", "gelu", "leaky_relu", "softmax"])
def test_threads_in_place_and_strided(name, fast, monkeypatch, rng):
    import actloss._numerics as N

    act = A.get(name)
    x = rng.normal(0, 4, (256, 64)).astype(np.float32)
    single = act(x)
    monkeypatch.setattr(N, "PARALLEL_MIN", 1000)
    monkeypatch.setenv("ACTLOSS_NUM_THREADS", "3")
    np.testing.assert_array_equal(act(x), single)
    np.testing.assert_array_equal(act(x[:, ::2]), _numpy_path(act, x[:, ::2]))
    y = x.copy()
    assert act.forward(y, out=y) is y
    np.testing.assert_array_equal(y, single)
