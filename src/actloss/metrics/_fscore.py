r"""``FBetaScore`` and ``F1Score`` (Keras's ``f_score_metrics``), for 2-D ``(n, classes)`` inputs.

Per class, from weighted counts accumulated over batches (:math:`\epsilon = 10^{-7}` as Keras):

.. math::
    P = \frac{TP}{TP + FP + \epsilon}, \quad R = \frac{TP}{TP + FN + \epsilon}, \quad
    F_\beta = (1 + \beta^2)\,\frac{P R}{\beta^2 P + R + \epsilon}

A prediction is positive where ``y_pred > threshold``; with ``threshold=None`` (default) where it
is the row's maximum (and non-zero), i.e. one class per sample. Binary classifiers with one
sigmoid output need ``threshold=0.5``: with None every sample is predicted positive, as in
Keras. ``average``: None (default, one score per class, a vector), ``'micro'`` (counts pooled
over classes), ``'macro'`` (mean of the class scores), ``'weighted'`` (weighted by the number
of true instances per class). scikit-learn's ``f1_score`` has no epsilon and
``average='binary'`` by default.

>>> import numpy as np
>>> f1 = F1Score(average="macro")
>>> round(f1(np.eye(3), np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])), 6)
0.555555
"""

from __future__ import annotations

import numpy as np

from ._base import Metric, as_result

EPSILON = 1e-7


class FBetaScore(Metric):
    """The F-beta score; see the module docstring."""

    _variable_names = ("true_positives", "false_positives", "false_negatives",
                       "intermediate_weights")
    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value. Expected one of: "
                             f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        for k in self._variable_names:
            v = getattr(self, k, None)
            setattr(self, k, None if v is None else np.zeros_like(v))

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, output_dim), "
                             f"with output_dim fully defined (not None). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for k in self._variable_names:
            setattr(self, k, np.zeros(shape, np.float64))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(y_true, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.float64)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = np.max(y_pred, axis=-1, keepdims=True)
            y_pred = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(np.float64)
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            w = w.reshape(w.shape + (1,) * (y_true.ndim - w.ndim))

        def weighted_sum(val):
            return np.sum(val if w is None else val * w, axis=self.axis)

        self.true_positives += weighted_sum(y_pred * y_true)
        self.false_positives += weighted_sum(y_pred * (1 - y_true))
        self.false_negatives += weighted_sum((1 - y_pred) * y_true)
        self.intermediate_weights += weighted_sum(y_true)

    def result(self):
        if not self._built:
            return 0.0
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (np.sum(self.intermediate_weights) + EPSILON)
            score = np.sum(score * weights)
        elif self.average is not None:
            score = np.mean(score)
        elif score.size == 1:  # one output column: a float, so logs and progress bars take it
            score = score.reshape(())
        return as_result(score)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score: :class:`FBetaScore` with ``beta=1``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
