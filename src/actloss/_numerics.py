"""Shared numerics: input conversion, blockwise evaluation, stable primitives, lazy SciPy.

``scipy.special`` costs tens of milliseconds to import, so the catalog reaches it through
:func:`special` on first use, which keeps ``import actloss`` lean.

Precision policy (measured in ``tests/reference.py``): NumPy's float32 ``exp``/``expm1``/``log``
are off by up to 2.4/2.6/3.3 ULP (its SIMD loops), so a float32 result that goes through a
transcendental function is evaluated in float64 and rounded once. :func:`blockwise` and
:func:`fused` do that in blocks of ``BLOCK`` elements, so the float64 scratch stays in cache and
no full-size float64 copy is made; arrays of a million elements or more are split over two
threads (NumPy releases the GIL). float64 inputs are evaluated in float64 by the hot-path
kernels (with an error-free correction where a plain formula would lose a bit), and in
``np.longdouble`` (x87 extended, 64-bit mantissa, on x86-64 Linux) by the rarer, composite
ones and by the public derivatives whose float64 formula reaches 3 ULP.
"""

import os
from functools import cache

import numpy as np

from . import _fast32

FLOAT_TYPES = (np.float16, np.float32, np.float64)
BLOCK = 32768


@cache
def special():
    """The ``scipy.special`` module, imported on first call."""
    import scipy.special

    return scipy.special


def as_float_array(x, name: str = "x") -> np.ndarray:
    """``np.asarray(x)`` with floats kept as they are and integers/bools promoted to float64."""
    arr = np.asarray(x)
    if arr.dtype.type in FLOAT_TYPES:
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind == "f":  # longdouble and other exotic floats
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; "
                        f"expected float16, float32, float64, integer or bool")
    raise TypeError(f"{name}: expected a real numeric array, received dtype {arr.dtype} "
                    f"({type(x).__name__})")


def _threads() -> int:
    """Threads for one large elementwise call: ACTLOSS_NUM_THREADS, else min(2, cores) --
    as ``torch.set_num_threads(2)`` on the 2-core CI machine. NumPy releases the GIL in its
    loops, so blocks evaluated by two threads take about half the time."""
    try:
        wanted = int(os.environ.get("ACTLOSS_NUM_THREADS", "2"))
    except ValueError:
        wanted = 1
    return max(1, min(wanted, _cores()))


@cache
def _cores() -> int:
    """os.cpu_count(), once: it reads /sys on every call (45 us, 1.5% of a W4 batch)."""
    return os.cpu_count() or 1


PARALLEL_MIN = 1 << 20  # elements: below this, one thread (thread hand-off costs ~50 us)


@cache
def _pool(workers: int):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="actloss")


