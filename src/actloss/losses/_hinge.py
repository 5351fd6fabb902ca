"""Margin losses: hinge, squared hinge and categorical hinge (Keras definitions).

Binary labels may be -1/1 or 0/1 (0/1 are mapped to -1/1, as Keras does). Per-sample values are
the mean over the d outputs; the gradient at the kink (margin exactly 1) is taken as 0.
"""

import numpy as np

from ._base import Loss
from ._common import (REDUCED, as_targets, categorical, in_wider, keep_nan, looks_like_int_labels,
                      mul0, same_shape, two_diff)


def _signed_labels(name):
    def validate(y_true, p, **_):
        t, p = same_shape(name, y_true, p)
        if np.all((t == 0) | (t == 1)):
            return 2 * t - 1, p
        if not np.all((t == -1) | (t == 1)):
            bad = t[(t != -1) & (t != 1)][0]
            raise ValueError(f"{name}: y_true must be labels in {{-1, 1}} or {{0, 1}}; found "
                             f"{float(bad)!r}")
        return t, p
    return validate


def _hinge(t, p):
    r"""Hinge loss of -1/1 (or 0/1) labels against raw scores.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_k \max(0,\ 1 - y_k \hat y_k)

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d) scores, y_true alike with labels -1/1 or 0/1; per-sample (n,). Ours = Keras ``hinge``
    (including the 0/1 -> -1/1 mapping); PyTorch ``HingeEmbeddingLoss`` is a different loss
    (of distances), the SVM hinge there is ``MultiMarginLoss``.

    >>> from actloss import losses as L
    >>> float(L.hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]]))
    1.3
    """
    m = 1 - t * p
    return np.maximum(m, 0), keep_nan(np.where(m > 0, -t, 0), p)


hinge = Loss(
    "hinge", _hinge, validate=_signed_labels("hinge"), task="binary",
    formula=r"\ell(y, \hat y) = \frac1d\sum_k \max(0, 1 - y_k\hat y_k)" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = -\frac{y_k}{d}[y_k\hat y_k < 1]",
    pros=("Margin-based (SVM): correct predictions beyond the margin cost nothing.",),
    cons=("Not differentiable at the margin; no probabilities.",),
    reference="Keras losses.hinge",
    summary="max(0, 1 - y * score) with labels -1/1.",
)


def _squared_hinge(t, p):
    r"""Squared hinge loss of -1/1 (or 0/1) labels against raw scores.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_k \max(0,\ 1 - y_k \hat y_k)^2

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike with labels -1/1 or 0/1; per-sample (n,). Ours = Keras
    ``squared_hinge``; scikit-learn's LinearSVC 'squared_hinge' is the same function.

    >>> from actloss import losses as L
    >>> round(float(L.squared_hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])), 6)
    1.86
    """
    m = np.maximum(1 - t * p, 0)
    return m * m, -2 * t * m


squared_hinge = Loss(
    "squared_hinge", _squared_hinge,
    validate=_signed_labels("squared_hinge"), task="binary",
    formula=r"\ell(y, \hat y) = \frac1d\sum_k \max(0, 1 - y_k\hat y_k)^2" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = -\frac{2y_k}{d}"
                       r"\max(0, 1 - y_k\hat y_k)",
    pros=("Differentiable hinge.",),
    cons=("Outliers weigh quadratically.",),
    reference="Keras losses.squared_hinge",
    summary="Squared hinge with labels -1/1.",
)


@in_wider
def _categorical_hinge(t, p):
    r"""Categorical (Crammer-Singer) hinge of one-hot labels against raw class scores (Keras).

    .. math:: \ell(y, \hat y) = \max\Bigl(0,\ 1 + \max_k (1 - y_k)\hat y_k
              - \sum_k y_k \hat y_k\Bigr)

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n, C),
    y_true alike (one-hot or soft, in [0, 1]); per-sample (n,). Ours = Keras
    ``categorical_hinge`` (its max includes the 0 at the true class); PyTorch
    ``MultiMarginLoss`` sums the margins of every wrong class instead of taking the largest.
    The margin is summed with TwoSum, so values near 0 keep their relative accuracy.

    >>> from actloss import losses as L
    >>> float(L.categorical_hinge([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]]))
    1.4
    """
    neg = mul0(1 - t, p)
    j = np.argmax(neg, axis=-1)[:, None]   # NaN wins both argmax and max: a NaN margin
    top = np.max(neg, axis=-1)
    s, err = two_diff(top, np.sum(mul0(t, p), axis=-1))
    margin = np.where(np.isfinite(s), (s + 1) + err, s)   # TwoSum's error is NaN at inf
    g = -t
    np.put_along_axis(g, j, np.take_along_axis(g, j, -1) + np.take_along_axis(1 - t, j, -1), -1)
    # a NaN margin (a NaN score, or inf - inf: an undefined limit) makes the row's gradient NaN
    g = np.where(np.isnan(margin)[:, None], np.nan, g * (margin > 0)[:, None])
    return np.maximum(margin, 0), g


def _validate_categorical_hinge(y_true, p, **_):
    t = as_targets(y_true, p.dtype)
    if looks_like_int_labels(t, p):
        raise ValueError("categorical_hinge: y_true looks like integer class labels "
                         f"(shape {t.shape}); expected one-hot rows of shape {p.shape}")
    return categorical("categorical_hinge", t, p)


categorical_hinge = Loss(
    "categorical_hinge", _categorical_hinge, elementwise=False,
    validate=_validate_categorical_hinge, task="multiclass", targets="one_hot",
    formula=r"\ell(y, \hat y) = \max(0, 1 + \max_k (1 - y_k)\hat y_k - \sum_k y_k\hat y_k)"
            + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y} = [\ell > 0]\,"
                       r"\bigl((1 - y_j) e_j - y\bigr),\ j = \arg\max_k (1 - y_k)\hat y_k",
    pros=("Multiclass margin loss on raw scores.",),
    cons=("Only the strongest wrong class gets a gradient.",),
    reference="Crammer & Singer (2001); Keras losses.categorical_hinge",
    summary="Multiclass hinge: margin between the true class and the best other class.",
)
