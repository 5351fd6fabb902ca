"""Every path of every registered activation, on the same special values and random data.

The paths: the NumPy executor in the input's dtype or the working precision (single block, or
many blocks on threads), the compiled Numba loops for large float32 arrays (forward, grad, vjp;
softmax's row kernels), the layers' backward from the output, and the fused Dense kernels. Each
is forced here and compared with the NumPy path: bit-identical where the arithmetic is the same,
else within one ULP (the compiled exp differs from NumPy's by < 1e-11 relative, so only a value
next to a float32 rounding boundary can round the other way), NaN exactly where NaN.
"""

import numpy as np
import pytest

import reference as R
from actloss import _fast32
from actloss import activations as A

ALL = sorted(A.REGISTRY.items())
ELEMENTWISE = [(n, a) for n, a in ALL if a.elementwise]
# parameters that select another branch of a definition
VARIANTS = [("relu", {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5}),
            ("relu", {"max_value": 6.0}), ("leaky_relu", {"negative_slope": 1e-300}),
            ("leaky_relu", {"negative_slope": 3.0}), ("elu", {"alpha": 0.5}),
            ("celu", {"alpha": -2.0}), ("gelu", {"approximate": True})]
CONFIGS = [(n, {}) for n, _ in ELEMENTWISE] + VARIANTS
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CONFIGS]
numba = pytest.mark.needs("fast")


@pytest.fixture
def compiled(monkeypatch):
    """The compiled loops for every float32 array, however small."""
    monkeypatch.setattr(_fast32, "MIN_SIZE", 0)


@pytest.fixture
def threaded(monkeypatch):
    import actloss._numerics as N

    monkeypatch.setattr(N, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(N, "BLOCK", 512)
    monkeypatch.setenv("ACTLOSS_NUM_THREADS", "3")


def _numpy_path(fn, *args):
    saved = _fast32.MIN_SIZE
    _fast32.MIN_SIZE = 1 << 62
    try:
        return fn(*args)
    finally:
        _fast32.MIN_SIZE = saved


def _inputs(dtype, rng, n=20_000):
    with np.errstate(over="ignore"):  # |x| up to 1e40: float32 inf, as intended
        return _draw(dtype, rng, n)


def _draw(dtype, rng, n):
    return np.concatenate([R.special_values(dtype), rng.normal(0, 3, n).astype(dtype),
                           rng.uniform(-120, 120, n).astype(dtype),
                           (rng.normal(0, 1, n) * 10.0 ** rng.uniform(-40, 40, n)).astype(dtype)
                           if dtype != np.float16 else rng.normal(0, 30, n).astype(dtype)])


def _calls(act, x, g):
    return {"value": lambda: act(x), "grad": lambda: act.grad(x), "vjp": lambda: act.vjp(x, g)}


def _assert_close(got, want, what, x, ulp=1):
    assert got.dtype == want.dtype, what
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=what)
    ok = ~np.isnan(want)
    ulps = R.ulp_count(got[ok], want[ok])
    worst = int(np.argmax(ulps)) if ulps.size else 0
    assert ulps.size == 0 or ulps[worst] <= ulp, (
        f"{what}: {ulps[worst]} ULP at x={x.ravel()[ok.ravel()][worst]!r}: "
        f"{got[ok][worst]!r} vs {want[ok][worst]!r}")


