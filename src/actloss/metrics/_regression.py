r"""Regression metrics (Keras's ``regression_metrics``): weighted means of per-sample errors.

Each per-sample value is a mean over the last axis, then the weighted mean over samples:

* ``MeanSquaredError``: :math:`(y - \hat y)^2`; ``RootMeanSquaredError``: the square root of
  the weighted mean of the squared errors (not a mean of per-sample roots).
* ``MeanAbsoluteError``: :math:`|y - \hat y|`.
* ``MeanAbsolutePercentageError``: :math:`100\,|y - \hat y| / \max(|y|, 10^{-7})` (Keras's
  clamp, so a zero target gives a huge value instead of inf).
* ``MeanSquaredLogarithmicError``: :math:`(\log(1 + \max(\hat y, \epsilon)) - \log(1 +
  \max(y, \epsilon)))^2`, :math:`\epsilon = 10^{-7}` (Keras; the MSLE *loss* of actloss raises on
  negative targets instead).
* ``LogCoshError``: :math:`\log\cosh(\hat y - y)`, computed as
  :math:`x + \operatorname{softplus}(-2x) - \log 2` (no overflow).
* ``CosineSimilarity(axis=-1)``: :math:`\hat y \cdot y / (\|\hat y\|\,\|y\|)`.
* ``R2Score``: the coefficient of determination from running sums (see its docstring).

>>> m = MeanSquaredError(); m([[0.0, 1.0]], [[1.0, 1.0]])
0.5
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._base import Mean, MeanMetricWrapper, Metric, aligned, as_result

EPSILON = 1e-7  # Keras's backend.epsilon()


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    diff = np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON))
    return 100.0 * np.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    first = np.log1p(np.maximum(y_pred, EPSILON))
    second = np.log1p(np.maximum(y_true, EPSILON))
    return np.mean(np.square(first - second), axis=-1)


def log_cosh(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    x = y_pred - y_true
    return np.mean(x + np.logaddexp(0.0, -2.0 * x) - math.log(2.0), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = aligned(y_true, y_pred)

    def normalize(x):  # Keras's l2 normalization, with its 1e-12 floor on the squared norm
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))

    return np.sum(normalize(y_true) * normalize(y_pred), axis=axis)


class MeanSquaredError(MeanMetricWrapper):
    """Weighted mean of the per-sample mean squared error."""

    _direction = "down"

    fn = staticmethod(mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is None and isinstance(y_pred, np.ndarray) \
                and isinstance(y_true, np.ndarray) and y_true.shape == y_pred.shape \
                and y_pred.ndim == 2:  # the training loop's case: one dot product
            e = (y_pred - y_true).reshape(-1)
            self.total += float(np.dot(e, e)) / y_pred.shape[1]
            self.count += y_pred.shape[0]
            return
        super().update_state(y_true, y_pred, sample_weight)


class MeanAbsoluteError(MeanMetricWrapper):
    """Weighted mean of the per-sample mean absolute error."""

    _direction = "down"

    fn = staticmethod(mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Weighted mean of ``100 * |y - p| / max(|y|, 1e-7)``."""

    _direction = "down"

    fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Weighted mean of the squared difference of ``log(1 + max(., 1e-7))``."""

    _direction = "down"

    fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Weighted mean of ``log(cosh(p - y))``."""

    _direction = "down"

    fn = staticmethod(log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Weighted mean of the cosine similarity along ``axis``."""

    _direction = "up"

    fn = staticmethod(cosine_similarity)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        self.axis = axis
        super().__init__(name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """Square root of the weighted mean squared error (Keras ``RootMeanSquaredError``).

    >>> round(RootMeanSquaredError()([2, 4, 6], [1, 3, 2]), 6)  # sqrt(6)
    2.44949
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = aligned(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return math.sqrt(super().result())


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    r"""Coefficient of determination, per output column, from running weighted sums (Keras):

    .. math:: R^2 = 1 - \frac{\sum w (y - \hat y)^2}{\sum w y^2 - (\sum w y)^2 / \sum w}

    ``class_aggregation``: ``'uniform_average'`` (default, scikit-learn's ``multioutput``),
    ``'variance_weighted_average'`` or None (one score per column). ``num_regressors`` p > 0
    gives the adjusted score :math:`1 - (1 - R^2)(n - 1)/(n - p - 1)`. A column with zero
    variance scores 0 where its residuals are not zero (Keras maps the infinite ratio to 0).
    Inputs must be 2-D ``(n, outputs)``.

    >>> import numpy as np
    >>> m = R2Score(); m.update_state(np.array([[1.0], [4.0], [3.0]]), np.array([[2.0], [4.0], [4.0]]))
    >>> round(m.result(), 6)
    0.571429
    """

    _direction = "up"

    _variable_names = ("num_samples", "squared_sum", "sum", "total_mse", "count")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of "
                             f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.num_samples = np.zeros((), np.float64)
        # per-column sums are sized at the first update (the number of outputs)
        for k in self._variable_names[1:]:
            v = getattr(self, k, None)
            setattr(self, k, None if v is None else np.zeros_like(v))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = aligned(y_true, y_pred)
        y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
        if y_pred.ndim != 2 or y_true.ndim != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred.shape} and "
                             f"y_true.shape={y_true.shape}.")
        if self.sum is None:
            for k in self._variable_names[1:]:
                setattr(self, k, np.zeros(y_pred.shape[-1], np.float64))
        w = np.asarray(1.0 if sample_weight is None else sample_weight, np.float64)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, y_true.shape)
        weighted = y_true * w
        self.sum += weighted.sum(axis=0)
        self.squared_sum += (y_true * weighted).sum(axis=0)
        self.total_mse += ((y_true - y_pred) ** 2 * w).sum(axis=0)
        self.count += w.sum(axis=0)
        # a sample counts once if it has a non-zero weight in any output
        self.num_samples += np.count_nonzero(np.any(w != 0, axis=-1))

    def result(self):
        if self.sum is None:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum / self.count
            total = self.squared_sum - self.sum * mean
            raw = 1 - self.total_mse / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        p, n = self.num_regressors, float(self.num_samples)
        if p != 0:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return as_result(score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
