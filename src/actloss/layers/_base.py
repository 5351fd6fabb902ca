"""The Layer protocol shared by every layer, and ``Input``.

A layer is built lazily from its input shape. Its weights are views into one flat parameter
vector (the model's, or the layer's own when it is called on its own) and its gradients views
into the matching flat gradient vector, so the optimizer updates the whole model at once.
The training loop calls, per batch:

* ``forward(x, ws, training) -> y``: ``ws`` is the layer's workspace (preallocated buffers for
  this batch size, from :meth:`Layer.workspace`); the output is written into it. ``training``
  is True in fit, False in predict, and None for inference that keeps the logits of a fused
  sigmoid/softmax output layer (evaluate computes the loss from them). A workspace holding the
  key ``"pre"`` asks the layer to record its pre-activation there (diagnostics).
* ``backward(g, ws, need_input_grad) -> g_in``: ``g`` is d loss / d output and may be
  overwritten; fills the weight gradients and returns d loss / d input (or None).
* ``commit(ws)``, for layers with ``stateful = True`` (BatchNormalization), after an update
  that was applied: moves the layer's running state (moving statistics) by that batch.

Shapes: ``build``, ``compute_output_shape`` and ``layer(x)`` take Keras's batch shapes
(``(None, d)`` or ``(batch, d)``); ``layer.input_shape`` and ``layer.output_shape`` are the
shapes of one sample, as the model stores them.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np

from .._config import floatx_dtype
from ..utils import rng as _rng

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


def sample_shape(input_shape) -> tuple:
    """The shape of one sample from a Keras batch shape: ``(None, d)`` and ``(32, d)`` give
    ``(d,)``. A one-element shape ``(d,)`` is taken as a sample shape already (so ``build((4,))``
    keeps working); Keras would read it as a batch of scalars, which no layer here accepts."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"Expected input_shape to be a tuple such as (None, 10); received "
                        f"input_shape={input_shape!r}") from None
    if len(shape) >= 2 or (shape and shape[0] is None):
        shape = shape[1:]
    return _shape_tuple(shape, "input_shape")


def allocate_weights(layers, dtype, rng, kept=None):
    """Create the weights of ``layers`` (built) in one flat vector: returns ``(params, grads,
    sizes)``. Each layer receives views into them (:meth:`Layer.bind`); initializers draw from
    ``rng``. ``kept``: weight arrays to put back where the shapes still match (a model that
    gained a layer keeps the weights it had)."""
    specs = [layer.weight_specs() for layer in layers]
    sizes = [int(math.prod(s)) for layer_specs in specs for _, s, _ in layer_specs]
    params = np.zeros(sum(sizes), dtype)
    grads = np.zeros(sum(sizes), dtype)
    offset = 0
    for layer, layer_specs in zip(layers, specs):
        ws, gs = [], []
        for _, s, init in layer_specs:
            n = int(math.prod(s))
            w = params[offset:offset + n].reshape(s)
            if hasattr(init, "get_config"):
                w[...] = init(s, dtype=dtype, rng=rng)
            else:  # a user's callable f(shape, dtype)
                w[...] = np.asarray(init(s, dtype))
            ws.append(w)
            gs.append(grads[offset:offset + n].reshape(s))
            offset += n
        layer.bind(ws, gs)
        if getattr(layer, "rate", None) is not None and getattr(layer, "seed", 0) is None:
            layer.rng = rng
    if kept is not None:
        k = 0
        for layer in layers:
            n = len(layer.weights)
            if k + n <= len(kept) and all(b is not None and a.shape == b.shape for a, b in
                                          zip(layer.weights, kept[k:k + n])):
                layer.set_weights(kept[k:k + n])
            k += n
    return params, grads, sizes


