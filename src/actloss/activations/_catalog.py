"""The activation catalog: each function's forward and derivative side by side.

Every kernel is written so that no input, finite or infinite, raises a floating-point warning
and no finite input gives NaN; see ``tests/test_activations.py`` for the ULP measurements.
"""

import numpy as np

from .._numerics import special
from ._base import Activation


def _copy_into(result, out):
    if out is None:
        return result
    np.copyto(out, result)
    return out


# ---------------------------------------------------------------- linear
def _linear(x, out=None):
    return _copy_into(x.copy() if out is None else x, out)


def _linear_grad(x):
    return np.ones_like(x)


linear = Activation(
    "linear", _linear, _linear_grad,
    backward=lambda x, y, g: g, backward_uses_input=False,
    formula=r"f(x) = x", derivative_formula=r"f'(x) = 1", output_range="(-inf, inf)",
    pros=("Output layer of a regression network.",),
    cons=("A stack of linear layers is still one linear map: no hidden layer should use it.",),
    reference="", monotonic="increasing",
    summary="The identity: the output layer of a regressor.",
)

# ---------------------------------------------------------------- relu
def _relu(x, out=None):
    # maximum(x, 0) would turn -0.0 into 0.0 and is fine; NaN propagates through np.maximum.
    return np.maximum(x, 0, out=out)


def _relu_grad(x):
    # f'(0) = 0, as PyTorch, TensorFlow and JAX choose.
    return (x > 0).astype(x.dtype)


def _relu_backward(x, y, g):
    np.multiply(g, y > 0, out=g)
    return g


relu = Activation(
    "relu", _relu, _relu_grad, backward=_relu_backward, backward_uses_input=False,
    formula=r"f(x) = \max(0, x)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
    output_range="[0, inf)",
    pros=("Cheap: one comparison.", "No saturation for x > 0, so gradients do not vanish there."),
    cons=("Dying ReLU: a unit whose input stays negative gets zero gradient and never recovers.",
          "Not zero-centred."),
    reference="Nair & Hinton, 2010, Rectified Linear Units Improve Restricted Boltzmann Machines.",
    monotonic="nondecreasing",
    summary="Rectified linear unit, the default hidden activation.",
)

# ---------------------------------------------------------------- sigmoid
def _sigmoid(x, out=None):
    # scipy's expit is exact to the last bit over the whole range and never overflows.
    return special().expit(x, out=out)


def _sigmoid_grad(x):
    # s(x) s(-x) instead of s(1 - s): 1 - s(x) cancels catastrophically for large x.
    sp = special()
    return sp.expit(x) * sp.expit(-x)


def _sigmoid_backward(x, y, g):
    # g * y * (1 - y): from the output, as in the hot path of every framework.
    np.multiply(g, y, out=g)
    g *= 1 - y
    return g


sigmoid = Activation(
    "sigmoid", _sigmoid, _sigmoid_grad, backward=_sigmoid_backward, backward_uses_input=False,
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    derivative_formula=r"\sigma'(x) = \sigma(x)\,\sigma(-x) = \sigma(x)(1 - \sigma(x))",
    output_range="(0, 1)",
    pros=("Output reads as a probability: the output layer of a binary classifier.",),
    cons=("Saturates: f'(x) <= 1/4 and tiny for |x| > 5, so deep sigmoid stacks have vanishing "
          "gradients.", "Not zero-centred."),
    reference="", monotonic="increasing",
    summary="The logistic function, squashing to (0, 1).",
)

# ---------------------------------------------------------------- tanh
def _tanh(x, out=None):
    return np.tanh(x, out=out)


def _tanh_grad(x):
    # sech(x)^2 keeps full relative accuracy where 1 - tanh(x)^2 rounds to 0.
    limit = 375.0 if x.dtype == np.float64 else 45.0
    sech = 1 / np.cosh(np.clip(x, -limit, limit))
    return sech * sech


def _tanh_backward(x, y, g):
    np.multiply(g, 1 - y * y, out=g)
    return g


tanh = Activation(
    "tanh", _tanh, _tanh_grad, backward=_tanh_backward, backward_uses_input=False,
    formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    derivative_formula=r"\tanh'(x) = 1 - \tanh^2(x) = \operatorname{sech}^2(x)",
    output_range="(-1, 1)",
    pros=("Zero-centred, which helps the next layer's optimisation.",),
    cons=("Saturates for |x| > 3: vanishing gradients in deep stacks.",),
    reference="", monotonic="increasing",
    summary="Hyperbolic tangent, a zero-centred sigmoid.",
)

# ---------------------------------------------------------------- softmax
def _softmax(x, out=None, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted, out=shifted)
    e /= np.sum(e, axis=axis, keepdims=True)
    return _copy_into(e, out)


def _softmax_vjp(x, g, axis=-1):
    return _softmax_backward(x, _softmax(x, axis=axis), g.copy(), axis=axis)


def _softmax_backward(x, y, g, axis=-1):
    # J = diag(y) - y y^T, so g J = y * (g - <g, y>).
    g -= np.sum(g * y, axis=axis, keepdims=True)
    g *= y
    return g


softmax = Activation(
    "softmax", _softmax, vjp=_softmax_vjp, backward=_softmax_backward, backward_uses_input=False,
    params={"axis": -1},
    formula=r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
    derivative_formula=(r"\frac{\partial\,\operatorname{softmax}_i}{\partial x_j} = "
                        r"s_i(\delta_{ij} - s_j), \quad g J = s \odot (g - \langle g, s\rangle)"),
    output_range="(0, 1), each row sums to 1",
    pros=("Turns logits into a probability distribution: the output of a multiclass classifier.",),
    cons=("Not elementwise: use vjp, not grad.", "A one-unit softmax is always 1."),
    reference="Bridle, 1990, Probabilistic Interpretation of Feedforward Classification Network Outputs.",
    summary="Normalised exponential over the last axis.",
)

CATALOG = {
    linear: ("identity",),
    relu: (),
    sigmoid: ("logistic",),
    tanh: (),
    softmax: (),
}
