"""Cross-entropies: binary, categorical, sparse categorical and scikit-learn's log loss.

From logits they use log-sigmoid / log-sum-exp, never a probability; from probabilities they take
exact logs (no 1e-7 clipping). A probability of exactly 0 (or 1) against its label is clamped to
the smallest normal number ``tiny`` of the dtype: the loss there is -log(tiny) = 708.4 (float64)
or 87.3 (float32), the same as at p = tiny and more than at any larger p, so the loss stays
monotone in p and finite, and the gradient 1/tiny is finite. PyTorch instead clamps the log at
-100, which makes every p below 3.7e-44 cost the same 100; Keras clips p to [1e-7, 1 - 1e-7],
which changes the value of every confident prediction.

These are the training hot path: pure NumPy, a few passes each, no validation in the kernels.
"""

import math

import numpy as np

from .._validation import check_choice, check_number
from ._base import Loss
from ._common import (REDUCED, as_targets, binary_labels, categorical, check_range, keep_nan, mul0,
                      probabilities, tiny, two_diff)


def _check_smoothing(**params):
    check_choice("from_logits", params["from_logits"], (False, True))
    check_number("label_smoothing", params["label_smoothing"], low=0, high=1)


# ---------------------------------------------------------------- shared pieces
def _rowsum(x):
    return np.add.reduce(x, axis=-1)  # np.sum's wrapper costs 3 us per call on small arrays


def log_probs(p, floor):
    """(log P, log Q), P = max(p, floor), Q = max(1 - p, floor): finite at p = 0 and p = 1."""
    return np.log(np.maximum(p, floor)), np.maximum(np.log1p(-p), np.log(floor))


def sigmoid_pair(z):
    """(sigmoid(z), sigmoid(-z)), both to full relative accuracy (1 - sigmoid(z) is never
    formed), exact limits at +-inf; and e = exp(-|z|)."""
    e = np.exp(-np.abs(z))
    pos = z >= 0
    one_e = 1 + e
    return np.where(pos, 1, e) / one_e, np.where(pos, e, 1) / one_e, e


def bce_parts(t, p, from_logits, floor=None):
    r"""Elementwise binary cross-entropy and its derivative, the one definition that the loss,
    the focal loss and the fused sigmoid output use.

    From logits z: :math:`\ell = \log(1 + e^{-|z|}) + (1-t)\max(z, 0) - t\min(z, 0)` (three
    non-negative terms: no cancellation for soft labels near 1; a label of exactly 0 or 1
    drops the infinite term at z = -+inf), :math:`\ell' = (1-t)\sigma(z) - t\sigma(-z)` (each
    sigmoid to full relative accuracy, so the gradient is exact for 0/1 labels even where
    :math:`\sigma(z)` rounds to 1).

    From probabilities: :math:`\ell = -[t\log P + (1-t)\log Q]`, P = max(p, tiny), Q = max(1 - p,
    tiny); :math:`\ell' = (p - t)/(p(1-p))` for soft labels (no cancellation at the optimum),
    :math:`(1-t)/Q - t/P` for 0/1 labels and where p(1-p) underflows (exact there). ``floor``
    is tiny of the caller's dtype (default: of p's).
    """
    if from_logits:
        a, b = np.exp(-p), np.exp(p)    # the training hot path: no np.where while all is finite
        u = 1 - t
        v = np.log1p(np.minimum(a, b)) + (u * np.maximum(p, 0) - t * np.minimum(p, 0))
        if np.isnan(v).any():           # 0 * inf at an infinite logit is 0 (or NaN was given)
            v = np.log1p(np.minimum(a, b)) + (mul0(u, np.maximum(p, 0)) - mul0(t, np.minimum(p, 0)))
        return v, u / (1 + a) - t / (1 + b)
    floor = tiny(p.dtype) if floor is None else floor
    lp, lq = log_probs(p, floor)
    v = -(t * lp + (1 - t) * lq)
    split = (1 - t) / np.maximum(1 - p, floor) - t / np.maximum(p, floor)
    pq = p * (1 - p)
    soft = (t > 0) & (t < 1) & (pq >= floor)
    return v, np.where(soft, (p - t) / np.where(soft, pq, 1), split)


