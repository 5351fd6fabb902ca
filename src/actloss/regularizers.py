"""Weight penalties added to the training loss: ``l1``, ``l2``, ``l1_l2`` (Keras names).

.. math::  R(W) = \\ell_1 \\sum |w| + \\ell_2 \\sum w^2, \\qquad
           \\nabla R = \\ell_1\\,\\mathrm{sign}(w) + 2\\,\\ell_2\\,w

Defaults are Keras's: ``l1(0.01)``, ``l2(0.01)``, ``l1_l2(l1=0.0, l2=0.0)``. The penalty is added
to the reported loss, as Keras does. Note PyTorch's ``weight_decay=λ`` in SGD adds ``λ w`` to the
gradient, which equals our ``l2(λ / 2)``.

>>> import numpy as np
>>> r = get("l2")
>>> float(r(np.array([1.0, -2.0])))
0.05
>>> r.gradient(np.array([1.0, -2.0])).tolist()
[0.02, -0.04]
"""

from __future__ import annotations

import numpy as np

from ._registry import Registry


class Regularizer:
    """``l1 * sum|w| + l2 * sum w^2``; ``add_gradient(w, g)`` adds its gradient into ``g``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        for label, v in (("l1", l1), ("l2", l2)):
            if not (isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v >= 0):
                raise ValueError(f"Expected {label} to be a finite number >= 0; received {label}={v!r}")
        self.l1, self.l2 = float(l1), float(l2)

    @property
    def name(self) -> str:
        return "l1_l2" if self.l1 and self.l2 else "l1" if self.l1 else "l2"

    def __call__(self, w: np.ndarray) -> float:
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.sum(np.abs(w), dtype=np.float64))
        if self.l2:
            flat = w.reshape(-1)
            total += self.l2 * float(np.dot(flat, flat))
        return total

    def gradient(self, w: np.ndarray) -> np.ndarray:
        g = np.zeros_like(w)
        self.add_gradient(w, g)
        return g

    def add_gradient(self, w: np.ndarray, g: np.ndarray) -> None:
        """``g += dR/dw`` in place (the training loop's path)."""
        if self.l2:
            g += (2.0 * self.l2) * w
        if self.l1:
            g += self.l1 * np.sign(w)

    def get_config(self) -> dict:
        return {"name": "l1_l2", "l1": self.l1, "l2": self.l2}

    def with_params(self, **params) -> "Regularizer":
        return Regularizer(**{"l1": self.l1, "l2": self.l2, **params})

    def __repr__(self):
        return f"Regularizer(l1={self.l1!r}, l2={self.l2!r})"

    def __eq__(self, other):
        return isinstance(other, Regularizer) and (other.l1, other.l2) == (self.l1, self.l2)

    __hash__ = None


def l1(l1: float = 0.01) -> Regularizer:  # noqa: D103 - Keras spelling
    """``l1 * sum|w|`` (Keras ``L1``, default 0.01)."""
    return Regularizer(l1=l1)


def l2(l2: float = 0.01) -> Regularizer:
    """``l2 * sum w^2`` (Keras ``L2``, default 0.01)."""
    return Regularizer(l2=l2)


def l1_l2(l1: float = 0.0, l2: float = 0.0) -> Regularizer:
    """Both penalties (Keras ``L1L2``; the function ``l1_l2`` defaults to 0.01 each in Keras,
    the class to 0.0; we follow the class)."""
    return Regularizer(l1=l1, l2=l2)


L1, L2, L1L2 = l1, l2, l1_l2

REGISTRY: Registry[Regularizer] = Registry("regularizer", Regularizer)
REGISTRY.add(l1(), "l1")
REGISTRY.add(l2(), "l2")
REGISTRY.add(l1_l2(), "l1_l2", aliases=("l1l2",))


def get(identifier, **params):
    """A regularizer by name (``'l2'``), config dict or object; ``None`` stays ``None``."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        config = dict(identifier)
        config.pop("name", None)
        return Regularizer(**config, **params)
    return REGISTRY.get(identifier, **params)


__all__ = ["Regularizer", "l1", "l2", "l1_l2", "L1", "L2", "L1L2", "get", "REGISTRY"]
