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


# Stable primitives shared by the activation and loss catalogs. Pure NumPy on purpose: the
# training hot path must not import scipy.special (250 ms). Owned by the activation catalog,
# whose tests measure their accuracy in ULPs.

def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only taken of -|x|."""
    e = np.exp(-np.abs(x))
    num = np.where(x >= 0, 1, e)
    return np.divide(num, 1 + e, out=out)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), exact for large negative x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, shifted by the maximum so nothing overflows."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
