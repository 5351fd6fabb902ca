"""Piecewise-linear activations: step, linear, relu, leaky_relu, relu6, hard_tanh, hard_sigmoid,
hard_silu, and Keras's sparse_sigmoid, sparse_plus, soft_shrink, hard_shrink, threshold.

Each is two generic functions (see ``_math``): f and f', side by side; ``dy`` where f' is a
function of the output alone. Derivatives at the kinks follow PyTorch: the left slope at a
threshold (relu'(0) = 0), 0 at both ends of a clipped interval. NaN propagates through f and f'.
"""

from __future__ import annotations

import math

from .._validation import check_number
from ._base import Activation, check_finite
from ._math import generic

# Names bound by the executor (see _math): where, maximum, minimum, sign, INF, keep_nan,
# positive, ... -- flake8 cannot see them.
# flake8: noqa: F821


@generic
def inside(x, lo, hi):
    """1 where lo < x < hi, 0 elsewhere (also at lo and hi), NaN where x is NaN."""
    return keep_nan(x, where(x > lo, where(x < hi, 1.0, 0.0), 0.0))


# ---------------------------------------------------------------- step, linear
@generic
def step_f(x):
    r"""Heaviside step: 1 for x >= 0, 0 below.

    .. math:: f(x) = [x \ge 0], \qquad f'(x) = 0

    ``grad`` is 0 everywhere (the jump at 0 has no derivative; we return 0 there too, as
    autograd frameworks do), which is why a network of step units cannot learn by gradient
    descent: the perceptron rule, not back-propagation, trains it.

    >>> from actloss import activations as A
    >>> A.step([-2.0, 0.0, 3.0]), A.step.grad([-2.0, 0.0, 3.0])
    (array([0., 1., 1.]), array([0., 0., 0.]))
    """
    return keep_nan(x, where(x >= 0, 1.0, 0.0))


@generic
def step_df(x):
    return keep_nan(x, 0.0)


step = Activation(
    "step", step_f, step_df, dy=step_df, exact=True,
    formula=r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
    derivative_formula=r"f'(x) = 0 \text{ (taken as 0 at } x = 0\text{ too)}",
    output_range="{0, 1}",
    pros=("The original threshold unit (McCulloch-Pitts, Rosenblatt's perceptron): a yes/no "
          "output.", "Exactly representable; one comparison."),
    cons=("Zero gradient everywhere: gradient descent cannot train it.", "Discontinuous at 0."),
    reference="McCulloch & Pitts, 1943, A Logical Calculus of the Ideas Immanent in Nervous "
              "Activity; Rosenblatt, 1958, The Perceptron.",
    monotonic="nondecreasing", can_die=True, saturates=True,
    summary="Binary threshold: 1 for x >= 0, else 0.")


@generic
def linear_f(x):
    r"""Identity, the output of a regressor (Keras ``linear``, PyTorch ``nn.Identity``).

    .. math:: f(x) = x, \qquad f'(x) = 1

    >>> from actloss import activations as A
    >>> A.linear([-2.0, 3.0]), A.identity.grad([-2.0, 3.0])
    (array([-2.,  3.]), array([1., 1.]))
    """
    return x * 1.0  # a copy, -0.0 kept


@generic
def linear_df(x):
    return keep_nan(x, 1.0)


linear = Activation(
    "linear", linear_f, linear_df, dy=linear_df, exact=True,
    formula=r"f(x) = x", derivative_formula=r"f'(x) = 1", output_range="(-inf, inf)",
    pros=("Output layer of a regression network.", "Exact and free."),
    cons=("A stack of linear layers is still one linear map: no hidden layer should use it.",),
    reference="(identity map; no paper)", monotonic="increasing", identity=True,
    summary="The identity: the output layer of a regressor.")


