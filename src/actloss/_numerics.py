"""Shared numerics: input conversion and the lazily imported parts of SciPy.

``scipy.special`` costs tens of milliseconds to import, so the catalog reaches it through
:func:`special` on first use, which keeps ``import actloss`` lean.
"""

from functools import cache

import numpy as np

FLOAT_TYPES = (np.float16, np.float32, np.float64)


@cache
def special():
    """The ``scipy.special`` module, imported on first call."""
    import scipy.special

    return scipy.special


def as_float_array(x, name: str = "x") -> np.ndarray:
    """``np.asarray(x)`` with floats kept as they are and integers/bools promoted to float64."""
    arr = np.asarray(x)
    if arr.dtype.type in FLOAT_TYPES:
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind == "f":  # longdouble and other exotic floats
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; "
                        f"expected float16, float32, float64, integer or bool")
    raise TypeError(f"{name}: expected a real numeric array, received dtype {arr.dtype} "
                    f"({type(x).__name__})")
