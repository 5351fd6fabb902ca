"""The Numba primitives behind :mod:`actloss._fast32` (imported only from there, lazily): the
scalar ``exp``/``expm1``/``where``/``maximum``/... that the generic activation definitions are
compiled against (``primitives()``), and softmax's two row kernels.

Every loop built on them reads float32, computes in float64 and rounds once on the store. The one fast-math
flag is ``contract``: LLVM may fuse ``a * b + c`` into one FMA (one rounding instead of two,
which halves the cost of the polynomials), but it keeps the order of every operation and IEEE
semantics for inf and NaN. Loops over a row keep 8 partial sums or maxima so that they run at
the adder's throughput instead of its latency.
"""

import math

import numpy as np
from numba.core import types
from numba.extending import intrinsic

from . import _jit as _shared_jit

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 with 32 trailing zero bits: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0           # 1.5 * 2^52: v / ln2 + _SHIFT rounds to an integer n,
#                                       held in the low bits of the sum's representation
_EXP_MIN, _EXP_MAX = -708.0, 708.0    # so that 2^n stays a normal float64
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10 = (1.0 / math.factorial(k) for k in range(2, 11))

def _jit(fn=None, **more):
    """actloss's Numba policy plus ``contract`` (FMA allowed; order and inf/NaN kept)."""
    return _shared_jit.njit(fn, fastmath={"contract"}, **more)


@intrinsic
def _bits(typingctx, v):  # pragma: no cover - compiled
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, b):  # pragma: no cover - compiled
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


# ---------------------------------------------------------------- exp, expm1 (float64)
@_jit
def _reduce(v):  # pragma: no cover - compiled
    """(2^n, r) with v = n ln2 + r, |r| <= ln2 / 2, for v clamped to [-708, 708]; NaN kept
    (then r is NaN and so is every result)."""
    v = _EXP_MIN if v < _EXP_MIN else v
    v = _EXP_MAX if v > _EXP_MAX else v
    k = v * _LOG2E + _SHIFT
    n = k - _SHIFT
    r = (v - n * _LN2_HI) - n * _LN2_LO
    return _float((_bits(k) + 1023) << 52), r


@_jit
def _expm1_r(r):  # pragma: no cover - compiled
    """e^r - 1 = r (1 + r/2! + ... + r^9/10!) for |r| <= ln2 / 2: relative error < 1e-11."""
    q = _C10 * r + _C9
    q = q * r + _C8
    q = q * r + _C7
    q = q * r + _C6
    q = q * r + _C5
    q = q * r + _C4
    q = q * r + _C3
    q = q * r + _C2
    q = q * r + 1.0
    return q * r


@_jit
def exp(v):  # pragma: no cover - compiled
    """e^v for v in [-708, 708] (clamped outside), in float64 arithmetic only."""
    scale, r = _reduce(v)
    return scale + scale * _expm1_r(r)


@_jit
def expm1(v):  # pragma: no cover - compiled
    """e^v - 1 = 2^n (e^r - 1) + (2^n - 1): exact 2^n - 1, so no cancellation for small v."""
    scale, r = _reduce(v)
    return scale * _expm1_r(r) + (scale - 1.0)


# ---------------------------------------------------------------- scalar primitives
@_jit(inline="always")
def where(c, a, b):  # pragma: no cover - compiled
    return a if c else b


@_jit(inline="always")
def maximum(a, b):  # pragma: no cover - compiled
    """NumPy's maximum: NaN if either is NaN."""
    return a if (a >= b or a != a) else b


@_jit(inline="always")
def minimum(a, b):  # pragma: no cover - compiled
    return a if (a <= b or a != a) else b


@_jit(inline="always")
def sign(a):  # pragma: no cover - compiled
    return 1.0 if a > 0 else (-1.0 if a < 0 else a * 0.0)  # +-0 and NaN kept


@_jit(inline="always")
def copysign(a, b):  # pragma: no cover - compiled
    return math.copysign(a, b)


@_jit(inline="always")
def tanh(v):  # pragma: no cover - compiled
    """tanh from expm1 (vectorisable): -m / (2 + m) with m = expm1(-2|v|) in (-1, 0]."""
    m = expm1(-2.0 * abs(v))
    return math.copysign(-m / (2.0 + m), v)


@_jit(inline="always")
def log1p(v):  # pragma: no cover - compiled
    return math.log1p(v)


@_jit(inline="always")
def log(v):  # pragma: no cover - compiled
    return math.log(v) if v > 0 else (-np.inf if v == 0 else np.nan)


