"""The classic smooth activations: sigmoid, tanh, elu, exponential, softsign, softplus,
log_sigmoid.

NumPy. float32 inputs are evaluated in float64 blocks (see ``actloss._numerics``) because
NumPy's float32 ``exp``/``expm1`` are off by up to 2.6 ULP, or, for large arrays when Numba is
installed, by the one-pass kernels of ``actloss._fast32``; float64 inputs in float64 with an
error-free correction (sigmoid, tanh', elu) or, for the rarer ones, in long double.
"""

import numpy as np

from .._numerics import (blockwise, fast32, fused, log_sigmoid as _log_sigmoid_f,
                         sigmoid as _sigmoid_f, sigmoid_grad, sigmoid_grad_kernel,
                         softplus as _softplus_f)
from ._base import Activation, check_finite


# ---------------------------------------------------------------- sigmoid
def _sigmoid(x, out=None):
    r"""The logistic function.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
              \sigma'(x) = \sigma(x)\,\sigma(-x) = \frac{e^{-|x|}}{(1 + e^{-|x|})^2}

    Never overflows (e^{-x} = inf gives 1/inf = 0), within 2 ULP in float32 and float64:
    float32 is evaluated in float64 blocks; float64 corrects the rounding of 1 + e^{-|x|}.
    The derivative is 1 / (2 + 2 cosh x) in float64 for float32, e^{-|x|} / (1 + e^{-|x|})^2
    in long double for float64.
    The derivative is computed from x, not as s (1 - s), which loses every digit for x > 37;
    the layers' ``backward`` uses y (1 - y) from the output, the usual hot-path shortcut.

    >>> from actloss import activations as A
    >>> A.sigmoid([-800.0, 0.0, 800.0]), A.logistic.grad([0.0])
    (array([0. , 0.5, 1. ]), array([0.25]))
    """
    return _sigmoid_f(x, out)


def _sigmoid_backward(x, y, g):
    g *= y
    t = np.subtract(1, y, dtype=y.dtype)
    g *= t
    return g


sigmoid = Activation(
    "sigmoid", _sigmoid, sigmoid_grad, backward=_sigmoid_backward, backward_uses_input=False,
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    derivative_formula=r"\sigma'(x) = \sigma(x)\,\sigma(-x) = \sigma(x)(1 - \sigma(x))",
    output_range="(0, 1)",
    pros=("Output reads as a probability: the output layer of a binary classifier.",
          "Smooth and monotonic."),
    cons=("Saturates: f'(x) <= 1/4 and tiny for |x| > 5, so deep sigmoid stacks have vanishing "
          "gradients.", "Not zero-centred."),
    reference="Verhulst, 1845 (logistic curve); Rumelhart, Hinton & Williams, 1986, Learning "
              "Representations by Back-propagating Errors.",
    monotonic="increasing", summary="The logistic function, squashing to (0, 1).")


# ---------------------------------------------------------------- tanh
def _tanh_fused(xb, ob, s):
    np.tanh(xb, out=s, dtype=np.float64)
    np.copyto(ob, s, casting="same_kind")


def _tanh(x, out=None):
    r"""Hyperbolic tangent.

    .. math:: \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad
              \tanh'(x) = \operatorname{sech}^2(x) = 4\,\sigma'(2x)

    ``np.tanh`` is within 1 ULP in float64; float32 is evaluated in float64 blocks. The
    derivative is 4 sigma'(2x) (long double for float64, 2 / (1 + cosh 2x) in float64 for
    float32), with full relative accuracy where 1 - tanh^2 rounds to 0 (|x| > 19); the
    layers' ``backward`` uses 1 - y^2 from the output.

    >>> from actloss import activations as A
    >>> A.tanh([0.0, 1000.0]), A.tanh.grad([0.0])
    (array([0., 1.]), array([1.]))
    """
    if x.dtype == np.float64:
        return np.tanh(x, out=out)
    if (r := fast32("tanh", x, out)) is not None:
        return r
    return fused(_tanh_fused, x, out)


def _tanh_grad_kernel(x):
    r = sigmoid_grad_kernel(2 * x)
    r *= 4
    return r


def _tanh_grad_fused(xb, ob, s):
    """sech^2(x) = 2 / (1 + cosh 2x) in float64 for float32 results (cosh -> inf gives 0)."""
    np.multiply(xb, 2.0, out=s, dtype=np.float64)
    np.cosh(s, out=s)
    s += 1.0
    np.divide(2.0, s, out=ob)


def _tanh_grad(x):
    if x.dtype == np.float64:  # long double: 4 sigma'(2x) in float64 reaches 3 ULP
        return blockwise(_tanh_grad_kernel, x, wide=np.longdouble)
    if (r := fast32("tanh_grad", x)) is not None:
        return r
    return fused(_tanh_grad_fused, x)


def _tanh_backward(x, y, g):
    t = np.multiply(y, y)
    np.subtract(1, t, out=t)
    return np.multiply(g, t, out=g)


