"""The Layer protocol shared by every layer, and ``Input``.

A layer is built lazily from its input shape (without the batch axis). Its weights are views
into the model's one flat parameter vector and its gradients views into the flat gradient
vector, so the optimizer updates the whole model at once. The training loop calls, per batch:

* ``forward(x, ws, training) -> y``: ``ws`` is the layer's workspace (preallocated buffers for
  this batch size, from :meth:`Layer.workspace`); the output is written into it. ``training``
  is True in fit, False in predict, and None for inference that keeps the logits of a fused
  sigmoid/softmax output layer (evaluate computes the loss from them).
* ``backward(g, ws, need_input_grad) -> g_in``: ``g`` is d loss / d output and may be
  overwritten; fills the weight gradients and returns d loss / d input (or None).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import math

import numpy as np

_counters: dict = defaultdict(itertools.count)


def _auto_name(prefix: str) -> str:
    n = next(_counters[prefix])
    return prefix if n == 0 else f"{prefix}_{n}"


def _shape_tuple(shape, argname: str) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"Expected {argname} to be a tuple of positive ints such as (10,); "
                        f"received {argname}={shape!r}") from None
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"Expected {argname} to be a tuple of positive ints such as (10,); "
                         f"received {argname}={shape!r}")
    return shape


class Layer:
    """Base class. ``input_shape=(d,)`` or ``input_dim=d`` on the first layer fixes the input."""

    _prefix = "layer"

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True,
                 dtype=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected argument(s) "
                            f"{sorted(kwargs)}")
        if input_dim is not None:
            input_shape = (input_dim,)
        self.name = name or _auto_name(self._prefix)
        self.input_shape = None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        self._declared_input_shape = self.input_shape
        self.output_shape = None
        self.trainable = trainable
        self.built = False
        self._weights: list[np.ndarray] = []
        self._grads: list[np.ndarray] = []

    # ------------------------------------------------------------------ building
    def build(self, input_shape: tuple) -> tuple:
        """Fix the input shape; return the output shape (batch axis excluded)."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def weight_specs(self) -> list:
        """``[(name, shape, initializer), ...]`` of the weights, once built."""
        return []

    def bind(self, weights: list, grads: list) -> None:
        """Receive the views into the model's flat parameter and gradient vectors."""
        self._weights, self._grads = weights, grads

    @property
    def weights(self) -> list:
        return list(self._weights)

    def count_params(self) -> int:
        return sum(int(math.prod(shape)) for _, shape, _ in self.weight_specs())

    def get_weights(self) -> list:
        """Copies of the weights, as Keras returns them."""
        return [w.copy() for w in self._weights]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        if len(weights) != len(self._weights):
            raise ValueError(f"layer {self.name!r} expects {len(self._weights)} weight arrays; "
                             f"received {len(weights)}")
        for i, (w, new) in enumerate(zip(self._weights, weights)):
            new = np.asarray(new)
            if new.shape != w.shape:
                raise ValueError(f"layer {self.name!r}: weight {i} must have shape {w.shape}; "
                                 f"received shape {new.shape}")
            np.copyto(w, new, casting="unsafe")

    # ------------------------------------------------------------------ hot path
    def workspace(self, batch: int, dtype) -> dict:
        """Buffers for batches of up to ``batch`` rows; the model slices them per batch."""
        return {}

    def forward(self, x, ws, training):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, g, ws, need_input_grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def regularization_loss(self) -> float:
        return 0.0

    def add_regularization_grads(self) -> None:
        pass

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __call__(self, x, training=False):
        """Apply the layer to a batch (building it if needed); for interactive use."""
        x = np.asarray(x)
        if not self.built:
            raise RuntimeError(f"layer {self.name!r} is not built; add it to a Sequential model")
        ws = {k: v[:x.shape[0]] for k, v in self.workspace(x.shape[0], x.dtype).items()}
        return self.forward(x, ws, training).copy()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class InputSpec:
    """``Input(shape=(10,))``: declares the model's input shape (Keras ``keras.Input``).

    In a :class:`~actloss.models.Sequential` it is not a layer of ``model.layers``, as in Keras.
    """

    def __init__(self, shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
        if batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        if shape is None:
            raise TypeError("Input: give shape=(d,), the shape of one sample without the batch axis")
        self.shape = _shape_tuple(shape, "shape")
        self.name = name or _auto_name("input_layer")
        self.batch_size = batch_size

    def __repr__(self):
        return f"<Input shape=(None, {', '.join(map(str, self.shape))})>"


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None) -> InputSpec:
    """The input of a model: ``Input(shape=(10,))`` (Keras ``keras.Input``)."""
    return InputSpec(shape, batch_size=batch_size, name=name, dtype=dtype,
                     batch_shape=batch_shape)