@_jit(inline="always")
def sqrt(v):  # pragma: no cover - compiled
    return math.sqrt(v) if v >= 0 else np.nan


@_jit(inline="always")
def hypot(a, b):  # pragma: no cover - compiled
    return math.hypot(a, b)


def primitives() -> dict:
    """The names the generic activation definitions use, bound to these compiled scalars,
    plus ``__compile__`` (how a specialised definition is compiled: inlined)."""
    return {"where": where, "maximum": maximum, "minimum": minimum, "sign": sign,
            "copysign": copysign, "exp": exp, "expm1": expm1, "tanh": tanh, "log1p": log1p,
            "log": log, "sqrt": sqrt, "hypot": hypot, "INF": np.inf,
            "__compile__": lambda fn: _shared_jit.njit(fn, fastmath={"contract"},
                                                       inline="always", cache=False)}


# ---------------------------------------------------------------- softmax rows
@_jit(inline="always")
def _row_exp(xi, e):  # pragma: no cover - compiled
    """e <- exp(xi - max xi) in float64 for one row; returns (max, sum). Eight independent
    maxima and sums: one chain would wait on each comparison's and addition's latency."""
    k = xi.size
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = -np.inf
    j = 0
    while j + 8 <= k:
        m0 = xi[j] if xi[j] > m0 else m0
        m1 = xi[j + 1] if xi[j + 1] > m1 else m1
        m2 = xi[j + 2] if xi[j + 2] > m2 else m2
        m3 = xi[j + 3] if xi[j + 3] > m3 else m3
        m4 = xi[j + 4] if xi[j + 4] > m4 else m4
        m5 = xi[j + 5] if xi[j + 5] > m5 else m5
        m6 = xi[j + 6] if xi[j + 6] > m6 else m6
        m7 = xi[j + 7] if xi[j + 7] > m7 else m7
        j += 8
    m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    for jj in range(j, k):
        m = xi[jj] if xi[jj] > m else m
    m = np.float64(m)
    for jj in range(k):
        e[jj] = exp(np.float64(xi[jj]) - m)
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + 8 <= k:
        s0 += e[j]
        s1 += e[j + 1]
        s2 += e[j + 2]
        s3 += e[j + 3]
        s4 += e[j + 4]
        s5 += e[j + 5]
        s6 += e[j + 6]
        s7 += e[j + 7]
        j += 8
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for jj in range(j, k):
        total += e[jj]
    return m, total


@_jit
def softmax(x, out, ok):  # pragma: no cover - compiled
    """Rows of a C-contiguous 2-D array. ``ok[i]`` is False, and row i untouched, where the
    row's maximum is not finite or the row holds a NaN: the caller's general path takes it."""
    e = np.empty(x.shape[1])
    for i in range(x.shape[0]):
        m, total = _row_exp(x[i], e)
        ok[i] = abs(m) < np.inf and total == total
        if ok[i]:
            oi = out[i]
            for j in range(e.size):
                oi[j] = e[j] / total


@_jit
def softmax_vjp(x, out, ok, g):  # pragma: no cover - compiled
    """g J = y ((g - g_k) + D), D = sum_{j != k} y_j (g_k - g_j), k the row's argmax, with
    y = softmax(x) in float64 (as ``actloss.activations._softmax``: no cancellation when y_k
    rounds to 1); ``ok`` as :func:`softmax`."""
    k = x.shape[1]
    e = np.empty(k)
    for i in range(x.shape[0]):
        m, total = _row_exp(x[i], e)
        ok[i] = abs(m) < np.inf and total == total
        if ok[i]:
            xi, gi, oi = x[i], g[i], out[i]
            top = 0
            while xi[top] != m:
                top += 1
            gk = np.float64(gi[top])
            for j in range(k):
                e[j] /= total
            d0 = d1 = d2 = d3 = 0.0
            j = 0
            while j + 4 <= k:
                d0 += e[j] * (gk - np.float64(gi[j]))
                d1 += e[j + 1] * (gk - np.float64(gi[j + 1]))
                d2 += e[j + 2] * (gk - np.float64(gi[j + 2]))
                d3 += e[j + 3] * (gk - np.float64(gi[j + 3]))
                j += 4
            d = (d0 + d1) + (d2 + d3)
            for jj in range(j, k):
                d += e[jj] * (gk - np.float64(gi[jj]))
            # the top term of d is e[top] * 0 = 0 (or NaN for an infinite g_k, as it should)
            for jj in range(k):
                oi[jj] = e[jj] * ((np.float64(gi[jj]) - gk) + d)
