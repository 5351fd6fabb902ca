"""Activation functions with exact derivatives.

Module attributes are ready-made :class:`Activation` objects; :func:`get` finds one by name::

    >>> from actloss import activations as A
    >>> A.relu([-2.0, 3.0])
    array([0., 3.])
    >>> A.get("Logistic").name
    'sigmoid'
"""

import numpy as np

from .._catalog import check_against_differences
from .._registry import Registry
from ._base import Activation
from ._catalog import CATALOG

REGISTRY: Registry[Activation] = Registry(
    "activation", Activation,
    callable_advice="Wrap it with actloss.activations.register(name, fn, grad) so that its "
                    "derivative is known and checked.")
for _obj, _aliases in CATALOG.items():
    REGISTRY.add(_obj, aliases=_aliases)
globals().update({_obj.name: _obj for _obj in CATALOG})


def get(identifier, **params) -> Activation:
    """The activation named ``identifier`` (case-insensitive, ``-`` == ``_``), configured with
    ``params``. An :class:`Activation` passes through (re-configured if ``params`` are given);
    ``None`` means ``linear``, as in Keras.

    >>> get("leaky-relu", alpha=0.1)
    Activation('leaky_relu', negative_slope=0.1)
    >>> get("Swish").name
    'silu'
    """
    if identifier is None:
        identifier = "linear"
    return REGISTRY.get(identifier, **params)


def names() -> list:
    """Sorted list of the registered names and aliases."""
    return REGISTRY.names()


def register(name, fn, grad, *, aliases=(), check=True, **meta) -> Activation:
    """Register a user's elementwise activation ``fn`` with its derivative ``grad``.

    ``fn`` and ``grad`` receive float64 arrays (float16/float32 inputs are computed in float64
    and rounded once, as the catalog's). ``grad`` is checked against central finite differences
    on [-6, 6] in float64 first; a disagreement raises ``ValueError`` naming the worst point.
    Metadata (``formula``, ``pros`` ...) and the properties that layers, diagnostics and the
    lab read may be passed as keywords; their defaults: ``can_die=False``,
    ``saturates=False``, ``initializer="glorot_uniform"``, ``logits_losses=()``,
    ``identity=False``, ``monotonic=None``, ``outputs_probabilities=False``.

    >>> import numpy as np
    >>> sq = register("square_demo", lambda x: x * x, lambda x: 2 * x, monotonic=None)
    >>> sq(np.array([3.0])), sq.initializer
    (array([9.]), 'glorot_uniform')
    """
    act = Activation(name, fn, grad, user=True, **meta)
    if check:
        _check_user_grad(act)
    REGISTRY.add(act, aliases=aliases)
    return act


def _check_user_grad(act: Activation) -> None:
    x = np.linspace(-6.0, 6.0, 241) + 1e-3  # off the kinks at integers and 0
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    numeric = (act(x + h) - act(x - h)) / (2 * h)
    check_against_differences(
        f"register({act.name!r})", act.grad(x), numeric, lambda i: f"x={x[i]:.6g}",
        hint=" Check grad, or pass check=False if fn is not differentiable there.")


def __getattr__(name):
    if name in REGISTRY:
        return REGISTRY.get(name)
    raise AttributeError(f"module 'actloss.activations' has no attribute {name!r}")


__all__ = ["Activation", "REGISTRY", "get", "names", "register",
           *(obj.name for obj in CATALOG)]