if hasattr(os, "register_at_fork"):  # a forked child must not reuse the parent's dead threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def run_parts(fn, n: int, unit: int = BLOCK, weight: int = 1) -> None:
    """``fn(start, stop)`` over [0, n), split into contiguous parts (multiples of ``unit``)
    run by :func:`_threads` threads when n * weight >= PARALLEL_MIN elements; each part must
    set its own errstate (NumPy's error state does not cross threads)."""
    parts = _threads() if n * weight >= PARALLEL_MIN else 1
    size = -(-max(n, 1) // parts)
    size = -(-size // unit) * unit
    bounds = [(a, min(a + size, n)) for a in range(0, max(n, 1), size)]
    if len(bounds) == 1:
        fn(0, n)
        return
    futures = [_pool(parts - 1).submit(fn, a, b) for a, b in bounds[1:]]
    fn(*bounds[0])
    for f in futures:
        f.result()


def _flat(x, out):
    if out is None:
        out = np.empty(x.shape, x.dtype)
    flat_x = x.reshape(-1) if x.flags.c_contiguous else np.ascontiguousarray(x).reshape(-1)
    flat_out = out.reshape(-1) if out.flags.c_contiguous else np.empty(x.size, out.dtype)
    return out, flat_x, flat_out


def _unflat(out, flat_out):
    if not out.flags.c_contiguous:
        np.copyto(out, flat_out.reshape(out.shape))
    return out


def blockwise(kernel, x: np.ndarray, out: np.ndarray | None = None, *, wide=np.float64):
    """``kernel`` applied to ``x`` block by block, each block cast to the working precision.

    The working precision is float64 for float16/float32 inputs and ``wide`` (float64 or
    ``np.longdouble``) for float64 inputs. ``kernel(block) -> array`` must not write into its
    argument; its result is rounded once into ``out`` (which may be ``x``). Overflow and underflow
    inside a kernel are the IEEE results it relies on (``1 / (1 + inf) == 0``), never warnings.
    """
    work = wide if x.dtype == np.float64 else np.float64
    out, flat_x, flat_out = _flat(x, out)

    def part(lo, hi):
        with np.errstate(over="ignore", under="ignore"):
            for start in range(lo, max(hi, lo + 1), BLOCK):
                block = flat_x[start:min(start + BLOCK, hi)]
                if block.dtype != work:
                    block = block.astype(work)
                np.copyto(flat_out[start:start + block.size], kernel(block), casting="unsafe")

    run_parts(part, flat_x.size)
    return _unflat(out, flat_out)


def fused(kernel, x: np.ndarray, out: np.ndarray | None = None, scratch: int = 1):
    """Hot-path variant of :func:`blockwise`: ``kernel(xb, ob, *buffers)`` reads the block
    ``xb`` of ``x`` and writes ``ob`` of ``out`` itself (casting on the last ufunc's output),
    with ``scratch`` float64 buffers allocated once per part: no per-block allocation, every
    pass in cache."""
    out, flat_x, flat_out = _flat(x, out)

    def part(lo, hi):
        buffers = [np.empty(min(hi - lo, BLOCK), np.float64) for _ in range(scratch)]
        with np.errstate(over="ignore", under="ignore"):
            for start in range(lo, hi, BLOCK):
                xb = flat_x[start:min(start + BLOCK, hi)]
                kernel(xb, flat_out[start:start + xb.size], *(b[:xb.size] for b in buffers))

    run_parts(part, flat_x.size)
    return _unflat(out, flat_out)


def fast32(name: str, x: np.ndarray, out: np.ndarray | None = None, *params):
    """The Numba kernel ``name`` of :mod:`actloss._fast32` applied to ``x`` (threaded as
    :func:`blockwise`), or None where it does not apply (not large float32, no Numba): then the
    caller runs its NumPy path."""
    kernel = _fast32.kernel(name, x)
    if kernel is None:
        return None
    out, flat_x, flat_out = _flat(x, out)
    run_parts(lambda lo, hi: kernel(flat_x[lo:hi], flat_out[lo:hi], *params), flat_x.size)
    return _unflat(out, flat_out)


def two_sum(a, b):
    """Error-free sum: ``s + t == a + b`` exactly (Knuth), elementwise."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


# erfcx(a) = e^{a^2} erfc(a) on 0 <= a <= 10.7 as a degree-14 polynomial in
# t = (u - 0.57874) * 2.37383, u = 2 / (2 + a): a least-squares Chebyshev fit to mpmath values
# (relative error < 6e-11, 1/1000 of a float32 ULP). Beyond a = 10.7 (x < -15.1) float32 gelu
# is 0 and gelu' underflows.
ERFCX_U0, ERFCX_US = 0.5787401574803149, 2.3738317757009346
ERFCX_POLY = (
    0.32897223328648023, 0.4290203690817722, 0.19822071577990055,
    0.04757494848347331, -0.0009865683709819517, -0.003094635679668321,
    7.618045027980906e-05, 0.0002708866511771421, -4.046833470726262e-05,
    -2.2793680849689466e-05, 9.548570753954086e-06, 7.624950628705979e-07,
    -1.4100772692729135e-06, 1.23607857396786e-07, 1.0773978617585008e-07)


# ---------------------------------------------------------------- logistic family
def _sigmoid_kernel(x):
    """1 / (1 + e^{-|x|}) for x >= 0 and e^{-|x|} / (1 + e^{-|x|}) below, with the rounding of
    the sum 1 + e corrected (t) when the working precision is the output's own (float64)."""
    e = np.exp(-np.abs(x))
    s = 1.0 + e
    q = np.maximum(e, x >= 0)  # numerator: 1 for x >= 0, e below; NaN propagates
    q /= s
    if x.dtype == np.float64:
        t = (1.0 - s) + e  # exact: s + t == 1 + e since e <= 1
        q -= q * (t / s)
    return q


def _sigmoid_fused(xb, ob, s):
    """1 / (1 + e^{-x}) in float64 for float32 results: e^{-x} may overflow to inf (-> 0)."""
    np.negative(xb, out=s, dtype=np.float64)
    np.exp(s, out=s)
    s += 1.0
    np.divide(1.0, s, out=ob)


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)), within 2 ULP for float32 and float64, no
    overflow, no warning. float32 is evaluated in float64 blocks and rounded once."""
    if x.dtype == np.float64:
        return blockwise(_sigmoid_kernel, x, out)
    if (r := fast32("sigmoid", x, out)) is not None:
        return r
    return fused(_sigmoid_fused, x, out)


def _sigmoid_grad_fused(xb, ob, s):
    """sigma'(x) = 1 / (2 + 2 cosh x) in float64 for float32 results (cosh -> inf gives 0)."""
    np.cosh(xb, out=s, dtype=np.float64)
    s += 1.0
    np.divide(0.5, s, out=ob)