@numba
@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_compiled_loops_agree_with_the_numpy_path(name, params, compiled, rng):
    act = A.get(name, **params)
    x = _inputs(np.float32, rng)
    g = np.concatenate([np.float32([1, -1, 0, np.inf, -np.inf, 1e-45, 3e38]),
                        rng.normal(0, 1, x.size - 7).astype(np.float32)])
    assert _fast32.applies(x)
    with np.errstate(all="raise"):
        for what, call in _calls(act, x, g).items():
            got, want = call(), _numpy_path(call)
            _assert_close(got, want, f"{name}{params} {what}", x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("name,params", CONFIGS, ids=IDS)
def test_threaded_blocks_are_bit_identical(name, params, dtype, rng, monkeypatch):
    act = A.get(name, **params)
    x = _inputs(dtype, rng, n=2000)
    g = rng.normal(0, 1, x.size).astype(dtype)
    single = {k: c() for k, c in _calls(act, x, g).items()}
    import actloss._numerics as N

    monkeypatch.setattr(N, "PARALLEL_MIN", 500)
    monkeypatch.setattr(N, "BLOCK", 256)
    monkeypatch.setenv("ACTLOSS_NUM_THREADS", "3")
    with np.errstate(all="raise"):
        for what, call in _calls(act, x, g).items():
            np.testing.assert_array_equal(call(), single[what], err_msg=f"{name} {what}")


def _softmax_rows(rng):
    x = rng.normal(0, 5, (300, 37)).astype(np.float32)
    x[3, 5], x[4, :], x[5, 9], x[6, 1], x[7, :3] = np.inf, -np.inf, np.nan, -np.inf, np.inf
    x[8] = np.float32(1e4) * np.sign(x[8])
    x[9, :3] = [17.0, 0.0, 0.0]  # near one-hot: the vjp's cancellation case
    x[10, 0] = 3e38
    return x


@numba
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_row_kernels_agree_with_the_numpy_path(name, compiled, rng):
    act = A.get(name)
    x = _softmax_rows(rng)
    g = rng.normal(0, 1, x.shape).astype(np.float32)
    g[11, :2] = [np.inf, -np.inf]
    for what, fn in (("value", lambda: act(x)), ("vjp", lambda: act.vjp(x, g))):
        got, want = fn(), _numpy_path(fn)
        _assert_close(got, want, f"{name} {what}", x)


@numba
def test_log_softmax_many_columns_float32(compiled, rng):
    """Issue 11: 4096+ columns of float32 crashed on the Numba path."""
    x = rng.normal(0, 3, (3, 5000)).astype(np.float32)
    got = A.log_softmax(x)
    np.testing.assert_array_equal(got, _numpy_path(A.log_softmax, x))
    assert np.all(np.abs(np.log(np.exp(got.astype(np.float64)).sum(axis=1))) < 1e-6)


def test_compiled_loops_only_for_large_float32(monkeypatch):
    x = np.zeros(8, np.float32)
    monkeypatch.setattr(_fast32, "MIN_SIZE", 9)
    assert not _fast32.applies(x)
    monkeypatch.setattr(_fast32, "MIN_SIZE", 0)
    for other in (x.astype(np.float64), x.astype(np.float16)):
        assert not _fast32.applies(other)
    monkeypatch.setenv("ACTLOSS_NUMBA", "0")
    assert not _fast32.applies(x)


FUSABLE = [(n, p) for n, p in CONFIGS if not A.get(n, **p).backprop_needs_input]


@numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,params", FUSABLE,
                         ids=[n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in FUSABLE])
def test_fused_dense_kernels_agree_with_the_layer_numpy_path(name, params, dtype, rng):
    """The fused Dense kernels, generated from the activation's definition, against the Dense
    layer's NumPy passes (z += b, f, g *= f'(y), column sums), special values included."""
    from actloss.layers import _kernels

    act = A.get(name, **params)
    kernels = _kernels.dense_kernels(act, dtype)
    if kernels is None:  # a float64 result of a non-exact function: long double, not compiled
        assert dtype == np.float64
        return
    fwd, bwd = kernels
    sv = R.special_values(dtype)
    z = rng.normal(0, 4, (64, sv.size)).astype(dtype)
    z[0] = sv
    b = rng.normal(0, 1, sv.size).astype(dtype)
    b[:8] = 0
    got, want = z.copy(), z.copy()
    fwd(got, b)
    want += b
    with np.errstate(all="ignore"):   # the layers' executors run under the caller's errstate
        act.forward(want, out=want)
    _assert_close(got, want, f"{name} forward", z)
    g = rng.normal(0, 1, z.shape).astype(dtype)
    g[1, :4] = [np.inf, np.nan, -2.0, -0.0]
    g1, gb1 = g.copy(), np.empty(sv.size, dtype)
    bwd(g1, want, gb1)
    with np.errstate(all="ignore"):
        g2 = act.backprop(None, want, g.copy())
    _assert_close(g1, g2, f"{name} backward", z)
    if np.array_equal(g1, g2, equal_nan=True):
        np.testing.assert_array_equal(gb1, np.add.reduce(g2, axis=0))
    assert _kernels.dense_kernels(act, np.float16) is None
