"""Confusion-matrix counts at thresholds (Keras's ``metrics_utils``), in NumPy.

A prediction is positive at threshold t when ``y_pred > t`` (so a prediction equal to the
threshold is negative, and NaN is never positive); a label is positive when it is non-zero.
Counts are weighted by ``sample_weight`` (and ``label_weights``). For all thresholds at once
the predictions are sorted once and each threshold is a binary search: O(n log n + T log n)
instead of Keras's O(n T) comparison table, with the same counts.
"""

from __future__ import annotations

import enum

import numpy as np

from ._base import squeeze_or_expand_to_same_rank

NEG_INF = -1e10  # Keras's stand-in for -inf in top_k filtering
EPSILON = 1e-7


class AUCCurve(enum.Enum):
    """The curve whose area ``AUC`` computes."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        for member in AUCCurve:
            if key in (member.value, member.value.lower()):
                return member
        raise ValueError(f'Invalid AUC curve value: "{key}". Expected values are '
                         f'["PR", "ROC", "PRGAIN"]')


class AUCSummationMethod(enum.Enum):
    """How ``AUC`` sums the areas between thresholds."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        for member in AUCSummationMethod:
            if key in (member.value, member.value.capitalize()):
                return member
        raise ValueError(f'Invalid AUC summation method value: "{key}". Expected values are '
                         f'["interpolation", "majoring", "minoring"]')


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def parse_thresholds(thresholds, default=0.5) -> list:
    """``thresholds`` as a list, checked to lie in [0, 1]; ``[default]`` when None."""
    if thresholds is None:
        return [default]
    thresholds = _as_list(thresholds)
    bad = [t for t in thresholds if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return thresholds


def evenly_distributed(thresholds) -> bool:
    """Whether the thresholds are ``i / (T - 1)``: then Keras clips predictions to [0, 1]."""
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=EPSILON))


def filter_top_k(x, k):
    """Keep the k largest entries of each row (the first among ties); the rest become -1e10."""
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, bool)
    np.put_along_axis(mask, idx, True, axis=-1)
    return np.where(mask, x, NEG_INF)


def _counts_above(pred, pos_w, neg_w, thresholds):
    """Weighted positives and negatives with ``pred > t`` for each threshold t (1-D pred)."""
    pred = np.where(np.isnan(pred), -np.inf, pred)  # NaN is never above a threshold
    order = np.argsort(pred, kind="stable")
    pred = pred[order]
    # suffix sums: weight of the entries from index i to the end
    tp_suffix = np.concatenate((np.cumsum(pos_w[order][::-1])[::-1], [0.0]))
    fp_suffix = np.concatenate((np.cumsum(neg_w[order][::-1])[::-1], [0.0]))
    first_above = np.searchsorted(pred, thresholds, side="right")
    return tp_suffix[first_above], fp_suffix[first_above]


def confusion_counts(y_true, y_pred, thresholds, *, top_k=None, class_id=None,
                     sample_weight=None, multi_label=False, label_weights=None,
                     evenly=False) -> dict:
    """``{'tp', 'fp', 'tn', 'fn'}`` weighted counts, shape ``(T,)`` (or ``(T, labels)`` with
    ``multi_label``), as Keras's ``update_confusion_matrix_variables``."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)[..., None]
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if evenly:
        y_pred = np.clip(y_pred, 0.0, 1.0)
    weights = np.ones(y_pred.shape) if sample_weight is None else \
        np.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * np.broadcast_to(np.asarray(label_weights, np.float64), y_pred.shape)
    is_pos = y_true != 0
    pos_w, neg_w = np.where(is_pos, weights, 0.0), np.where(is_pos, 0.0, weights)
    if multi_label:
        if y_pred.ndim != 2:
            raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                             f"{y_pred.ndim}. Full shape received for `y_pred`: {y_pred.shape}")
        cols = [_counts_above(y_pred[:, j], pos_w[:, j], neg_w[:, j], thresholds)
                for j in range(y_pred.shape[1])]
        tp = np.stack([c[0] for c in cols], axis=1)
        fp = np.stack([c[1] for c in cols], axis=1)
        total_pos, total_neg = pos_w.sum(axis=0), neg_w.sum(axis=0)
    else:
        tp, fp = _counts_above(y_pred.reshape(-1), pos_w.reshape(-1), neg_w.reshape(-1),
                               thresholds)
        total_pos, total_neg = pos_w.sum(), neg_w.sum()
    return {"tp": tp, "fp": fp, "tn": total_neg - fp, "fn": total_pos - tp}


def divide_no_nan(a, b):
    """``a / b``, 0 where ``b == 0`` (Keras's ``divide_no_nan``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)
