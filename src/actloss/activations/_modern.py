"""Modern smooth activations: selu, celu, gelu, silu, mish.

Each is two generic functions (see ``_math``), f and f' side by side, evaluated in the working
precision of ``actloss._numerics`` and rounded once. |x| is capped at BIG = 1e6 where a product
x * (something that is 0 at -inf) would otherwise be -inf * 0.
"""

from __future__ import annotations

from ._base import Activation, check_finite
from ._math import generic

# flake8: noqa: F821 -- exp, expm1, where, logistic, ndtr, ... are bound by the executor


# ---------------------------------------------------------------- selu
@generic
def selu_f(x):
    r"""Scaled exponential linear unit (self-normalising networks).

    .. math:: f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0
              \end{cases}, \qquad f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} &
              x \le 0 \end{cases}

    with the float64 constants alpha = 1.6732632423543772, lambda = 1.0507009873554805 of
    Keras, PyTorch and JAX (their product taken exactly). Use with LeCun-normal
    initialisation (and AlphaDropout) for the self-normalising property.

    >>> from actloss import activations as A
    >>> A.selu([-1.0, 1.0]).round(6)
    array([-1.111331,  1.050701])
    """
    return where(x > 0, SELU_SCALE * x, SELU_SCALE_ALPHA * expm1(minimum(x, 0.0)))


@generic
def selu_df(x):
    return where(x > 0, SELU_SCALE, SELU_SCALE_ALPHA * exp(minimum(x, 0.0)))


selu = Activation(
    "selu", selu_f, selu_df,
    formula=(r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 "
             r"\end{cases},\ \alpha \approx 1.6733,\ \lambda \approx 1.0507"),
    derivative_formula=r"f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
    output_range="(-1.7581, inf)",
    pros=("Self-normalising: activations keep mean 0 and variance 1 through deep plain stacks.",),
    cons=("Needs LeCun-normal initialisation and no batch normalisation to self-normalise.",),
    reference="Klambauer, Unterthiner, Mayr & Hochreiter, 2017, Self-Normalizing Neural Networks.",
    monotonic="increasing", initializer="lecun_normal",
    summary="Scaled ELU with fixed constants, self-normalising.")


# ---------------------------------------------------------------- celu
@generic
def celu_f(x, alpha):
    r"""Continuously differentiable ELU.

    .. math:: f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1)), \qquad
              f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}

    ``alpha`` (default 1.0, as PyTorch and Keras 3) must be a finite nonzero number; for
    alpha = 1 celu is elu. Unlike elu with alpha != 1, f' is continuous at 0.

    >>> from actloss import activations as A
    >>> A.celu([-2.0, 1.0], alpha=2.0).round(6)
    array([-1.264241,  1.      ])
    """
    return maximum(x, 0.0) + minimum(0.0, alpha * expm1(minimum(x, 0.0) / alpha))


@generic
def celu_df(x, alpha):
    return where(x > 0, 1.0, exp(minimum(x, 0.0) / alpha))


celu = Activation(
    "celu", celu_f, celu_df,
    params={"alpha": 1.0}, check=lambda alpha: check_finite("alpha", alpha, nonzero=True),
    formula=r"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}",
    output_range="(-alpha, inf)",
    pros=("C1-continuous for every alpha (ELU only for alpha = 1).",),
    cons=("An exponential per negative input.",),
    reference="Barron, 2017, Continuously Differentiable Exponential Linear Units.",
    monotonic="increasing", initializer="he_normal",
    summary="ELU reparametrised to be C1 for every alpha.")


# ---------------------------------------------------------------- silu
@generic
def silu_f(x):
    r"""SiLU / swish (PyTorch ``SiLU``, Keras ``silu`` alias ``swish``).

    .. math:: f(x) = x\,\sigma(x), \qquad f'(x) = \sigma(x)\,(1 + x\,\sigma(-x))

    Swish's trainable beta (x sigma(beta x)) is fixed at 1, as in Keras and PyTorch. f' has a
    zero at x = -1.2785 (f's minimum, -0.2785), where only its absolute error is small.

    >>> from actloss import activations as A
    >>> A.silu([-1000.0, 0.0, 2.0]).round(6), A.swish.grad([0.0])
    (array([-0.      ,  0.      ,  1.761594]), array([0.5]))
    """
    return maximum(x, -BIG) * logistic(x)


@generic
def silu_df(x):
    c = minimum(maximum(x, -BIG), BIG)
    return logistic(c) * (1.0 + c * logistic(-c))


silu = Activation(
    "silu", silu_f, silu_df,
    formula=r"f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
    derivative_formula=r"f'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)",
    output_range="[-0.2785, inf)",
    pros=("Smooth, non-monotonic bump below 0: often beats ReLU in deep networks.",),
    cons=("An exponential per element; not monotonic.",),
    reference="Elfwing, Uchibe & Doya, 2018, Sigmoid-Weighted Linear Units; Ramachandran, "
              "Zoph & Le, 2017, Searching for Activation Functions (swish).",
    initializer="he_normal", summary="x * sigmoid(x) (swish).")


