r"""``AUC``: area under the ROC, precision-recall or precision-recall-gain curve (Keras).

The curve is sampled at ``num_thresholds`` (default 200) evenly spaced thresholds in [0, 1]
(``[-1e-7, 1/(T-1), ..., 1 + 1e-7]``) or at the given ``thresholds``; the counts accumulate over
batches, and the area is a Riemann sum over the threshold intervals:

* ``summation_method='interpolation'`` (default): trapezoids for ROC and PR-gain; for PR, the
  Davis & Goadrich (2006) interpolation (precision varies along the interval as TP grows
  linearly with the predicted positives).
* ``'majoring'`` / ``'minoring'``: the larger / smaller endpoint height (upper / lower bound).

``multi_label=True`` computes one curve per column and averages the areas (weighted by
``label_weights``); otherwise all entries form one curve, ``label_weights`` weighting the columns.
``from_logits=True`` applies the sigmoid first.

Keras's threshold approximation is kept, not the exact rank statistic (Mann-Whitney U, which
``sklearn.metrics.roc_auc_score`` computes): with 200 thresholds the two differ by at most
about 1/200 on well-spread scores.

>>> import numpy as np
>>> auc = AUC(num_thresholds=3)
>>> auc(np.array([0, 0, 1, 1]), np.array([0, 0.5, 0.3, 0.9]))
0.75
"""

from __future__ import annotations

import numpy as np

from .. import activations
from ._confusion import _ConfusionMetric
from ._thresholds import (EPSILON, AUCCurve, AUCSummationMethod, divide_no_nan,
                          evenly_distributed)


class AUC(_ConfusionMetric):
    """Area under a curve of confusion-matrix rates; see the module docstring."""

    _counts = ("tp", "fp", "tn", "fn")
    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._evenly = evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds is None or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON] + list(thresholds) + [1.0 + EPSILON])
        self.curve = curve if isinstance(curve, AUCCurve) else AUCCurve.from_str(curve)
        self.summation_method = summation_method if isinstance(
            summation_method, AUCSummationMethod) else AUCSummationMethod.from_str(summation_method)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, np.float64)
        self._from_logits = from_logits
        if not multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self._num_labels = num_labels if multi_label else None
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self) -> list:
        """The thresholds, including the two end points just outside [0, 1]."""
        return list(self._thresholds)

    def _shape(self):
        if self.multi_label:
            return (self.num_thresholds, self._num_labels or 0)
        return (self.num_thresholds,)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float64)
        if self.multi_label and not self._num_labels:
            if y_pred.ndim != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found "
                                 f"rank {y_pred.ndim}. Full shape received for `y_pred`: "
                                 f"{y_pred.shape}")
            self._num_labels = y_pred.shape[1]
            self.reset_state()
        if self._from_logits:
            y_pred = activations.sigmoid(y_pred)
        self._accumulate(y_true, y_pred, sample_weight, multi_label=self.multi_label,
                         label_weights=None if self.multi_label else self.label_weights)

    def _by_label(self, areas):
        if not self.multi_label:
            return float(np.sum(areas))
        by_label = np.sum(areas, axis=0)
        if self.label_weights is None:
            return float(np.mean(by_label))
        return float(divide_no_nan(np.sum(by_label * self.label_weights),
                                   np.sum(self.label_weights)))

    def interpolate_pr_auc(self):
        """Davis & Goadrich's interpolated area under the precision-recall curve."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        areas = divide_no_nan(slope * (dtp + intercept * log_ratio),
                              np.maximum(tp[1:] + fn[1:], 0))
        return self._by_label(areas)

    def result(self):
        if self.multi_label and not self._num_labels:
            return 0.0
        if self.curve is AUCCurve.PR and self.summation_method is AUCSummationMethod.INTERPOLATION:
            return self.interpolate_pr_auc()
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve is AUCCurve.ROC:
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve is AUCCurve.PR:
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # precision-recall gain (Flach & Kull, 2015)
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
            precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
            x, y = np.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method is AUCSummationMethod.INTERPOLATION:
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method is AUCSummationMethod.MINORING:
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve.value, "summation_method": self.summation_method.value,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config