def softmax_parts(z):
    """Exact pieces of log-softmax along the last axis, in the working precision.

    Returns (d, E, S0): d = z - max z, E = exp(d) (1 at the maxima) and S0 (n, 1) = the sum of
    E over all but one maximum, so that logsumexp(z) = max z + log1p(S0) and softmax =
    E / (1 + S0), each to a few ULP. Float16/float32 logits are computed in float64, where d is
    exact enough (its rounding moves exp(d) by at most |d| 2^-53, far below a float32 ULP while
    E is not 0); float64 logits split d with TwoSum and fold its rounding error into E. -inf
    logits (masked classes) have E = 0; a row whose maximum is a single +inf has d = 0 there
    (log-softmax 0: the limit) and -inf elsewhere; a row with two +inf logits (an undefined
    limit), of -inf only, or holding NaN, is NaN. d and E are new arrays the caller may
    overwrite.
    """
    if z.dtype == np.float64:
        top = np.maximum.reduce(z, axis=-1, keepdims=True)
        d, err = two_diff(z, top)
        e = np.exp(d)
        corr = e * err
        if np.isnan(corr).any():   # err is NaN at masked -inf logits, where e = 0
            corr = mul0(e, err)
        e += corr
    else:
        d = z.astype(np.float64)
        top = np.maximum.reduce(d, axis=-1, keepdims=True)
        d -= top
        e = np.exp(d)
    if not math.isfinite(np.add.reduce(top, axis=None)):
        inf_top = np.isposinf(top)
        # one +inf logit: the limit puts all mass there; several: it depends on how they grow
        several = np.add.reduce(z == top, axis=-1, keepdims=True) > 1
        d = np.where(inf_top, np.where(several, np.nan, np.where(z == top, 0.0, -np.inf)), d)
        e = np.where(inf_top, np.exp(d), e)
    # the sum of E without one maximum (exactly 1 there), so that S0 keeps its relative
    # accuracy when it is tiny (a probability that rounds to 1). With C > 1 classes every row
    # has at most C - 1 entries below its maximum, and exactly C - 1 when its maximum is single
    # and it holds no NaN (a NaN row is NaN throughout): then the sum over d < 0 is S0. Else
    # other tied maxima stay in S0.
    below = d < 0
    if d.shape[-1] > 1 and np.count_nonzero(below) == below.size - below.shape[0]:
        return d, e, np.add.reduce(e * below, axis=-1, keepdims=True)   # a masked sum is slower
    first_top = np.arange(z.shape[-1]) == np.argmax(z, axis=-1)[..., None]
    return d, e, np.add.reduce(e - first_top, axis=-1, keepdims=True)


def _several_inf_limit(loss, z, mass_on_finite, has_mass):
    """Rows with several +inf logits are NaN (the split between them is undefined), but their
    cross-entropy has a limit when a label puts mass on a finite logit (whose log-probability
    tends to -inf): inf; without labels: 0."""
    bad = np.isnan(loss)
    if not bad.any():
        return loss
    ok = bad & np.isposinf(z).any(axis=-1) & ~np.isnan(z).any(axis=-1)
    return np.where(ok & ~has_mass, 0, np.where(ok & mass_on_finite, np.inf, loss))


# ---------------------------------------------------------------- binary cross-entropy
def _bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    r"""Binary cross-entropy, from probabilities or (``from_logits=True``) logits.

    .. math:: \ell(y, p) = -\frac{1}{d}\sum_{k}\bigl[y_k\log p_k + (1 - y_k)\log(1 - p_k)\bigr],
              \quad \frac{\partial\ell}{\partial p_k} = \frac{p_k - y_k}{d\,p_k(1 - p_k)};
              \quad p = \sigma(z),\ \frac{\partial\ell}{\partial z_k} = \frac{\sigma(z_k) - y_k}{d}
              \ \text{from logits}

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike (0/1 or soft labels in [0, 1], (n,) against (n, 1) accepted);
    per-sample (n,). ``label_smoothing`` s uses y(1 - s) + s/2 (Keras).

    Ours: exact logs, p = 0 or 1 against the label clamped at the smallest normal number (loss
    708.4 in float64, monotone in p); logits via log1p(exp(-|z|)), exact at z = +-inf (0 or
    inf); a NaN prediction gives NaN for its sample. Keras clips p to [1e-7, 1 - 1e-7]; PyTorch
    ``binary_cross_entropy`` clamps the log at -100. See :func:`bce_parts` for the numerics.

    >>> from actloss import losses as L
    >>> L.bce.per_sample([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).round(3)
    array([0.916, 0.714])
    >>> round(float(L.bce([1.0], [-1000.0], from_logits=True)), 1)
    1000.0
    """
    return bce_parts(t, p, from_logits)


