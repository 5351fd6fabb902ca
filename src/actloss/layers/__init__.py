"""Layers with Keras names: ``Dense``, ``Activation``, ``Dropout``, ``Flatten``, ``Input``,
``BatchNormalization``, ``LayerNormalization`` and the activation layers ``ReLU``,
``LeakyReLU``, ``Softmax``, ``ELU``.

A layer called on an array builds itself and runs (Keras's eager call):

>>> import numpy as np
>>> from actloss.layers import Dense, Input
>>> Dense(10, input_dim=10, activation="relu").activation.name
'relu'
>>> Input(shape=(10,)).shape
(10,)
>>> Dense(3)(np.ones((2, 4))).shape
(2, 3)
"""

from ._activation_layers import ELU, LeakyReLU, ReLU, Softmax
from ._base import Input, InputSpec, Layer, allocate_weights, sample_shape
from ._core import Activation, Dense, Dropout, Flatten
from ._normalization import BatchNormalization, LayerNormalization

LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten, BatchNormalization,
                                        LayerNormalization, ReLU, LeakyReLU, Softmax, ELU)}


def deserialize(config: dict) -> Layer:
    """Rebuild a layer from ``{"class_name": ..., "config": ...}`` (what saving writes)."""
    cls = LAYERS.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown layer class {config.get('class_name')!r}; "
                         f"known: {sorted(LAYERS)}")
    return cls.from_config(dict(config["config"]))


def serialize(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = ["Layer", "Dense", "Activation", "Dropout", "Flatten", "Input", "InputSpec",
           "BatchNormalization", "LayerNormalization", "ReLU", "LeakyReLU", "Softmax", "ELU",
           "LAYERS", "deserialize", "serialize", "allocate_weights", "sample_shape"]
