"""Loss values as metrics (Keras's ``probabilistic_metrics`` and ``hinge_metrics``): the weighted
mean over samples of an actloss loss's ``per_sample`` values.

``BinaryCrossentropy``, ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
``KLDivergence``, ``Poisson``, ``Hinge``, ``SquaredHinge``, ``CategoricalHinge``, with Keras's
names and arguments. The values are actloss's losses, defined once in :mod:`actloss.losses`:
cross-entropies use exact logarithms where Keras's metrics clip probabilities to
``[1e-7, 1 - 1e-7]`` (so a confident wrong prediction counts fully here; Keras caps it near
16.1), and bad input raises as the losses do.

>>> import numpy as np
>>> m = BinaryCrossentropy(); round(m(np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]])), 6)
0.164252
"""

from __future__ import annotations

import numpy as np

from .. import losses as _losses
from ._base import MeanMetricWrapper, aligned


class _LossMetric(MeanMetricWrapper):
    _loss_name = ""
    _direction = "down"

    def __init__(self, name=None, dtype=None, **params):
        self._loss = _losses.get(self._loss_name, **params)
        super().__init__(fn=self._loss.per_sample, name=name or self._loss_name, dtype=dtype,
                         **params)

    def values(self, y_true, y_pred):
        return self._loss.per_sample(*aligned(y_true, y_pred))


class BinaryCrossentropy(_LossMetric):
    """Mean binary cross-entropy (``from_logits``, ``label_smoothing``)."""

    _loss_name = "binary_crossentropy"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    """Mean categorical cross-entropy of one-hot targets (``from_logits``, ``label_smoothing``,
    ``axis``)."""

    _loss_name = "categorical_crossentropy"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """Mean categorical cross-entropy of integer labels (``from_logits``; ``ignore_class``: that
    label's samples count 0)."""

    _loss_name = "sparse_categorical_crossentropy"
    kind = "sparse"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        if axis != -1:
            raise ValueError(f"SparseCategoricalCrossentropy: only axis=-1 is supported; "
                             f"received axis={axis!r}")
        self.ignore_class = ignore_class
        super().__init__(name, dtype, from_logits=from_logits)
        if ignore_class is not None:
            self._loss = self._loss.with_params(ignore_index=ignore_class)

    @staticmethod
    def _labels(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]  # labels (n, 1) -> (n,), as Keras
        return y_true, y_pred

    def values(self, y_true, y_pred):
        return self._loss.per_sample(*self._labels(y_true, y_pred))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is not None and sample_weight is not None:
            # Keras: an ignored sample's loss is 0; with weights its weight is dropped from the
            # count too, without weights it still counts (its expected numbers say so)
            labels, _ = self._labels(y_true, y_pred)
            sample_weight = np.asarray(sample_weight, np.float64) * (labels != self.ignore_class)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


class KLDivergence(_LossMetric):
    """Mean Kullback-Leibler divergence ``sum y log(y / p)``."""

    _loss_name = "kl_divergence"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(_LossMetric):
    """Mean Poisson deviance ``p - y log p``."""

    _loss_name = "poisson"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)


class Hinge(_LossMetric):
    """Mean hinge loss ``max(1 - y p, 0)`` (labels -1/1, or 0/1 mapped to -1/1)."""

    _loss_name = "hinge"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(_LossMetric):
    """Mean squared hinge loss ``max(1 - y p, 0)^2``."""

    _loss_name = "squared_hinge"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(_LossMetric):
    """Mean categorical hinge loss ``max(neg - pos + 1, 0)``."""

    _loss_name = "categorical_hinge"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)
