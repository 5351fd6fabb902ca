"""Optional Numba kernels for large float32 activation calls (issue 6, W5).

The NumPy path evaluates a float32 transcendental in float64 blocks (NumPy's own float32
``exp`` is off by up to 2.4 ULP) with one pass over each block per ufunc: 4 for sigmoid, about
25 for exact gelu (a degree-14 polynomial). The kernels in :mod:`actloss._fast32_numba` do the
same float64 arithmetic element by element in one pass, and round once to float32.

Why the exponential is written out: a Numba loop calling ``math.exp`` (glibc, scalar) took
2.3 ns per element for sigmoid on 10^7 float32 values against PyTorch's 1.26 (2 threads each,
the 2-core CI machine); LLVM does not vectorise a loop that calls libm, and the llvmlite
wheels have no SVML. Written in plain arithmetic (range reduction by ln 2, a degree-10 Taylor
polynomial, 2^n assembled in the exponent bits) it vectorises: 1.4, and 0.8 with the ``contract``
flag (FMA) and two threads. ``benchmarks/run.py`` then gave these actloss / PyTorch ratios,
forward / derivative: sigmoid 0.52/0.39, tanh 0.33/0.50, leaky_relu 0.39/0.35, elu 0.37/0.62,
gelu 0.84/0.71, softmax 0.78/0.81 (the NumPy path: sigmoid 1.1, gelu 4.3, softmax vjp 1.6,
elu' 1.4). Its relative error is below
1e-11 (1/6000 of a float32 ULP), so the results are the NumPy path's except, rarely, by one
ULP where the float64 value lies within 1e-11 of a float32 rounding boundary;
``tests/test_fast32.py`` checks that, and the 2-ULP bound against mpmath.

Used only for float32 arrays of at least ``MIN_SIZE`` elements, where one call takes
milliseconds, because importing Numba costs about 0.4 s (and 64 MiB) once per process. Without
Numba, with ``ACTLOSS_NUMBA=0`` or for other dtypes the NumPy path runs.
"""

from __future__ import annotations

import numpy as np

from . import _jit

MIN_SIZE = 1 << 22  # elements (16 MiB of float32)

_MODULE = None  # actloss._fast32_numba, or False when Numba is missing or broken
_READY: dict = {}  # kernel name -> compiled and smoke-tested (True) or failed (False)


def _module():
    global _MODULE
    if _MODULE is None:
        try:
            from . import _fast32_numba
            _MODULE = _fast32_numba
        except Exception:  # ImportError, or a Numba that cannot build the intrinsics
            _MODULE = False
    return _MODULE


def kernel(name: str, x: np.ndarray):
    """The compiled kernel ``name`` (a function of :mod:`actloss._fast32_numba`) if ``x`` is
    float32 with at least ``MIN_SIZE`` elements and Numba works, else None."""
    if (x.dtype != np.float32 or x.size < MIN_SIZE
            or not _jit.enabled() or not _module()):
        return None
    fn = getattr(_MODULE, name)
    if name not in _READY:
        _READY[name] = _smoke(name, fn)
    return fn if _READY[name] else None


def _smoke(name, fn) -> bool:
    """Compile for float32 now, so that a failure means the NumPy path, not an error."""
    x = np.zeros((2, 2), np.float32)
    try:
        if name.startswith("softmax"):
            fn(x, x.copy(), np.ones(2, np.bool_), *((x,) if name == "softmax_vjp" else ()))
        elif name.startswith(("elu", "leaky_relu")):
            fn(x.ravel(), x.ravel().copy(), 1.0)
        else:
            fn(x.ravel(), x.ravel().copy())
    except Exception:  # pragma: no cover - a broken Numba install
        return False
    return True
