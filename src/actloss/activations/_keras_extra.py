"""Keras 3's other elementwise activations: sparse_sigmoid, sparse_plus, soft_shrink,
hard_shrink, threshold, squareplus (``keras.activations``, same names and defaults).

Each is two generic functions (see ``_math``), f and f' side by side. NaN propagates.
"""

from __future__ import annotations

from ._base import Activation, check_finite
from ._math import generic

# flake8: noqa: F821 -- where, maximum, minimum, sqrt, keep_nan, inside ... bound by the executor


@generic
def sparse_sigmoid_f(x):
    r"""Sparse sigmoid (Keras ``sparse_sigmoid``): the identity's slope 1/2 clipped to [0, 1].

    .. math:: f(x) = \tfrac12 (\min(\max(x, -1), 1) + 1), \qquad f'(x) = \tfrac12 [-1 < x < 1]

    >>> from actloss import activations as A
    >>> A.sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return 0.5 * (minimum(maximum(x, -1.0), 1.0) + 1.0)


@generic
def sparse_sigmoid_df(x):
    return 0.5 * inside(x, -1.0, 1.0)


@generic
def sparse_sigmoid_dy(y):
    return 0.5 * inside(y, 0.0, 1.0)


sparse_sigmoid = Activation(
    "sparse_sigmoid", sparse_sigmoid_f, sparse_sigmoid_df, dy=sparse_sigmoid_dy, exact=True,
    outputs_probabilities=True,
    formula=r"f(x) = \frac{\min(\max(x, -1), 1) + 1}{2}",
    derivative_formula=r"f'(x) = \begin{cases} 1/2 & -1 < x < 1 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[0, 1]", pros=("Exact zeros and ones: sparse probabilities.",),
    cons=("Zero gradient outside (-1, 1).",),
    reference="Blondel, Martins & Niculae, 2019, Learning with Fenchel-Young Losses.",
    monotonic="nondecreasing", saturates=True, summary="Piecewise-linear sigmoid on [-1, 1].")


@generic
def sparse_plus_f(x):
    r"""SparsePlus (Keras ``sparse_plus``): 0 below -1, (x + 1)^2 / 4 on (-1, 1), x above.

    .. math:: f(x) = \begin{cases} 0 & x \le -1 \\ (x + 1)^2/4 & |x| < 1 \\ x & x \ge 1
              \end{cases}, \qquad f'(x) = \tfrac12 (\min(\max(x, -1), 1) + 1)

    >>> from actloss import activations as A
    >>> A.sparse_plus([-2.0, 0.0, 3.0])
    array([0.  , 0.25, 3.  ])
    """
    c = minimum(maximum(x, -1.0), 1.0) + 1.0
    return where(x >= 1.0, x, 0.25 * (c * c))


@generic
def sparse_plus_df(x):
    return 0.5 * (minimum(maximum(x, -1.0), 1.0) + 1.0)


sparse_plus = Activation(
    "sparse_plus", sparse_plus_f, sparse_plus_df,
    formula=r"f(x) = \begin{cases} 0 & x \le -1 \\ (x+1)^2/4 & |x| < 1 \\ x & x \ge 1 \end{cases}",
    derivative_formula=r"f'(x) = \tfrac12 (\operatorname{clip}(x, -1, 1) + 1)",
    output_range="[0, inf)", pros=("A C1 ReLU with exact zeros.",),
    cons=("Zero gradient below -1.",),
    reference="Blondel, Martins & Niculae, 2019, Learning with Fenchel-Young Losses.",
    monotonic="nondecreasing", can_die=True, initializer="he_normal",
    summary="Smooth ReLU with a quadratic piece on (-1, 1).")


def _check_threshold(threshold):
    check_finite("threshold", threshold, low=0.0)


@generic
def soft_shrink_f(x, threshold):
    r"""Soft shrinkage (Keras ``soft_shrink``, PyTorch ``Softshrink``), ``threshold`` t = 0.5.

    .. math:: f(x) = \begin{cases} x - t & x > t \\ x + t & x < -t \\ 0 & \text{otherwise}
              \end{cases}, \qquad f'(x) = [|x| > t]

    >>> from actloss import activations as A
    >>> A.soft_shrink([-2.0, 0.25, 1.0])
    array([-1.5,  0. ,  0.5])
    """
    return keep_nan(x, where(x > threshold, x - threshold,
                             where(x < -threshold, x + threshold, 0.0)))


@generic
def soft_shrink_df(x, threshold):
    return keep_nan(x, where(abs(x) > threshold, 1.0, 0.0))


@generic
def shrink_dy(y, threshold):
    """f' of soft_shrink and hard_shrink from y: y != 0 exactly where |x| > t."""
    return keep_nan(y, where(y != 0, 1.0, 0.0))


