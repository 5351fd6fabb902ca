"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict."""

from __future__ import annotations

import numpy as np

from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from .._config import floatx_dtype
from ..layers import InputSpec, Layer, allocate_weights, sample_shape, serialize
from ..layers import deserialize as _deserialize_layer
from ..utils import new_seed as _new_seed
from . import _checks, _trace, _training
from ._classes import MODEL_CLASSES
from ._engine import Engine
from ._trace import Trace

_IGNORED_COMPILE_ARGS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class NotALayerError(ValueError, TypeError):
    """``Sequential.add`` of something that is not a layer: Keras raises ValueError; earlier
    actloss raised TypeError, so both ``except`` clauses keep working."""


class NestedModel(Layer):
    """A built model used as a layer of another (Keras's ``Sequential([model, Softmax()])``).

    It runs the inner model's layers with the inner model's weights (shared: the inner model
    keeps them in its own vector). actloss supports this for inference (``predict``,
    ``model(x)``, ``evaluate``); training the outer model raises NotImplementedError: train the
    inner model, whose weights the outer one then uses.
    """

    _prefix = "sequential"

    def __init__(self, model, **kwargs):
        super().__init__(name=model.name, **kwargs)
        if not model.built:
            raise ValueError(f"A model used as a layer must be built first (call it on data, "
                             f"or give it an input shape); {model.name!r} is not")
        self.model = model
        self.input_shape = self._declared_input_shape = model._input_shape

    def output_sample_shape(self, shape):
        return self.model.compute_output_shape((None, *shape))[1:]

    def count_params(self):
        return self.model.count_params()

    def trainable_flags(self):
        return []

    def forward(self, x, ws, training):
        if training:
            raise NotImplementedError(f"Training a model nested in another ({self.name!r}) is "
                                      f"not supported by actloss; train the inner model itself")
        y, _ = self.model._engine.forward(np.asarray(x, self.model.dtype), training)
        return y

    def backward(self, g, ws, need_input_grad):
        raise NotImplementedError(f"Training a model nested in another ({self.name!r}) is not "
                                  f"supported by actloss; train the inner model itself")

    def get_config(self):
        raise NotImplementedError("A model nested in another cannot be saved by actloss; save "
                                  "the inner model")


