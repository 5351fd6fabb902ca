"""More regression losses: log-cosh, MAPE, MSLE and cosine similarity (Keras definitions).

Per-sample values are the mean over the d outputs (cosine similarity: over the vector), gradients
are with respect to y_pred, reductions and ``sample_weight`` are the Loss object's. These are not
on the training hot path, so they run in a wider float type (float32 in float64, float64 in long
double where available) and round once.
"""

import numpy as np

from ._base import Loss
from ._common import REDUCED, in_wider, nonnegative_targets, same_shape, scaled_rows, validator

_LN2 = np.log(np.longdouble(2))
_SWITCH = 4.0  # log_cosh: log1p(2 sinh(a/2)^2) below, a - log 2 + log1p(exp(-2a)) above


# ---------------------------------------------------------------- log-cosh
@in_wider
def _log_cosh(t, p):
    r"""Logarithm of the hyperbolic cosine of the error.

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k} \log\cosh(\hat y_k - y_k)

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Never evaluates cosh (which overflows at 710): below
    |e| = 4 it is log1p(2 sinh(|e|/2)^2) (exact for tiny errors), above |e| - log 2 +
    log1p(exp(-2|e|)), finite for errors of 1e4 and 1e200. Ours = Keras ``log_cosh`` (Keras
    writes the second form for all e, which loses the small errors to cancellation).

    >>> from actloss import losses as L
    >>> round(float(L.log_cosh([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]])), 6)
    0.108445
    """
    e = p - t
    a = np.abs(e)
    s = np.sinh(0.5 * np.minimum(a, _SWITCH))
    big = (a - _LN2.astype(a.dtype)) + np.log1p(np.exp(-2 * np.maximum(a, _SWITCH)))
    return np.where(a < _SWITCH, np.log1p(2 * (s * s)), big), np.tanh(e)


log_cosh = Loss(
    "log_cosh", _log_cosh,
    validate=validator(same_shape, "log_cosh"),
    formula=r"\ell(y, \hat y) = \frac1d\sum_k \log\cosh(\hat y_k - y_k)" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac1d\tanh(\hat y_k - y_k)",
    pros=("About e^2/2 for small errors and |e| - log 2 for large ones: a smooth Huber.",),
    cons=("No parameter to set where the quadratic regime ends (it is near |e| = 1).",),
    reference="Keras losses.log_cosh",
    summary="log(cosh(error)), computed without cosh.",
)


# ---------------------------------------------------------------- MAPE
_KERAS_EPS = float(np.float32(1e-7))


@in_wider
def _mape(t, p):
    r"""Mean absolute percentage error (Keras).

    .. math:: \ell(y, \hat y) = \frac{100}{d}\sum_{k}
              \frac{|\hat y_k - y_k|}{\max(|y_k|, \epsilon)}, \quad \epsilon = 10^{-7}

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Ours = Keras ``mean_absolute_percentage_error``
    (percent, epsilon = float32(1e-7), so y_true = 0 gives a large finite value); scikit-learn's
    ``mean_absolute_percentage_error`` is a fraction (no factor 100) with epsilon 2.2e-16.

    >>> from actloss import losses as L
    >>> float(L.mape([[2., 1.], [2., 3.]], [[1., 1.], [1., 0.]]))
    50.0
    """
    e = p - t
    scale = 100 / np.maximum(np.abs(t), _KERAS_EPS)
    return np.abs(e) * scale, np.sign(e) * scale


mean_absolute_percentage_error = Loss(
    "mean_absolute_percentage_error", _mape,
    validate=validator(same_shape, "mean_absolute_percentage_error"),
    formula=r"\ell = \frac{100}{d}\sum_k \frac{|\hat y_k - y_k|}{\max(|y_k|, 10^{-7})}" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{100}{d}\,"
                       r"\frac{\operatorname{sign}(\hat y_k - y_k)}{\max(|y_k|, 10^{-7})}",
    pros=("Scale-free: errors relative to the target, in percent.",),
    cons=("Explodes for targets near 0; penalises over-prediction more than under-prediction "
          "of positive targets.",),
    reference="Keras losses.mean_absolute_percentage_error",
    summary="Mean absolute error relative to |y_true|, in percent.",
)


