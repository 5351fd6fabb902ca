"""Metrics with Keras's classes and names, for ``compile(metrics=[...])`` and on their own.

Every metric accumulates over batches: ``update_state(y_true, y_pred, sample_weight=None)``,
``result()``, ``reset_state()``, ``get_config()`` / ``from_config``; ``m(y_true, y_pred)``
updates and returns the result. Values match Keras 3's (its metric tests are ported in
``tests/keras_compat``); accumulators are float64.

Strings in ``compile`` (case-insensitive) are Keras's: the class name in snake case
(``'precision'``, ``'recall'``, ``'auc'``, ``'f1_score'``, ``'mean_absolute_error'``,
``'binary_crossentropy'`` ...), the class name itself (``'MeanSquaredError'``) and the aliases
``'mse'``, ``'mae'``, ``'mape'``, ``'msle'``, ``'rmse'``, ``'bce'``. ``'accuracy'`` (or ``'acc'``) is
resolved at compile time as Keras does (:func:`resolve`): binary accuracy when the loss is
binary cross-entropy or the model has one output unit, sparse categorical accuracy when the
loss is sparse categorical cross-entropy or the targets are integer labels, otherwise
categorical accuracy. ``fit`` passes no ``sample_weight`` to metrics (Keras's ``metrics``, not
``weighted_metrics``).

>>> import numpy as np
>>> m = get("binary_accuracy")
>>> m.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.7]])); m.result()
0.5
>>> m = BinaryAccuracy()
>>> m.update_state(np.array([1, 1, 0, 0]), np.array([[0.98], [1], [0], [0.6]])); m.result()
0.75
"""

from __future__ import annotations

from .._registry import Registry
from ._accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                        SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
from ._auc import AUC
from ._base import Mean, MeanMetricWrapper, Metric, Sum, snake_case
from ._confusion import (FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                         RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
                         TrueNegatives, TruePositives)
from ._fscore import F1Score, FBetaScore
from ._probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
                             KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge)
from ._regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                          MeanAbsolutePercentageError, MeanSquaredError,
                          MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError)
from ._thresholds import AUCCurve, AUCSummationMethod

_CLASSES = (Mean, Sum, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity,
            LogCoshError, R2Score, AUC, FalseNegatives, FalsePositives, Precision, Recall,
            TrueNegatives, TruePositives, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
            F1Score, FBetaScore, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge,
            CategoricalHinge)
# Keras's extra names (legacy aliases and the default names that differ from the class name)
_ALIASES = {"mean_squared_error": ("mse",), "mean_absolute_error": ("mae",),
            "mean_absolute_percentage_error": ("mape",),
            "mean_squared_logarithmic_error": ("msle",),
            "root_mean_squared_error": ("rmse",), "log_cosh_error": ("logcosh", "log_cosh"),
            "f_beta_score": ("fbeta_score",), "binary_crossentropy": ("bce",),
            "categorical_crossentropy": ("cce",), "kl_divergence": ("kld",)}
# Metrics that need a target value have no default instance to register.
_NEED_ARGS = (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
              SpecificityAtSensitivity)

REGISTRY: Registry[Metric] = Registry("metric", Metric)
for _cls in _CLASSES:
    _name = snake_case(_cls.__name__)
    _aliases = _ALIASES.get(_name, ()) + ((_cls.__name__,) if _name != _cls.__name__.lower()
                                          else ())  # 'MeanSquaredError' works, as in Keras
    REGISTRY.add(_cls(), _name, aliases=_aliases)
_ACCURACY = ("accuracy", "acc")


def get(identifier, **params) -> Metric:
    """A fresh metric from a name (``'mae'``, ``'precision'``), a config dict
    (``{'class_name': 'AUC', 'config': {...}}`` or :func:`serialize`'s output) or a
    :class:`Metric` (copied, so each model keeps its own state). ``'accuracy'`` needs the loss
    and shapes: use :func:`resolve`. With a name, the metric is named as written (History keys
    use the user's spelling, as Keras)."""
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = REGISTRY.get(identifier, **params)
    metric = obj.fresh()
    if isinstance(identifier, str) and "name" not in params:
        metric.name = identifier
    return metric


def resolve(identifier, loss, units: int, sparse_targets: bool) -> Metric:
    """Resolve ``'accuracy'`` from the loss and shapes (Keras's rule: binary for the binary
    cross-entropies, read here from the loss's ``link`` property, or one output unit; sparse
    for integer class targets); other names via :func:`get`."""
    if isinstance(identifier, str) and identifier.strip().lower() in _ACCURACY:
        if loss.link == "sigmoid" or units == 1:
            base = "binary_accuracy"
        elif loss.targets == "class_index" or sparse_targets:
            base = "sparse_categorical_accuracy"
        else:
            base = "categorical_accuracy"
        metric = REGISTRY.get(base).fresh()
        metric.name = identifier
        return metric
    return get(identifier)


def serialize(metric: Metric) -> dict:
    """``{'class_name': ..., 'config': metric.get_config()}`` (Keras's layout)."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


_BY_CLASS = {cls.__name__: cls for cls in (*_CLASSES, *_NEED_ARGS, Accuracy)}


def deserialize(config: dict) -> Metric:
    """A metric from :func:`serialize`'s output."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"deserialize expects {{'class_name': ..., 'config': {{...}}}}; "
                        f"received {config!r}")
    name = config["class_name"]
    if name not in _BY_CLASS:
        raise ValueError(f"Unknown metric class {name!r}; known: {sorted(_BY_CLASS)}")
    return _BY_CLASS[name].from_config(dict(config.get("config", {})))


def names() -> list:
    """Registered names and aliases (plus ``'accuracy'``, resolved at compile time)."""
    return sorted({*REGISTRY.names(), *_ACCURACY})


__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "RootMeanSquaredError",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "CosineSimilarity", "LogCoshError", "R2Score", "TruePositives", "FalsePositives",
           "TrueNegatives", "FalseNegatives", "Precision", "Recall", "PrecisionAtRecall",
           "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "AUC",
           "AUCCurve", "AUCSummationMethod", "FBetaScore", "F1Score", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
           "Hinge", "SquaredHinge", "CategoricalHinge", "REGISTRY", "get",
           "resolve", "serialize", "deserialize", "names"]
