"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict."""

from __future__ import annotations

import math

import numpy as np

from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from .._config import floatx_dtype
from ..layers import InputSpec, Layer
from ..utils import new_seed as _new_seed
from . import _checks, _training

_IGNORED_COMPILE_ARGS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class Trace:
    """What :meth:`Sequential.trace` returns: plain lists, one entry per layer of
    ``model.layers``. Attributes: ``pre_activations``, ``outputs``, and with targets ``loss``,
    ``output_grads``, ``weight_grads``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"Trace({', '.join(self.__dict__)})"


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
    ``kernel is None`` until then.
    """

    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self._layers: list[Layer] = []
        self._input_shape = None
        self.built = False
        self.optimizer = None
        self.loss = None
        self.compiled_metrics: list = []
        self.stop_training = False
        self.history = None
        self._rng = None
        self._deferred = True
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

    def add(self, layer) -> None:
        """Append a layer (or an ``Input(shape=...)``, which fixes the input shape)."""
        if isinstance(layer, InputSpec):
            if self._layers:
                raise ValueError("Input(...) must come first, before any layer")
            self._input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer such as Dense(10); received "
                            f"{type(layer).__name__}: {layer!r}")
        if self.built:  # keep the existing weights, rebuild the flat vectors with the new layer
            self._kept = self.get_weights()
            self.built = False
        if not self._layers and self._input_shape is None:
            self._input_shape = layer.input_shape
        self._layers.append(layer)
        if getattr(self, "_compiled", False):  # the output layer changed: redo compile's checks
            self.compile(self.optimizer, self.loss, self._metric_ids)

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None, *self._input_shape)

    @property
    def output_shape(self):
        if not self.built:
            return None
        return (None, *self._layers[-1].output_shape)

    def build(self, input_shape=None) -> None:
        """Create the weights for samples of ``input_shape`` (batch axis excluded or None)."""
        if self.built:
            return
        if input_shape is not None:
            shape = tuple(input_shape)
            if shape and shape[0] is None:
                shape = shape[1:]
            self._input_shape = tuple(int(s) for s in shape)
        if self._input_shape is None:
            raise ValueError("The model does not know its input shape: give input_shape=(d,) or "
                             "input_dim=d to the first layer, start with Input(shape=(d,)), "
                             "or call fit/predict once")
        if not self._layers:
            raise ValueError("The model has no layers; add one with model.add(Dense(...))")
        self.dtype = floatx_dtype()
        if self._rng is None:  # the model's own stream: weights, shuffling, dropout
            self._rng = np.random.default_rng(_new_seed())
        shape, specs = self._input_shape, []
        for layer in self._layers:
            shape = layer.build(shape)
            specs.append(layer.weight_specs())
        sizes = [int(math.prod(s)) for layer_specs in specs for _, s, _ in layer_specs]
        total = sum(sizes)
        self._params = np.zeros(total, self.dtype)
        self._grads = np.zeros(total, self.dtype)
        self._segments = sizes
        offset = 0
        for layer, layer_specs in zip(self._layers, specs):
            ws, gs = [], []
            for _, s, init in layer_specs:
                n = int(math.prod(s))
                w = self._params[offset:offset + n].reshape(s)
                if hasattr(init, "get_config"):
                    w[...] = init(s, dtype=self.dtype, rng=self._rng)
                else:  # a user's callable f(shape, dtype)
                    w[...] = np.asarray(init(s, self.dtype))
                ws.append(w)
                gs.append(self._grads[offset:offset + n].reshape(s))
                offset += n
            layer.bind(ws, gs)
            if getattr(layer, "rate", None) is not None and getattr(layer, "seed", 0) is None:
                layer.rng = self._rng
        self._workspaces, self._capacity = {}, 0
        self.built = True
        kept = self.__dict__.pop("_kept", None)
        if kept is not None:
            k = 0
            for layer in self._layers:
                n = len(layer.weights)
                if k + n <= len(kept) and all(a.shape == b.shape for a, b in
                                              zip(layer.weights, kept[k:k + n])):
                    layer.set_weights(kept[k:k + n])
                k += n

    def _build_for(self, x_shape) -> None:
        """Build from the data's shape only when no input shape was declared."""
        if not self.built:
            self.build(None if self._input_shape is not None else x_shape[1:])

    def _ensure_built(self) -> None:
        if not self.built and not self.__dict__.get("_deferred") \
                and self._input_shape is not None and self._layers:
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
        self.compiled_metrics = []
        self._kernel, self._frozen = None, []
        self._compiled = True

    def _require_compiled(self, what):
        if not getattr(self, "_compiled", False):
            raise RuntimeError(f"You must call compile() before {what}(), e.g. "
                               f"model.compile(optimizer='adam', loss='mse')")

    # ------------------------------------------------------------------ inference
    def _workspace(self, m: int) -> list:
        """Per-layer buffers for a batch of ``m`` rows: views into buffers allocated once for
        the largest batch seen, cached per batch size."""
        cached = self._workspaces.get(m)
        if cached is not None:
            return cached
        cap = getattr(self, "_capacity", 0)
        if m > cap:
            self._full = [layer.workspace(m, self.dtype) for layer in self._layers]
            self._capacity = cap = m
            self._workspaces = {}
        views = [{k: v[:m] for k, v in ws.items()} for ws in self._full]
        self._workspaces[m] = views
        return views

    def _forward(self, x, training):
        ws = self._workspace(x.shape[0])
        for layer, w in zip(self._layers, ws):
            x = layer.forward(x, w, training)
        return x, ws

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
        self._build_for(x.shape)
        _checks.check_width(x.shape, self._input_shape, name)
        return x

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Outputs for ``x`` (training=False: no dropout), as a new array of the model's dtype.
        Computed in chunks of ``batch_size`` rows (default: the training batch buffers' size,
        at least 1024)."""
        x = self._prepare_x(x)
        n = x.shape[0]
        chunk = min(n, batch_size or _training.eval_chunk(self)) or 1
        out = np.empty((n, *self._layers[-1].output_shape), self.dtype)
        for a in range(0, n, chunk):
            xb = np.asarray(x[a:a + chunk], self.dtype)
            y, _ = self._forward(xb, False)
            out[a:a + chunk] = y
        return out

    def __call__(self, x, training=False):
        return self.predict(x)

    def evaluate(self, x, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False):
        """The loss (with regularization) and metrics on ``(x, y)`` with training=False. Returns
        the loss alone without metrics, else ``[loss, *metrics]``, or a dict with
        ``return_dict=True`` (Keras)."""
        self._require_compiled("evaluate")
        logs = _training.evaluate_arrays(self, x, y, sample_weight, batch_size)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ training
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, **kwargs):
        """Train for ``epochs`` epochs (Keras signature); returns a :class:`History`.

        ``batch_size`` (default 32): ``len(x)`` is batch gradient descent, ``1`` stochastic
        gradient descent, anything between mini-batch. ``validation_split`` takes the *last*
        fraction of the samples, before shuffling (Keras). ``sample_weight`` (n,) and
        ``class_weight`` ({class: weight}) multiply. ``verbose``: 0 silent, 1 progress bar
        (tqdm), 2 one line per epoch, ``'auto'`` 1 on a terminal else 2.
        ``x`` may also be a NumPy memmap (read batch by batch, memory stays bounded) or an
        iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches (with ``steps_per_epoch``
        batches per epoch, or until exhausted).
        A diverging loss (NaN/inf) stops training with a warning naming the epoch and batch and
        leaves the last finite weights; Ctrl-C stops at the end of the current batch.
        """
        if kwargs:
            raise TypeError(f"fit got unexpected argument(s) {sorted(kwargs)}")
        self._require_compiled("fit")
        return _training.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                             callbacks=callbacks, validation_split=validation_split,
                             validation_data=validation_data, shuffle=shuffle,
                             class_weight=class_weight, sample_weight=sample_weight,
                             initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch)

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
        return _training.trace(self, x, y, sample_weight)

    # ------------------------------------------------------------------ display and saving
    def summary(self, print_fn=print) -> None:
        """Print the layers, their output shapes and parameter counts (Keras layout)."""
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
        print_fn(f" Total params: {total:,}")
        print_fn(f" Trainable params: {total:,}")
        print_fn(" Non-trainable params: 0")

    def save(self, filepath) -> None:
        """Write the model (layers, weights, compile settings, optimizer state) to one file,
        atomically; see :func:`actloss.models.load_model`."""
        from ._saving import save_model
        save_model(self, filepath)

    def export(self, filepath, format="onnx") -> None:
        """Write the model for inference elsewhere: ``format="onnx"`` (Keras 3's method; see
        :mod:`actloss.models._onnx` for the operators). Needs ``pip install 'actloss[onnx]'``."""
        if format != "onnx":
            raise ValueError(f"export: expected format='onnx'; received format={format!r}")
        from ._onnx import export_onnx
        export_onnx(self, filepath)

    def save_weights(self, filepath) -> None:
        from ._saving import save_weights
        save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        from ._saving import load_weights
        load_weights(self, filepath)

    def get_config(self) -> dict:
        from ..layers import serialize
        return {"name": self.name,
                "input_shape": None if self._input_shape is None else list(self._input_shape),
                "layers": [serialize(layer) for layer in self._layers]}

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={len(self._layers)}>"