# ---------------------------------------------------------------- relu, leaky_relu
@generic
def relu_f(x, negative_slope, max_value, threshold):
    r"""Rectified linear unit, with Keras's options.

    .. math:: f(x) = \begin{cases} \min(x, m) & x > \theta \\ s\,(x - \theta) & x \le \theta
              \end{cases}, \qquad f'(x) = \begin{cases} [x < m] & x > \theta \\ s & x \le \theta
              \end{cases}

    Defaults: ``negative_slope`` s = 0, ``max_value`` m = None (no cap), ``threshold``
    theta = 0, which is max(0, x) (exact in every dtype) with f'(0) = 0, as PyTorch,
    TensorFlow and JAX choose. ``A.relu(x, max_value=6.0)`` is relu6. One difference from
    Keras's composition: with a negative threshold and a max_value, Keras also clips the
    values in (threshold, 0) to 0; we keep x there.

    >>> from actloss import activations as A
    >>> A.relu([-2.0, 0.0, 3.0]), A.relu.grad([-2.0, 0.0, 3.0])
    (array([0., 0., 3.]), array([0., 0., 1.]))
    >>> A.relu([-2.0, 3.0, 9.0], negative_slope=0.5, max_value=5.0)
    array([-1.,  3.,  5.])
    """
    if negative_slope == 0 and threshold == 0:
        y = maximum(x, 0.0)
    else:
        low = negative_slope * (x - threshold) if negative_slope != 0 else 0.0
        y = keep_nan(x, where(x > threshold, x, low))
    return y if max_value == INF else minimum(y, max_value)


@generic
def relu_df(x, negative_slope, max_value, threshold):
    if negative_slope == 0 and threshold == 0 and max_value == INF:
        return positive(x)
    top = 1.0 if max_value == INF else where(x < max_value, 1.0, 0.0)
    return keep_nan(x, where(x > threshold, top, negative_slope))


@generic
def relu_dy(y, negative_slope, max_value, threshold):
    """f' from y = f(x) when threshold = 0: y > 0 exactly where x > 0 (s >= 0). With the
    defaults y >= 0 or NaN, so f' = sign(y) (one pass: the layers' backward of every ReLU)."""
    if negative_slope == 0 and max_value == INF:
        return sign(y)  # noqa: F821 - bound by the executor
    return relu_df(y, negative_slope, max_value, threshold)


def _relu_params(negative_slope, max_value, threshold):
    return (negative_slope, INF if max_value is None else max_value, threshold)


def _check_relu(negative_slope, max_value, threshold):
    check_finite("negative_slope", negative_slope, low=0.0)
    check_finite("threshold", threshold)
    if max_value is not None:
        check_number("max_value", max_value, low=0.0)


INF = math.inf