def sigmoid_grad(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sigma'(x) = sigma(x) sigma(-x) from x, within 2 ULP (not from sigma(x)(1 - sigma(x)),
    which is 0 for x > 37 in float64)."""
    if x.dtype == np.float64:
        return blockwise(sigmoid_grad_kernel, x, out, wide=np.longdouble)
    if (r := fast32("sigmoid_grad", x, out)) is not None:
        return r
    return fused(_sigmoid_grad_fused, x, out)


def sigmoid_grad_kernel(x):
    """sigma'(x) = e / (1 + e)^2 with e = exp(-|x|) (evaluated in long double for float64
    results: in float64 its four roundings reach 3 ULP)."""
    e = np.exp(-np.abs(x))
    s = 1.0 + e
    q = e / s
    q /= s
    return q


def _softplus_kernel(x):
    """max(x, 0) + log1p(exp(-|x|)): no threshold shortcut, no overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid_kernel(x):
    """min(x, 0) - log1p(exp(-|x|)): exact for large negative x, where it tends to x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def softplus(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log(1 + exp(x)) without overflow and without a threshold shortcut (PyTorch returns x for
    x > 20, which loses the e^{-x} term: 2e-9 at x = 20, 1e7 float64 ULP)."""
    return blockwise(_softplus_kernel, x, out, wide=np.longdouble)