# ---------------------------------------------------------------- mish
@generic
def mish_t(x):
    """tanh(softplus(x)) without overflow or cancellation: with v = e^{min(x,0)},
    n = v (v + 2), it is n / (n + 2) for x <= 0; with u = e^{-max(x,0)}, it is
    (1 + 2u) / (1 + 2u + 2u^2) for x > 0."""
    v = exp(minimum(x, 0.0))
    u = exp(-maximum(x, 0.0))
    n = v * (v + 2.0)
    return where(x > 0, (1.0 + 2.0 * u) / (1.0 + 2.0 * u * (1.0 + u)), n / (n + 2.0))


@generic
def mish_f(x):
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
    return maximum(x, -BIG) * mish_t(x)


@generic
def mish_df(x):
    # x sech^2(softplus(x)) sigma(x), in the form without overflow on each side
    c = minimum(maximum(x, -BIG), BIG)
    v = exp(minimum(c, 0.0))
    u = exp(-maximum(c, 0.0))
    n = v * (v + 2.0)
    b = 1.0 + 2.0 * u * (1.0 + u)
    pos = 4.0 * c * (1.0 + u) * u * u / (b * b)
    neg = 4.0 * c * v * (1.0 + v) / ((n + 2.0) * (n + 2.0))
    return mish_t(c) + where(c > 0, pos, neg)


mish = Activation(
    "mish", mish_f, mish_df,
    formula=r"f(x) = x \tanh(\log(1 + e^{x}))",
    derivative_formula=(r"f'(x) = \tanh(\operatorname{sp}(x)) + x\,\sigma(x)\,"
                        r"\operatorname{sech}^2(\operatorname{sp}(x))"),
    output_range="[-0.3088, inf)",
    pros=("Smooth and non-monotonic like swish; reported gains on image tasks.",),
    cons=("Costly: exp, log and tanh per element.",),
    reference="Misra, 2019, Mish: A Self Regularized Non-Monotonic Activation Function.",
    initializer="he_normal", summary="x * tanh(softplus(x)).")


# ---------------------------------------------------------------- gelu
@generic
def gelu_f(x, approximate):
    r"""Gaussian error linear unit (BERT, GPT).

    .. math:: f(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\frac{x}{\sqrt2}\Bigr),
              \qquad f'(x) = \Phi(x) + x\,\varphi(x)

    ``approximate=False`` (default, as PyTorch ``approximate='none'``, ``tf.nn.gelu`` and
    ``keras.activations.gelu``; ``keras.ops.gelu`` and ``jax.nn.gelu`` default to True).
    ``approximate=True`` is the tanh form x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
    computed as x sigma(2u) so the left tail does not cancel. Phi: for float32/float16 results
    erfcx(|x|/sqrt2) e^{-x^2/2} / 2 with a degree-14 polynomial erfcx (relative error 6e-11;
    NumPy only, no SciPy); for float64 a long-double erfc (series, then continued fraction),
    since SciPy's float64 ``ndtr``/``erfc``/``erfcx`` miss the 2-ULP target (by up to
    1144/36/7 ULP); exact, but about 1 microsecond per element. f' has a zero at x = -0.7518,
    where only its absolute error is small.

    >>> from actloss import activations as A
    >>> A.gelu([-1.0, 0.0, 1.0]).round(6)
    array([-0.158655,  0.      ,  0.841345])
    >>> A.gelu([1.0], approximate=True).round(6)
    array([0.841192])
    """
    c = maximum(x, -BIG)
    if approximate:
        return c * logistic(2.0 * SQRT_2_PI * (x + GELU_K * x * x * x))
    return c * ndtr(x)


@generic
def gelu_df(x, approximate):
    c = minimum(maximum(x, -BIG), BIG)
    if approximate:
        z = 2.0 * SQRT_2_PI * (c + GELU_K * c * c * c)
        return logistic(z) + c * logistic_prime(z) * (2.0 * SQRT_2_PI) * (1.0 + 3.0 * GELU_K * c * c)
    # in the left tail Phi ~ phi / |x|: the sum loses at most a factor 1 / (1 - 1/x^2)
    big_phi, phi = ndtr_pdf(x)   # one e^{-x^2/2} for both
    return big_phi + c * phi


def _check_gelu(approximate):
    if not isinstance(approximate, bool) and type(approximate).__name__ != "bool_":
        raise TypeError(f"Expected approximate to be True or False; received "
                        f"approximate={approximate!r} ({type(approximate).__name__})")


gelu = Activation(
    "gelu", gelu_f, gelu_df,
    params={"approximate": False}, check=_check_gelu, kernel_params=lambda approximate: (bool(approximate),),
    formula=r"f(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
    derivative_formula=r"f'(x) = \Phi(x) + x\,\varphi(x), \quad \varphi(x) = e^{-x^2/2}/\sqrt{2\pi}",
    output_range="[-0.1700, inf)",
    pros=("Smooth, weights inputs by their Gaussian percentile: the transformers' default.",),
    cons=("erf is costly on CPU (the tanh approximation is cheaper).", "Not monotonic."),
    reference="Hendrycks & Gimpel, 2016, Gaussian Error Linear Units (GELUs).",
    initializer="he_normal", summary="x * Phi(x), the Gaussian-weighted ReLU of transformers.")
