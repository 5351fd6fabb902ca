"""Regression losses on the error e = y_pred - y_true: MSE, RMSE, MAE, Smooth L2, Huber, Smooth L1.

Every per-sample loss is the mean over the sample's d outputs (Keras); gradients are with respect
to y_pred. The reductions (``'mean'`` = sum(w l)/n, ``'sum'``, ``'none'``) and ``sample_weight``
are the Loss object's (see :mod:`actloss.losses._base`). Shapes: y_pred (n,) or (n, d); y_true the
same shape, with (n,) against (n, 1) accepted; per-sample values (n,).
"""

import numpy as np

from .._validation import check_number
from ._base import Loss
from ._common import REDUCED, in_wider, same_shape, scaled_rows, validator


# ---------------------------------------------------------------- mean squared error
def _mse(t, p):
    r"""Mean squared error.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k=1}^{d} (\hat y_k - y_k)^2

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Errors of 1e200 overflow to inf honestly, with no
    warning. Ours = Keras ``mean_squared_error`` = PyTorch ``mse_loss`` (same scaling, no 1/2);
    optax ``l2_loss`` is half of it (our ``smooth_l2``).

    >>> from actloss import losses as L
    >>> float(L.mse([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]))
    0.5
    """
    e = p - t
    return e * e, 2 * e


mean_squared_error = Loss(
    "mean_squared_error", _mse, validate=validator(same_shape, "mean_squared_error"),
    formula=r"\ell(y, \hat y) = \frac{1}{d}\sum_{k=1}^{d} (\hat y_k - y_k)^2" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{2}{d}(\hat y_k - y_k)",
    pros=("Smooth; the maximum-likelihood loss under Gaussian noise.",),
    cons=("Sensitive to outliers: an error of 10 costs 100.",),
    reference="Keras losses.mean_squared_error; torch.nn.MSELoss",
    summary="Mean of squared errors.",
)


# ---------------------------------------------------------------- root mean squared error
@in_wider
def _rmse(t, p):
    r"""Root mean squared error of each sample.

    .. math:: \ell(y, \hat y) = \sqrt{\frac{1}{d}\sum_{k=1}^{d} (\hat y_k - y_k)^2}, \quad
              \frac{\partial\ell}{\partial\hat y_k} = \frac{\hat y_k - y_k}{d\,\ell}

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Computed with e scaled by max |e| first (value and
    gradient), so errors of 1e200 and 1e-300 are exact (no overflow or underflow of the
    squares). The gradient at a zero error is 0; an infinite error gives inf with gradient
    sign(e)/sqrt(d) there and 0 elsewhere (the limit); two or more infinite errors give NaN
    gradient entries there (the limit depends on how they grow).

    Ours: the per-sample RMSE, then the reduction (the custom Keras loss
    ``sqrt(mean(square(e), axis=-1))``); with one output per sample it equals |e|, so the batch
    'mean' equals MAE. Peers: scikit-learn ``root_mean_squared_error`` and Keras's
    ``RootMeanSquaredError`` metric take the root after averaging over all samples:
    ``sqrt(L.mse(y, p))``.

    >>> from actloss import losses as L
    >>> L.rmse.per_sample([[0., 0.], [0., 0.]], [[3., 4.], [1., 1.]])
    array([3.53553391, 1.        ])
    """
    e = p - t
    m, r = scaled_rows(e)
    rms = np.sqrt(np.mean(r * r, axis=-1, keepdims=True))
    g = r / (p.shape[-1] * np.where(rms > 0, rms, 1))
    # several infinite errors: the gradient's direction depends on how they grow (undefined)
    several = np.add.reduce(np.isinf(e), axis=-1, keepdims=True) > 1
    return (m * rms)[:, 0], np.where(several & np.isinf(e), np.nan, g)


root_mean_squared_error = Loss(
    "root_mean_squared_error", _rmse, elementwise=False,
    validate=validator(same_shape, "root_mean_squared_error"),
    formula=r"\ell(y, \hat y) = \sqrt{\frac{1}{d}\sum_{k} (\hat y_k - y_k)^2}" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{\hat y_k - y_k}{d\,\ell}"
                       r"\ (0 \text{ where } \ell = 0)",
    pros=("In the units of the target.",),
    cons=("Per sample with one output it is |e| (MAE); sqrt(L.mse(y, p)) is the "
          "scikit-learn RMSE.", "Not differentiable at a zero error."),
    reference="scikit-learn root_mean_squared_error (root of the overall mean)",
    summary="Root of the mean squared error of each sample.",
)


# ---------------------------------------------------------------- mean absolute error
def _mae(t, p):
    r"""Mean absolute error.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k=1}^{d} |\hat y_k - y_k|

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Gradient sign(e)/d, 0 at e = 0 (as PyTorch's
    ``l1_loss`` and Keras). Ours = Keras ``mean_absolute_error`` = PyTorch ``l1_loss``.

    >>> from actloss import losses as L
    >>> float(L.mae([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]))
    0.5
    """
    e = p - t
    return np.abs(e), np.sign(e)


mean_absolute_error = Loss(
    "mean_absolute_error", _mae, validate=validator(same_shape, "mean_absolute_error"),
    formula=r"\ell(y, \hat y) = \frac{1}{d}\sum_{k} |\hat y_k - y_k|" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = "
                       r"\frac{1}{d}\operatorname{sign}(\hat y_k - y_k)",
    pros=("Robust to outliers; the median is its minimiser.",),
    cons=("Gradient of constant size: no slowing down near the optimum.",),
    reference="Keras losses.mean_absolute_error; torch.nn.L1Loss",
    summary="Mean of absolute errors.",
)


