"""Row-wise activations: softmax and log_softmax (not elementwise: ``grad`` raises, use ``vjp``).

Pure NumPy (the multiclass output layer is on the hot path). The stable kernels live in
``actloss._numerics``, shared with the losses.
"""

import numpy as np

from .._numerics import log_softmax as _log_softmax_f, softmax as _softmax_f, softmax_vjp
from .._validation import check_number
from ._base import Activation


def _check_axis(axis):
    check_number("axis", axis, integer=True)


def _softmax(x, out=None, axis=-1):
    r"""Softmax along ``axis`` (default -1, as Keras and ``torch.softmax(x, dim=-1)``).

    .. math:: s_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j, \qquad
              g J = s \odot (g - \langle g, s \rangle)

    Stable for logits of any size (+-1e4 and beyond) and rows of one element (always 1).
    In float64 the rounding error of x_i - m is put back, so every entry is within 2 ULP;
    float32 rows are evaluated in float64 blocks. Rows with +inf entries share their mass
    among them; rows of -inf only are uniform. Not elementwise: ``grad`` raises, use ``vjp``.

    >>> from actloss import activations as A
    >>> A.softmax([[1e4, 1e4, -1e4]])
    array([[0.5, 0.5, 0. ]])
    """
    return _softmax_f(x, axis=axis, out=out)


def _softmax_backward(x, y, g, axis=-1):
    # J = diag(y) - y y^T, so g J = y * (g - <g, y>).
    t = np.multiply(g, y)
    g -= np.sum(t, axis=axis, keepdims=True)
    g *= y
    return g


softmax = Activation(
    "softmax", _softmax, vjp=lambda x, g, axis=-1: softmax_vjp(x, g, axis), backward=_softmax_backward, backward_uses_input=False,
    params={"axis": -1}, check=_check_axis,
    formula=r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
    derivative_formula=(r"\frac{\partial\,\operatorname{softmax}_i}{\partial x_j} = "
                        r"s_i(\delta_{ij} - s_j), \quad g J = s \odot (g - \langle g, s\rangle)"),
    output_range="(0, 1), each row sums to 1",
    pros=("Turns logits into a probability distribution: the output of a multiclass "
          "classifier.", "Paired with cross-entropy its gradient is simply p - y."),
    cons=("Not elementwise: use vjp, not grad.", "A one-unit softmax is always 1.",
          "Invariant to adding a constant to a row: logits are not identifiable."),
    reference="Bridle, 1990, Probabilistic Interpretation of Feedforward Classification "
              "Network Outputs.",
    monotonic=None, summary="Normalised exponential over the last axis.")


def _log_softmax(x, out=None, axis=-1):
    r"""Log-softmax along ``axis`` (default -1): the log-probabilities of a classifier.

    .. math:: f(x)_i = x_i - m - \log \sum_j e^{x_j - m}, \qquad
              g J = g - \operatorname{softmax}(x) \sum_j g_j

    The maximal entry is -log1p(sum of the others' e^{x_j - m}), so it keeps full relative
    accuracy when the others are tiny (log(sum) would round it to 0). Stable for any logits.

    >>> from actloss import activations as A
    >>> A.log_softmax([[0.0, -1000.0]])
    array([[    0., -1000.]])
    """
    return _log_softmax_f(x, axis=axis, out=out)


def _log_softmax_backward(x, y, g, axis=-1):
    # softmax = exp(y), so g J = g - exp(y) * sum(g).
    total = np.sum(g, axis=axis, keepdims=True)
    p = np.exp(y)
    p *= total
    g -= p
    return g


def _log_softmax_vjp(x, g, axis=-1):
    return _log_softmax_backward(x, _log_softmax(x, axis=axis), g.copy(), axis=axis)


log_softmax = Activation(
    "log_softmax", _log_softmax, vjp=_log_softmax_vjp, backward=_log_softmax_backward,
    backward_uses_input=False, params={"axis": -1}, check=_check_axis,
    formula=r"f(x)_i = x_i - \log \sum_j e^{x_j}",
    derivative_formula=(r"\frac{\partial f_i}{\partial x_j} = \delta_{ij} - s_j, \quad "
                        r"g J = g - \operatorname{softmax}(x) \textstyle\sum_j g_j"),
    output_range="(-inf, 0], logsumexp of each row is 0",
    pros=("Log-probabilities without underflow: pair it with the negative log-likelihood.",),
    cons=("Not elementwise: use vjp, not grad.",),
    reference="(log of Bridle's softmax; the log-likelihood of multinomial logistic regression)",
    monotonic=None, summary="x - logsumexp(x) over the last axis.")

SOFTMAX = {softmax: (), log_softmax: ()}
