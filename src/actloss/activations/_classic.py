"""The classic smooth activations: sigmoid, tanh, elu, exponential, softsign, softplus,
log_sigmoid.

Each is two generic functions (see ``_math``), f and f' side by side, evaluated in the working
precision of ``actloss._numerics`` (float64 for float32, long double for float64) and rounded
once: within 1-2 ULP of the exact value, no overflow, no warning.
"""

from __future__ import annotations

from ._base import Activation, check_finite
from ._math import generic

# flake8: noqa: F821 -- exp, expm1, log1p, tanh, where, ... are bound by the executor


# ---------------------------------------------------------------- sigmoid
@generic
def sigmoid_f(x):
    r"""The logistic function.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
              \sigma'(x) = \sigma(x)\,\sigma(-x) = \frac{e^{-|x|}}{(1 + e^{-|x|})^2}

    Written with e^{-|x|}, so nothing overflows and the left tail keeps its relative accuracy.
    The derivative is computed from x, not as s (1 - s), which loses every digit for x > 37
    (float64) or 17 (float32); that is also why a sigmoid layer keeps its input for backprop.

    >>> from actloss import activations as A
    >>> A.sigmoid([-800.0, 0.0, 800.0]), A.logistic.grad([0.0])
    (array([0. , 0.5, 1. ]), array([0.25]))
    """
    return logistic(x)


@generic
def sigmoid_df(x):
    return logistic_prime(x)


sigmoid = Activation(
    "sigmoid", sigmoid_f, sigmoid_df, outputs_probabilities=True,
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    derivative_formula=r"\sigma'(x) = \sigma(x)\,\sigma(-x) = \sigma(x)(1 - \sigma(x))",
    output_range="(0, 1)",
    pros=("Output reads as a probability: the output layer of a binary classifier.",
          "Smooth and monotonic."),
    cons=("Saturates: f'(x) <= 1/4 and tiny for |x| > 5, so deep sigmoid stacks have vanishing "
          "gradients.", "Not zero-centred."),
    reference="Verhulst, 1845 (logistic curve); Rumelhart, Hinton & Williams, 1986, Learning "
              "Representations by Back-propagating Errors.",
    monotonic="increasing", saturates=True, logits_losses=("binary_crossentropy",),
    summary="The logistic function, squashing to (0, 1).")


# ---------------------------------------------------------------- tanh
@generic
def tanh_f(x):
    r"""Hyperbolic tangent.

    .. math:: \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad
              \tanh'(x) = \operatorname{sech}^2(x) = 4\,\sigma'(2x)

    The derivative is 4 sigma'(2x), with full relative accuracy where 1 - tanh^2 rounds to 0
    (|x| > 19 in float64, 9 in float32).

    >>> from actloss import activations as A
    >>> A.tanh([0.0, 1000.0]), A.tanh.grad([0.0])
    (array([0., 1.]), array([1.]))
    """
    return tanh(x)


@generic
def tanh_df(x):
    return 4.0 * logistic_prime(2.0 * x)


tanh = Activation(
    "tanh", tanh_f, tanh_df,
    formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    derivative_formula=r"\tanh'(x) = 1 - \tanh^2(x) = \operatorname{sech}^2(x)",
    output_range="(-1, 1)",
    pros=("Zero-centred, which helps the next layer's optimisation.",
          "Stronger gradient than sigmoid (f'(0) = 1)."),
    cons=("Saturates for |x| > 3: vanishing gradients in deep stacks.",),
    reference="LeCun, Bottou, Orr & Mueller, 1998, Efficient BackProp.",
    monotonic="increasing", saturates=True, summary="Hyperbolic tangent, a zero-centred sigmoid.")


# ---------------------------------------------------------------- elu
@generic
def elu_f(x, alpha):
    r"""Exponential linear unit.

    .. math:: f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases},
              \qquad f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}

    ``alpha`` (default 1.0, as Keras and PyTorch) must be > 0. ``expm1`` of min(x, 0), so the
    untaken branch never overflows; f'(0) = alpha (PyTorch's choice).

    >>> from actloss import activations as A
    >>> A.elu([-1.0, 0.0, 2.0]).round(6), A.elu.grad([-1.0, 2.0]).round(6)
    (array([-0.632121,  0.      ,  2.      ]), array([0.367879, 1.      ]))
    """
    return where(x > 0, x, alpha * expm1(minimum(x, 0.0)))


