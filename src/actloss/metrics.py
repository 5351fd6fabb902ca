"""Metrics for ``compile(metrics=[...])``: accumulators over the batches of an epoch.

``'accuracy'`` (or ``'acc'``) is resolved at compile time as Keras does: binary accuracy when
the loss is binary cross-entropy or the model has one output unit, sparse categorical accuracy
when the loss is sparse categorical cross-entropy or the targets are integer labels, otherwise
categorical accuracy. Metrics ignore ``sample_weight`` (Keras's ``metrics``, not
``weighted_metrics``).

* ``binary_accuracy(threshold=0.5)``: mean of ``(p > threshold) == y`` over all outputs.
* ``categorical_accuracy``: ``argmax p == argmax y``; ``sparse_categorical_accuracy``:
  ``argmax p == y``.
* ``mae``/``mean_absolute_error``, ``mse``/``mean_squared_error``: means over samples and outputs.
* ``auc``: area under the ROC curve of one-output binary predictions, exact (rank statistic,
  ties counted half); Keras approximates it with 200 thresholds.

>>> import numpy as np
>>> m = get("binary_accuracy")
>>> m.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.7]])); m.result()
0.5
"""

from __future__ import annotations

import numpy as np

from ._registry import Registry


class Metric:
    """An accumulator: ``update_state(y_true, y_pred)``, ``result()``, ``reset_state()``.

    ``kind`` tells the model which target form to pass: ``'dense'`` (float ``(n, d)`` like the
    predictions) or ``'sparse'`` (integer labels ``(n,)``).
    """

    kind = "dense"

    def __init__(self, name: str, **params):
        self.name = name
        self.params = params
        self.reset_state()

    def reset_state(self) -> None:
        self._total = 0.0
        self._count = 0

    def result(self) -> float:
        return float(self._total / self._count) if self._count else 0.0

    def update_state(self, y_true, y_pred) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def with_params(self, **params) -> "Metric":
        new = type(self)(self.name, **{**self.params, **params})
        return new

    def fresh(self) -> "Metric":
        return type(self)(self.name, **self.params)

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


class BinaryAccuracy(Metric):
    def update_state(self, y_true, y_pred):
        hits = np.equal(y_true, y_pred > self.params.get("threshold", 0.5))
        self._total += np.count_nonzero(hits)
        self._count += hits.size


class CategoricalAccuracy(Metric):
    """``argmax y_true == argmax y_pred``. During fit the model passes the labels (the argmax
    of the one-hot targets, computed once per fit), so only ``y_pred``'s argmax is per batch."""

    kind = "sparse"

    def update_state(self, y_true, y_pred):
        labels = np.argmax(y_true, axis=-1) if y_true.ndim == y_pred.ndim else y_true
        hits = np.equal(labels, np.argmax(y_pred, axis=-1))
        self._total += np.count_nonzero(hits)
        self._count += hits.size


class SparseCategoricalAccuracy(Metric):
    kind = "sparse"

    def update_state(self, y_true, y_pred):
        hits = np.equal(y_true.reshape(-1), np.argmax(y_pred, axis=-1))
        self._total += np.count_nonzero(hits)
        self._count += hits.size


class MeanAbsoluteError(Metric):
    def update_state(self, y_true, y_pred):
        self._total += float(np.sum(np.abs(y_pred - y_true), dtype=np.float64))
        self._count += y_pred.size


class MeanSquaredError(Metric):
    def update_state(self, y_true, y_pred):
        e = (y_pred - y_true).reshape(-1)
        self._total += float(np.dot(e, e))
        self._count += y_pred.size


class AUC(Metric):
    def reset_state(self):
        self._t, self._p = [], []

    def update_state(self, y_true, y_pred):
        self._t.append(np.asarray(y_true).reshape(-1).copy())
        self._p.append(np.asarray(y_pred).reshape(-1).copy())

    def result(self):
        if not self._t:
            return 0.0
        t, p = np.concatenate(self._t) > 0.5, np.concatenate(self._p).astype(np.float64)
        n_pos, n_neg = int(t.sum()), int((~t).sum())
        if n_pos == 0 or n_neg == 0:
            return 0.0
        order = np.argsort(p, kind="mergesort")
        ranks = np.empty(len(p))
        sorted_p = p[order]
        # average ranks of ties
        _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
        avg = first + (counts + 1) / 2.0
        ranks[order] = np.repeat(avg, counts)
        return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


REGISTRY: Registry[Metric] = Registry("metric", Metric)
REGISTRY.add(BinaryAccuracy("binary_accuracy", threshold=0.5))
REGISTRY.add(CategoricalAccuracy("categorical_accuracy"))
REGISTRY.add(SparseCategoricalAccuracy("sparse_categorical_accuracy"))
REGISTRY.add(MeanAbsoluteError("mean_absolute_error"), aliases=("mae",))
REGISTRY.add(MeanSquaredError("mean_squared_error"), aliases=("mse",))
REGISTRY.add(AUC("auc"))
_ACCURACY = ("accuracy", "acc")


def get(identifier, **params) -> Metric:
    """A fresh metric from a name (``'mae'``) or a :class:`Metric` (copied, so each model keeps
    its own state). ``'accuracy'`` needs the loss and shapes: use :func:`resolve`."""
    obj = REGISTRY.get(identifier, **params)
    metric = obj.fresh()
    if isinstance(identifier, str):
        metric.name = identifier  # History keys use the user's spelling, as Keras
    return metric


def resolve(identifier, loss_name: str, units: int, sparse_targets: bool) -> Metric:
    """Resolve ``'accuracy'`` from the loss and shapes (Keras's rule); other names via :func:`get`."""
    if isinstance(identifier, str) and identifier.strip().lower() in _ACCURACY:
        if loss_name in ("binary_crossentropy", "binary_focal_crossentropy") or units == 1:
            base = "binary_accuracy"
        elif loss_name == "sparse_categorical_crossentropy" or sparse_targets:
            base = "sparse_categorical_accuracy"
        else:
            base = "categorical_accuracy"
        metric = REGISTRY.get(base).fresh()
        metric.name = identifier
        return metric
    return get(identifier)


def names() -> list:
    """Registered names and aliases (plus ``'accuracy'``, resolved at compile time)."""
    return sorted({*REGISTRY.names(), *_ACCURACY})


__all__ = ["Metric", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "MeanAbsoluteError", "MeanSquaredError", "AUC", "REGISTRY", "get", "resolve", "names"]
