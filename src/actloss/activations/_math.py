"""The math the activation definitions are written in, and the executors that run it.

Every elementwise activation is written once, as plain arithmetic on ``x`` with a few named
primitives (``exp``, ``expm1``, ``log1p``, ``tanh``, ``ndtr``, ``ndtr_pdf``, ``where``, ``maximum``,
``minimum``, ``sign``, ``copysign``) and named constants (``SQRT1_2``, ...). The same source
is then *specialised* for each executor by rebinding those names:

* ``"native"``: NumPy on the input's own dtype (only for definitions marked ``exact``, whose
  result is one rounding at most: relu, leaky_relu, ...);
* ``"float64"`` and ``"longdouble"``: NumPy on arrays of that working precision (the precision
  policy of :mod:`actloss._numerics` picks one per input dtype);
* ``"numba"``: the scalar form compiled by :mod:`actloss._fast32` into one loop per
  activation (``where`` becomes a select, ``exp`` a vectorisable polynomial).

So a fast path is never a second definition: it is the same function body, compiled.
Helpers shared by several definitions (the logistic function, Phi) are written the same way
and registered with :func:`generic`, so every executor gets its own specialisation of them.
"""

from __future__ import annotations

import builtins
import types

import numpy as np

CONSTANTS = {  # decimal strings, so that long double parses them to its full precision
    "SQRT1_2": "0.70710678118654752440084436210484903928",
    "INV_SQRT_2PI": "0.39894228040143267793994605993438186848",
    "SQRT_2_PI": "0.79788456080286535587989211986876373695",   # sqrt(2 / pi)
    "GELU_K": "0.044715",
    "SELU_ALPHA": "1.6732632423543772",  # the float64 constants of Keras, PyTorch and JAX,
    "SELU_SCALE": "1.0507009873554805",  # exactly
    "SELU_SCALE_ALPHA": "1.75809934084737668124355809134",  # their exact product
    "SOFTSIGN_CLIP": "1180591620717411303424",  # 2^70: beyond it x / (1 + |x|) rounds to +-1
    # x - tanh x = x^3 sum_k c_k x^{2k} (c_k from the Bernoulli numbers), highest order first
    "TANH_SHRINK_SERIES": tuple(reversed((
        "0.3333333333333333333333333", "-0.1333333333333333333333333",
        "0.05396825396825396825396825", "-0.02186948853615520282186949",
        "0.008863235529902196568863236", "-0.003592128036572481016925461",
        "0.001455834387051318268249485", "-0.000590027440945585981378076",
        "0.0002391291142435524814857315", "-0.00009691537956929450325595875",
        "0.00003927832388331683405337081", "-0.00001591890506932896474074428",
        "0.000006451689215655430763190842", "-0.000002614771151290754554263594",
        "0.000001059726832010465435091355", "-0.0000004294911078273805854820351",
        "0.0000001740661896357164777986229", "-7.054636946400968325214519e-8",
        "2.859136662305253908331095e-8", "-1.158764443279885220019793e-8",
        "4.696295398230901628819043e-9", "-1.903336833931275921319707e-9"))),
    "BIG": "1e6",  # |x| beyond which every smooth function here has reached its asymptote
}
# erfcx(a) = e^{a^2} erfc(a) on 0 <= a <= 10.7 as a degree-14 polynomial in
# t = (u - ERFCX_U0) * ERFCX_US, u = 2 / (2 + a): a least-squares Chebyshev fit to mpmath
# values (relative error < 6e-11, 1/1000 of a float32 ULP). Beyond a = 10.7 (x < -15.1) the
# float32 Phi underflows anyway.
ERFCX_U0, ERFCX_US = 0.5787401574803149, 2.3738317757009346
ERFCX_POLY = (
    0.32897223328648023, 0.4290203690817722, 0.19822071577990055,
    0.04757494848347331, -0.0009865683709819517, -0.003094635679668321,
    7.618045027980906e-05, 0.0002708866511771421, -4.046833470726262e-05,
    -2.2793680849689466e-05, 9.548570753954086e-06, 7.624950628705979e-07,
    -1.4100772692729135e-06, 1.23607857396786e-07, 1.0773978617585008e-07)
