"""Dense, Activation, Dropout and Flatten: forward and backward side by side, in place."""

from __future__ import annotations

import math

import numpy as np

from .. import activations as _activations
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from . import _kernels
from ._base import Layer


def _act_config(act) -> object:
    config = act.get_config()
    return config["name"] if len(config) == 1 else config


def _get_activation(identifier):
    if isinstance(identifier, dict):
        config = dict(identifier)
        return _activations.get(config.pop("name"), **config)
    return _activations.get(identifier)


class Dense(Layer):
    r"""Fully connected layer: :math:`y = f(x W + b)`, Keras's ``Dense``.

    ``units``; ``activation`` (name or Activation; None = linear); ``use_bias=True``;
    ``kernel_initializer='glorot_uniform'``; ``bias_initializer='zeros'``;
    ``kernel_regularizer``/``bias_regularizer`` (``'l1'``, ``'l2'``, ``l1_l2(...)``; their
    penalty joins the loss). The kernel has shape ``(input_dim, units)`` as in Keras (PyTorch's
    ``Linear.weight`` is its transpose).

    Backward, with :math:`G = \partial L / \partial y` and :math:`\delta = G \odot f'(z)`
    (a vector-Jacobian product for softmax): :math:`\partial L/\partial W = x^T \delta`,
    :math:`\partial L/\partial b = \sum_i \delta_i`, :math:`\partial L/\partial x = \delta W^T`.
    When ``f.backprop_needs_input`` is False (relu, leaky_relu, relu6 ...), ``f`` is applied
    in place on ``z`` and no copy of ``z`` is kept.

    >>> from actloss.layers import Dense
    >>> d = Dense(3, activation="relu")
    >>> d.build((None, 4))
    >>> d.output_shape, d.count_params(), d.compute_output_shape((None, 4))
    ((3,), 15, (None, 3))
    >>> Dense(2, kernel_initializer="ones")(np.ones((1, 4)))
    array([[4., 4.]], dtype=float32)
    """

    _prefix = "dense"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: expected units to be a positive integer; received "
                             f"units={units!r}")
        for label, value in (("activity_regularizer", activity_regularizer),
                             ("kernel_constraint", kernel_constraint),
                             ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"Dense: {label} is not supported by actloss")
        self.units = int(units)
        self.activation = _get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel = self.bias = self.kernel_grad = self.bias_grad = None
        self.logits_output = False  # set by the model when it trains through logits
        self._fast = None  # fused bias + relu kernels (large models, Numba): see use_kernels

    def use_kernels(self, on: bool, dtype) -> None:
        """Turn the fused bias + activation kernels on (when this layer has a bias and its
        activation's derivative is a function of its output, and they are available) or off;
        the NumPy path's arithmetic. The model decides."""
        fit = on and self.use_bias and not self.logits_output
        self._fast = _kernels.dense_kernels(self.activation, dtype) if fit else None

    def output_sample_shape(self, input_shape):
        # Keras: the last axis is transformed, the others kept: (n, t, d) -> (n, t, units)
        return (*tuple(input_shape)[:-1], self.units)

    def weight_specs(self):
        specs = [("kernel", (self.input_shape[-1], self.units), self.kernel_initializer)]
        if self.use_bias:
            specs.append(("bias", (self.units,), self.bias_initializer))
        return specs

    def bind(self, weights, grads):
        super().bind(weights, grads)
        self.kernel, self.kernel_grad = weights[0], grads[0]
        if self.use_bias:
            self.bias, self.bias_grad = weights[1], grads[1]

    def workspace(self, batch, dtype):
        out = (batch, *self.output_shape)
        ws = {"z": np.empty(out, dtype), "gin": np.empty((batch, *self.input_shape), dtype)}
        if self.activation.backprop_needs_input:
            ws["y"] = np.empty(out, dtype)
        return ws

    def _forward_nd(self, x, ws, training):
        """Inputs of rank > 2 (Keras's Dense on ``(n, t, d)``): the same arithmetic on the
        ``(n*t, d)`` view, with 2-D views of the buffers."""
        flat = {k: v.reshape(-1, v.shape[-1]) for k, v in ws.items()
                if k in ("z", "gin", "y")}
        if "pre" in ws:
            flat["pre"] = None
        ws["flat"], ws["x_shape"] = flat, x.shape
        y = self.forward(x.reshape(-1, x.shape[-1]), flat, training)
        if "pre" in ws:
            ws["pre"] = flat["pre"].reshape(*x.shape[:-1], self.units)
        return y.reshape(*x.shape[:-1], self.units)

    def forward(self, x, ws, training):
        if x.ndim > 2:
            return self._forward_nd(x, ws, training)
        ws["x"] = x
        z = np.matmul(x, self.kernel, out=ws["z"])
        fast = self._fast
        record = "pre" in ws  # the diagnostics ask for x W + b
        if fast is not None and z.dtype == self.bias.dtype and not record:
            fast[0](z, self.bias)  # z = f(z + b) in one pass
            return z
        if self.use_bias:
            z += self.bias
        if record:
            ws["pre"] = z.copy()
        act = self.activation
        if (self.logits_output and training is not False) or act.identity:
            return z
        if act.backprop_needs_input:
            return act.forward(z, out=ws["y"])
        return act.forward(z, out=z)  # fused in place: backward reads only y

    def backward(self, g, ws, need_input_grad):
        if g.ndim > 2:
            gin = self.backward(g.reshape(-1, self.units), ws["flat"], need_input_grad)
            return None if gin is None else gin.reshape(ws["x_shape"])
        fast = self._fast
        if fast is not None and g.dtype == self.bias.dtype:
            fast[1](g, ws["z"], self.bias_grad)  # g *= f'(y) and its column sums, one pass
            np.matmul(ws["x"].T, g, out=self.kernel_grad)
            return np.matmul(g, self.kernel.T, out=ws["gin"]) if need_input_grad else None
        act = self.activation
        if not (self.logits_output or act.identity):
            z = ws["z"]
            if act.backprop_needs_input:
                g = act.backprop(z, ws["y"], g)
            else:
                g = act.backprop(None, z, g)
        x = ws["x"]
        np.matmul(x.T, g, out=self.kernel_grad)
        if self.use_bias:
            np.add.reduce(g, axis=0, out=self.bias_grad)  # 4x cheaper than np.sum on small g
        if need_input_grad:
            return np.matmul(g, self.kernel.T, out=ws["gin"])
        return None

    def penalized(self) -> bool:
        return self.kernel_regularizer is not None or self.bias_regularizer is not None

    def regularization_loss(self):
        total = 0.0
        if self.kernel_regularizer is not None:
            total += self.kernel_regularizer(self.kernel)
        if self.bias_regularizer is not None and self.use_bias:
            total += self.bias_regularizer(self.bias)
        return total

    def add_regularization_grads(self):
        if self.kernel_regularizer is not None:
            self.kernel_regularizer.add_gradient(self.kernel, self.kernel_grad)
        if self.bias_regularizer is not None and self.use_bias:
            self.bias_regularizer.add_gradient(self.bias, self.bias_grad)

    def get_config(self):
        reg = (lambda r: None if r is None else r.get_config())
        return {**super().get_config(), "units": self.units,
                "activation": _act_config(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer.get_config()
                if hasattr(self.kernel_initializer, "get_config") else "glorot_uniform",
                "bias_initializer": self.bias_initializer.get_config()
                if hasattr(self.bias_initializer, "get_config") else "zeros",
                "kernel_regularizer": reg(self.kernel_regularizer),
                "bias_regularizer": reg(self.bias_regularizer)}


class Activation(Layer):
    """Applies an activation on its own: ``Activation('relu')`` (Keras ``Activation``)."""

    _prefix = "activation"

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _get_activation(activation)
        self.logits_output = False

    def workspace(self, batch, dtype):
        return {"y": np.empty((batch, *self.input_shape), dtype)}

    def forward(self, x, ws, training):
        ws["x"] = x
        if "pre" in ws:
            ws["pre"] = x.copy()
        if self.logits_output and training is not False:
            return x
        return self.activation.forward(x, out=ws["y"])

    def backward(self, g, ws, need_input_grad):
        if self.logits_output:
            return g
        act = self.activation
        return act.backprop(ws["x"] if act.backprop_needs_input else None, ws["y"], g)

    def get_config(self):
        return {**super().get_config(), "activation": _act_config(self.activation)}


class Dropout(Layer):
    """Inverted dropout: in training each input is zeroed with probability ``rate`` and the
    others scaled by ``1 / (1 - rate)``, so inference is the identity (Keras, PyTorch).
    ``seed`` fixes its own stream; otherwise the model's generator is used."""

    _prefix = "dropout"

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(rate, (int, float)) and 0 <= rate < 1):
            raise ValueError(f"Dropout: expected rate in [0, 1); received rate={rate!r}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported by actloss")
        self.rate = float(rate)
        self.seed = seed
        self.rng = np.random.default_rng(seed) if seed is not None else None

    def workspace(self, batch, dtype):
        shape = (batch, *self.input_shape)
        return {"mask": np.empty(shape, dtype), "y": np.empty(shape, dtype)}

    def forward(self, x, ws, training):
        ws["on"] = bool(training) and self.rate > 0
        if not ws["on"]:
            return x
        mask = ws["mask"]
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        return np.multiply(x, mask, out=ws["y"])

    def backward(self, g, ws, need_input_grad):
        if ws.get("on"):
            g *= ws["mask"]
        return g

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """Reshapes each sample to one axis: ``(n, a, b) -> (n, a*b)`` (a view, no copy)."""

    _prefix = "flatten"

    def output_sample_shape(self, input_shape):
        return (int(math.prod(input_shape)),)

    def forward(self, x, ws, training):
        return x.reshape(x.shape[0], -1)

    def backward(self, g, ws, need_input_grad):
        return g.reshape(g.shape[0], *self.input_shape)

