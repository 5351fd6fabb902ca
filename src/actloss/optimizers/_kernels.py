"""Optional fused optimizer kernels (Numba), for large models only.

NumPy's Adam update is 12 passes over the parameter vector (each ufunc reads and writes whole
arrays); one compiled loop does the same arithmetic, in the same order and precision (no
fast-math, so no reassociation or fused multiply-add): bit-identical results, about 4.5x less
time for the 400k parameters of a 256-512-512-10 network (116 us vs 538 us per update on the
2-core CI machine). The new parameters are staged in the gradient vector and copied into place
only when all of them are finite, so the model needs no copy of its weights to fall back on
(:meth:`Optimizer.checks_update`): the same result as the NumPy path's copy-and-restore, in one
compute pass plus one copy. Numba costs ~0.4 s to import and ~0.7 s to compile (cached on
disk afterwards), so it is used only for models of at least ``MIN_PARAMS`` parameters, and only
when it is installed; ``ACTLOSS_NUMBA=0`` turns it off. Without it the NumPy path runs.

Cost: Numba and LLVM add about 130 MiB to the process's peak RSS (64 MiB to import, the rest
to load the compiled code), once per process. On W4 (100k x 256 float32, 400k parameters) that
is 314 MiB instead of 193 MiB of peak RSS (the GEMM floor's is 182 MiB), for an epoch at
1.09x/1.20x the GEMM floor with 1/2 BLAS threads instead of 1.27x/1.7x.
"""

from __future__ import annotations

import numpy as np

from .. import _jit

MIN_PARAMS = 1 << 17  # below this, NumPy's passes stay in cache and the kernel saves < 0.1 ms

_ADAM = None  # the compiled kernel; False once it is known to be unavailable


def _build():
    def adam(p, g, m, v, c1, c2, eps, alpha):  # pragma: no cover - compiled
        ok = True
        for i in range(p.size):
            gi = g[i]
            mi = m[i]
            mi = mi + (gi - mi) * c1           # m += (g - m)(1 - beta_1)
            m[i] = mi
            vi = v[i]
            vi = vi + (gi * gi - vi) * c2      # v += (g^2 - v)(1 - beta_2)
            v[i] = vi
            x = p[i] - (mi / (np.sqrt(vi) + eps)) * alpha
            g[i] = x                           # staged: p moves only if all of it is finite
            ok &= (x - x) == 0                 # False at NaN and +-inf; no branch in the loop
        return ok

    return _jit.njit(adam)


def enabled(n: int) -> bool:
    """Whether a model of ``n`` parameters uses the compiled kernels (when Numba has them)."""
    return n >= MIN_PARAMS and _jit.enabled()


def adam_kernel(n: int, dtype):
    """The fused Adam kernel for ``n`` parameters of ``dtype``, compiled, or None (small model,
    not float32/float64, Numba missing, disabled or failing)."""
    global _ADAM
    dtype = np.dtype(dtype)
    if not enabled(n) or dtype not in (np.float32, np.float64):
        return None
    if _ADAM is None:
        try:
            _ADAM = _build()
        except ImportError:
            _ADAM = False
    if not _ADAM:
        return None
    try:  # compile (or load) for this dtype now, so a failure falls back here, not mid-fit
        one = np.zeros(1, dtype)
        adam(_ADAM, one, one.copy(), one.copy(), one.copy(), 0.9, 0.999, 1e-7, 0.0)
    except Exception:  # pragma: no cover - a broken Numba install
        _ADAM = False
        return None
    return _ADAM


def adam(kernel, p, g, m, v, beta_1, beta_2, eps, alpha) -> bool:
    """One Adam step: m and v in place, the new parameters staged in ``g`` (the gradient is
    not needed afterwards) and copied into ``p`` only when every one is finite; else False
    with p unchanged (m and v have advanced, as on the NumPy path, whose copy of p is put
    back). The scalars in the arrays' dtype, as NumPy's in-place ufuncs with Python floats
    use them."""
    f = p.dtype.type
    if not kernel(p, g, m, v, f(1 - beta_1), f(1 - beta_2), f(eps), f(alpha)):
        return False
    np.copyto(p, g)
    return True