@generic
def elu_df(x, alpha):
    return where(x > 0, 1.0, alpha * exp(minimum(x, 0.0)))


elu = Activation(
    "elu", elu_f, elu_df,
    params={"alpha": 1.0}, check=lambda alpha: check_finite("alpha", alpha, low=0, low_open=True),
    formula=r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
    output_range="(-alpha, inf)",
    pros=("Negative outputs push mean activations toward 0, which speeds up learning.",
          "Smooth for alpha = 1; no dead units."),
    cons=("An exponential per negative input: slower than ReLU.",),
    reference="Clevert, Unterthiner & Hochreiter, 2016, Fast and Accurate Deep Network Learning "
              "by Exponential Linear Units (ELUs).",
    monotonic="increasing", initializer="he_normal",
    summary="Exponential linear unit: x above 0, alpha (e^x - 1) below.")


# ---------------------------------------------------------------- exponential
@generic
def exponential_f(x):
    r"""The exponential (Keras ``exponential``).

    .. math:: f(x) = e^{x}, \qquad f'(x) = e^{x}

    Overflows to inf above log(max) (709.78 in float64, 88.72 in float32), which is the
    correctly rounded value, without a warning. ``vjp`` forms g e^x before rounding, so
    ``exponential.vjp([710.0], [-0.1])`` is the finite -2.2e307.

    >>> from actloss import activations as A
    >>> A.exponential([0.0, 1000.0])
    array([ 1., inf])
    """
    return exp(x)


@generic
def exponential_dy(y):
    return y * 1.0


exponential = Activation(
    "exponential", exponential_f, exponential_f, dy=exponential_dy,
    formula=r"f(x) = e^{x}", derivative_formula=r"f'(x) = e^{x}", output_range="(0, inf)",
    pros=("Positive output: a rate (Poisson regression) or a scale parameter.",),
    cons=("Overflows for x > 709.78 (float64) / 88.72 (float32); exploding gradients.",),
    reference="(exponential; the link of Poisson regression, Nelder & Wedderburn, 1972)",
    monotonic="increasing", summary="e^x: a positive output (rates, scales).")


# ---------------------------------------------------------------- softsign
@generic
def softsign_f(x):
    r"""Softsign.

    .. math:: f(x) = \frac{x}{1 + |x|}, \qquad f'(x) = \frac{1}{(1 + |x|)^2}

    |x| is capped at 2^70 (where the result already rounds to +-1) so that +-inf gives +-1.

    >>> from actloss import activations as A
    >>> A.softsign([-1.0, 0.0, 3.0]), A.softsign.grad([1.0])
    (array([-0.5 ,  0.  ,  0.75]), array([0.25]))
    """
    c = minimum(maximum(x, -SOFTSIGN_CLIP), SOFTSIGN_CLIP)
    return c / (1.0 + abs(c))


@generic
def softsign_df(x):
    d = 1.0 + abs(x)
    return 1.0 / (d * d)


softsign = Activation(
    "softsign", softsign_f, softsign_df,
    formula=r"f(x) = \frac{x}{1 + |x|}", derivative_formula=r"f'(x) = \frac{1}{(1 + |x|)^2}",
    output_range="(-1, 1)",
    pros=("Zero-centred like tanh but with polynomial tails: saturates more slowly.",),
    cons=("Still saturating; rarely better than tanh in practice.",),
    reference="Bergstra, Desjardins, Lamblin & Bengio, 2009, Quadratic Polynomials Learn Better "
              "Image Features.",
    monotonic="increasing", saturates=True, summary="x / (1 + |x|), a slowly saturating tanh.")