def log_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), exact for large negative x."""
    return blockwise(_log_sigmoid_kernel, x, out, wide=np.longdouble)


# ---------------------------------------------------------------- softmax family
def _shift(x, axis):
    """``x - max(x)`` along ``axis`` in the working precision, and the rows whose maximum is
    infinite (they are handled by :func:`_infinite_rows`)."""
    m = np.max(x, axis=axis, keepdims=True)
    bad = np.isinf(m)
    if not bad.any():
        return x - m, m, bad
    m = np.where(bad, 0, m)
    return np.where(bad, 0, x - m), m, bad


def _infinite_rows(x, axis, result, bad, log):
    """Rows whose maximum is +inf: the mass is shared by the +inf entries (the limit of
    softmax); rows of -inf only: uniform. Both without inf - inf."""
    rows = np.broadcast_to(bad, x.shape)
    top = x == np.max(x, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # rows not copied below may be 0/0
        p = top / np.sum(top, axis=axis, keepdims=True)
        if log:
            p = np.log(p)
    np.copyto(result, p, where=rows)
    return result


def _exact_shift(x, m):
    """The rounding error of ``x - m`` (two_sum), 0 where an operand is infinite."""
    with np.errstate(invalid="ignore"):
        _, err = two_sum(x, -m)
    return np.nan_to_num(err, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


def _softmax_work(x, axis):
    """softmax of an array in its working precision; in float64 the rounding error of x - m
    is put back (exp(d + err) = exp(d) (1 + err)), so each entry is within 2 ULP."""
    d, m, bad = _shift(x, axis)
    e = np.exp(d)
    if x.dtype == np.float64:
        e += e * _exact_shift(x, m)
    e /= np.sum(e, axis=axis, keepdims=True)
    return _infinite_rows(x, axis, e, bad, log=False) if bad.any() else e


def _log_softmax_work(x, axis):
    """log_softmax: d - log1p(sum of exp(d) over all but one maximal entry), d = x - max,
    so that the maximal entry (-log1p(small)) keeps its relative accuracy."""
    d, m, bad = _shift(x, axis)
    e = np.exp(d)
    idx = np.argmax(d, axis=axis, keepdims=True)
    np.put_along_axis(e, idx, 0.0, axis=axis)
    r = d - np.log1p(np.sum(e, axis=axis, keepdims=True))
    if x.dtype == np.float64:
        r += _exact_shift(x, m)
    return _infinite_rows(x, axis, r, bad, log=True) if bad.any() else r


def _softmax_chunk32(xc, oc, s):
    """softmax of float32 rows: x - m is exact in float64, exp and the sum in float64, one
    rounding at the division into ``oc`` (``oc`` is s itself for the vjp)."""
    m = np.max(xc, axis=-1, keepdims=True)
    if not np.isfinite(m).all():  # +inf or NaN somewhere: the general kernel
        return False
    np.subtract(xc, m, out=s, dtype=np.float64)
    np.exp(s, out=s)
    np.divide(s, np.sum(s, axis=-1, keepdims=True), out=oc)
    return True


def _softmax_vjp_work(x, axis, g):
    y = _softmax_work(x, axis)
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def _softmax_vjp_chunk32(xc, oc, s, gc):
    """g J = y (g - <g, y>) with y = softmax(x) kept in float64 scratch, for float32 rows."""
    if not _softmax_chunk32(xc, s, s):
        return False
    t = np.multiply(gc, s)
    np.subtract(gc, np.sum(t, axis=-1, keepdims=True), out=t)
    np.multiply(t, s, out=oc)
    return True


def _log_softmax_chunk32(xc, oc, s):
    m = np.max(xc, axis=-1, keepdims=True)
    if not np.isfinite(m).all():
        return False
    np.subtract(xc, m, out=s, dtype=np.float64)
    e = np.exp(s)
    np.put_along_axis(e, np.argmax(xc, axis=-1)[:, None], 0.0, axis=-1)
    np.subtract(s, np.log1p(np.sum(e, axis=-1, keepdims=True)), out=oc)
    return True


_FAST32 = {_softmax_work: "softmax", _softmax_vjp_work: "softmax_vjp"}
_CHUNK32 = {_softmax_work: _softmax_chunk32, _log_softmax_work: _log_softmax_chunk32,
            _softmax_vjp_work: _softmax_vjp_chunk32}


def _rowwise(fn, x, axis, out, *extra):
    """``fn(rows, axis, *extra)`` over chunks of rows of about 4 BLOCK elements: float64 rows
    with the exact float64 kernel, float32 rows with a fused float64 kernel (one rounding at
    the end). ``extra`` arrays (the vjp's g) have x's shape and are chunked alike."""
    if out is None:
        out = np.empty(x.shape, x.dtype)
    if x.size == 0:
        return out
    axis = axis % x.ndim if x.ndim else 0
    with np.errstate(over="ignore", under="ignore"):
        if x.ndim == 0 or axis != x.ndim - 1 or not all(
                a.flags.c_contiguous for a in (x, out, *extra)):
            np.copyto(out, fn(x.astype(np.float64), axis, *extra), casting="unsafe")
            return out
        k = x.shape[-1]
        rows, flat_out = x.reshape(-1, k), out.reshape(-1, k)
        extra = [a.reshape(-1, k) for a in extra]
    compiled = _fast32.kernel(_FAST32.get(fn, ""), x)
    if compiled is not None:
        ok = np.empty(rows.shape[0], np.bool_)

        def compiled_part(lo, hi):
            compiled(rows[lo:hi], flat_out[lo:hi], ok[lo:hi], *(a[lo:hi] for a in extra))

        run_parts(compiled_part, rows.shape[0], unit=1, weight=k)
        bad = np.flatnonzero(~ok)  # rows with +-inf maxima or NaN: the general kernel
        if bad.size:
            with np.errstate(over="ignore", under="ignore"):
                flat_out[bad] = fn(rows[bad].astype(np.float64), -1, *(a[bad] for a in extra))
        return out
    step = max(1, 4 * BLOCK // max(k, 1))
    fast = _CHUNK32[fn] if x.dtype != np.float64 else None

    def part(lo, hi):
        scratch = np.empty((min(step, hi - lo), k)) if fast else None
        with np.errstate(over="ignore", under="ignore"):
            for start in range(lo, hi, step):
                stop = min(start + step, hi)
                chunk, target = rows[start:stop], flat_out[start:stop]
                more = [a[start:stop] for a in extra]
                if fast is None or not fast(chunk, target, scratch[:stop - start], *more):
                    np.copyto(target, fn(chunk.astype(np.float64, copy=False), -1, *more),
                              casting="unsafe")

    run_parts(part, rows.shape[0], unit=step, weight=k)
    return out


def softmax(x: np.ndarray, axis: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """exp(x - logsumexp(x)) along ``axis``, stable for any finite logits; rows with +inf
    entries share their mass among those entries."""
    return _rowwise(_softmax_work, x, axis, out)


def softmax_vjp(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """g J(x) = y (g - <g, y>) with y = softmax(x), fused row by row (float32 in float64)."""
    return _rowwise(_softmax_vjp_work, x, axis, None, g)


def log_softmax(x: np.ndarray, axis: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, shifted by the maximum so nothing overflows, with
    log1p for the maximal entry (whose value is -log1p(sum of the others' exp))."""
    return _rowwise(_log_softmax_work, x, axis, out)


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) along ``axis`` without overflow."""
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(under="ignore", divide="ignore"):
        r = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return r if keepdims else np.squeeze(r, axis=axis)
