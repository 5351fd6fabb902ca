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


__all__ = ["set_random_seed", "rng"]