# ---------------------------------------------------------------- MSLE
def _log1p_ratio(t, p):
    """log1p(p) - log1p(t) without cancellation: log1p((p - t)/(1 + t)) when the ratio
    (1 + p)/(1 + t) is within [1/2, 2], log of the ratio otherwise."""
    ratio = (1 + p) / (1 + t)
    close = (ratio > 0.5) & (ratio < 2)
    u = np.where(close, (p - t) / (1 + t), 0)
    return np.where(close, np.log1p(u), np.log(np.where(close, 1, ratio)))


@in_wider
def _msle(t, p):
    r"""Mean squared logarithmic error (Keras).

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k}
              \bigl(\log(1 + \max(\hat y_k, 0)) - \log(1 + y_k)\bigr)^2

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike; per-sample (n,). Negative targets raise ValueError. Ours: exact
    log1p, with a negative prediction counted as 0 (gradient 0 there), and the difference of
    logs taken as one log of the ratio (no cancellation). Keras clips both at 1e-7 first;
    scikit-learn raises for negative predictions.

    >>> from actloss import losses as L
    >>> round(float(L.msle([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])), 6)
    0.240227
    """
    q = np.maximum(p, 0)
    r = _log1p_ratio(t, q)
    # d/dq = 2 r / (1 + q); its limit at q = inf is 0 (log grows slower than q)
    g = np.where(q == np.inf, 0, 2 * r / (1 + q))
    return r * r, np.where(p < 0, 0, g)


mean_squared_logarithmic_error = Loss(
    "mean_squared_logarithmic_error", _msle,
    validate=validator(nonnegative_targets, "mean_squared_logarithmic_error"),
    formula=r"\ell = \frac1d\sum_k (\log(1 + \max(\hat y_k, 0)) - \log(1 + y_k))^2" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{2}{d}\,"
                       r"\frac{\log(1+\hat y_k) - \log(1+y_k)}{1 + \hat y_k}\ (0 \text{ if } "
                       r"\hat y_k < 0)",
    pros=("Relative errors for targets spanning orders of magnitude (counts, prices).",),
    cons=("Needs non-negative targets; under-prediction costs more than over-prediction.",),
    reference="Keras losses.mean_squared_logarithmic_error",
    summary="MSE of log(1 + y): relative error for positive targets.",
)


# ---------------------------------------------------------------- cosine similarity
def _unit(x):
    """(x / |x|, |x|) row-wise, scaled so the squares neither overflow nor underflow; a zero row
    gives (0, 0); a row with infinite entries the direction of those entries."""
    m, r = scaled_rows(x)
    norm = np.sqrt(np.sum(r * r, axis=-1, keepdims=True))
    return r / np.where(norm > 0, norm, 1), m * norm


def _several_inf_limit(tu, p, dtype):
    """Per row: the limit of the loss where p holds two or more infinite entries, else NaN.

    Along a path where the infinite entries I grow, p/|p| tends to any unit vector u supported
    on I with the signs of p there, so the loss tends to some value in the closed interval
    -[max_u a.u, min_u a.u] with a_k = sign(p_k) y_k/|y| on I: max_u a.u = |a+| (the norm of
    the positive part) when a has a positive entry, max(a) otherwise; min_u a.u alike. The
    limit, rounded to ``dtype``, exists where both ends round to one value (a = 0: 0); it is
    -max(a.u) then, NaN otherwise (it depends on how the entries grow)."""
    inf = np.isinf(p)
    a = np.where(inf, np.sign(p) * tu, 0)
    scale = np.max(np.abs(a), axis=-1, keepdims=True)
    b = a / np.where(scale > 0, scale, 1)                # no underflow of the squares below
    pos = scale[:, 0] * np.sqrt(np.sum(np.maximum(b, 0) ** 2, axis=-1))
    neg = scale[:, 0] * np.sqrt(np.sum(np.minimum(b, 0) ** 2, axis=-1))
    top = np.where(pos > 0, pos, np.max(np.where(inf, a, -np.inf), axis=-1))
    bottom = np.where(neg > 0, -neg, np.min(np.where(inf, a, np.inf), axis=-1))
    same = (-top).astype(dtype) == (-bottom).astype(dtype)
    several = np.add.reduce(inf, axis=-1) > 1
    return np.where(several, np.where(same, -top, np.nan), np.nan), several


