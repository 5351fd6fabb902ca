"""Optional fused Dense + activation kernels (Numba), used only where the optimizer's fused Adam
kernel is (large models; see :mod:`actloss.optimizers._kernels`).

NumPy needs several passes over a (batch, units) block per layer and batch: ``z += b``, the
activation, ``g *= f'(y)`` and the column sums of the bias gradient. The two loops below do the
same arithmetic in two passes. They are generated from the activation's own definition (its
compiled scalar f and output derivative, ``Activation.compiled_parts``), so every activation
whose derivative is a function of its output (relu, leaky_relu, relu6, hard_tanh, ...) gets
them alike; the bias gradient is summed row after row, as ``np.add.reduce(g, axis=0)`` does.
``tests/test_fast32.py`` checks them against the layer's NumPy path on special values.
"""

from __future__ import annotations

import numpy as np

from .. import _jit

_SOURCE = '''
def forward(z, b{p}):
    n, d = z.shape
    for i in range(n):
        for j in range(d):
            z[i, j] = f(np.float64(z[i, j] + b[j]){p})


def backward(g, y, gb{p}):
    n, d = g.shape
    for i in range(n):
        for j in range(d):
            g[i, j] = np.float64(g[i, j]) * dy(np.float64(y[i, j]){p})
            if i == 0:
                gb[j] = g[i, j]
            else:
                gb[j] += g[i, j]
'''
_CACHE: dict = {}


def dense_kernels(activation, dtype):
    """``(forward(z, b), backward(g, y, bias_grad))`` with the activation's parameters bound:
    ``z = f(z + b)`` in place, and ``g *= f'(y)`` with the bias gradient; None where
    ``activation.compiled_parts(dtype)`` is None or compiling fails."""
    if not _jit.enabled():
        return None
    parts = activation.compiled_parts(dtype)
    if parts is None:
        return None
    f, dy, params = parts
    key = (f, dy, len(params))
    if key not in _CACHE:
        try:
            scope = {"np": np, "f": f, "dy": dy}
            exec(_SOURCE.format(p="".join(f", p{i}" for i in range(len(params)))), scope)  # noqa: S102
            _CACHE[key] = (_jit.njit(scope["forward"], cache=False, fastmath={"contract"}),
                           _jit.njit(scope["backward"], cache=False, fastmath={"contract"}))
        except Exception:  # pragma: no cover - a broken Numba install
            _CACHE[key] = None
    loops = _CACHE[key]
    if loops is None:
        return None
    fwd, bwd = loops
    try:  # compile for this dtype now, so that a failure falls back to NumPy here
        z, b = np.zeros((1, 1), dtype), np.zeros(1, dtype)
        fwd(z, b, *params)
        bwd(z, z.copy(), b, *params)
    except Exception:  # pragma: no cover
        return None
    return (lambda z, b: fwd(z, b, *params)), (lambda g, y, gb: bwd(g, y, gb, *params))
