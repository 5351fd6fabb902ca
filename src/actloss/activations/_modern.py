"""Modern smooth activations: selu, celu, gelu, silu, mish.

Not on the tutorials' hot path, so exactness wins over speed: float32 is evaluated in float64,
float64 in long double (np.longdouble, 64-bit mantissa on x86-64 Linux; where it is no wider
than float64 -- Windows, macOS arm64 -- float64 results may be off by a few ULP). gelu has a
fused float32 kernel (it is on issue 6's speed list) and, like everything here, no SciPy.
"""

import numpy as np

from .._numerics import (ERFCX_POLY, ERFCX_U0, ERFCX_US, _sigmoid_kernel, blockwise, fast32,
                         fused)
from ._base import Activation, check_finite

_LD = np.longdouble
_H = 1e6  # |x| beyond which every function below has reached its asymptote (e^-1e6 == 0)


# ---------------------------------------------------------------- selu
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _selu_kernel(x):
    lam, alpha = x.dtype.type(SELU_SCALE), x.dtype.type(SELU_ALPHA)
    return lam * np.maximum(x, 0) + (lam * alpha) * np.expm1(np.minimum(x, 0))


def _selu_grad_kernel(x):
    lam, alpha = x.dtype.type(SELU_SCALE), x.dtype.type(SELU_ALPHA)
    return np.where(x > 0, lam, (lam * alpha) * np.exp(np.minimum(x, 0)))


def _selu(x, out=None):
    r"""Scaled exponential linear unit (self-normalising networks).

    .. math:: f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0
              \end{cases}, \qquad f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} &
              x \le 0 \end{cases}

    with the float64 constants alpha = 1.6732632423543772, lambda = 1.0507009873554805 of
    Keras, PyTorch and JAX (their product is taken in long double). Use with LeCun-normal
    initialisation (and AlphaDropout) for the self-normalising property.

    >>> from actloss import activations as A
    >>> A.selu([-1.0, 1.0]).round(6)
    array([-1.111331,  1.050701])
    """
    return blockwise(_selu_kernel, x, out, wide=_LD)


selu = Activation(
    "selu", _selu, lambda x: blockwise(_selu_grad_kernel, x, wide=_LD),
    formula=(r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 "
             r"\end{cases},\ \alpha \approx 1.6733,\ \lambda \approx 1.0507"),
    derivative_formula=r"f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
    output_range="(-1.7581, inf)",
    pros=("Self-normalising: activations keep mean 0 and variance 1 through deep plain stacks.",),
    cons=("Needs LeCun-normal initialisation and no batch normalisation to self-normalise.",),
    reference="Klambauer, Unterthiner, Mayr & Hochreiter, 2017, Self-Normalizing Neural Networks.",
    monotonic="increasing", summary="Scaled ELU with fixed constants, self-normalising.")


# ---------------------------------------------------------------- celu
def _celu_kernel(x, alpha):
    a = x.dtype.type(alpha)
    return np.maximum(x, 0) + np.minimum(0, a * np.expm1(x / a))


def _celu_grad_kernel(x, alpha):
    a = x.dtype.type(alpha)
    return np.where(x > 0, 1, np.exp(np.minimum(x, 0) / a))


def _celu(x, out=None, alpha=1.0):
    r"""Continuously differentiable ELU.

    .. math:: f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1)), \qquad
              f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}

    ``alpha`` (default 1.0, as PyTorch and Keras 3) must be a finite nonzero number; for
    alpha = 1 celu is elu. Unlike elu with alpha != 1, f' is continuous at 0.

    >>> from actloss import activations as A
    >>> A.get("celu", alpha=2.0)([-2.0, 1.0]).round(6)
    array([-1.264241,  1.      ])
    """
    return blockwise(lambda b: _celu_kernel(b, alpha), x, out, wide=_LD)


celu = Activation(
    "celu", _celu, lambda x, alpha=1.0: blockwise(lambda b: _celu_grad_kernel(b, alpha), x, wide=_LD),
    params={"alpha": 1.0}, check=lambda alpha: check_finite("alpha", alpha, nonzero=True),
    formula=r"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}",
    output_range="(-alpha, inf)",
    pros=("C1-continuous for every alpha (ELU only for alpha = 1).",),
    cons=("An exponential per negative input.",),
    reference="Barron, 2017, Continuously Differentiable Exponential Linear Units.",
    monotonic="increasing", summary="ELU reparametrised to be C1 for every alpha.")


# ---------------------------------------------------------------- silu
def _silu_kernel(x):
    return np.maximum(x, -_H) * _sigmoid_kernel(x)