@in_wider(pass_dtype=True)
def _cosine(t, p, dtype=None):
    r"""Negative cosine similarity of each sample's target and prediction vectors (Keras sign).

    .. math:: \ell(y, \hat y) = -\frac{\sum_k y_k \hat y_k}{\lVert y\rVert\,\lVert \hat y\rVert}
              \in [-1, 1]

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n, d),
    y_true alike ((n,) is n vectors of length 1); per-sample (n,). A zero vector gives 0 and a
    zero gradient. Infinite predictions give the limit: one infinite entry is the direction
    sign(p_k) e_k; with several, the loss is 0 where y is 0 at all of them (y.p stays finite)
    and NaN where y weighs one of them (the limit depends on how they grow; unless every
    possible limit rounds to one value of the dtype); the gradient, of size at most 2/|p|,
    tends to 0 in every case. Ours = Keras ``cosine_similarity`` (minus the cosine, so
    minimising aligns the vectors; norms computed with scaling, no 1e-12 epsilon). PyTorch
    ``cosine_similarity`` returns +cos (a similarity, not a loss); ``CosineEmbeddingLoss``
    uses 1 - cos. Float16 is computed, like every loss, as float32 and rounded. Where the dot
    product cancels deeply (orthogonal vectors with large entries) it is redone exactly.

    >>> from actloss import losses as L
    >>> float(L.cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]))
    -0.5
    """
    tu, _ = _unit(t)
    pu, norm = _unit(p)
    terms = tu * pu
    c = np.sum(terms, axis=-1)
    # y.p cancelling deeper than the wider type's extra bits cover: redo those rows exactly
    extra = np.finfo(p.dtype).nmant - np.finfo(dtype).nmant - 3
    deep = (np.abs(c) * 2.0 ** extra < np.sum(np.abs(terms), axis=-1)) & np.isfinite(norm[:, 0])
    if deep.any():
        c[deep] = [_exact_cosine(a, b) for a, b in zip(t[deep], p[deep])]
    value = -c
    grad = -(tu - c[:, None] * pu) / np.where(norm > 0, norm, np.inf)
    if np.isposinf(norm).any():
        limit, several = _several_inf_limit(tu, p, dtype)
        value = np.where(several, limit, value)
    return value, grad


def _exact_cosine(t, p):
    """y.p / (|y| |p|) of one finite row: the dot product and the squared norms exact
    (fractions: the inputs are binary fractions), the square roots and the quotient in decimal
    at 40 digits, rounded once."""
    import decimal
    from fractions import Fraction
    y, q = [Fraction(float(a)) for a in t], [Fraction(float(b)) for b in p]
    with decimal.localcontext() as ctx:
        ctx.prec = 40

        def dec(x):
            return decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)
        dot = dec(sum(a * b for a, b in zip(y, q)))
        return float(dot / (dec(sum(a * a for a in y)).sqrt() * dec(sum(b * b for b in q)).sqrt()))


cosine_similarity = Loss(
    "cosine_similarity", _cosine, elementwise=False, params={"axis": -1},
    validate=validator(same_shape, "cosine_similarity"), output_range="[-1, 1]",
    formula=r"\ell(y, \hat y) = -\frac{y\cdot\hat y}{\lVert y\rVert\lVert\hat y\rVert}" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y} = -\frac{1}{\lVert\hat y\rVert}"
                       r"\left(\frac{y}{\lVert y\rVert} - \cos\theta\,\frac{\hat y}"
                       r"{\lVert\hat y\rVert}\right)",
    pros=("Ignores the length of the prediction: only its direction counts.",),
    cons=("Negative by design (Keras sign): -1 is a perfect match.",),
    reference="Keras losses.cosine_similarity",
    summary="Minus the cosine of the angle between target and prediction.",
)