class Layer:
    """Base class. ``input_shape=(d,)`` or ``input_dim=d`` on the first layer fixes the input.

    ``trainable=False`` freezes the layer's weights (they count as non-trainable in
    ``summary()`` and the optimizer leaves them as they are); weights named in
    ``_non_trainable`` (BatchNormalization's moving statistics) are never trained.
    """

    _prefix = "layer"
    _non_trainable: tuple = ()
    stateful = False

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True,
                 dtype=None, batch_input_shape=None, batch_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected argument(s) "
                            f"{sorted(kwargs)}")
        if input_dim is not None:
            input_shape = (input_dim,)
        for batch in (batch_input_shape, batch_shape):
            if batch is not None:
                input_shape = tuple(batch)[1:]
        self.name = name or _auto_name(self._prefix)
        self.input_shape = None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        self._declared_input_shape = self.input_shape
        self.output_shape = None
        self.trainable = trainable
        self.built = False
        self._weights: list[np.ndarray] = []
        self._grads: list[np.ndarray] = []

    # ------------------------------------------------------------------ building
    def build(self, input_shape) -> None:
        """Keras's ``build``: fix the input shape, given as a batch shape ``(None, d)`` (or
        ``(d,)``), and create the layer's own weights (``floatx``). In a model the model
        creates the weights instead, in its flat vector (:meth:`build_shapes` only)."""
        self.build_shapes(input_shape)
        if self.weight_specs():
            allocate_weights([self], floatx_dtype(), _rng())

    def build_shapes(self, input_shape) -> None:
        """Fix the input and output shapes (no weights)."""
        self.input_shape = sample_shape(input_shape)
        self.output_shape = self.output_sample_shape(self.input_shape)
        self.built = True

    def output_sample_shape(self, shape: tuple) -> tuple:
        """The output shape of one sample of ``shape`` (batch axis excluded)."""
        return tuple(shape)

    def compute_output_shape(self, input_shape) -> tuple:
        """Keras's ``compute_output_shape``: batch shape in, batch shape out
        (``Dense(3).compute_output_shape((None, 4)) == (None, 3)``)."""
        shape = tuple(input_shape)
        batch = shape[0] if len(shape) >= 2 or (shape and shape[0] is None) else None
        return (batch, *self.output_sample_shape(sample_shape(shape)))

    def weight_specs(self) -> list:
        """``[(name, shape, initializer), ...]`` of the weights, once built."""
        return []

    def bind(self, weights: list, grads: list) -> None:
        """Receive the views into the flat parameter and gradient vectors."""
        self._weights, self._grads = weights, grads

    @property
    def weights(self) -> list:
        return list(self._weights)

    def trainable_flags(self) -> list:
        """One bool per weight (in ``weights`` order): is it trained?"""
        names = [name for name, _, _ in self.weight_specs()] if self.built else []
        return [self.trainable and name not in self._non_trainable for name in names]

    @property
    def trainable_weights(self) -> list:
        return [w for w, t in zip(self._weights, self.trainable_flags()) if t]

    @property
    def non_trainable_weights(self) -> list:
        return [w for w, t in zip(self._weights, self.trainable_flags()) if not t]

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

    def commit(self, ws) -> None:
        """Advance the running state after a training batch (stateful layers only)."""

    def penalized(self) -> bool:
        """Whether the layer adds a weight penalty (a regularizer) to the loss."""
        return False

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
        """Apply the layer to a batch, as Keras's ``layer(x)``: an unbuilt layer builds itself
        from ``x.shape`` and creates its own weights (``floatx`` dtype) first. ``training=True``
        runs the training behaviour (dropout, batch statistics, which it then commits)."""
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(f"layer {self.name!r} expects a batch of shape (batch, ...); "
                             f"received an array of shape {x.shape}")
        if not self.built:
            self.build_shapes((None, *x.shape[1:]))
        if not self._weights and self.weight_specs():
            allocate_weights([self], floatx_dtype(), _rng())
        if tuple(x.shape[1:]) != tuple(self.input_shape):
            raise ValueError(f"Input of shape {x.shape} is incompatible with the layer "
                             f"{self.name!r}: expected samples of shape {self.input_shape}, "
                             f"i.e. an input of shape {(None, *self.input_shape)}")
        if getattr(self, "rng", 0) is None:  # Dropout outside a model: actloss's generator
            self.rng = _rng()
        dtype = self._weights[0].dtype if self._weights else \
            (x.dtype if x.dtype.kind == "f" else floatx_dtype())
        x = np.asarray(x, dtype)
        ws = self.workspace(x.shape[0], dtype)
        with np.errstate(all="ignore"):
            y = self.forward(x, ws, bool(training)).copy()
        if training and self.stateful:
            self.commit(ws)
        return y

    # pickling (Keras models pickle): catalog objects travel as their configs, since their
    # functions may be lambdas; weights as plain arrays (a model rebinds them to its vector)
    def __getstate__(self):
        state = dict(self.__dict__)
        for key, value in state.items():
            kind = _catalog_kind(value)
            if kind is not None:
                state[key] = ("__actloss_catalog__", kind, value.get_config())
        if "_fast" in state:
            state["_fast"] = None  # compiled kernels: chosen again at the next fit
        return state

    def __setstate__(self, state):
        for key, value in state.items():
            if isinstance(value, tuple) and len(value) == 3 and value[0] == "__actloss_catalog__":
                state[key] = _from_catalog(value[1], value[2])
        self.__dict__.update(state)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _catalog_kind(value):
    from .. import activations, initializers, regularizers
    for kind, module, cls in (("activation", activations, "Activation"),
                              ("initializer", initializers, "Initializer"),
                              ("regularizer", regularizers, "Regularizer")):
        klass = getattr(module, cls, None)
        if isinstance(klass, type) and isinstance(value, klass):
            return kind
    return None


def _from_catalog(kind, config):
    from .. import activations, initializers, regularizers
    config = dict(config) if isinstance(config, dict) else config
    if kind == "activation":
        name = config.pop("name")
        return activations.get(name, **config)
    module = initializers if kind == "initializer" else regularizers
    return module.get(config)


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