def _silu_grad_kernel(x):
    x = np.clip(x, -_H, _H)
    return _sigmoid_kernel(x) * (1 + x * _sigmoid_kernel(-x))


def _silu(x, out=None):
    r"""SiLU / swish (PyTorch ``SiLU``, Keras ``silu`` alias ``swish``).

    .. math:: f(x) = x\,\sigma(x), \qquad f'(x) = \sigma(x)\,(1 + x\,\sigma(-x))

    Swish's trainable beta (x sigma(beta x)) is fixed at 1, as in Keras and PyTorch. f' has a
    zero at x = -1.2785 (f's minimum, -0.2785), where only its absolute error is small.

    >>> from actloss import activations as A
    >>> A.silu([-1000.0, 0.0, 2.0]).round(6), A.swish.grad([0.0])
    (array([-0.      ,  0.      ,  1.761594]), array([0.5]))
    """
    return blockwise(_silu_kernel, x, out, wide=_LD)


silu = Activation(
    "silu", _silu, lambda x: blockwise(_silu_grad_kernel, x, wide=_LD),
    formula=r"f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
    derivative_formula=r"f'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)",
    output_range="[-0.2785, inf)",
    pros=("Smooth, non-monotonic bump below 0: often beats ReLU in deep networks.",),
    cons=("An exponential per element; not monotonic.",),
    reference="Elfwing, Uchibe & Doya, 2018, Sigmoid-Weighted Linear Units; Ramachandran, "
              "Zoph & Le, 2017, Searching for Activation Functions (swish).",
    monotonic=None, summary="x * sigmoid(x) (swish).")


# ---------------------------------------------------------------- mish
def _mish_parts(x):
    """tanh(softplus(x)) and the pieces of its derivative, overflow-free on both sides:
    with v = e^{min(x,0)}, n = v (v + 2): tanh(softplus(x)) = n / (n + 2) for x <= 0;
    with u = e^{-max(x,0)}: (1 + 2u) / (1 + 2u + 2u^2) for x > 0."""
    v = np.exp(np.minimum(x, 0))
    u = np.exp(-np.maximum(x, 0))
    n = v * (v + 2)
    b = 1 + 2 * u * (1 + u)
    t = np.where(x > 0, (1 + 2 * u) / b, n / (n + 2))
    return t, u, v, n, b


def _mish_kernel(x):
    return np.maximum(x, -_H) * _mish_parts(x)[0]


def _mish_grad_kernel(x):
    x = np.clip(x, -_H, _H)
    t, u, v, n, b = _mish_parts(x)
    # x sech^2(softplus(x)) sigma(x), in the form without overflow on each side.
    pos = 4 * x * (1 + u) * u * u / (b * b)
    neg = 4 * x * v * (1 + v) / ((n + 2) * (n + 2))
    return t + np.where(x > 0, pos, neg)


def _mish(x, out=None):
    r"""Mish (PyTorch ``Mish``, Keras 3 ``mish``).

    .. math:: f(x) = x \tanh(\operatorname{softplus}(x)), \qquad
              f'(x) = \tanh(\operatorname{softplus}(x)) + x\,\sigma(x)\,
              \operatorname{sech}^2(\operatorname{softplus}(x))

    tanh(softplus(x)) is rewritten as a rational function of e^{x} (below 0) or e^{-x}
    (above), so neither side overflows nor cancels. f has its minimum -0.3088 at
    x = -1.1924, a zero of f' where only its absolute error is small.

    >>> from actloss import activations as A
    >>> A.mish([-1000.0, 0.0, 1.0]).round(6)
    array([-0.      ,  0.      ,  0.865098])
    """
    return blockwise(_mish_kernel, x, out, wide=_LD)


mish = Activation(
    "mish", _mish, lambda x: blockwise(_mish_grad_kernel, x, wide=_LD),
    formula=r"f(x) = x \tanh(\log(1 + e^{x}))",
    derivative_formula=(r"f'(x) = \tanh(\operatorname{sp}(x)) + x\,\sigma(x)\,"
                        r"\operatorname{sech}^2(\operatorname{sp}(x))"),
    output_range="[-0.3088, inf)",
    pros=("Smooth and non-monotonic like swish; reported gains on image tasks.",),
    cons=("Costly: exp, log and tanh per element.",),
    reference="Misra, 2019, Mish: A Self Regularized Non-Monotonic Activation Function.",
    monotonic=None, summary="x * tanh(softplus(x)).")