def smooth_labels(t, label_smoothing, classes):
    """Keras label smoothing t (1 - s) + s / classes, rounded once to t's dtype."""
    if not label_smoothing:
        return t
    s = np.longdouble(label_smoothing)
    return (t * (1 - s) + s / classes).astype(t.dtype)


def _validate_bce(y_true, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = binary_labels("binary_crossentropy", y_true, p)
    probabilities("binary_crossentropy", p, from_logits)
    return smooth_labels(t, label_smoothing, 2), p


binary_crossentropy = Loss(
    "binary_crossentropy", _bce, validate=_validate_bce,
    params={"from_logits": False, "label_smoothing": 0.0, "axis": -1}, check=_check_smoothing,
    task="binary", link="sigmoid", takes_probabilities=True,
    formula=r"\ell(y, p) = -\frac1d\sum_k [y_k \log p_k + (1 - y_k)\log(1 - p_k)]" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = \frac{p_k - y_k}{d\,p_k(1 - p_k)},"
                       r"\quad \frac{\partial \ell}{\partial z_k} = \frac{\sigma(z_k) - y_k}{d}",
    pros=("The maximum-likelihood loss of a Bernoulli output; with a sigmoid its gradient is "
          "p - y, so saturated units still learn.",),
    cons=("Unbounded for a confident wrong prediction (708 at p = 0 in float64).",),
    reference="Keras losses.binary_crossentropy; torch.nn.BCELoss / BCEWithLogitsLoss",
    summary="Cross-entropy of Bernoulli predictions (probabilities or logits).",
)


# ---------------------------------------------------------------- categorical cross-entropy
def _cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    r"""Categorical cross-entropy of one-hot (or soft) labels, from probabilities or logits.

    .. math:: \ell(y, p) = -\sum_{k=1}^{C} y_k \log p_k, \quad
              \log p_k = z_k - \log\sum_j e^{z_j}\ \text{from logits}

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred
    (n, C) with classes along ``axis`` (-1 or 0), y_true alike; per-sample (n,). Integer labels
    raise ValueError pointing to ``sparse_categorical_crossentropy``. ``label_smoothing`` s uses
    y(1 - s) + s/C (Keras).

    Ours: exact logs of the rows as given, 0 clamped at the smallest normal number; logits via
    an exactly rounded log-sum-exp (the shift z - max z is split with TwoSum). Keras divides p
    by its row sum and clips to [1e-7, 1 - 1e-7]; PyTorch ``cross_entropy`` takes logits only.

    >>> from actloss import losses as L
    >>> L.cce.per_sample([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]).round(4)
    array([0.0513, 2.3026])
    """
    if not from_logits:
        P = np.maximum(p, tiny(p.dtype))
        return -_rowsum(t * np.log(P)), -t / P
    d, e, s0 = softmax_parts(p)
    t = t.astype(d.dtype, copy=False)   # once, not in each of the mixed-type products below
    s = np.add.reduce(t, axis=-1, keepdims=True)
    loss = np.log1p(s0)
    loss *= s
    loss -= np.add.reduce(t * d, axis=-1, keepdims=True)
    if math.isnan(np.add.reduce(loss, axis=None)):   # 0 * (-inf) at a masked logit adds 0
        loss = s * np.log1p(s0) - np.add.reduce(mul0(t, d), axis=-1, keepdims=True)
        loss = _several_inf_limit(loss[:, 0], p, np.where(np.isposinf(p), 0, t).any(axis=-1),
                                  s[:, 0] > 0)
    # softmax * s - t = (E s - t (1 + S0)) / (1 + S0); at a one-hot label on the maximum
    # (E = 1) the numerator is exactly -S0: no cancellation when the probability rounds to 1
    e *= s
    e -= t
    e -= t * s0
    e /= 1 + s0
    return loss.reshape(-1).astype(p.dtype), e.astype(p.dtype)   # a NaN logit made its row NaN


def _validate_cce(y_true, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = categorical("categorical_crossentropy", y_true, p, axis)
    probabilities("categorical_crossentropy", p, from_logits)
    return smooth_labels(t, label_smoothing, p.shape[-1]), p


categorical_crossentropy = Loss(
    "categorical_crossentropy", _cce, elementwise=False, validate=_validate_cce,
    params={"from_logits": False, "label_smoothing": 0.0, "axis": -1},
    check=_check_smoothing, task="multiclass", link="softmax", takes_probabilities=True,
    targets="one_hot", formula=r"\ell(y, p) = -\sum_k y_k \log p_k" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = -\frac{y_k}{p_k}, \quad "
                       r"\frac{\partial \ell}{\partial z_k} = "
                       r"\operatorname{softmax}(z)_k \textstyle\sum_j y_j - y_k",
    pros=("The maximum-likelihood loss of a categorical output; with softmax its gradient is "
          "p - y.",),
    cons=("Needs one-hot labels (see sparse_categorical_crossentropy for integers).",),
    reference="Keras losses.categorical_crossentropy; torch.nn.CrossEntropyLoss",
    summary="Cross-entropy of one-hot (or soft) labels against a predicted distribution.",
)


# ---------------------------------------------------------------- sparse categorical
def _labels(t, ignore_index):
    """(row indices, labels safe to index with, mask of kept samples or None)."""
    rows = np.arange(t.shape[0])
    if ignore_index is None:
        return rows, t, None
    keep = t != ignore_index
    return rows, np.where(keep, t, 0), keep


def _sparse(t, p, from_logits=False, ignore_index=None, axis=-1):
    r"""Categorical cross-entropy of integer class labels, from probabilities or logits.

    .. math:: \ell(y, p) = -\log p_{y}, \quad \log p_y = z_y - \log\sum_j e^{z_j}\
              \text{from logits}; \quad \ell = 0 \text{ if } y = \texttt{ignore\_index}

    Reductions: mean (default) :math:`\sum_i w_i\ell_i / n'` with n' the number of samples not
    ignored (as PyTorch; the training loop divides by the batch size), sum, none. Shape: y_pred
    (n, C), y_true (n,) or (n, 1) integers in [0, C) (integral floats accepted); per-sample (n,).
    One-hot y_true raises ValueError pointing to ``categorical_crossentropy``.

    Ours: as categorical_crossentropy (exact logs, clamp at the smallest normal number).
    Keras ``ignore_class`` masks the same way; PyTorch ``cross_entropy`` takes logits only
    and its ``ignore_index`` defaults to -100 (ours to None); an all-ignored batch gives 0
    (PyTorch: NaN).

    >>> from actloss import losses as L
    >>> L.sparse_categorical_crossentropy.per_sample(
    ...     [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]).round(4)
    array([0.0513, 2.3026])
    """
    rows, lab, keep = _labels(t, ignore_index)
    if from_logits:
        d, e, s0 = softmax_parts(p)
        s0 = s0[:, 0]
        d_y, e_y = d[rows, lab], e[rows, lab]
        loss = np.log1p(s0) - d_y
        if math.isnan(np.add.reduce(loss)):
            loss = _several_inf_limit(loss, p, ~np.isposinf(p[rows, lab]), True)
        den = 1 + s0
        g = e / den[:, None]
        # softmax_y - 1 = (E_y - 1 - S0) / (1 + S0): E_y - 1 is exact near E_y = 1 (Sterbenz)
        g[rows, lab] = (e_y - 1 - s0) / den
        loss, g = loss.astype(p.dtype), g.astype(p.dtype)   # a NaN logit made its row NaN
    else:
        P = np.maximum(p[rows, lab], tiny(p.dtype))
        loss = -np.log(P)
        g = np.zeros_like(p)
        g[rows, lab] = -1 / P
        g = keep_nan(g, p)
    if keep is None:
        return loss, g
    return np.where(keep, loss, 0), np.where(keep[:, None], g, 0)


def _validate_sparse(y_true, p, from_logits=False, ignore_index=None, axis=-1,
                     name="sparse_categorical_crossentropy"):
    if p.ndim != 2:
        raise ValueError(f"{name}: y_pred must have shape (n, classes); received shape {p.shape}")
    n, classes = p.shape
    raw = np.asarray(y_true)
    # integer labels stay as they are (no float64 copy of a large label set to check them)
    t = raw if raw.dtype.kind in "iu" and raw.ndim and raw.size else as_targets(y_true, np.float64)
    if t.shape == p.shape and classes > 1:
        raise ValueError(f"{name}: y_true has the shape of y_pred {p.shape}, so it looks one-hot "
                         f"encoded; expected integer class labels of shape ({n},). Use "
                         f"categorical_crossentropy for one-hot labels, or pass "
                         f"y_true.argmax(axis=-1)")
    if t.shape not in ((n,), (n, 1)):
        raise ValueError(f"{name}: y_true must hold one integer label per sample, shape ({n},); "
                         f"received shape {t.shape} for y_pred of shape {p.shape}")
    t = t.reshape(n)
    if t.dtype.kind == "f" and not np.all(t == np.round(t)):
        bad = float(t[t != np.round(t)][0])
        raise ValueError(f"{name}: y_true must be integer class labels; found {bad!r}")
    kept = t if ignore_index is None else t[t != ignore_index]
    check_range(name, "y_true", kept, 0, classes - 1, f" (class labels for {classes} classes)")
    probabilities(name, p, from_logits)
    return t.astype(np.int64, copy=False), p   # the kernels never write to it


def _count_kept(t, from_logits=False, ignore_index=None, axis=-1):
    return t.shape[0] if ignore_index is None else int(np.count_nonzero(t != ignore_index))


def _check_ignore(**params):
    check_choice("from_logits", params["from_logits"], (False, True))
    if params["ignore_index"] is not None:
        check_number("ignore_index", params["ignore_index"], integer=True)


sparse_categorical_crossentropy = Loss(
    "sparse_categorical_crossentropy", _sparse, elementwise=False, validate=_validate_sparse,
    params={"from_logits": False, "ignore_index": None, "axis": -1},
    param_aliases={"ignore_class": "ignore_index"}, check=_check_ignore, count=_count_kept,
    task="multiclass", link="softmax", takes_probabilities=True, targets="class_index",
    formula=r"\ell(y, p) = -\log p_y" + REDUCED.replace("{n}", "{n'}"),
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = -\frac{[k = y]}{p_y}, \quad "
                       r"\frac{\partial \ell}{\partial z_k} = "
                       r"\operatorname{softmax}(z)_k - [k = y]",
    pros=("Integer labels: no one-hot matrix in memory.",),
    cons=("Hard labels only (no label smoothing); use categorical_crossentropy for soft ones.",),
    reference="Keras losses.sparse_categorical_crossentropy; torch.nn.CrossEntropyLoss",
    summary="Cross-entropy of integer class labels.",
)


# ---------------------------------------------------------------- scikit-learn's log loss
def _log_loss(t, p):
    r"""scikit-learn's log loss: cross-entropy of probabilities, binary or multiclass by shape.

    .. math:: \ell(y, p) = -\sum_{k=1}^{C} [y = k] \log p_k\ (C \ge 2 \text{ columns}), \quad
              -[y \log p + (1 - y)\log(1 - p)]\ (\text{one column: } p = P(y = 1))

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,)
    or (n, 1) for binary, (n, C) for multiclass; y_true integer labels (n,) (0/1 when binary) or
    one-hot (n, C); per-sample (n,).

    Ours: exact logs clamped at the smallest normal number; with sample weights the mean is
    sum(w l)/n (Keras). scikit-learn clips p to [eps, 1 - eps] (eps of the dtype, 2.2e-16) and
    its weighted mean divides by sum(w) (our value times n / sum(w)).

    >>> from actloss import losses as L
    >>> round(float(L.log_loss([0, 1, 1], [0.1, 0.8, 0.6])), 6)
    0.279777
    """
    if p.shape[-1] == 1:
        v, g = bce_parts(t, p, False)
        return v[:, 0], g
    return _cce(t, p)


def _validate_log_loss(y_true, p, **_):
    if p.ndim == 2 and p.shape[1] > 1:
        t = as_targets(y_true, p.dtype)
        if t.shape != p.shape:
            t, _ = _validate_sparse(y_true, p, name="log_loss")
            t = (t[:, None] == np.arange(p.shape[1])).astype(p.dtype)
        t, p = categorical("log_loss", t, p)
    else:
        t, p = binary_labels("log_loss", y_true, p)
        if not np.all((t == 0) | (t == 1)):
            raise ValueError("log_loss: binary y_true must be 0/1 labels; found values "
                             f"{np.unique(t)[:5]}")
    probabilities("log_loss", p)
    return t, p


log_loss = Loss(
    "log_loss", _log_loss, elementwise=False, validate=_validate_log_loss, task="classification",
    takes_probabilities=True,
    formula=r"\ell(y, p) = -\sum_k [y = k] \log p_k" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = -\frac{[y = k]}{p_k}\ "
                       r"(\text{binary: } \frac{p - y}{p(1-p)})",
    pros=("Accepts labels and probabilities exactly as scikit-learn's log_loss does.",),
    cons=("Probabilities only (no from_logits).",),
    reference="sklearn.metrics.log_loss",
    summary="scikit-learn's log loss: binary or multiclass cross-entropy of probabilities.",
)