soft_shrink = Activation(
    "soft_shrink", soft_shrink_f, soft_shrink_df, dy=shrink_dy, exact=True,
    params={"threshold": 0.5}, check=_check_threshold,
    formula=r"f(x) = \operatorname{sign}(x) \max(|x| - t, 0)",
    derivative_formula=r"f'(x) = [|x| > t]", output_range="(-inf, inf)",
    pros=("The proximal map of the L1 norm: sparse outputs.",), cons=("Zero gradient on [-t, t].",),
    reference="Donoho, 1995, De-noising by soft-thresholding.",
    monotonic="nondecreasing", summary="Shrinks x toward 0 by t, zero inside [-t, t].")


@generic
def hard_shrink_f(x, threshold):
    r"""Hard shrinkage (Keras ``hard_shrink``, PyTorch ``Hardshrink``), ``threshold`` t = 0.5.

    .. math:: f(x) = x\,[|x| > t], \qquad f'(x) = [|x| > t]

    >>> from actloss import activations as A
    >>> A.hard_shrink([-2.0, 0.25, 1.0])
    array([-2.,  0.,  1.])
    """
    return keep_nan(x, where(abs(x) > threshold, x, 0.0))


hard_shrink = Activation(
    "hard_shrink", hard_shrink_f, soft_shrink_df, dy=shrink_dy, exact=True,
    params={"threshold": 0.5}, check=_check_threshold,
    formula=r"f(x) = x\,[|x| > t]", derivative_formula=r"f'(x) = [|x| > t]",
    output_range="(-inf, inf)", pros=("Keeps large values exactly, zeroes small ones.",),
    cons=("Discontinuous at +-t.",), reference="Donoho & Johnstone, 1994, Ideal spatial adaptation.",
    summary="x where |x| > t, else 0.")


@generic
def threshold_f(x, threshold, default_value):
    r"""Threshold (Keras ``threshold(x, threshold, default_value)``, PyTorch ``Threshold``).

    .. math:: f(x) = \begin{cases} x & x > t \\ v & x \le t \end{cases}, \qquad f'(x) = [x > t]

    Keras requires both parameters; ours default to 0 (then it is relu).

    >>> from actloss import activations as A
    >>> A.threshold([-2.0, 0.25, 1.0], 0.5, -1.0)
    array([-1., -1.,  1.])
    """
    return keep_nan(x, where(x > threshold, x, default_value))


@generic
def threshold_df(x, threshold, default_value):
    return keep_nan(x, where(x > threshold, 1.0, 0.0))


threshold = Activation(
    "threshold", threshold_f, threshold_df, exact=True,
    params={"threshold": 0.0, "default_value": 0.0},
    check=lambda threshold, default_value: (check_finite("threshold", threshold),
                                            check_finite("default_value", default_value)),
    formula=r"f(x) = \begin{cases} x & x > t \\ v & x \le t \end{cases}",
    derivative_formula=r"f'(x) = [x > t]", output_range="(-inf, inf)",
    pros=("relu with a movable threshold and floor.",), cons=("Discontinuous unless v = t.",),
    reference="(PyTorch nn.Threshold; Keras 3 activations.threshold)", can_die=True,
    summary="x above the threshold, a constant below.")


@generic
def squareplus_f(x, b):
    r"""Squareplus (Keras ``squareplus``), smoothness ``b`` = 4.

    .. math:: f(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
              f'(x) = \frac12 \Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr)

    sqrt(x^2 + b) is hypot(x, sqrt b) (no overflow); below 0 f is written b / (2 (s - x)) and
    f' as b / (2 s (s - x)), so neither cancels for large negative x. b must be > 0.

    >>> from actloss import activations as A
    >>> A.squareplus([-2.0, 0.0, 2.0]).round(6)
    array([0.414214, 1.      , 2.414214])
    """
    s = hypot(x, sqrt(b))
    return where(x < 0, 0.5 * b / (s - x), 0.5 * (x + s))


@generic
def squareplus_df(x, b):
    c = minimum(x, 1e300)  # x / s -> 1 without inf / inf
    s = hypot(c, sqrt(b))
    return where(x < 0, 0.5 * b / (s * (s - c)), 0.5 * (1.0 + c / s))


squareplus = Activation(
    "squareplus", squareplus_f, squareplus_df, params={"b": 4.0},
    check=lambda b: check_finite("b", b, low=0.0, low_open=True),
    formula=r"f(x) = \frac{x + \sqrt{x^2 + b}}{2}",
    derivative_formula=r"f'(x) = \frac12 \left(1 + \frac{x}{\sqrt{x^2 + b}}\right)",
    output_range="(0, inf)", pros=("A softplus without exp or log: a square root only.",),
    cons=("Never exactly 0.",), reference="Barron, 2021, Squareplus: A Softplus-Like Algebraic Rectifier.",
    monotonic="increasing", initializer="he_normal", summary="(x + sqrt(x^2 + b)) / 2.")