# ---------------------------------------------------------------- smooth L2 (half MSE)
def _smooth_l2(t, p):
    r"""Smooth L2: half the mean squared error.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k=1}^{d} \tfrac12 (\hat y_k - y_k)^2

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Ours = optax ``l2_loss`` (which notes the 1/2);
    Keras/PyTorch MSE is twice it. The gradient is simply the error e/d.

    >>> from actloss import losses as L
    >>> float(L.smooth_l2([0., 0.], [1., 3.]))
    2.5
    """
    e = p - t
    return 0.5 * (e * e), e


smooth_l2 = Loss(
    "smooth_l2", _smooth_l2, validate=validator(same_shape, "smooth_l2"),
    formula=r"\ell(y, \hat y) = \frac{1}{2d}\sum_{k} (\hat y_k - y_k)^2" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{1}{d}(\hat y_k - y_k)",
    pros=("The gradient is the error itself.",),
    cons=("Outlier-sensitive, like MSE.",),
    reference="optax.l2_loss",
    summary="Half the mean squared error (0.5 MSE).",
)


# ---------------------------------------------------------------- Huber and Smooth L1
def _check_positive(name):
    def check(**params):
        check_number(name, params[name], low=0, low_open=name == "delta")
    return check


def _huber(t, p, delta=1.0):
    r"""Huber loss, Keras/optax scaling.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k} \begin{cases} \tfrac12 e_k^2 & |e_k| \le
              \delta \\ \delta(|e_k| - \tfrac12\delta) & |e_k| > \delta \end{cases},
              \quad e = \hat y - y

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Computed as m(|e| - m/2) with m = min(|e|, delta), so
    errors of 1e200 stay finite. Ours = Keras ``Huber`` = optax ``huber_loss`` = PyTorch
    ``huber_loss``; PyTorch ``smooth_l1_loss`` (our ``smooth_l1``) is huber/beta.

    >>> from actloss import losses as L
    >>> float(L.huber([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]]))
    0.155
    """
    e = p - t
    a = np.abs(e)
    m = np.minimum(a, delta)
    return m * (a - 0.5 * m), np.clip(e, -delta, delta)


huber = Loss(
    "huber", _huber, validate=validator(same_shape, "huber"),
    params={"delta": 1.0}, check=_check_positive("delta"),
    formula=r"\ell = \frac1d\sum_k \tfrac12 e_k^2 \ (|e_k|\le\delta),\ "
            r"\delta(|e_k| - \tfrac12\delta)\ (|e_k|>\delta)" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = "
                       r"\frac{1}{d}\operatorname{clip}(e_k, -\delta, \delta)",
    pros=("Quadratic near 0, linear for outliers: robust and smooth.",
          "Gradient bounded by delta."),
    cons=("delta is in the units of the target and must be tuned.",),
    reference="Huber (1964); Keras losses.Huber; optax.huber_loss; torch.nn.HuberLoss",
    summary="Quadratic for small errors, linear beyond delta (Keras scaling).",
)


def _smooth_l1(t, p, beta=1.0):
    r"""Smooth L1 loss, PyTorch scaling: Huber divided by beta.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k} \begin{cases} \tfrac{1}{2\beta} e_k^2 &
              |e_k| < \beta \\ |e_k| - \tfrac12\beta & |e_k| \ge \beta \end{cases}
              = \frac{\mathrm{huber}_{\delta=\beta}}{\beta}, \quad e = \hat y - y

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). ``beta=0`` is plain L1 (MAE), as in PyTorch.

    Ours = ``torch.nn.functional.smooth_l1_loss`` (checked in the tests); Keras/optax Huber is
    beta times it. The tutorials' ``np.maximum(0.5*e**2, abs(e)-0.5)`` is *not* Smooth L1: since
    0.5 e^2 >= |e| - 0.5 for every e, it equals half the squared error (smooth_l2) everywhere.

    >>> from actloss import losses as L
    >>> float(L.smooth_l1([0., 0.], [0.5, 2.0]))
    0.8125
    """
    e = p - t
    a = np.abs(e)
    if beta == 0:
        return a, np.sign(e)
    m = np.minimum(a, beta)
    return (np.where(a < beta, (0.5 * m) * m / beta, a - 0.5 * beta),
            np.clip(e, -beta, beta) / beta)


smooth_l1 = Loss(
    "smooth_l1", _smooth_l1,
    validate=validator(same_shape, "smooth_l1"),
    params={"beta": 1.0}, check=_check_positive("beta"),
    formula=r"\ell = \frac1d\sum_k \frac{e_k^2}{2\beta}\ (|e_k|<\beta),\ "
            r"|e_k| - \tfrac12\beta\ (|e_k|\ge\beta);\ = \mathrm{huber}_\beta / \beta" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = "
                       r"\frac{1}{d}\operatorname{clip}(e_k/\beta, -1, 1)",
    pros=("Slope 1 for large errors whatever beta (unlike Huber, whose slope is delta).",
          "The box-regression loss of Fast R-CNN."),
    cons=("The tutorials' max(0.5 e^2, |e| - 0.5) formula is half-MSE, not this.",),
    reference="Girshick, Fast R-CNN (2015); torch.nn.SmoothL1Loss",
    summary="PyTorch's Smooth L1: Huber(delta=beta) / beta; beta=0 is L1.",
)