tanh = Activation(
    "tanh", _tanh, _tanh_grad, backward=_tanh_backward, backward_uses_input=False,
    formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    derivative_formula=r"\tanh'(x) = 1 - \tanh^2(x) = \operatorname{sech}^2(x)",
    output_range="(-1, 1)",
    pros=("Zero-centred, which helps the next layer's optimisation.",
          "Stronger gradient than sigmoid (f'(0) = 1)."),
    cons=("Saturates for |x| > 3: vanishing gradients in deep stacks.",),
    reference="LeCun, Bottou, Orr & Mueller, 1998, Efficient BackProp.",
    monotonic="increasing", summary="Hyperbolic tangent, a zero-centred sigmoid.")


# ---------------------------------------------------------------- elu
def _elu_kernel(x, alpha):
    r = np.minimum(x, 0)
    np.expm1(r, out=r)
    if alpha != 1:
        r *= alpha
    r += np.maximum(x, 0)
    return r


def _elu_fused(xb, ob, s, alpha):
    # alpha (e^x - 1) >= x for x <= 0 when alpha <= 1, so elu = max(x, alpha expm1(min(x, 0)))
    np.minimum(xb, 0, out=s, dtype=np.float64)
    np.expm1(s, out=s)
    if alpha != 1:
        s *= alpha
    np.maximum(xb, s, out=ob)


def _elu(x, out=None, alpha=1.0):
    r"""Exponential linear unit.

    .. math:: f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases},
              \qquad f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}

    ``alpha`` (default 1.0, as Keras and PyTorch) must be > 0. ``expm1`` of min(x, 0), so the
    untaken branch never overflows; f'(0) = alpha (PyTorch's choice). float32 in float64 blocks.

    >>> from actloss import activations as A
    >>> A.elu([-1.0, 0.0, 2.0]).round(6), A.elu.grad([-1.0, 2.0]).round(6)
    (array([-0.632121,  0.      ,  2.      ]), array([0.367879, 1.      ]))
    """
    if (r := fast32("elu", x, out, float(alpha))) is not None:
        return r
    if x.dtype == np.float64 or alpha > 1:
        return blockwise(lambda b: _elu_kernel(b, alpha), x, out)
    return fused(lambda xb, ob, s: _elu_fused(xb, ob, s, alpha), x, out)


def _elu_grad_kernel(x, alpha):
    r = np.minimum(x, 0)
    np.exp(r, out=r)
    if alpha == 1:
        return r
    r *= alpha
    if alpha < 1:  # 1 for x > 0: alpha * e^0 = alpha < 1 there
        return np.maximum(r, x > 0, out=r)
    return np.where(x > 0, 1, r)


def _elu_grad(x, alpha=1.0):
    if (r := fast32("elu_grad", x, None, float(alpha))) is not None:
        return r
    if x.dtype == np.float64 or alpha != 1:
        return blockwise(lambda b: _elu_grad_kernel(b, alpha), x)
    r = np.minimum(x, 0)  # e^{min(x, 0)}: exact min in float32, exp in float64, one rounding
    with np.errstate(under="ignore"):
        return np.exp(r, out=r, dtype=np.float64)


def _elu_backward(x, y, g, alpha=1.0):
    # f'(x) = y + alpha for x <= 0 (y <= 0), 1 above; from the output.
    t = np.minimum(y, 0)
    t += alpha
    if alpha <= 1:
        np.maximum(t, y > 0, out=t)
    else:
        t = np.where(y > 0, 1, t)
    return np.multiply(g, t, out=g)


elu = Activation(
    "elu", _elu, _elu_grad, backward=_elu_backward, backward_uses_input=False,
    params={"alpha": 1.0}, check=lambda alpha: check_finite("alpha", alpha, low=0, low_open=True),
    formula=r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
    output_range="(-alpha, inf)",
    pros=("Negative outputs push mean activations toward 0, which speeds up learning.",
          "Smooth for alpha = 1; no dead units."),
    cons=("An exponential per negative input: slower than ReLU.",),
    reference="Clevert, Unterthiner & Hochreiter, 2016, Fast and Accurate Deep Network Learning "
              "by Exponential Linear Units (ELUs).",
    monotonic="increasing", summary="Exponential linear unit: x above 0, alpha (e^x - 1) below.")


# ---------------------------------------------------------------- exponential
def _exp_kernel(x):
    return np.exp(x)


def _exponential(x, out=None):
    r"""The exponential (Keras ``exponential``).

    .. math:: f(x) = e^{x}, \qquad f'(x) = e^{x}

    Overflows to inf above log(max) (709.78 in float64, 88.72 in float32), which is the
    correctly rounded value, without a warning. float32 in float64 blocks.

    >>> from actloss import activations as A
    >>> A.exponential([0.0, 1000.0])
    array([ 1., inf])
    """
    return blockwise(_exp_kernel, x, out)