INF = float("inf")

GENERICS: dict = {}  # name -> generic function (helpers and definitions), in definition order


def generic(fn):
    """Register ``fn`` as written in the generic style (see the module docstring)."""
    if fn.__name__ in GENERICS and GENERICS[fn.__name__] is not fn:
        raise ValueError(f"generic function name {fn.__name__!r} is used twice")
    GENERICS[fn.__name__] = fn
    return fn


def specialise(fn, namespace: dict):
    """``fn``'s code with its global names looked up in ``namespace`` (shared, so that names
    added later are seen). A generic function may use only the primitives, the constants,
    other generic functions and Python's builtins."""
    namespace.setdefault("__builtins__", builtins)
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                             fn.__closure__)
    new.__qualname__ = fn.__qualname__
    return new


# ---------------------------------------------------------------- NumPy primitives
_NUMPY = {"where": np.where, "maximum": np.maximum, "minimum": np.minimum, "exp": np.exp,
          "expm1": np.expm1, "log1p": np.log1p, "log": np.log, "tanh": np.tanh,
          "sqrt": np.sqrt, "hypot": np.hypot, "copysign": np.copysign, "sign": np.sign, "INF": INF}


def _erfc_ld(s, gauss):
    """erfc(s) for s >= 0 in long double, relative error about 1e-19, given the Gaussian factor
    ``gauss`` = e^{-s^2} computed by the caller from the exact x^2. s <= 1.5: the series
    1 - (2/sqrt(pi)) e^{-s^2} sum 2^n s^{2n+1} / (2n+1)!! (positive terms); above: Laplace's
    continued fraction e^{-s^2} / (sqrt(pi) (s + (1/2)/(s + 1/(s + (3/2)/(s + ...))))) from a
    fixed depth per band (measured against mpmath to reach 1e-19). NumPy only: SciPy's float64
    ``ndtr``/``erfc``/``erfcx`` are off by up to 1144/36/7 ULP."""
    ld = np.longdouble
    out = np.full_like(s, np.nan)
    small = s <= 1.5
    if small.any():
        v, g = s[small], gauss[small]
        q, term, total = 2 * v * v, v.copy(), v.copy()
        for n in range(1, 31):
            term *= q / (2 * n + 1)
            total += term
        out[small] = 1 - ld("1.12837916709551257389615890312154517") * g * total
    for lo, hi, depth in ((1.5, 2.0, 100), (2.0, 3.0, 60), (3.0, 4.0, 30), (4.0, np.inf, 20)):
        band = (s > lo) & (s <= hi)
        if band.any():
            v = s[band]
            f = v.copy()
            for k in range(depth, 0, -1):
                f = v + (k / 2) / f
            out[band] = gauss[band] / (ld("1.77245385090551602729816748334114518") * f)
    return out


def _ndtr_pdf_ld(x):
    """(Phi(x), phi(x)) in long double, sharing e^{-x^2/2}: Phi is 1/2 erfc(|x|/sqrt 2) below
    0, 1 - that above."""
    x = np.asarray(x)
    gauss = np.exp(-0.5 * (x * x))
    half = 0.5 * _erfc_ld(np.abs(x) * np.longdouble(CONSTANTS["SQRT1_2"]), gauss)
    return np.where(x < 0, half, 1 - half), gauss * np.longdouble(CONSTANTS["INV_SQRT_2PI"])


def _ndtr_ld(x):
    return _ndtr_pdf_ld(x)[0]


# ---------------------------------------------------------------- shared generic helpers
@generic
def logistic(x):
    """sigma(x) = 1 / (1 + e^{-x}) as e^{-|x|} / (1 + e^{-|x|}) below 0: no overflow, and the
    left tail keeps its relative accuracy."""
    e = exp(-abs(x))  # noqa: F821 - bound by the executor
    return where(x >= 0, 1.0, e) / (1.0 + e)  # noqa: F821


@generic
def logistic_prime(x):
    """sigma'(x) = e^{-|x|} / (1 + e^{-|x|})^2 (symmetric, never 0 * inf)."""
    e = exp(-abs(x))  # noqa: F821
    s = 1.0 + e
    return e / (s * s)