# ---------------------------------------------------------------- softplus, log_sigmoid
@generic
def softplus_f(x):
    r"""Softplus, a smooth ReLU.

    .. math:: f(x) = \log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|}), \qquad
              f'(x) = \sigma(x)

    No threshold shortcut: PyTorch's ``Softplus(beta=1, threshold=20)`` returns x for x > 20
    and so drops a term of e^{-20} = 2e-9 (millions of float64 ULP); Keras and JAX use the
    exact form, as we do.

    >>> from actloss import activations as A
    >>> A.softplus([-50.0, 0.0, 1000.0])
    array([1.92874985e-22, 6.93147181e-01, 1.00000000e+03])
    """
    return maximum(x, 0.0) + log1p(exp(-abs(x)))


@generic
def softplus_df(x):
    return logistic(x)


softplus = Activation(
    "softplus", softplus_f, softplus_df,
    formula=r"f(x) = \log(1 + e^{x})", derivative_formula=r"f'(x) = \sigma(x)",
    output_range="(0, inf)",
    pros=("Smooth everywhere, positive: a variance or rate output.",),
    cons=("Slower than ReLU (exp and log); never exactly 0, so no sparsity.",),
    reference="Dugas, Bengio, Belisle, Nadeau & Garcia, 2001, Incorporating Second-Order "
              "Functional Knowledge for Better Option Pricing.",
    monotonic="increasing", initializer="he_normal", summary="log(1 + e^x), a smooth ReLU.")


@generic
def log_sigmoid_f(x):
    r"""Logarithm of the logistic function (PyTorch ``LogSigmoid``, Keras ``log_sigmoid``).

    .. math:: f(x) = \log \sigma(x) = -\operatorname{softplus}(-x), \qquad f'(x) = \sigma(-x)

    Written min(x, 0) - log1p(e^{-|x|}), so f(x) -> x exactly for large negative x, where
    log(sigmoid(x)) would give -inf.

    >>> from actloss import activations as A
    >>> A.log_sigmoid([-1000.0, 0.0, 50.0])
    array([-1.00000000e+03, -6.93147181e-01, -1.92874985e-22])
    """
    return minimum(x, 0.0) - log1p(exp(-abs(x)))


@generic
def log_sigmoid_df(x):
    return logistic(-x)


log_sigmoid = Activation(
    "log_sigmoid", log_sigmoid_f, log_sigmoid_df,
    formula=r"f(x) = \log \sigma(x) = -\log(1 + e^{-x})", derivative_formula=r"f'(x) = \sigma(-x)",
    output_range="(-inf, 0)",
    pros=("The stable log-probability of a binary classifier's positive class.",),
    cons=("Unbounded below; mainly an output/loss building block.",),
    reference="(log-likelihood of logistic regression; Cox, 1958)",
    monotonic="increasing", summary="log(sigmoid(x)), stable for large |x|.")


# ---------------------------------------------------------------- tanh_shrink
@generic
def tanh_shrink_f(x):
    r"""Tanh shrink (Keras ``tanh_shrink``, PyTorch ``Tanhshrink``).

    .. math:: f(x) = x - \tanh(x), \qquad f'(x) = \tanh^2(x)

    Below |x| = 1/2, where x - tanh x cancels, the odd series x^3/3 - 2x^5/15 + ... (22 terms,
    from the Bernoulli numbers) instead.

    >>> from actloss import activations as A
    >>> A.tanh_shrink([-1.0, 1e-10, 2.0]).round(6), float(A.tanh_shrink([1e-10])[0])
    (array([-0.238406,  0.      ,  1.035972]), 3.3333333333333338e-31)
    """
    z = x * x
    p = 0.0
    for c in TANH_SHRINK_SERIES:
        p = p * z + c
    return where(abs(x) < 0.5, x * z * p, x - tanh(x))


@generic
def tanh_shrink_df(x):
    t = tanh(x)
    return t * t


tanh_shrink = Activation(
    "tanh_shrink", tanh_shrink_f, tanh_shrink_df,
    formula=r"f(x) = x - \tanh(x)", derivative_formula=r"f'(x) = \tanh^2(x)",
    output_range="(-inf, inf)", pros=("Near 0 it is x^3 / 3: small inputs are suppressed.",),
    cons=("Rarely used; f'(0) = 0.",), reference="(PyTorch nn.Tanhshrink; Keras 3 tanh_shrink)",
    monotonic="increasing", summary="x - tanh(x).")
