"""Piecewise-linear activations: step, linear, relu, leaky_relu, relu6, hard_tanh, hard_sigmoid,
hard_silu.

Pure NumPy (they sit on the training hot path). Derivatives at the kinks follow PyTorch: 0 at
both ends of a clipped interval, the left slope at 0 for relu/leaky_relu. ``np.where`` and
``np.heaviside`` cost about 4-5 ns per element on the CI machine, ten times a comparison, so
the masks below are written with ``np.sign``/``np.maximum``, which also carry NaN through.
"""

import numpy as np

from .._numerics import blockwise, fast32
from ._base import Activation, check_finite


def _keep_nan_mask(x):
    """max(sign(x), 0): 1 where x > 0, 0 where x <= 0, NaN where x is NaN."""
    s = np.sign(x)
    return np.maximum(s, 0, out=s)


def _inside(x, lo, hi):
    """1 where lo < x < hi, 0 elsewhere (also at lo and hi), NaN where x is NaN."""
    s = np.sign(x - lo)
    s *= np.sign(hi - x)
    return np.maximum(s, 0, out=s)


# ---------------------------------------------------------------- step
def _step(x, out=None):
    r"""Heaviside step: 1 for x >= 0, 0 below.

    .. math:: f(x) = [x \ge 0], \qquad f'(x) = 0 \ (x \ne 0)

    ``grad`` is 0 everywhere (the jump at 0 has no derivative; we return 0 there too, as
    autograd frameworks do), which is why a network of step units cannot learn by gradient
    descent: the perceptron rule, not back-propagation, trains it. NumPy's ``heaviside(x, 1)``.

    >>> from actloss import activations as A
    >>> A.step([-2.0, 0.0, 3.0]), A.step.grad([-2.0, 0.0, 3.0])
    (array([0., 1., 1.]), array([0., 0., 0.]))
    """
    s = np.sign(x, out=out)
    s += 1
    return np.minimum(s, 1, out=s)


def _step_grad(x):
    return np.minimum(np.abs(x), 0)  # 0, or NaN where x is NaN


def _step_backward(x, y, g):
    g[...] = 0
    return g


step = Activation(
    "step", _step, _step_grad, backward=_step_backward, backward_uses_input=False,
    formula=r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
    derivative_formula=r"f'(x) = 0 \text{ (taken as 0 at } x = 0\text{ too)}",
    output_range="{0, 1}",
    pros=("The original threshold unit (McCulloch-Pitts, Rosenblatt's perceptron): a yes/no "
          "output.", "Exactly representable; one comparison."),
    cons=("Zero gradient everywhere: gradient descent cannot train it.",
          "Discontinuous at 0."),
    reference="McCulloch & Pitts, 1943, A Logical Calculus of the Ideas Immanent in Nervous "
              "Activity; Rosenblatt, 1958, The Perceptron.",
    monotonic="nondecreasing", summary="Binary threshold: 1 for x >= 0, else 0.")


# ---------------------------------------------------------------- linear
def _linear(x, out=None):
    r"""Identity, the output of a regressor (Keras ``linear``, PyTorch ``nn.Identity``).

    .. math:: f(x) = x, \qquad f'(x) = 1

    >>> from actloss import activations as A
    >>> A.linear([-2.0, 3.0]), A.identity.grad([-2.0, 3.0])
    (array([-2.,  3.]), array([1., 1.]))
    """
    if out is None:
        return x.copy()
    if out is not x:
        np.copyto(out, x)
    return out


def _linear_grad(x):
    r = np.minimum(np.abs(x), 0)  # 0, or NaN where x is NaN
    r += 1
    return r


linear = Activation(
    "linear", _linear, _linear_grad, backward=lambda x, y, g: g, backward_uses_input=False,
    formula=r"f(x) = x", derivative_formula=r"f'(x) = 1", output_range="(-inf, inf)",
    pros=("Output layer of a regression network.", "Exact and free."),
    cons=("A stack of linear layers is still one linear map: no hidden layer should use it.",),
    reference="(identity map; no paper)", monotonic="increasing",
    summary="The identity: the output layer of a regressor.")


