"""Keras-style models: ``Sequential`` and ``load_model``.

>>> from actloss.models import Sequential
>>> from actloss.layers import Dense
>>> Sequential([Dense(1, input_shape=(2,))]).count_params()
3
"""

from ._saving import load_model
from ._sequential import Sequential, Trace

__all__ = ["Sequential", "load_model", "Trace"]
