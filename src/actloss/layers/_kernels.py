"""Optional fused Dense + relu kernels (Numba), used only where the optimizer's fused Adam
kernel is (large models; see :mod:`actloss.optimizers._kernels`).

NumPy needs four passes over a (batch, units) block per relu layer and batch: ``z += b``,
``maximum(z, 0)``, ``g *= y > 0`` (with a bool temporary) and the column sums of the bias
gradient. These two loops do the same arithmetic in two passes, with NumPy's semantics (NaN
carried through relu; ``g * 0`` in the backward mask, so ``-0.0``/NaN exactly as NumPy's
``g * False``; the bias gradient summed row after row, as ``np.add.reduce(g, axis=0)`` does).
"""

from __future__ import annotations

import numpy as np

from .. import _jit

_K = None  # (bias_relu, relu_backward_bias) compiled, or False when unavailable


def _build():
    def bias_relu(z, b):  # pragma: no cover - compiled
        n, d = z.shape
        for i in range(n):
            for j in range(d):
                v = z[i, j] + b[j]
                z[i, j] = v if (v >= 0 or v != v) else 0

    def relu_backward_bias(g, y, gb):  # pragma: no cover - compiled
        n, d = g.shape
        one, zero = g.dtype.type(1), g.dtype.type(0)
        for i in range(n):
            for j in range(d):
                v = g[i, j] * (one if y[i, j] > 0 else zero)
                g[i, j] = v
                if i == 0:
                    gb[j] = v
                else:
                    gb[j] += v

    return tuple(_jit.njit(f) for f in (bias_relu, relu_backward_bias))


def relu_kernels(dtype):
    """``(bias_relu(z, b), relu_backward_bias(g, y, bias_grad))`` compiled for ``dtype``, or
    None (Numba missing or failing, or a dtype other than float32/float64)."""
    global _K
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        return None
    if _K is None:
        try:
            _K = _build()
        except ImportError:
            _K = False
    if not _K:
        return None
    try:  # compile (or load) now, so a failure falls back here
        z, b = np.zeros((1, 1), dtype), np.zeros(1, dtype)
        _K[0](z, b)
        _K[1](z, z.copy(), b)
    except Exception:  # pragma: no cover - a broken Numba install
        _K = False
        return None
    return _K