# ---------------------------------------------------------------- relu
def _relu(x, out=None):
    r"""Rectified linear unit.

    .. math:: f(x) = \max(0, x), \qquad f'(x) = [x > 0]

    f'(0) = 0, as PyTorch, TensorFlow and JAX choose. Exact in every dtype.

    >>> from actloss import activations as A
    >>> A.relu([-2.0, 0.0, 3.0]), A.relu.grad([-2.0, 0.0, 3.0])
    (array([0., 0., 3.]), array([0., 0., 1.]))
    """
    return np.maximum(x, 0, out=out)


def _relu_backward(x, y, g):
    return np.multiply(g, y > 0, out=g)


relu = Activation(
    "relu", _relu, _keep_nan_mask, backward=_relu_backward, backward_uses_input=False,
    formula=r"f(x) = \max(0, x)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
    output_range="[0, inf)",
    pros=("Cheap: one comparison.", "No saturation for x > 0, so gradients do not vanish there.",
          "Sparse activations."),
    cons=("Dying ReLU: a unit whose input stays negative gets zero gradient and never recovers.",
          "Not zero-centred; unbounded above."),
    reference="Nair & Hinton, 2010, Rectified Linear Units Improve Restricted Boltzmann Machines.",
    monotonic="nondecreasing", summary="Rectified linear unit, the default hidden activation.")


# ---------------------------------------------------------------- leaky_relu
def _leaky_relu(x, out=None, alpha=0.01):
    r"""Leaky ReLU with negative slope ``alpha`` (default 0.01, also accepted as
    ``negative_slope``).

    .. math:: f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}, \qquad
              f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}

    Defaults differ between peers: PyTorch ``negative_slope=0.01`` (ours); Keras 3's function
    ``keras.activations.leaky_relu(x, negative_slope=0.2)`` (like ``tf.nn.leaky_relu``) but
    its layer ``LeakyReLU(negative_slope=0.3)`` (Keras 2: ``alpha=0.3``). ``alpha`` must be
    >= 0 (as the Keras layers require), so that the sign of f(x) is the sign of x and
    ``backward`` can work from the output alone. One rounding of alpha x, in the dtype of x
    (float32: with alpha rounded to float32 first, as NumPy, PyTorch and Keras do).

    >>> from actloss import activations as A
    >>> A.get("leaky_relu", alpha=0.1)([-2.0, 3.0])
    array([-0.2,  3. ])
    """
    if alpha == 0:
        return np.maximum(x, 0, out=out)
    if (r := fast32("leaky_relu", x, out, float(alpha))) is not None:
        return r  # one pass, two threads: the NumPy path below is two passes on one
    with np.errstate(over="ignore"):  # alpha > 1: alpha x may round to inf, as it should
        t = np.multiply(x, alpha, dtype=x.dtype)
    return (np.maximum if alpha <= 1 else np.minimum)(x, t, out=out)


def _leaky_relu_grad(x, alpha=0.01):
    if (r := fast32("leaky_relu_grad", x, None, float(alpha))) is not None:
        return r
    s = np.sign(x)
    if alpha <= 1:  # max(sign, alpha): 1 for x > 0, alpha for x <= 0, NaN kept
        return np.maximum(s, x.dtype.type(alpha), out=s)
    return np.where(x > 0, s, x.dtype.type(alpha)) + 0 * s


def _leaky_relu_backward(x, y, g, alpha=0.01):
    return np.multiply(g, _leaky_relu_grad(y, alpha), out=g)


def _check_alpha_nonneg(alpha):
    check_finite("alpha", alpha, low=0.0)


