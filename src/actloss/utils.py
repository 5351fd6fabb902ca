"""Reproducibility: one seed for every random draw of actloss (weights, shuffling, dropout).

``set_random_seed(s)`` (the Keras name) seeds Python's ``random``, NumPy's global generator and
actloss's own generator, so two runs of the same script are bit-identical::

    >>> import numpy as np
    >>> from actloss.utils import set_random_seed
    >>> set_random_seed(0); a = rng().random()
    >>> set_random_seed(0); b = rng().random()
    >>> a == b
    True

Without a call to ``set_random_seed``, actloss draws its seeds from NumPy's global generator, so
``np.random.seed(0)`` at the top of a script (as the Keras tutorials write) also makes it repeatable.
"""

from __future__ import annotations

import random

import numpy as np

_state: dict = {"rng": None}


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, ``np.random`` and actloss's generator with ``seed`` (an int >= 0)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: expected an integer >= 0; received seed={seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _state["rng"] = np.random.default_rng(int(seed))


def new_seed() -> int:
    """A seed for a new stream (a model's): from the seeded generator, or from ``np.random``."""
    g = _state["rng"]
    if g is None:
        return int(np.random.randint(2**31 - 1))
    return int(g.integers(2**63 - 1))


def rng() -> np.random.Generator:
    """actloss's generator: the seeded one, or a fresh one seeded from ``np.random``'s state."""
    g = _state["rng"]
    if g is None:  # follow np.random.seed: each call draws a new seed from the global state
        return np.random.default_rng(np.random.randint(0, 2**31 - 1, size=2))
    return g


def to_categorical(x, num_classes=None) -> np.ndarray:
    """One-hot encode integer class labels (Keras's ``utils.to_categorical``): labels of shape
    ``(n,)`` (or ``(n, 1)``) give ``(n, num_classes)`` with a 1 in each row's class column.
    ``num_classes`` defaults to ``max(x) + 1``. Returns float64, as Keras does for NumPy input.

    >>> to_categorical([0, 2, 1]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    a = np.asarray(x)
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and a.size
                                          and np.all(np.isfinite(a)) and np.all(a == np.rint(a))):
        if a.size:
            raise ValueError(f"to_categorical expects integer class labels; received an array of "
                             f"dtype {a.dtype}" + (" (text labels: encode them first with "
                             "np.unique(x, return_inverse=True))" if a.dtype.kind in "USO"
                             else ""))
    a = a.astype(np.int64)
    shape = a.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = a.reshape(-1)
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"to_categorical: expected num_classes to be a positive integer; "
                         f"received num_classes={num_classes!r}")
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes - 1}]; received "
                         f"labels in [{flat.min()}, {flat.max()}]")
    out = np.zeros((flat.size, int(num_classes)))
    out[np.arange(flat.size), flat] = 1
    return out.reshape(*shape, int(num_classes))


__all__ = ["set_random_seed", "rng", "to_categorical"]
