r"""Metrics from confusion-matrix counts at thresholds (Keras's ``confusion_metrics``).

* ``TruePositives``, ``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``
  (``thresholds=0.5``; a list gives one count per threshold).
* ``Precision`` :math:`TP/(TP+FP)`, ``Recall`` :math:`TP/(TP+FN)` with ``thresholds``,
  ``top_k`` (only the k largest predictions of each row may be positive) and ``class_id``
  (one column of a multi-class output); 0 when the denominator is 0, as Keras.
* ``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``, ``PrecisionAtRecall``,
  ``RecallAtPrecision``: the best value of one rate among thresholds where the other reaches
  the target.
* ``AUC``: see its docstring.

A prediction is positive at threshold t when ``y_pred > t``; a label is positive when it is
non-zero.

>>> p = Precision(); p([0, 1, 1, 0], [1, 0, 1, 0])
0.5
"""

from __future__ import annotations

import numpy as np

from ._base import Metric, as_result
from ._thresholds import (EPSILON, NEG_INF, AUCCurve, AUCSummationMethod, confusion_counts,
                          divide_no_nan, evenly_distributed, parse_thresholds)

_COUNT = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
          "fn": "false_negatives"}


class _ConfusionMetric(Metric):
    """Accumulates some of ``true_positives``, ``false_positives``, ... at ``self.thresholds``."""

    _counts: tuple = ()
    top_k = None
    class_id = None

    @property
    def _variable_names(self):
        return tuple(_COUNT[c] for c in self._counts)

    def _shape(self):
        return (len(self.thresholds),)

    def reset_state(self):
        for name in self._variable_names:
            setattr(self, name, np.zeros(self._shape(), np.float64))

    def _accumulate(self, y_true, y_pred, sample_weight, **kw):
        counts = confusion_counts(y_true, y_pred, self.thresholds, top_k=self.top_k,
                                  class_id=self.class_id, sample_weight=sample_weight,
                                  evenly=self._evenly, **kw)
        for c in self._counts:
            getattr(self, _COUNT[c])[...] += counts[c]

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight)

    def _one_or_all(self, values):
        return as_result(values[0] if len(self.thresholds) == 1 else values)


class _ConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._evenly = evenly_distributed(self.thresholds)
        super().__init__(name=name, dtype=dtype)

    def result(self):
        return self._one_or_all(getattr(self, _COUNT[self._counts[0]]))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Weighted count of positive labels predicted positive."""

    _counts = ("tp",)

    @property
    def accumulator(self):
        return self.true_positives


class FalsePositives(_ConditionCount):
    """Weighted count of negative labels predicted positive."""

    _counts = ("fp",)

    @property
    def accumulator(self):
        return self.false_positives


class TrueNegatives(_ConditionCount):
    """Weighted count of negative labels predicted negative."""

    _counts = ("tn",)

    @property
    def accumulator(self):
        return self.true_negatives


class FalseNegatives(_ConditionCount):
    """Weighted count of positive labels predicted negative."""

    _counts = ("fn",)

    @property
    def accumulator(self):
        return self.false_negatives


class _PrecisionRecall(_ConfusionMetric):
    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = evenly_distributed(self.thresholds)
        super().__init__(name=name, dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)`` at ``thresholds`` (default 0.5), Keras ``Precision``."""

    _counts = ("tp", "fp")

    def result(self):
        tp = self.true_positives
        return self._one_or_all(divide_no_nan(tp, tp + self.false_positives))


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)`` at ``thresholds`` (default 0.5), Keras ``Recall``."""

    _counts = ("tp", "fn")

    def result(self):
        tp = self.true_positives
        return self._one_or_all(divide_no_nan(tp, tp + self.false_negatives))


class _AtConstraint(_ConfusionMetric):
    """The max of one rate over the thresholds where another rate is >= ``value``."""

    _counts = ("tp", "fp", "tn", "fn")
    _target = "value"
    _direction = "up"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._target}` must be in the range [0, 1]. "
                             f"Received: {self._target}={value}")
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        setattr(self, self._target, value)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            self.thresholds = [0.0] + [(i + 1) / (num_thresholds - 1)
                                       for i in range(num_thresholds - 2)] + [1.0]
            self._evenly = True
        super().__init__(name=name, dtype=dtype)

    def _rates(self):
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def result(self):
        rates = self._rates()
        feasible = rates[self._target] >= self.value
        return float(np.max(np.where(feasible, rates[self._reported], 0.0), initial=0.0))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._target: self.value}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among thresholds whose specificity is >= ``specificity``."""

    _target, _reported = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose sensitivity is >= ``sensitivity``."""

    _target, _reported = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is >= ``recall``."""

    _target, _reported = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is >= ``precision``."""

    _target, _reported = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
