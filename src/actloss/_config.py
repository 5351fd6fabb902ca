"""Global settings: the default float type of models (Keras's ``floatx``)."""

import numpy as np

_FLOATX = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
_state = {"floatx": "float32"}


def floatx() -> str:
    """Return the default float type of model weights and data, ``'float32'`` unless changed.

    >>> floatx()
    'float32'
    """
    return _state["floatx"]


def set_floatx(value: str) -> None:
    """Set the default float type: ``'float16'``, ``'float32'`` (default, as Keras) or ``'float64'``.

    Affects models built afterwards. The catalog functions always keep their input's dtype.
    """
    if value not in _FLOATX:
        raise ValueError(f"set_floatx: expected one of {sorted(_FLOATX)}; received value={value!r}")
    _state["floatx"] = value


def floatx_dtype() -> np.dtype:
    return np.dtype(_FLOATX[_state["floatx"]])
