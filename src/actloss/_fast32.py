"""Optional compiled loops (Numba) for large float32 arrays: the activation definitions, compiled.

An elementwise activation's forward, derivative and vjp are the *same* generic function bodies
the NumPy path runs (``actloss.activations._math``), specialised to scalar primitives
(:mod:`actloss._fast32_numba`: ``where`` is a select, ``exp`` a polynomial LLVM vectorises)
and wrapped here in one loop that reads float32, computes in float64 (the precision policy of
:mod:`actloss._numerics`) and rounds once on the store. Every elementwise activation gets one,
alike; softmax has two hand-written row kernels (forward and vjp) in ``_fast32_numba``. The
test suite runs every path of every activation on the same special values
(``tests/test_fast32.py``) and requires agreement within one ULP, NaN where NaN.

Why at all: one pass per element instead of one NumPy pass per ufunc (4 for sigmoid, ~25 for
exact gelu), on two threads. Measured on 10^7 float32 values (``benchmarks/run.py --only W5``
and the table in the ``activations`` report): the compiled loop is 1.5-8x faster than the
NumPy path for every smooth function and about as fast for relu. Used only for float32
arrays of at least ``MIN_SIZE`` elements, where one call takes milliseconds, because importing
Numba costs about 0.4 s (and 64 MiB) once per process and compiling a loop 0.1-0.5 s. Not for
float64: its working precision is long double, which Numba does not have. Without Numba, with
``ACTLOSS_NUMBA=0`` or for other dtypes, the NumPy path runs.
"""

from __future__ import annotations

import numpy as np

from . import _jit

MIN_SIZE = 1 << 22  # elements (16 MiB of float32)

_MODULE = None   # actloss._fast32_numba, or False when Numba is missing or broken
_LOOPS: dict = {}  # (generic function, number of params, vjp) -> compiled loop, or False
_NS = None       # the "numba" namespace of the generic functions


def _module():
    global _MODULE
    if _MODULE is None:
        try:
            from . import _fast32_numba
            _MODULE = _fast32_numba
        except Exception:  # ImportError, or a Numba that cannot build the intrinsics
            _MODULE = False
    return _MODULE


def applies(x: np.ndarray) -> bool:
    """True if ``x`` is float32 with at least ``MIN_SIZE`` elements and Numba works."""
    return (x.dtype == np.float32 and x.size >= MIN_SIZE and _jit.enabled()
            and bool(_module()))


_LOOP_SOURCE = '''
def loop(x, out, g, mode):
    if mode == 0:
        for i in range(x.size):
            out[i] = f(np.float64(x[i]){params})
    elif mode == 1:
        for i in range(x.size):
            out[i] = df(np.float64(x[i]){params})
    else:
        for i in range(x.size):
            out[i] = np.float64(g[i]) * df(np.float64(x[i]){params})
'''


def _literal(v) -> str:
    """``v`` as Python source (parameters are baked into the loop: a branch on a parameter is
    then removed at compile time, and the loop vectorises)."""
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    v = float(v)
    return repr(v) if np.isfinite(v) else ("np.nan" if v != v else ("np.inf" if v > 0 else "-np.inf"))


def elementwise(f, df, numba_namespace, params: tuple):
    """The compiled loop ``loop(x, out, g, mode)`` (``params`` baked in) of the generic functions ``f`` and
    ``df``: ``out[i] = f(x[i])`` (mode 0), ``df(x[i])`` (1) or ``g[i] * df(x[i])`` (2), in
    float64; one loop per activation, so one compilation. None where Numba does not work.
    ``numba_namespace(primitives)`` builds the specialised generic functions once."""
    key = (f, df, tuple(map(_literal, params)))
    if key not in _LOOPS:
        _LOOPS[key] = False
        if _module():
            try:
                params = "".join(", " + v for v in key[2])
                scope = {"np": np, "f": scalar(f, numba_namespace),
                         "df": scalar(df, numba_namespace)}
                exec(_LOOP_SOURCE.format(params=params), scope)  # noqa: S102 - our template
                loop = _jit.njit(scope["loop"], cache=False, fastmath={"contract"})
                probe = np.zeros(2, np.float32)
                loop(probe, probe.copy(), probe, 0)
                _LOOPS[key] = loop
            except Exception:  # pragma: no cover - a broken Numba install or kernel
                _LOOPS[key] = False
    return _LOOPS[key] or None


def scalar(fn, numba_namespace):
    """The compiled scalar form of the generic function ``fn`` (for loops built elsewhere, such
    as the fused Dense kernels), or None without Numba."""
    global _NS
    if not _jit.enabled() or not _module():
        return None
    if _NS is None:
        _NS = numba_namespace(_MODULE.primitives())
    return _NS[fn.__name__]


def rows(name: str):
    """The compiled row kernel ``name`` ("softmax", "softmax_vjp") of ``_fast32_numba``."""
    if not _module():
        return None
    key = ("rows", name)
    if key not in _LOOPS:
        fn = getattr(_MODULE, name)
        x = np.zeros((2, 2), np.float32)
        try:
            fn(x, x.copy(), np.ones(2, np.bool_), *((x,) if name == "softmax_vjp" else ()))
            _LOOPS[key] = fn
        except Exception:  # pragma: no cover - a broken Numba install
            _LOOPS[key] = False
    return _LOOPS[key] or None