exponential = Activation(
    "exponential", _exponential, lambda x: _exponential(x),
    backward=lambda x, y, g: np.multiply(g, y, out=g), backward_uses_input=False,
    formula=r"f(x) = e^{x}", derivative_formula=r"f'(x) = e^{x}", output_range="(0, inf)",
    pros=("Positive output: a rate (Poisson regression) or a scale parameter.",),
    cons=("Overflows for x > 709.78 (float64) / 88.72 (float32); exploding gradients.",),
    reference="(exponential; the link of Poisson regression, Nelder & Wedderburn, 1972)",
    monotonic="increasing", summary="e^x: a positive output (rates, scales).")


# ---------------------------------------------------------------- softsign
def _softsign_kernel(x):
    x = np.clip(x, -2.0**70, 2.0**70)  # +-inf -> +-1 without inf/inf; |x| > 2^70 rounds to +-1
    return x / (1 + np.abs(x))


def _softsign_grad_kernel(x):
    d = 1 + np.abs(x)
    return 1 / (d * d)


def _softsign(x, out=None):
    r"""Softsign.

    .. math:: f(x) = \frac{x}{1 + |x|}, \qquad f'(x) = \frac{1}{(1 + |x|)^2}

    Evaluated in extended precision (float64 for float32, long double for float64) so that
    1 + |x| is exact enough: within 1 ULP.

    >>> from actloss import activations as A
    >>> A.softsign([-1.0, 0.0, 3.0]), A.softsign.grad([1.0])
    (array([-0.5 ,  0.  ,  0.75]), array([0.25]))
    """
    return blockwise(_softsign_kernel, x, out, wide=np.longdouble)


softsign = Activation(
    "softsign", _softsign, lambda x: blockwise(_softsign_grad_kernel, x, wide=np.longdouble),
    formula=r"f(x) = \frac{x}{1 + |x|}", derivative_formula=r"f'(x) = \frac{1}{(1 + |x|)^2}",
    output_range="(-1, 1)",
    pros=("Zero-centred like tanh but with polynomial tails: saturates more slowly.",),
    cons=("Still saturating; rarely better than tanh in practice.",),
    reference="Bergstra, Desjardins, Lamblin & Bengio, 2009, Quadratic Polynomials Learn Better "
              "Image Features.",
    monotonic="increasing", summary="x / (1 + |x|), a slowly saturating tanh.")


# ---------------------------------------------------------------- softplus, log_sigmoid
def _softplus(x, out=None):
    r"""Softplus, a smooth ReLU.

    .. math:: f(x) = \log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|}), \qquad
              f'(x) = \sigma(x)

    No threshold shortcut: PyTorch's ``Softplus(beta=1, threshold=20)`` returns x for x > 20
    and so drops a term of e^{-20} = 2e-9 (millions of float64 ULP); Keras and JAX use the
    exact form, as we do. float64 is evaluated in long double, float32 in float64.

    >>> from actloss import activations as A
    >>> A.softplus([-50.0, 0.0, 1000.0])
    array([1.92874985e-22, 6.93147181e-01, 1.00000000e+03])
    """
    return _softplus_f(x, out)


softplus = Activation(
    "softplus", _softplus, lambda x: _sigmoid_f(x),
    formula=r"f(x) = \log(1 + e^{x})", derivative_formula=r"f'(x) = \sigma(x)",
    output_range="(0, inf)",
    pros=("Smooth everywhere, positive: a variance or rate output.",),
    cons=("Slower than ReLU (exp and log); never exactly 0, so no sparsity.",),
    reference="Dugas, Bengio, Belisle, Nadeau & Garcia, 2001, Incorporating Second-Order "
              "Functional Knowledge for Better Option Pricing.",
    monotonic="increasing", summary="log(1 + e^x), a smooth ReLU.")


def _log_sigmoid(x, out=None):
    r"""Logarithm of the logistic function (PyTorch ``LogSigmoid``, Keras ``log_sigmoid``).

    .. math:: f(x) = \log \sigma(x) = -\operatorname{softplus}(-x), \qquad f'(x) = \sigma(-x)

    Written min(x, 0) - log1p(e^{-|x|}), so f(x) -> x exactly for large negative x, where
    log(sigmoid(x)) would give -inf. float64 in long double, float32 in float64.

    >>> from actloss import activations as A
    >>> A.log_sigmoid([-1000.0, 0.0, 50.0])
    array([-1.00000000e+03, -6.93147181e-01, -1.92874985e-22])
    """
    return _log_sigmoid_f(x, out)


log_sigmoid = Activation(
    "log_sigmoid", _log_sigmoid, lambda x: _sigmoid_f(np.negative(x)),
    formula=r"f(x) = \log \sigma(x) = -\log(1 + e^{-x})", derivative_formula=r"f'(x) = \sigma(-x)",
    output_range="(-inf, 0)",
    pros=("The stable log-probability of a binary classifier's positive class.",),
    cons=("Unbounded below; mainly an output/loss building block.",),
    reference="(log-likelihood of logistic regression; Cox, 1958)",
    monotonic="increasing", summary="log(sigmoid(x)), stable for large |x|.")

CLASSIC = {
    sigmoid: ("logistic",),
    tanh: (),
    elu: (),
    exponential: (),
    softsign: (),
    softplus: (),
    log_sigmoid: (),
}