relu = Activation(
    "relu", relu_f, relu_df, dy=relu_dy,
    dy_ok=lambda negative_slope, max_value, threshold: threshold == 0,
    exact=lambda negative_slope, max_value, threshold: negative_slope == 0,
    params={"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    kernel_params=_relu_params, check=_check_relu,
    formula=r"f(x) = \max(0, x)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
    output_range="[0, inf)",
    pros=("Cheap: one comparison.", "No saturation for x > 0, so gradients do not vanish there.",
          "Sparse activations."),
    cons=("Dying ReLU: a unit whose input stays negative gets zero gradient and never recovers.",
          "Not zero-centred; unbounded above."),
    reference="Nair & Hinton, 2010, Rectified Linear Units Improve Restricted Boltzmann Machines.",
    monotonic="nondecreasing", can_die=True, initializer="he_normal",
    summary="Rectified linear unit, the default hidden activation.")


@generic
def leaky_relu_f(x, negative_slope):
    r"""Leaky ReLU with slope ``negative_slope`` below 0 (default 0.2; ``alpha`` is accepted too).

    .. math:: f(x) = \begin{cases} x & x > 0 \\ s\,x & x \le 0 \end{cases}, \qquad
              f'(x) = \begin{cases} 1 & x > 0 \\ s & x \le 0 \end{cases}

    Defaults differ between peers: Keras 3's function ``keras.activations.leaky_relu(x,
    negative_slope=0.2)`` (ours, like ``tf.nn.leaky_relu``); Keras's layer
    ``LeakyReLU(negative_slope=0.3)``; PyTorch ``negative_slope=0.01``. s must be >= 0, so that
    the sign of f(x) is the sign of x and the layers can back-propagate from the output. s x is
    the correctly rounded product with the float64 s (NumPy, PyTorch and Keras round s to
    float32 first, which can differ by one ULP, and turns s = 1e-300 into 0).

    >>> from actloss import activations as A
    >>> A.leaky_relu([-2.0, 3.0]), A.leaky_relu([-2.0, 3.0], negative_slope=0.1)
    (array([-0.4,  3. ]), array([-0.2,  3. ]))
    """
    low = negative_slope * x if negative_slope != 0 else 0.0
    return keep_nan(x, where(x > 0, x, low))


@generic
def leaky_relu_df(x, negative_slope):
    return keep_nan(x, where(x > 0, 1.0, negative_slope))


leaky_relu = Activation(
    "leaky_relu", leaky_relu_f, leaky_relu_df, dy=leaky_relu_df,
    exact=lambda negative_slope: negative_slope == 0,
    params={"negative_slope": 0.2}, param_aliases={"alpha": "negative_slope"},
    check=lambda negative_slope: check_finite("negative_slope", negative_slope, low=0.0),
    formula=r"f(x) = \begin{cases} x & x > 0 \\ s\,x & x \le 0 \end{cases}",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ s & x \le 0 \end{cases}",
    output_range="(-inf, inf)",
    pros=("Keeps a small gradient for x < 0, so units do not die.", "As cheap as ReLU."),
    cons=("One more hyperparameter (the slope); peers disagree on its default.",),
    reference="Maas, Hannun & Ng, 2013, Rectifier Nonlinearities Improve Neural Network "
              "Acoustic Models.",
    monotonic="increasing", initializer="he_normal",
    summary="ReLU with a small slope for x < 0.")


# ---------------------------------------------------------------- relu6, hard_tanh
@generic
def relu6_f(x):
    r"""ReLU capped at 6 (MobileNet).

    .. math:: f(x) = \min(\max(0, x), 6), \qquad f'(x) = [0 < x < 6]

    The derivative is 0 at both kinks, as in PyTorch. Exact in every dtype.

    >>> from actloss import activations as A
    >>> A.relu6([-1.0, 3.0, 9.0]), A.relu6.grad([-1.0, 3.0, 9.0])
    (array([0., 3., 6.]), array([0., 1., 0.]))
    """
    return minimum(maximum(x, 0.0), 6.0)


@generic
def relu6_df(x):
    return inside(x, 0.0, 6.0)


relu6 = Activation(
    "relu6", relu6_f, relu6_df, dy=relu6_df, exact=True,
    formula=r"f(x) = \min(\max(0, x), 6)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & 0 < x < 6 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[0, 6]",
    pros=("Bounded output, robust under low-precision (fixed-point) arithmetic.",),
    cons=("Zero gradient above 6 as well as below 0.",),
    reference="Krizhevsky, 2010, Convolutional Deep Belief Networks on CIFAR-10; Howard et al., "
              "2017, MobileNets.",
    monotonic="nondecreasing", can_die=True, initializer="he_normal",
    summary="ReLU clipped at 6.")


@generic
def hard_tanh_f(x):
    r"""Piecewise-linear tanh: the identity clipped to [-1, 1] (PyTorch ``Hardtanh``, Keras 3
    ``hard_tanh``).

    .. math:: f(x) = \min(\max(-1, x), 1), \qquad f'(x) = [-1 < x < 1]

    >>> from actloss import activations as A
    >>> A.hard_tanh([-3.0, 0.5, 3.0])
    array([-1. ,  0.5,  1. ])
    """
    return minimum(maximum(x, -1.0), 1.0)


@generic
def hard_tanh_df(x):
    return inside(x, -1.0, 1.0)


hard_tanh = Activation(
    "hard_tanh", hard_tanh_f, hard_tanh_df, dy=hard_tanh_df, exact=True,
    formula=r"f(x) = \min(\max(-1, x), 1)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & -1 < x < 1 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[-1, 1]",
    pros=("Zero-centred like tanh, at the cost of a clip.",),
    cons=("Zero gradient outside [-1, 1]: saturates abruptly.",),
    reference="Collobert, 2004, Large Scale Machine Learning (PhD thesis).",
    monotonic="nondecreasing", saturates=True,
    summary="tanh's piecewise-linear cousin: clip(x, -1, 1).")


# ---------------------------------------------------------------- hard_sigmoid, hard_silu
@generic
def hard_sigmoid_f(x):
    r"""Piecewise-linear sigmoid, Keras 3 / PyTorch definition.

    .. math:: f(x) = \frac{\operatorname{relu6}(x + 3)}{6}, \qquad
              f'(x) = \tfrac16 [-3 < x < 3]

    Keras 2 (and ``tf.keras`` before 2.16) used 0.2 x + 0.5 clipped to [0, 1] instead: slope
    1/5, kinks at +-2.5.

    >>> from actloss import activations as A
    >>> A.hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return (minimum(maximum(x, -3.0), 3.0) + 3.0) / 6.0


@generic
def hard_sigmoid_df(x):
    return inside(x, -3.0, 3.0) / 6.0


@generic
def hard_sigmoid_dy(y):
    return inside(y, 0.0, 1.0) / 6.0


hard_sigmoid = Activation(
    "hard_sigmoid", hard_sigmoid_f, hard_sigmoid_df, dy=hard_sigmoid_dy, outputs_probabilities=True,
    formula=r"f(x) = \frac{\min(\max(0, x + 3), 6)}{6}",
    derivative_formula=r"f'(x) = \begin{cases} 1/6 & -3 < x < 3 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[0, 1]",
    pros=("No exponential: cheap on mobile and fixed-point hardware.",),
    cons=("Zero gradient outside (-3, 3).",
          "Keras 2 defined it differently (0.2 x + 0.5): weights do not transfer."),
    reference="Courbariaux, Bengio & David, 2015, BinaryConnect; Howard et al., 2019, "
              "Searching for MobileNetV3.",
    monotonic="nondecreasing", saturates=True,
    summary="Piecewise-linear sigmoid relu6(x + 3) / 6.")


@generic
def hard_silu_f(x):
    r"""Hard SiLU / hard swish (MobileNetV3; Keras 3 ``hard_silu``, PyTorch ``Hardswish``).

    .. math:: f(x) = x \, \frac{\operatorname{relu6}(x + 3)}{6}, \qquad
              f'(x) = \begin{cases} 0 & x < -3 \\ (2x + 3)/6 & -3 \le x \le 3 \\ 1 & x > 3
              \end{cases}

    The derivative's values at the kinks are PyTorch's.

    >>> from actloss import activations as A
    >>> A.hard_silu([-4.0, -1.5, 0.0, 3.0]), A.hard_swish.grad([-1.5])
    (array([-0.   , -0.375,  0.   ,  3.   ]), array([0.]))
    """
    return maximum(x, -3.0) * (minimum(maximum(x, -3.0), 3.0) + 3.0) / 6.0


@generic
def hard_silu_df(x):
    mid = (2.0 * minimum(maximum(x, -3.0), 3.0) + 3.0) / 6.0
    return where(x < -3.0, 0.0, where(x > 3.0, 1.0, mid))


hard_silu = Activation(
    "hard_silu", hard_silu_f, hard_silu_df,
    formula=r"f(x) = x \, \frac{\min(\max(0, x + 3), 6)}{6}",
    derivative_formula=(r"f'(x) = \begin{cases} 0 & x < -3 \\ (2x + 3)/6 & -3 \le x \le 3 "
                        r"\\ 1 & x > 3 \end{cases}"),
    output_range="[-0.375, inf)",
    pros=("SiLU's shape without an exponential: cheap on mobile hardware.",),
    cons=("Non-monotonic dip on (-3, -1.5); kinks at +-3.",),
    reference="Howard et al., 2019, Searching for MobileNetV3.",
    can_die=True, initializer="he_normal", summary="x * hard_sigmoid(x), the cheap swish.")