# ---------------------------------------------------------------- gelu
# Constants as decimal strings, so that np.longdouble parses them to its full precision.
_SQRT1_2 = "0.70710678118654752440084436210484903928"
_INV_SQRT_2PI = "0.39894228040143267793994605993438186848"
_SQRT_2_PI = "0.79788456080286535587989211986876373695"  # sqrt(2 / pi)
_K = "0.044715"


def _c(x, digits):
    """The constant ``digits`` in x's working precision."""
    return x.dtype.type(digits)


_SQRT_PI = "1.77245385090551602729816748334114518"
_TWO_OVER_SQRT_PI = "1.12837916709551257389615890312154517"
# Depth of the continued fraction per band of s, measured against mpmath to reach 1e-19.
_CF_DEPTH = ((1.5, 2.0, 100), (2.0, 3.0, 60), (3.0, 4.0, 30), (4.0, np.inf, 20))


def _erfc_ld(s, gauss):
    """erfc(s) for s >= 0 in long double, relative error about 1e-19, given the Gaussian
    factor ``gauss`` = e^{-s^2} (computed by the caller from the exact x^2):
    s <= 1.5: 1 - (2/sqrt(pi)) e^{-s^2} sum_n 2^n s^{2n+1} / (2n+1)!! (positive terms; the
    cancellation costs < 5 of long double's 11 extra bits); s > 1.5: Laplace's continued
    fraction e^{-s^2} / (sqrt(pi) (s + (1/2)/(s + 1/(s + (3/2)/(s + ...))))), evaluated
    backwards from a fixed depth."""
    out = np.full_like(s, np.nan)
    small = s <= 1.5
    if small.any():
        v, g = s[small], gauss[small]
        q, term, total = 2 * v * v, v.copy(), v.copy()
        for n in range(1, 31):
            term *= q / (2 * n + 1)
            total += term
        out[small] = 1 - _c(v, _TWO_OVER_SQRT_PI) * g * total
    for lo, hi, depth in _CF_DEPTH:
        band = (s > lo) & (s <= hi)
        if band.any():
            v, f = s[band], s[band].copy()
            for k in range(depth, 0, -1):
                f = v + (k / 2) / f
            out[band] = gauss[band] / (_c(v, _SQRT_PI) * f)
    return out


def _gelu_tail32(xb, s, t):
    """t <- Phi(-|x|) = erfcx(|x|/sqrt 2) e^{-x^2/2} / 2 and s <- e^{-x^2/2}, in float64
    scratch, for float32 blocks: pure NumPy, no SciPy."""
    np.abs(xb, out=t, dtype=np.float64)
    np.multiply(t, t, out=s)
    s *= -0.5
    np.exp(s, out=s)                    # e^{-x^2/2}
    t *= float(_SQRT1_2)
    t += 2.0
    np.divide(2.0, t, out=t)            # u
    t -= ERFCX_U0
    t *= ERFCX_US
    p = np.full_like(t, ERFCX_POLY[-1])
    for c in ERFCX_POLY[-2::-1]:       # Horner
        p *= t
        p += c
    np.multiply(p, s, out=t)
    t *= 0.5                            # Phi(-|x|)


def _gelu32(xb, ob, s, t):
    # x Phi(x) = max(x, 0) - |x| Phi(-|x|)   (|x| capped at 1e6, where Phi(-|x|) == 0)
    _gelu_tail32(xb, s, t)
    np.abs(xb, out=s, dtype=np.float64)
    np.minimum(s, _H, out=s)
    t *= s
    np.maximum(xb, 0, out=s, dtype=np.float64)
    np.subtract(s, t, out=ob)


def _gelu_grad32(xb, ob, s, t, xphi):
    # Phi(x) + x phi(x), with Phi(x) = Phi(-|x|) below 0 and 1 - Phi(-|x|) above: in the left
    # tail the two terms are both tiny and cancel only by a factor 1 / (1 - 1/x^2).
    _gelu_tail32(xb, s, t)              # t = Phi(-|x|), s = e^{-x^2/2}
    np.clip(xb, -_H, _H, out=xphi, dtype=np.float64)
    xphi *= float(_INV_SQRT_2PI)
    xphi *= s
    np.copysign(t, xb, out=t)
    np.negative(t, out=t)               # -t where x >= +0, t where x <= -0
    t += ~np.signbit(xb)                # 1 - t above 0, t below (Phi(+-0) = 1/2 both)
    np.add(t, xphi, out=ob)


