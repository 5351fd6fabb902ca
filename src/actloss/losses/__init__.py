"""Loss functions with exact gradients, per-sample values and Keras reductions::

    >>> from actloss import losses as L
    >>> float(L.mse([0.0, 1.0], [0.0, 3.0]))
    2.0
    >>> L.mse.grad([0.0, 1.0], [0.0, 3.0])
    array([0., 2.])
    >>> L.get("huber", delta=2.0, reduction="sum").params
    {'delta': 2.0, 'reduction': 'sum'}

Reductions (:func:`reduce`, the one reduction used by losses, training and the fused path):
``'mean'`` (default) = sum_i w_i l_i / n, as Keras ``sum_over_batch_size``; ``'sum'``;
``'mean_with_sample_weight'`` = sum_i w_i l_i / sum_i w_i; ``'none'`` (the per-sample values,
times the weights). Keras's spellings are accepted. Parameters may be given per call:
``L.bce(y, logits, from_logits=True)``. Predictions follow IEEE (NaN gives NaN for its sample,
+-inf the mathematical limit, no warning); targets must be finite.

Weighted mean: ours (Keras) divides sum_i w_i l_i by n; PyTorch's weighted cross-entropy and
scikit-learn's ``sample_weight`` divide by sum_i w_i instead.
"""

import numpy as np

from .._catalog import check_against_differences
from .._registry import Registry
from ._base import Loss
from ._catalog import CATALOG
from ._common import same_shape
from ._custom import from_function
from ._keras import CLASSES as KERAS_CLASSES
from ._keras import KerasLoss, make_class, serialize
from ._keras import deserialize as _deserialize
from ._reduction import KERAS_REDUCTIONS, REDUCTIONS, check_weights, reduce, standardize_reduction

REGISTRY: Registry[Loss] = Registry(
    "loss", Loss,
    callable_advice="Pass it to actloss.losses.get (numerical gradient), or register it with "
                    "actloss.losses.register(name, per_sample, grad) (exact gradient).")
for _obj, _aliases in CATALOG.items():
    REGISTRY.add(_obj, aliases=_aliases)
globals().update({_obj.name: _obj for _obj in CATALOG})


def get(identifier, **params) -> Loss:
    """The :class:`Loss` for ``identifier``, configured with ``params``.

    ``identifier``: a registered name or alias (case-insensitive, ``-`` == ``_``), a Keras class
    name (``"BinaryCrossentropy"``), a Loss, a Keras loss object (``BinaryCrossentropy(...)``) or
    class, a serialized config (see :func:`serialize`), or a plain function
    ``fn(y_true, y_pred)`` returning per-sample or per-element losses (gradient taken
    numerically, see :mod:`actloss.losses._custom`).

    >>> get("MSE", reduction="sum").reduction
    'sum'
    >>> get(BinaryCrossentropy(from_logits=True)).params["from_logits"]
    True
    """
    if isinstance(identifier, KerasLoss):
        identifier = identifier.loss
    elif isinstance(identifier, type) and issubclass(identifier, KerasLoss):
        identifier = identifier().loss
    elif isinstance(identifier, dict):
        identifier = deserialize(identifier).loss
    elif isinstance(identifier, str) and identifier in KERAS_CLASSES:
        identifier = KERAS_CLASSES[identifier]().loss
    elif callable(identifier) and not isinstance(identifier, (Loss, type)):
        identifier = from_function(identifier)
    return REGISTRY.get(identifier, **params)


def names() -> list:
    """Sorted list of the registered names and aliases."""
    return REGISTRY.names()


def register(name, per_sample, grad, *, aliases=(), check=True, task="regression", **meta) -> Loss:
    """Register a user's loss: ``per_sample(y_true, y_pred) -> (n,)`` and its gradient
    ``grad(y_true, y_pred) -> like y_pred`` (of each sample's own loss, unreduced).

    Both receive float arrays of shape (n, d) (y_true of y_pred's shape, (n,) against (n, 1)
    accepted). ``grad`` is checked first against central finite differences in float64 at
    random points (y_true in [0, 1], y_pred in [0.1, 0.9]); a disagreement raises ``ValueError``
    naming the worst entry. Metadata (``formula``, ``pros`` ...) may be passed as keywords.

    >>> import numpy as np
    >>> quartic = register("quartic_demo", lambda t, p: np.mean((p - t) ** 4, axis=-1),
    ...                    lambda t, p: 4 * (p - t) ** 3 / p.shape[-1])
    >>> float(quartic([0.0, 0.0], [1.0, 2.0]))
    8.5
    """
    def validate(y_true, p, **_):
        return same_shape(name, y_true, p)

    def kernel(t, p):
        return (np.asarray(per_sample(t, p), dtype=p.dtype).reshape(p.shape[0]),
                np.asarray(grad(t, p), dtype=p.dtype).reshape(p.shape))

    loss = Loss(name, kernel, elementwise=False, validate=validate, task=task,
                doc=meta.pop("doc", per_sample.__doc__), **meta)
    if check:
        _check_user_grad(loss)
    REGISTRY.add(loss, aliases=aliases)
    _add_class(loss)
    return loss


def _check_user_grad(loss: Loss) -> None:
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 1, (4, 3))
    p = rng.uniform(0.1, 0.9, (4, 3))
    with np.errstate(all="ignore"):
        analytic = loss.grad_unchecked(t, p)
        numeric = np.empty_like(p)
        for idx in np.ndindex(*p.shape):
            h = 1e-6 * max(1.0, abs(p[idx]))
            up, down = p.copy(), p.copy()
            up[idx] += h
            down[idx] -= h
            numeric[idx] = (loss.per_sample_unchecked(t, up)[idx[0]]
                            - loss.per_sample_unchecked(t, down)[idx[0]]) / (2 * h)
    check_against_differences(
        f"register({loss.name!r})", analytic, numeric,
        lambda i: f"y_true={t[i]:.6g}, y_pred={p[i]:.6g} (entry {i})",
        hint=" Check the gradient, or pass check=False.")


def deserialize(config, custom_objects=None):
    """The Keras loss object of a :func:`serialize` result, or of a loss name."""
    if isinstance(config, str):
        return get(config)
    return _deserialize(config, custom_objects)


def _add_class(loss: Loss) -> None:
    cls = make_class(loss)   # also recorded in KERAS_CLASSES
    globals()[cls.__name__] = cls


for _obj in CATALOG:
    _add_class(_obj)


def __getattr__(name):
    if name in REGISTRY:
        return REGISTRY.get(name)
    raise AttributeError(f"module 'actloss.losses' has no attribute {name!r}")


__all__ = ["Loss", "REDUCTIONS", "KERAS_REDUCTIONS", "REGISTRY", "get", "names", "register",
           "reduce", "standardize_reduction", "check_weights", "KerasLoss", "KERAS_CLASSES",
           "serialize", "deserialize", "from_function", *sorted(KERAS_CLASSES),
           "mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "log_loss", "huber", "smooth_l1", "smooth_l2", "log_cosh", "hinge", "squared_hinge",
           "categorical_hinge", "kl_divergence", "poisson", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "cosine_similarity", "binary_focal_crossentropy"]
