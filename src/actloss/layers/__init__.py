"""Layers with Keras names: ``Dense``, ``Activation``, ``Dropout``, ``Flatten`` and ``Input``.

>>> from actloss.layers import Dense, Input
>>> Dense(10, input_dim=10, activation="relu").activation.name
'relu'
>>> Input(shape=(10,)).shape
(10,)
"""

from ._base import Input, InputSpec, Layer
from ._core import LAYERS, Activation, Dense, Dropout, Flatten


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
           "deserialize", "serialize"]