class Sequential:
    """A linear stack of layers (Keras ``Sequential``).

    >>> import numpy as np
    >>> from actloss.models import Sequential
    >>> from actloss.layers import Dense
    >>> from actloss.utils import set_random_seed
    >>> set_random_seed(0)
    >>> model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> history = model.fit(np.ones((8, 3)), np.zeros(8), epochs=2, verbose=0)
    >>> len(history.history["loss"]), model.predict(np.ones((2, 3))).shape
    (2, (2, 1))

    Weights, their gradients and the optimizer state each live in one flat vector; every
    layer's ``kernel``/``bias`` is a view into it. ``dtype`` is ``actloss.floatx()`` at build
    time (float32 unless :func:`actloss.set_floatx` says otherwise). The weights are created
    once, on first need (``model.layers``, ``compile``, ``fit``, ``summary``, ``get_weights``
    ...), not at every ``add`` as Keras does; a Dense object held outside the model has
    ``kernel is None`` until then. Until the input shape is known (no ``Input``, no
    ``input_shape=``, no data seen yet) the model is unbuilt and ``model.input_shape`` raises
    AttributeError, as in Keras.
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self.name = name or "sequential"
        self._layers: list[Layer] = []
        self._input_shape = None
        self._has_input = False      # an Input(...) was added: a second one is an error
        self.built = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self.metrics: list = []      # the metric objects of the last fit (Keras's model.metrics)
        self.trainable = trainable
        self._rng = None
        self._engine = None          # buffers and training state, from build
        self._compiled = False
        self._fused = False          # sigmoid/softmax + cross-entropy trained through logits
        self._train_loss = None
        self._metric_ids: list = []
        self._kept_weights = None    # weights to put back when a layer is added after build
        self._deferred = True        # no building while the constructor adds the layers
        for layer in layers or ():
            self.add(layer)
        self._deferred = False
        self._ensure_built()

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list:
        """The layers (``Input`` excluded, as Keras); reading it builds the model's weights
        when the input shape is known, so ``model.layers[0].kernel`` exists (Keras builds at
        ``add``; actloss builds once, on first need, instead of once per ``add``)."""
        self._ensure_built()
        return list(self._layers)

    @layers.setter
    def layers(self, value):
        raise AttributeError("`model.layers` is read-only. Use `add()` and `pop()` to change "
                             "the layers of a Sequential model.")

    def add(self, layer) -> None:
        """Append a layer (or an ``Input(shape=...)``, which fixes the input shape)."""
        if isinstance(layer, InputSpec):
            if self._has_input or self._layers:
                shape = "its layers" if self._input_shape is None else \
                    f"input shape {(None, *self._input_shape)}"
                raise ValueError(f"Sequential model {self.name!r} has already been configured "
                                 f"to use {shape}; an Input(...) can only be added once, as "
                                 f"the first element")
            self._input_shape, self._has_input = layer.shape, True
            return
        if isinstance(layer, Sequential):
            layer = NestedModel(layer)
        if not isinstance(layer, Layer):
            raise NotALayerError(f"Only instances of actloss.layers.Layer (such as Dense(10)) "
                                 f"can be added to a Sequential model. Received: {layer!r} (of "
                                 f"type {type(layer).__name__})")
        if any(other.name == layer.name for other in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name {layer.name!r} is already the name of a layer in this "
                             f"model. Update the `name` argument to pass a unique name.")
        if self.built:  # keep the existing weights, rebuild the flat vectors with the new layer
            self._kept_weights = self.get_weights()
            self.built = False
        if not self._layers and self._input_shape is None:
            self._input_shape = layer.input_shape
        self._layers.append(layer)
        if self._compiled:  # the output layer changed: redo compile's checks
            self.compile(self.optimizer, self.loss, self._metric_ids)

    def pop(self, rebuild=True):
        """Remove and return the last layer (Keras); the other layers keep their weights."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        if self.built:
            kept = [w for lay in self._layers for w in lay.get_weights()]
            self.built = False
            self._kept_weights = kept
        if self._compiled and self._layers:
            self.compile(self.optimizer, self.loss, self._metric_ids)
        if rebuild:
            self._ensure_built()
        return layer

    @property
    def input_shape(self):
        """``(None, *sample_shape)``; AttributeError while the input shape is unknown (Keras)."""
        if self._input_shape is None:
            raise AttributeError(f"Sequential model {self.name!r} has no defined input shape "
                                 f"yet: add Input(shape=(d,)) first, give input_shape=(d,) to "
                                 f"the first layer, or call the model on data")
        return (None, *self._input_shape)

    @property
    def output_shape(self):
        """``(None, *output_shape)``; AttributeError until the model is built (Keras)."""
        self._ensure_built()
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has no defined output shape "
                                 f"yet: it is not built")
        return (None, *self._layers[-1].output_shape)

    def compute_output_shape(self, input_shape) -> tuple:
        """The output batch shape for an input batch shape (Keras): ``(1, 2) -> (1, units)``."""
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def build(self, input_shape=None) -> None:
        """Create the weights for inputs of ``input_shape``: Keras's batch shape ``(None, d)`` or
        ``(batch, d)`` (``(d,)`` is read as one sample's shape). A model already configured for
        another input shape raises ValueError."""
        if input_shape is not None:
            shape = sample_shape(input_shape)
            if self._input_shape is not None and tuple(self._input_shape) != shape:
                raise ValueError(f"Sequential model {self.name!r} has already been configured "
                                 f"to use input shape {(None, *self._input_shape)}. You cannot "
                                 f"build it with input_shape={tuple(input_shape)}")
            self._input_shape = shape
        if self.built:
            return
        if self._input_shape is None:
            raise ValueError("The model does not know its input shape: give input_shape=(d,) or "
                             "input_dim=d to the first layer, start with Input(shape=(d,)), "
                             "or call fit/predict once")
        if not self._layers:
            raise ValueError(f"Sequential model {self.name!r} has no layers; add one with "
                             f"model.add(Dense(...))")
        self.dtype = floatx_dtype()
        if self._rng is None:  # the model's own stream: weights, shuffling, dropout
            self._rng = np.random.default_rng(_new_seed())
        shape = self._input_shape
        for layer in self._layers:
            layer.build_shapes((None, *shape))
            shape = layer.output_shape
        kept, self._kept_weights = self._kept_weights, None
        if kept is None and any(layer.weights for layer in self._layers):
            # layers built on their own (layer(x), layer.build) keep their weights, as in Keras
            kept = [w for layer in self._layers for w in
                    (layer.get_weights() if len(layer.weights) == len(layer.weight_specs())
                     else [None] * len(layer.weight_specs()))]
        params, grads, sizes = allocate_weights(self._layers, self.dtype, self._rng, kept)
        # the weights (one flat vector; layers hold views) and their per-tensor sizes
        self._params, self._segments = params, sizes
        self._engine = Engine(self._layers, params, grads, sizes, self.dtype)
        self.built = True

    def _build_for(self, x_shape) -> None:
        """Build from the data's shape only when no input shape was declared."""
        if not self.built:
            self.build(None if self._input_shape is not None else (None, *x_shape[1:]))

    def _ensure_built(self) -> None:
        if not self.built and not self._deferred and self._input_shape is not None \
                and self._layers:
            self.build()

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list:
        """Copies of every layer's weights, in layer order (Keras)."""
        self._ensure_built()
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        self._ensure_built()
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(f"set_weights: the model has {expected} weight arrays; received "
                             f"{len(weights)}")
        i = 0
        for layer in self._layers:
            k = len(layer.weights)
            layer.set_weights(weights[i:i + k])
            i += k

    @property
    def weights(self) -> list:
        self._ensure_built()
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        self._ensure_built()
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        self._ensure_built()
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def count_params(self) -> int:
        self._ensure_built()
        return sum(layer.count_params() for layer in self._layers)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs) -> None:
        """Choose the optimizer, the loss and the metrics (strings or objects).

        Checks that the output layer fits the loss (a one-unit softmax, a linear output with a
        probability cross-entropy ... raise; softmax with binary cross-entropy and sigmoid with
        categorical cross-entropy warn). When the output is sigmoid (softmax) and the loss binary
        (categorical or sparse) cross-entropy, training goes through the logits: the gradient
        at the output's pre-activation is exactly ``p - y``; outputs and losses are unchanged.
        """
        unknown = set(kwargs) - set(_IGNORED_COMPILE_ARGS)
        if unknown:
            raise TypeError(f"compile got unexpected argument(s) {sorted(unknown)}; it takes "
                            f"optimizer, loss and metrics")
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='mse' or "
                             "loss='binary_crossentropy'")
        self.optimizer = _optimizers.get(optimizer)
        self.loss = _losses.get(loss)
        if self.loss.reduction == "none":
            raise ValueError("compile: a loss with reduction='none' cannot be minimized; use "
                             "reduction='mean' (default) or 'sum'")
        if isinstance(metrics, (str, _metrics.Metric)):
            metrics = [metrics]
        self._metric_ids = list(metrics or [])
        for m in self._metric_ids:  # unknown names fail now, not at fit
            if not (isinstance(m, str) and m.strip().lower() in ("accuracy", "acc")):
                _metrics.get(m)
        self._fused = _checks.check_output_vs_loss(self._layers, self.loss)
        self._ensure_built()
        self._train_loss = self.loss.with_params(from_logits=True) if self._fused else self.loss
        for layer in self._layers:
            if hasattr(layer, "logits_output"):
                layer.logits_output = False
        if self._fused:
            self._layers[-1].logits_output = True
        self._compiled = True

    def _require_compiled(self, what):
        if not self._compiled:
            raise RuntimeError(f"You must call compile() before {what}(), e.g. "
                               f"model.compile(optimizer='adam', loss='mse')")

    # ------------------------------------------------------------------ inference
    def _prepare_x(self, x, name="x") -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be numeric; received dtype {x.dtype}")
        if x.ndim == 1 and self._input_shape is not None and len(self._input_shape) == 1 \
                and self._input_shape[0] > 1 and x.shape[0] == self._input_shape[0]:
            raise ValueError(f"{name} must be 2-D (samples, features); received a single sample "
                             f"of shape {x.shape}: write {name}.reshape(1, -1)")
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if not self._layers:
            raise ValueError(f"Sequential model {self.name!r} has no layers; add one with "
                             f"model.add(Dense(...))")
        self._build_for(x.shape)
        _checks.check_width(x.shape, self._input_shape, name)
        return x

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None) -> np.ndarray:
        """Outputs for ``x`` (training=False: no dropout), as a new array of the model's dtype.
        Computed in chunks of ``batch_size`` rows (default 32, as Keras, when a progress display
        is shown; otherwise the training buffers' size, at least 1024). ``verbose``: 0 silent,
        1 a progress bar, 2 one line; ``'auto'`` is 1 on a terminal and 0 otherwise."""
        return _training.predict_arrays(self, x, batch_size, verbose, callbacks)

    def predict_on_batch(self, x) -> np.ndarray:
        """``predict`` on one batch, without a progress display (Keras)."""
        return _training.predict_arrays(self, x, None, 0, None)

    def __call__(self, x, training=False):
        """``model(x)``: the outputs as ``predict`` gives them; ``training=True`` runs the
        training behaviour (dropout, BatchNormalization's batch statistics)."""
        if not training:
            return _training.predict_arrays(self, x, None, 0, None)
        return _training.forward_training(self, x)

    def evaluate(self, x, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False, callbacks=None):
        """The loss (with regularization) and metrics on ``(x, y)`` with training=False. Returns
        the loss alone without metrics, else ``[loss, *metrics]``, or a dict with
        ``return_dict=True`` (Keras). ``verbose``: 0 silent, 1 a progress bar, 2 one line;
        ``'auto'`` is 1 on a terminal, else 2."""
        self._require_compiled("evaluate")
        logs = _training.evaluate_arrays(self, x, y, sample_weight, batch_size, verbose,
                                         callbacks)
        return _training.logs_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """``evaluate`` on one batch, without a progress display (Keras)."""
        self._require_compiled("test_on_batch")
        logs = _training.evaluate_arrays(self, x, y, sample_weight, None, 0, None)
        return _training.logs_result(logs, return_dict)

    # ------------------------------------------------------------------ training
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_freq=1,
            **kwargs):
        """Train for ``epochs`` epochs (Keras signature); returns a :class:`History`.

        ``batch_size`` (default 32): ``len(x)`` is batch gradient descent, ``1`` stochastic
        gradient descent, anything between mini-batch. ``validation_split`` takes the *last*
        fraction of the samples, before shuffling (Keras). ``validation_freq=k`` validates
        after every k-th epoch (or after the epochs listed, 1-based, when a list).
        ``sample_weight`` (n,) and ``class_weight`` ({class: weight}) multiply. ``verbose``: 0
        silent, 1 progress bar (``rich``, the ``progress`` extra; plain text without it), 2 one
        line per epoch, ``'auto'`` 1 on a terminal else 2.
        ``x`` may also be a NumPy memmap (read batch by batch, memory stays bounded) or an
        iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches (with ``steps_per_epoch``
        batches per epoch, or until exhausted).
        A diverging loss, gradient or update (NaN/inf) stops training with a warning naming
        the epoch and batch, and leaves the last finite weights. Ctrl-C stops at the end of the
        current batch, then raises KeyboardInterrupt (Keras), with ``model.history`` holding
        the epochs completed.
        """
        if kwargs:
            raise TypeError(f"fit got unexpected argument(s) {sorted(kwargs)}")
        self._require_compiled("fit")
        return _training.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                             callbacks=callbacks, validation_split=validation_split,
                             validation_data=validation_data, shuffle=shuffle,
                             class_weight=class_weight, sample_weight=sample_weight,
                             initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                             validation_freq=validation_freq)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient update on one batch (Keras); returns the batch loss (and metrics on
        this batch), or a dict with ``return_dict=True``."""
        self._require_compiled("train_on_batch")
        logs = _training.train_on_batch(self, x, y, sample_weight, class_weight)
        return _training.logs_result(logs, return_dict)

    def trace(self, x, y=None, sample_weight=None) -> Trace:
        """Everything the diagnostics need from one forward (and backward) pass, with
        training=False and without touching the optimizer state.

        Returns a :class:`Trace` with, per layer of ``model.layers``:

        * ``pre_activations``: the layer's input to its activation (Dense: ``x W + b``;
          Activation: its input), or None for layers without one;
        * ``outputs``: the layer's output.

        With ``y`` (the model must be compiled) also:

        * ``loss``: float, reduced as compile's loss (``sample_weight`` applied), plus the
          weight penalties;
        * ``output_grads``: d loss / d (layer output), per layer;
        * ``weight_grads``: per layer, a list matching ``layer.get_weights()`` (penalties
          included).
        """
        return _trace.trace(self, x, y, sample_weight)

    # ------------------------------------------------------------------ display and saving
    def summary(self, print_fn=print, line_length=None, positions=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> None:
        """Print the layers, their output shapes and parameter counts (Keras layout): total,
        trainable and non-trainable (frozen layers, BatchNormalization's moving statistics)."""
        self._ensure_built()
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self._layers:
            shape = "?" if layer.output_shape is None else str((None, *layer.output_shape))
            rows.append((f"{layer.name} ({type(layer).__name__})", shape,
                         str(layer.count_params()) if layer.built else "0 (unbuilt)"))
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        line = "─" * sum(widths)
        print_fn(f'Model: "{self.name}"')
        print_fn(line)
        for i, r in enumerate(rows):
            print_fn("".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
            print_fn(line if i == 0 or i == len(rows) - 1 else "")
        total = self.count_params() if self.built else 0
        frozen = sum(w.size for w in self.non_trainable_weights) if self.built else 0
        print_fn(f" Total params: {total:,}")
        print_fn(f" Trainable params: {total - frozen:,}")
        print_fn(f" Non-trainable params: {frozen:,}")

    def save(self, filepath) -> None:
        """Write the model (layers, weights, compile settings, optimizer state) to one file,
        atomically; see :func:`actloss.models.load_model`."""
        from . import _saving   # the file formats load on first use
        _saving.save_model(self, filepath)

    def export(self, filepath, format="onnx") -> None:
        """Write the model for inference elsewhere: ``format="onnx"`` (Keras 3's method; see
        :mod:`actloss.models._onnx` for the operators). Needs ``pip install 'actloss[onnx]'``."""
        if format != "onnx":
            raise ValueError(f"export: expected format='onnx'; received format={format!r}")
        from ._onnx import export_onnx
        export_onnx(self, filepath)

    def save_weights(self, filepath) -> None:
        from . import _saving
        _saving.save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        from . import _saving
        _saving.load_weights(self, filepath)

    def get_config(self) -> dict:
        return {"name": self.name,
                "input_shape": None if self._input_shape is None else list(self._input_shape),
                "layers": [serialize(layer) for layer in self._layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        """The model ``get_config`` describes (layers and input shape; new weights)."""
        model = cls([_deserialize_layer(c) for c in config["layers"]],
                    name=config.get("name"))
        if config.get("input_shape") is not None and model._input_shape is None:
            model._input_shape = tuple(config["input_shape"])
            model._ensure_built()
        return model

    def __getstate__(self):
        """Pickling (Keras models pickle): the layers and the weights; the flat vectors, buffers
        and training state are rebuilt on unpickling (the optimizer's moments are not kept:
        ``model.save`` keeps them)."""
        state = dict(self.__dict__)
        if self.built:
            state["_kept_weights"] = self.get_weights()
        for key in ("_engine", "_params", "_segments"):
            state.pop(key, None)
        state["built"], state["_engine"] = False, None
        if self._compiled:  # compiled again on unpickling, from the configs
            state["_compile_config"] = (self.optimizer.get_config(), self.loss.get_config(),
                                        [m if isinstance(m, str) else m.name
                                         for m in self._metric_ids])
        for key in ("optimizer", "loss", "_train_loss", "metrics", "history"):
            state[key] = [] if key == "metrics" else None
        state["_metric_ids"], state["_compiled"] = [], False
        return state

    def __setstate__(self, state):
        compile_config = state.pop("_compile_config", None)
        self.__dict__.update(state)
        if self._kept_weights is not None:
            self.build()
        if compile_config is not None:
            optimizer, loss, metrics = compile_config
            loss = dict(loss)
            self.compile(optimizer=optimizer, loss=_losses.get(loss.pop("name"), **loss),
                         metrics=metrics)

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={len(self._layers)}>"


MODEL_CLASSES["Sequential"] = Sequential  # the loaders build through it, no import back