@generic
def positive(x):
    """1 where x > 0, 0 where x <= 0, NaN where x is NaN."""
    return maximum(sign(x), 0.0)  # noqa: F821


@generic
def keep_nan(x, v):
    """``v``, or NaN where x is NaN (for derivatives that are constant on pieces)."""
    return where(x != x, x, v)  # noqa: F821


@generic
def erfcx_poly(a):
    """erfcx(a / sqrt 2) for a >= 0 by the degree-14 fit above: relative error < 6e-11,
    enough for results rounded to float32 or float16."""
    t = (2.0 / (2.0 + a * SQRT1_2) - ERFCX_U0) * ERFCX_US  # noqa: F821
    return ((((((((((((((ERFCX_P14 * t + ERFCX_P13) * t + ERFCX_P12) * t + ERFCX_P11) * t  # noqa
                      + ERFCX_P10) * t + ERFCX_P9) * t + ERFCX_P8) * t + ERFCX_P7) * t  # noqa
                   + ERFCX_P6) * t + ERFCX_P5) * t + ERFCX_P4) * t + ERFCX_P3) * t  # noqa
                + ERFCX_P2) * t + ERFCX_P1) * t + ERFCX_P0)  # noqa: F821


@generic
def ndtr_pdf_poly(x):
    """(Phi(x), phi(x)) sharing the Gaussian factor g = e^{-x^2/2}: Phi(-|x|) = erfcx(|x| /
    sqrt 2) g / 2 below 0, 1 - that above (Phi(+-0) = 1/2); phi = g / sqrt(2 pi)."""
    a = abs(x)
    g = exp(-0.5 * (a * a))  # noqa: F821
    t = 0.5 * (erfcx_poly(a) * g)  # noqa: F821
    return where(x < 0, t, 1.0 - t), g * INV_SQRT_2PI  # noqa: F821


@generic
def ndtr_poly(x):
    """Phi(x) (see :func:`ndtr_pdf_poly`)."""
    return ndtr_pdf_poly(x)[0]  # noqa: F821


# ---------------------------------------------------------------- executors
_POLY = {f"ERFCX_P{i}": c for i, c in enumerate(ERFCX_POLY)}
_POLY.update(ERFCX_U0=ERFCX_U0, ERFCX_US=ERFCX_US)


def _constants(kind):
    conv = {"native": float, "longdouble": np.longdouble}.get(kind, np.float64)
    return {k: tuple(map(conv, v)) if isinstance(v, tuple) else conv(v)
            for k, v in CONSTANTS.items()}


_NAMESPACES: dict = {}  # kind -> (namespace, number of generic functions specialised)


def namespace(kind: str) -> dict:
    """The names the generic functions see under executor ``kind`` ("native", "float64",
    "longdouble"), with every registered generic function specialised into it (lazily: a
    definition registered later is added on first use)."""
    ns, done = _NAMESPACES.get(kind, (None, -1))
    if done == len(GENERICS):
        return ns
    if ns is None:
        ns = {**_NUMPY, **_POLY, **_constants(kind)}
    for name, fn in GENERICS.items():
        if name not in ns:
            ns[name] = specialise(fn, ns)
    ns["ndtr"] = _ndtr_ld if kind == "longdouble" else ns["ndtr_poly"]
    ns["ndtr_pdf"] = _ndtr_pdf_ld if kind == "longdouble" else ns["ndtr_pdf_poly"]
    _NAMESPACES[kind] = (ns, len(GENERICS))
    return ns


def numba_namespace(primitives: dict) -> dict:
    """The names of the ``"numba"`` executor, given the compiled primitives of
    :mod:`actloss._fast32_numba` and a ``compile(fn)`` under the key ``"__compile__"``: every
    generic function specialised and compiled (inlined into its callers)."""
    compile_fn = primitives["__compile__"]
    ns = {**{k: v for k, v in primitives.items() if k != "__compile__"}, **_POLY,
          **_constants("native")}
    for name, fn in GENERICS.items():
        ns[name] = compile_fn(specialise(fn, ns))
    ns["ndtr"] = ns["ndtr_poly"]
    ns["ndtr_pdf"] = ns["ndtr_pdf_poly"]
    return ns