def _ndtr(x):
    """Phi(x) in long double (for float64 results) from :func:`_erfc_ld`, with e^{-x^2/2}
    from the exact x^2: SciPy's float64 ``ndtr``, ``erfc`` and ``erfcx`` are off by up to
    1144, 36 and 7 ULP (measured against mpmath), too much for the 2-ULP target."""
    s = np.abs(x) * _c(x, _SQRT1_2)
    half = 0.5 * _erfc_ld(s, np.exp(-0.5 * (x * x)))
    return np.where(x < 0, half, 1 - half)


def _gelu_kernel(x, approximate):
    if approximate:
        u = _c(x, _SQRT_2_PI) * (x + _c(x, _K) * x * x * x)
        return np.maximum(x, -_H) * _sigmoid_kernel(2 * u)
    return np.maximum(x, -_H) * _ndtr(x)


def _gelu_grad_kernel(x, approximate):
    x = np.clip(x, -_H, _H)
    c = _c(x, _SQRT_2_PI)
    if approximate:
        k = _c(x, _K)
        z = 2 * c * (x + k * x * x * x)
        s, sm = _sigmoid_kernel(z), _sigmoid_kernel(-z)
        return s + x * s * sm * 2 * c * (1 + 3 * k * x * x)
    # Phi(x) + x phi(x): in the left tail Phi ~ phi / |x|, so the sum loses at most a factor
    # 1 / (1 - 1/x^2) to cancellation; at the zero x = -0.7518 only absolute error is small.
    return _ndtr(x) + x * (np.exp(-0.5 * (x * x)) * _c(x, _INV_SQRT_2PI))


def _gelu_grad(x, approximate=False):
    if approximate or x.dtype == np.float64:
        return blockwise(lambda b: _gelu_grad_kernel(b, approximate), x, wide=_LD)
    if (r := fast32("gelu_grad", x)) is not None:
        return r
    return fused(_gelu_grad32, x, scratch=3)


def _gelu(x, out=None, approximate=False):
    r"""Gaussian error linear unit (BERT, GPT).

    .. math:: f(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\frac{x}{\sqrt2}\Bigr),
              \qquad f'(x) = \Phi(x) + x\,\varphi(x)

    ``approximate=False`` (default, as PyTorch ``approximate='none'``, ``tf.nn.gelu`` and
    ``keras.activations.gelu``; but ``keras.ops.gelu`` and ``jax.nn.gelu`` default to
    ``approximate=True``). ``approximate=True`` is the tanh form
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed as x sigma(2u) so the left tail does
    not cancel. Exact form, float32: max(x, 0) - |x| Phi(-|x|) with Phi(-|x|) =
    erfcx(|x|/sqrt2) e^{-x^2/2} / 2 and erfcx a degree-14 polynomial fit (relative error
    6e-11), fused in float64 blocks -- NumPy, no SciPy (or, for large arrays, one Numba loop:
    ``actloss._fast32``). float64: Phi from a long-double
    erfc (series below |x| = 2.1, continued fraction above), since SciPy's float64
    ``ndtr``/``erfc``/``erfcx`` miss the 2-ULP target (by up to 1144/36/7 ULP); exact, but
    about 1 microsecond per element. f' has a zero at
    x = -0.7518, where only its absolute error is small.

    >>> from actloss import activations as A
    >>> A.gelu([-1.0, 0.0, 1.0]).round(6)
    array([-0.158655,  0.      ,  0.841345])
    >>> A.get("gelu", approximate=True)([1.0]).round(6)
    array([0.841192])
    """
    if approximate or x.dtype == np.float64:
        return blockwise(lambda b: _gelu_kernel(b, approximate), x, out, wide=_LD)
    if (r := fast32("gelu", x, out)) is not None:
        return r
    return fused(_gelu32, x, out, scratch=2)


def _check_gelu(approximate):
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"Expected approximate to be True or False; received "
                        f"approximate={approximate!r} ({type(approximate).__name__})")


gelu = Activation(
    "gelu", _gelu, _gelu_grad,
    params={"approximate": False}, check=_check_gelu,
    formula=r"f(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
    derivative_formula=r"f'(x) = \Phi(x) + x\,\varphi(x), \quad \varphi(x) = e^{-x^2/2}/\sqrt{2\pi}",
    output_range="[-0.1700, inf)",
    pros=("Smooth, weights inputs by their Gaussian percentile: the transformers' default.",),
    cons=("erf is costly on CPU (the tanh approximation is cheaper).", "Not monotonic."),
    reference="Hendrycks & Gimpel, 2016, Gaussian Error Linear Units (GELUs).",
    monotonic=None, summary="x * Phi(x), the Gaussian-weighted ReLU of transformers.")

MODERN = {
    selu: (),
    celu: (),
    gelu: (),
    silu: ("swish",),
    mish: (),
}
