"""The Numba kernels behind :mod:`actloss._fast32` (imported only from there, lazily).

Each loop reads float32, computes in float64 and rounds once on the store. The one fast-math
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
from ._numerics import ERFCX_POLY, ERFCX_U0, ERFCX_US

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 with 32 trailing zero bits: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0           # 1.5 * 2^52: v / ln2 + _SHIFT rounds to an integer n,
#                                       held in the low bits of the sum's representation
_EXP_MIN, _EXP_MAX = -708.0, 708.0    # so that 2^n stays a normal float64
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10 = (1.0 / math.factorial(k) for k in range(2, 11))
(_P0, _P1, _P2, _P3, _P4, _P5, _P6, _P7, _P8, _P9, _P10, _P11, _P12, _P13,
 _P14) = ERFCX_POLY
_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_H = 1e6  # |x| beyond which Phi(-|x|) == 0 (as activations._modern)

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


@_jit(inline="always")  # too large for LLVM to inline, and a call stops vectorisation
def _gauss_tail(a):  # pragma: no cover - compiled
    """(Phi(-a), e^{-a^2/2}) for a = |x| >= 0: erfcx(a / sqrt 2) e^{-a^2/2} / 2 with erfcx by
    the degree-14 fit of ``actloss._numerics`` (relative error < 6e-11)."""
    s = exp(-0.5 * (a * a))
    t = (2.0 / (2.0 + a * _SQRT1_2) - ERFCX_U0) * ERFCX_US
    p = _P14 * t + _P13
    p = p * t + _P12
    p = p * t + _P11
    p = p * t + _P10
    p = p * t + _P9
    p = p * t + _P8
    p = p * t + _P7
    p = p * t + _P6
    p = p * t + _P5
    p = p * t + _P4
    p = p * t + _P3
    p = p * t + _P2
    p = p * t + _P1
    p = p * t + _P0
    return 0.5 * (p * s), s


# ---------------------------------------------------------------- elementwise loops
@_jit
def sigmoid(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        out[i] = 1.0 / (1.0 + exp(-np.float64(x[i])))


@_jit
def sigmoid_grad(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        e = exp(-abs(np.float64(x[i])))
        s = 1.0 + e
        out[i] = e / (s * s)


@_jit
def tanh(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        m = expm1(-2.0 * abs(v))  # in (-1, 0]: -m / (2 + m) has no cancellation
        out[i] = math.copysign(-m / (2.0 + m), v)


@_jit
def tanh_grad(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        e = exp(-2.0 * abs(np.float64(x[i])))
        s = 1.0 + e
        out[i] = (4.0 * e) / (s * s)


@_jit
def elu(x, out, alpha):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        out[i] = alpha * expm1(v) if v < 0 else v  # -0.0 and NaN pass through


@_jit
def elu_grad(x, out, alpha):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        out[i] = 1.0 if v > 0 else alpha * exp(v)  # f'(0) = alpha; NaN stays NaN


@_jit
def leaky_relu(x, out, alpha):  # pragma: no cover - compiled
    a = np.float32(alpha)  # as NumPy's float32 multiply: alpha rounded to float32 first
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * a


@_jit
def leaky_relu_grad(x, out, alpha):  # pragma: no cover - compiled
    a, one = np.float32(alpha), np.float32(1)
    for i in range(x.size):
        v = x[i]
        out[i] = one if v > 0 else (a if v <= 0 else v)


@_jit
def gelu(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        a = abs(v)
        tail, _ = _gauss_tail(a)
        # x Phi(x) = max(x, 0) - |x| Phi(-|x|), as the NumPy path
        out[i] = (v if v > 0 else 0.0) - (a if a < _H else _H) * tail


@_jit
def gelu_grad(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        v = np.float64(x[i])
        tail, s = _gauss_tail(abs(v))
        c = _H if v > _H else (-_H if v < -_H else v)
        cdf = tail if math.copysign(1.0, v) < 0 else 1.0 - tail  # Phi(x); Phi(+-0) = 1/2
        out[i] = cdf + (c * _INV_SQRT_2PI) * s


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
    """g J = y (g - <g, y>) with y = softmax(x) in float64; ``ok`` as :func:`softmax`."""
    k = x.shape[1]
    e = np.empty(k)
    for i in range(x.shape[0]):
        m, total = _row_exp(x[i], e)
        ok[i] = abs(m) < np.inf and total == total
        if ok[i]:
            gi, oi = g[i], out[i]
            for j in range(k):
                e[j] /= total
            d0 = d1 = d2 = d3 = 0.0
            j = 0
            while j + 4 <= k:
                d0 += np.float64(gi[j]) * e[j]
                d1 += np.float64(gi[j + 1]) * e[j + 1]
                d2 += np.float64(gi[j + 2]) * e[j + 2]
                d3 += np.float64(gi[j + 3]) * e[j + 3]
                j += 4
            dot = (d0 + d1) + (d2 + d3)
            for jj in range(j, k):
                dot += np.float64(gi[jj]) * e[jj]
            for jj in range(k):
                oi[jj] = e[jj] * (np.float64(gi[jj]) - dot)