leaky_relu = Activation(
    "leaky_relu", _leaky_relu, _leaky_relu_grad, backward=_leaky_relu_backward,
    backward_uses_input=False, params={"alpha": 0.01},
    param_aliases={"negative_slope": "alpha"}, check=_check_alpha_nonneg,
    formula=r"f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
    derivative_formula=r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}",
    output_range="(-inf, inf)",
    pros=("Keeps a small gradient for x < 0, so units do not die.", "As cheap as ReLU."),
    cons=("One more hyperparameter (alpha); peers disagree on its default.",),
    reference="Maas, Hannun & Ng, 2013, Rectifier Nonlinearities Improve Neural Network "
              "Acoustic Models.",
    monotonic="increasing", summary="ReLU with a small slope alpha for x < 0.")


# ---------------------------------------------------------------- relu6, hard_tanh
def _relu6(x, out=None):
    r"""ReLU capped at 6 (MobileNet).

    .. math:: f(x) = \min(\max(0, x), 6), \qquad f'(x) = [0 < x < 6]

    The derivative is 0 at both kinks, as in PyTorch. Exact in every dtype.

    >>> from actloss import activations as A
    >>> A.relu6([-1.0, 3.0, 9.0]), A.relu6.grad([-1.0, 3.0, 9.0])
    (array([0., 3., 6.]), array([0., 1., 0.]))
    """
    return np.clip(x, 0, 6, out=out)


def _relu6_grad(x):
    return _inside(x, 0, 6)


def _relu6_backward(x, y, g):
    return np.multiply(g, _inside(y, 0, 6), out=g)


relu6 = Activation(
    "relu6", _relu6, _relu6_grad, backward=_relu6_backward, backward_uses_input=False,
    formula=r"f(x) = \min(\max(0, x), 6)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & 0 < x < 6 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[0, 6]",
    pros=("Bounded output, robust under low-precision (fixed-point) arithmetic.",),
    cons=("Zero gradient above 6 as well as below 0.",),
    reference="Krizhevsky, 2010, Convolutional Deep Belief Networks on CIFAR-10; Howard et al., "
              "2017, MobileNets.",
    monotonic="nondecreasing", summary="ReLU clipped at 6.")


def _hard_tanh(x, out=None):
    r"""Piecewise-linear tanh: the identity clipped to [-1, 1] (PyTorch ``Hardtanh``, Keras 3
    ``hard_tanh``).

    .. math:: f(x) = \min(\max(-1, x), 1), \qquad f'(x) = [-1 < x < 1]

    >>> from actloss import activations as A
    >>> A.hard_tanh([-3.0, 0.5, 3.0])
    array([-1. ,  0.5,  1. ])
    """
    return np.clip(x, -1, 1, out=out)


def _hard_tanh_grad(x):
    return _inside(x, -1, 1)


def _hard_tanh_backward(x, y, g):
    return np.multiply(g, _inside(y, -1, 1), out=g)


hard_tanh = Activation(
    "hard_tanh", _hard_tanh, _hard_tanh_grad, backward=_hard_tanh_backward,
    backward_uses_input=False,
    formula=r"f(x) = \min(\max(-1, x), 1)",
    derivative_formula=r"f'(x) = \begin{cases} 1 & -1 < x < 1 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[-1, 1]",
    pros=("Zero-centred like tanh, at the cost of a clip.",),
    cons=("Zero gradient outside [-1, 1]: saturates abruptly.",),
    reference="Collobert, 2004, Large Scale Machine Learning (PhD thesis).",
    monotonic="nondecreasing", summary="tanh's piecewise-linear cousin: clip(x, -1, 1).")


# ---------------------------------------------------------------- hard_sigmoid, hard_silu
def _hard_sigmoid_kernel(x):
    return (np.clip(x, -3, 3) + 3) / 6


