"""Accuracy metrics (Keras's ``accuracy_metrics``): means of per-sample hits.

* ``Accuracy``: ``y_true == y_pred`` exactly.
* ``BinaryAccuracy(threshold=0.5)``: ``(y_pred > threshold) == y_true`` elementwise.
* ``CategoricalAccuracy``: ``argmax y_pred == argmax y_true`` (one-hot targets).
* ``SparseCategoricalAccuracy``: ``argmax y_pred == y_true`` (integer labels).
* ``TopKCategoricalAccuracy(k=5)`` / ``SparseTopKCategoricalAccuracy(k=5)``: the target class
  is among the k largest scores (ties broken as ``np.argsort`` does, stable, lower index first;
  Keras's ``in_top_k`` counts a tie at the k-th score as a hit on some backends).

Labels ``(n,)`` against predictions ``(n, 1)`` are aligned as Keras does (not broadcast to
``(n, n)``):

>>> import numpy as np
>>> m = BinaryAccuracy()
>>> m.update_state(np.array([1, 1, 0, 0]), np.array([[0.98], [1], [0], [0.6]])); m.result()
0.75
"""

from __future__ import annotations

import numpy as np

from ._base import MeanMetricWrapper, aligned


def accuracy(y_true, y_pred):
    y_true, y_pred = aligned(y_true, y_pred)
    return np.equal(y_true, y_pred).astype(np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = aligned(y_true, y_pred)
    return np.equal(y_true, y_pred > threshold).astype(np.float64)


def _label_matches(labels, y_pred):
    """Hits of ``argmax y_pred`` against labels, Keras's squeeze of ``(n, 1)`` labels."""
    labels = np.asarray(labels)
    shape = labels.shape
    reshape = labels.ndim == y_pred.ndim and labels.shape[-1] == 1
    if reshape:
        labels = labels[..., 0]
    matches = np.equal(labels, np.argmax(y_pred, axis=-1)).astype(np.float64)
    if reshape:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    # fit passes integer labels (the argmax of the one-hot targets, computed once per fit)
    labels = np.argmax(y_true, axis=-1) if y_true.ndim == y_pred.ndim else y_true
    return _label_matches(labels, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] != 1:
        raise ValueError(f"sparse_categorical_accuracy: y_true must be integer labels of shape "
                         f"(n,) or (n, 1); received shape {y_true.shape} with y_pred shape "
                         f"{y_pred.shape} (one-hot targets: use categorical_accuracy)")
    return _label_matches(y_true, y_pred)


def _in_top_k(labels, y_pred, k):
    y_pred = np.asarray(y_pred, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    shape = labels.shape
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1)
    score = np.take_along_axis(y_pred, labels[:, None], axis=1)
    # in the top k: fewer than k scores are strictly larger (Keras's in_top_k on ties)
    hits = np.sum(y_pred > score, axis=1) < k
    return hits.astype(np.float64).reshape(shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(np.argmax(np.asarray(y_true), axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    if not from_sorted_ids:
        return _in_top_k(y_true, y_pred, k)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    shape = y_true.shape
    ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
    return np.any(ids == y_true.reshape(-1, 1), axis=1).astype(np.float64).reshape(shape)


class _AccuracyBase(MeanMetricWrapper):
    _direction = "up"


class Accuracy(_AccuracyBase):
    """How often predictions equal labels exactly (Keras ``Accuracy``)."""

    fn = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(_AccuracyBase):
    """How often ``y_pred > threshold`` equals the 0/1 label (Keras ``BinaryAccuracy``)."""

    fn = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(name=name, dtype=dtype, threshold=threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is None and isinstance(y_pred, np.ndarray) \
                and isinstance(y_true, np.ndarray) and y_true.shape == y_pred.shape \
                and y_pred.ndim == 2:  # the training loop's case, without temporaries
            hits = np.count_nonzero(np.equal(y_true, y_pred > self.threshold))
            self.total += hits / y_pred.shape[1]
            self.count += y_pred.shape[0]
            return
        super().update_state(y_true, y_pred, sample_weight)


class CategoricalAccuracy(_AccuracyBase):
    """How often ``argmax y_pred`` equals ``argmax y_true`` (one-hot targets; integer labels
    of lower rank are accepted too, as ``fit`` passes them)."""

    fn = staticmethod(categorical_accuracy)
    kind = "sparse"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(_AccuracyBase):
    """How often ``argmax y_pred`` equals the integer label (Keras
    ``SparseCategoricalAccuracy``)."""

    fn = staticmethod(sparse_categorical_accuracy)
    kind = "sparse"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(_AccuracyBase):
    """How often the one-hot target's class is among the ``k`` largest predictions."""

    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = k
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(_AccuracyBase):
    """How often the integer label is among the ``k`` largest predictions; with
    ``from_sorted_ids=True`` ``y_pred`` holds class ids sorted by score."""

    fn = staticmethod(sparse_top_k_categorical_accuracy)
    kind = "sparse"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        self.k, self.from_sorted_ids = k, from_sorted_ids
        super().__init__(name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)
