"""The one Numba policy of actloss's optional kernels (the ``fast`` extra).

Every kernel is compiled with the same options (no GIL, NumPy's error model: 1/0 is inf, not
an exception; no bounds checks), cached on disk where the package folder is writable and
compiled in memory where it is not, and none is used when ``ACTLOSS_NUMBA=0``. Numba itself is
imported only by :func:`njit`, on first use.
"""

import os

OPTIONS = {"nogil": True, "error_model": "numpy", "boundscheck": False}


def enabled() -> bool:
    """False when the user turned the compiled kernels off with ``ACTLOSS_NUMBA=0``."""
    return os.environ.get("ACTLOSS_NUMBA", "1") != "0"


def njit(fn=None, *, cache=True, **more):
    """``numba.njit`` with :data:`OPTIONS` (and ``more``), cached on disk when possible (``cache=False``: in memory); usable
    as ``@njit`` or ``@njit(inline="always")``. Raises ImportError without Numba."""
    if fn is None:
        return lambda f: njit(f, cache=cache, **more)
    import numba

    if not cache:  # generated functions: their globals are not part of Numba's cache key
        return numba.njit(**OPTIONS, **more)(fn)
    try:
        return numba.njit(cache=True, **OPTIONS, **more)(fn)
    except Exception:  # pragma: no cover - no writable cache folder: compile in memory
        return numba.njit(**OPTIONS, **more)(fn)
