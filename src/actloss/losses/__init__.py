"""Loss functions with exact gradients, per-sample values and Keras reductions::

    >>> from actloss import losses as L
    >>> float(L.mse([0.0, 1.0], [0.0, 3.0]))
    2.0
    >>> L.mse.grad([0.0, 1.0], [0.0, 3.0])
    array([[0.],
           [2.]])
"""

from .._registry import Registry
from ._base import REDUCTIONS, Loss, reduce_grad, reduce_values
from ._catalog import CATALOG, binary_crossentropy, categorical_crossentropy, mean_squared_error

REGISTRY: Registry[Loss] = Registry(
    "loss", Loss,
    callable_advice="Wrap it with actloss.losses.register(name, per_sample, grad) so that its "
                    "gradient is known and checked.")
for _obj, _aliases in CATALOG.items():
    REGISTRY.add(_obj, aliases=_aliases)


def get(identifier, **params) -> Loss:
    """The loss named ``identifier`` (case-insensitive, ``-`` == ``_``), configured with ``params``.

    >>> get("MSE", reduction="sum").reduction
    'sum'
    """
    return REGISTRY.get(identifier, **params)


def names() -> list:
    """Sorted list of the registered names and aliases."""
    return REGISTRY.names()


def __getattr__(name):
    if name in REGISTRY:
        return REGISTRY.get(name)
    raise AttributeError(f"module 'actloss.losses' has no attribute {name!r}")


__all__ = ["Loss", "REDUCTIONS", "REGISTRY", "get", "names", "reduce_values", "reduce_grad",
           "mean_squared_error", "binary_crossentropy", "categorical_crossentropy"]
