"""The metric base class, Keras's shape alignment and the (weighted) ``Mean`` and ``Sum``.

A metric accumulates over batches: ``update_state(y_true, y_pred, sample_weight=None)``,
``result()``, ``reset_state()``; calling it (``m(y_true, y_pred)``) updates and returns the
result, as in Keras. Accumulators are float64 whatever ``dtype`` says (``dtype`` is kept for
Keras's configs only), and results are Python floats (NumPy arrays for vector results).
"""

from __future__ import annotations

import re

import numpy as np

from .._config import floatx


def snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``'FBetaScore'`` -> ``'f_beta_score'``, ``'AUC'`` -> ``'auc'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's alignment of two arrays whose ranks differ by one in a trailing axis of size 1:
    labels ``(n,)`` against predictions ``(n, 1)`` become ``(n, 1)`` and ``(n, 1)`` (not a
    broadcast ``(n, n)``); with ``expand_rank_1=False`` the longer one is squeezed instead."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def reduce_to_samplewise(values, sample_weight, reduce_fn):
    """Keras's ``reduce_to_samplewise_values``: per-sample values ``(n,)`` (the trailing axes
    reduced with ``reduce_fn``) and the per-sample weights that go with them (or None)."""
    values = np.asarray(values, dtype=np.float64)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = sample_weight.ndim, values.ndim
        if v_ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, v_ndim)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        # a zero weight removes the value, even an infinite or NaN one
        with np.errstate(invalid="ignore"):
            values = np.where(sample_weight == 0, 0.0, values * sample_weight)
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def as_result(x):
    """A scalar as a Python float, a vector as a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


class Variable(np.ndarray):
    """A view of an accumulator array with a ``name``, as Keras's metric variables have."""

    name = None

    @classmethod
    def of(cls, array, name):
        view = np.asarray(array).view(cls)
        view.name = name
        return view


class Metric:
    """Base class of every metric, with Keras's interface.

    Subclasses define ``update_state``, ``result`` and, when they take parameters beyond
    ``name`` and ``dtype``, ``get_config``. ``variables`` lists the accumulator arrays (Keras
    counts them in its tests); ``reset_state`` zeroes them.

    ``kind`` tells ``Sequential.fit`` which target form to pass during training: ``'dense'``
    (float ``(n, units)``, like the predictions) or ``'sparse'`` (integer labels ``(n,)``).
    """

    kind = "dense"
    _variable_names: tuple = ()
    # Keras's hint for callbacks in mode='auto': "up" (maximize), "down" (minimize) or None
    _direction = None

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str; received {name!r}")
        self.name = name or snake_case(type(self).__name__)
        self._dtype = str(np.dtype(dtype)) if dtype is not None else floatx()
        self.reset_state()

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list:
        """The accumulators (views that carry their Keras ``name``), in Keras's order."""
        return [Variable.of(getattr(self, k), k) for k in self._variable_names
                if getattr(self, k, None) is not None]

    def reset_state(self) -> None:
        for k in self._variable_names:
            v = getattr(self, k, None)
            if isinstance(v, np.ndarray):
                v[...] = 0
            else:
                setattr(self, k, np.zeros((), np.float64))

    def update_state(self, y_true, y_pred, sample_weight=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def with_params(self, **params) -> "Metric":
        """A new metric of this class with its config updated by ``params``."""
        return type(self).from_config({**self.get_config(), **params})

    def fresh(self) -> "Metric":
        """A new metric with the same config and empty state."""
        return self.with_params()

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Sum(Metric):
    """The (weighted) sum of ``values``: ``m.update_state([1, 3, 5, 7])`` gives 16.

    >>> m = Sum(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
    4.0
    """

    _variable_names = ("total",)

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise(values, sample_weight, np.sum)
        self.total += np.sum(values)

    def result(self):
        return float(self.total)


class Mean(Metric):
    """The (weighted) mean of ``values``: ``sum(w * v) / sum(w)``; per sample first (trailing
    axes averaged), as Keras. 0 before any update (Keras's ``divide_no_nan``).

    >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
    2.0
    """

    _variable_names = ("total", "count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise(values, sample_weight, np.mean)
        self.total += np.sum(values)
        if sample_weight is not None:
            self.count += np.sum(sample_weight)
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        return float(self.total / self.count) if self.count != 0 else 0.0


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)`` (per-sample or per-element values),
    as Keras's ``MeanMetricWrapper``.

    >>> import numpy as np
    >>> m = MeanMetricWrapper(lambda t, p: np.abs(t - p), name="l1")
    >>> m(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
    0.5
    """

    fn = None  # subclasses set their function here

    def __init__(self, fn=None, name=None, dtype=None, **kwargs):
        self._fn = fn if fn is not None else type(self).fn
        if not callable(self._fn):
            raise TypeError(f"MeanMetricWrapper: fn must be a function fn(y_true, y_pred); "
                            f"received fn={fn!r}")
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(self._fn, "__name__", None), dtype=dtype)

    def values(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        # IEEE results (inf, NaN) without warnings, as everywhere in actloss
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            values = self.values(y_true, y_pred)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = self._fn
        return {**config, **self._fn_kwargs}


def aligned(y_true, y_pred):
    """``y_true`` and ``y_pred`` as float arrays with Keras's rank alignment."""
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind not in "fc":
        y_pred = y_pred.astype(np.float64)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)