def _hard_sigmoid(x, out=None):
    r"""Piecewise-linear sigmoid, Keras 3 / PyTorch definition.

    .. math:: f(x) = \frac{\operatorname{relu6}(x + 3)}{6}, \qquad
              f'(x) = \tfrac16 [-3 < x < 3]

    Keras 2 (and ``tf.keras`` before 2.16) used 0.2 x + 0.5 clipped to [0, 1] instead: slope
    1/5, kinks at +-2.5. Evaluated in extended precision (float64 for float32, long double for
    float64) so that x + 3 is exact: one rounding, within 1 ULP.

    >>> from actloss import activations as A
    >>> A.hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return blockwise(_hard_sigmoid_kernel, x, out, wide=np.longdouble)


def _hard_sigmoid_grad(x):
    r = _inside(x, -3, 3)
    r /= 6
    return r


def _hard_sigmoid_backward(x, y, g):
    r = _inside(y, 0, 1)
    r /= 6
    return np.multiply(g, r, out=g)


hard_sigmoid = Activation(
    "hard_sigmoid", _hard_sigmoid, _hard_sigmoid_grad, backward=_hard_sigmoid_backward,
    backward_uses_input=False,
    formula=r"f(x) = \frac{\min(\max(0, x + 3), 6)}{6}",
    derivative_formula=r"f'(x) = \begin{cases} 1/6 & -3 < x < 3 \\ 0 & \text{otherwise} \end{cases}",
    output_range="[0, 1]",
    pros=("No exponential: cheap on mobile and fixed-point hardware.",),
    cons=("Zero gradient outside (-3, 3).",
          "Keras 2 defined it differently (0.2 x + 0.5): weights do not transfer."),
    reference="Courbariaux, Bengio & David, 2015, BinaryConnect; Howard et al., 2019, "
              "Searching for MobileNetV3.",
    monotonic="nondecreasing", summary="Piecewise-linear sigmoid relu6(x + 3) / 6.")


def _hard_silu_kernel(x):
    return np.maximum(x, -3) * (np.clip(x, -3, 3) + 3) / 6


def _hard_silu(x, out=None):
    r"""Hard SiLU / hard swish (MobileNetV3; Keras 3 ``hard_silu``, PyTorch ``Hardswish``).

    .. math:: f(x) = x \, \frac{\operatorname{relu6}(x + 3)}{6}, \qquad
              f'(x) = \begin{cases} 0 & x < -3 \\ (2x + 3)/6 & -3 \le x \le 3 \\ 1 & x > 3
              \end{cases}

    The derivative's values at the kinks are PyTorch's. Evaluated in extended precision
    (float64 for float32, long double for float64): within 1 ULP.

    >>> from actloss import activations as A
    >>> A.hard_silu([-4.0, -1.5, 0.0, 3.0]), A.hard_swish.grad([-1.5])
    (array([-0.   , -0.375,  0.   ,  3.   ]), array([0.]))
    """
    return blockwise(_hard_silu_kernel, x, out, wide=np.longdouble)


def _hard_silu_grad_kernel(x):
    r = (2 * np.clip(x, -3, 3) + 3) / 6
    r = np.where(x < -3, 0, r)
    return np.where(x > 3, 1, r)


def _hard_silu_grad(x):
    return blockwise(_hard_silu_grad_kernel, x, wide=np.longdouble)


hard_silu = Activation(
    "hard_silu", _hard_silu, _hard_silu_grad,
    formula=r"f(x) = x \, \frac{\min(\max(0, x + 3), 6)}{6}",
    derivative_formula=(r"f'(x) = \begin{cases} 0 & x < -3 \\ (2x + 3)/6 & -3 \le x \le 3 "
                        r"\\ 1 & x > 3 \end{cases}"),
    output_range="[-0.375, inf)",
    pros=("SiLU's shape without an exponential: cheap on mobile hardware.",),
    cons=("Non-monotonic dip on (-3, -1.5); kinks at +-3.",),
    reference="Howard et al., 2019, Searching for MobileNetV3.",
    monotonic=None, summary="x * hard_sigmoid(x), the cheap swish.")

PIECEWISE = {
    step: ("heaviside", "binary_step"),
    linear: ("identity",),
    relu: (),
    leaky_relu: (),
    relu6: (),
    hard_tanh: (),
    hard_sigmoid: (),
    hard_silu: ("hard_swish",),
}
