r"""BatchNormalization and LayerNormalization, with Keras 3's arguments, defaults and weights.

Both compute, over a set :math:`R` of reduced axes with :math:`m` elements,

.. math::

    \mu = \frac1m\sum_R x, \quad \sigma^2 = \frac1m\sum_R (x-\mu)^2, \quad
    \hat x = \frac{x-\mu}{\sqrt{\sigma^2+\epsilon}}, \quad y = \gamma\hat x + \beta

(the biased variance, as Keras and PyTorch's forward). Backward, with :math:`G = \partial L /
\partial y`, :math:`D = G\gamma` and :math:`s = 1/\sqrt{\sigma^2+\epsilon}`, when
:math:`\mu, \sigma^2` are those of the batch (the usual two-mean formula):

.. math::

    \frac{\partial L}{\partial x} = s\Big(D - \overline{D}^R - \hat x\,\overline{D\hat x}^R\Big),
    \quad \frac{\partial L}{\partial\gamma} = \sum G\hat x, \quad
    \frac{\partial L}{\partial\beta} = \sum G

(the sums over every axis but the parameters'); with fixed statistics (BatchNormalization in
inference) :math:`\partial L/\partial x = sD`, and the (untrained) moving statistics get their
exact derivatives :math:`-\sum sD` and :math:`-\frac12 s^2 \sum D\hat x`, so a whole-model
gradient check covers them too.
"""

from __future__ import annotations

import numpy as np

from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ._base import Layer


def _axes(axis, ndim: int, argname="axis") -> tuple:
    """Keras axes (batch axis counted, negatives allowed) as sorted non-negative ints; an
    axis out of bounds, the batch axis or the same axis twice raise ValueError (Keras)."""
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"Expected {argname} to be an int or a list of ints; received "
                            f"{argname}={axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"Axis {a} is out of bounds for inputs of rank {ndim} (batch axis "
                             f"included). Received: {argname}={axis!r}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Duplicate axes are not allowed. Received: {argname}={axis!r}")
    if 0 in out:
        raise ValueError(f"Invalid {argname}={axis!r}: axis 0 is the batch axis, whose size is "
                         f"not fixed; normalize over the feature axes (1 .. {ndim - 1})")
    return tuple(sorted(out))


class _Normalization(Layer):
    """The shared arithmetic; subclasses choose the reduced axes and the parameter axes."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        for label, value in (("beta_constraint", beta_constraint),
                             ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}: {label} is not supported by "
                                          f"actloss")
        if not (isinstance(epsilon, (int, float)) and epsilon > 0):
            raise ValueError(f"{type(self).__name__}: expected epsilon > 0; received "
                             f"epsilon={epsilon!r}")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None

    # shapes, once built: ndim counts the batch axis
    def _param_axes(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _param_shape(self) -> tuple:
        full = (None, *self.input_shape)
        return tuple(full[a] for a in self._param_axes())

    def _bshape(self) -> tuple:
        """The parameters' shape broadcast against a batch."""
        ndim = len(self.input_shape) + 1
        shape = [1] * ndim
        for a in self._param_axes():
            shape[a] = self.input_shape[a - 1]
        return tuple(shape)

    def build_shapes(self, input_shape) -> None:
        super().build_shapes(input_shape)
        _axes(self.axis, len(self.input_shape) + 1)  # raises on a bad axis now

    def _affine_specs(self) -> list:
        specs, shape = [], self._param_shape()
        if self.scale:
            specs.append(("gamma", shape, self.gamma_initializer))
        if self.center:
            specs.append(("beta", shape, self.beta_initializer))
        return specs

    def bind(self, weights, grads):
        super().bind(weights, grads)
        named = dict(zip([n for n, _, _ in self.weight_specs()], zip(weights, grads)))
        self.gamma, self._gamma_grad = named.get("gamma", (None, None))
        self.beta, self._beta_grad = named.get("beta", (None, None))
        return named

    def _normalize(self, x, ws, reduce_axes, mean=None, var=None):
        """y from x; keeps x-hat and 1/sqrt(var + eps) in ``ws`` for the backward."""
        if mean is None:
            mean = np.mean(x, axis=reduce_axes, keepdims=True)
            var = np.mean(np.square(x - mean), axis=reduce_axes, keepdims=True)
        inv = 1.0 / np.sqrt(var + np.asarray(self.epsilon, x.dtype))
        xhat = (x - mean) * inv
        ws["xhat"], ws["inv"] = xhat, inv
        y = xhat
        if self.gamma is not None:
            y = y * self.gamma.reshape(self._bshape())
        if self.beta is not None:
            y = y + self.beta.reshape(self._bshape())
        return np.asarray(y, x.dtype), mean, var

    def _backward(self, g, ws, need_input_grad, reduce_axes, batch_stats):
        xhat, inv = ws["xhat"], ws["inv"]
        keep = tuple(i for i in range(g.ndim) if i not in self._param_axes())
        if self.gamma is not None:
            self._gamma_grad[...] = np.sum(g * xhat, axis=keep).reshape(self.gamma.shape)
            d = g * self.gamma.reshape(self._bshape())
        else:
            d = g
        if self.beta is not None:
            self._beta_grad[...] = np.sum(g, axis=keep).reshape(self.beta.shape)
        if not need_input_grad:
            return None
        if not batch_stats:
            return d * inv
        return inv * (d - np.mean(d, axis=reduce_axes, keepdims=True)
                      - xhat * np.mean(d * xhat, axis=reduce_axes, keepdims=True))

    def penalized(self) -> bool:
        return self.gamma_regularizer is not None or self.beta_regularizer is not None

    def regularization_loss(self):
        total = 0.0
        if self.gamma_regularizer is not None and self.gamma is not None:
            total += self.gamma_regularizer(self.gamma)
        if self.beta_regularizer is not None and self.beta is not None:
            total += self.beta_regularizer(self.beta)
        return total

    def add_regularization_grads(self):
        if self.gamma_regularizer is not None and self.gamma is not None:
            self.gamma_regularizer.add_gradient(self.gamma, self._gamma_grad)
        if self.beta_regularizer is not None and self.beta is not None:
            self.beta_regularizer.add_gradient(self.beta, self._beta_grad)

    def get_config(self):
        reg = (lambda r: None if r is None else r.get_config())
        init = (lambda i, d: i.get_config() if hasattr(i, "get_config") else d)
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": init(self.beta_initializer, "zeros"),
                "gamma_initializer": init(self.gamma_initializer, "ones"),
                "beta_regularizer": reg(self.beta_regularizer),
                "gamma_regularizer": reg(self.gamma_regularizer)}


class BatchNormalization(_Normalization):
    r"""Normalizes each feature over the batch, Keras's ``BatchNormalization``.

    Training (``fit``, ``layer(x, training=True)``): the batch's mean and (biased) variance
    over every axis but ``axis``; afterwards the moving statistics move toward them,
    ``moving = momentum * moving + (1 - momentum) * batch``. Inference (``predict``,
    ``evaluate``, ``training=False``) uses the moving statistics. A layer with
    ``trainable=False`` runs in inference mode also in training, as Keras's.

    Keras defaults: ``axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True``,
    ``beta`` zeros, ``gamma`` ones, ``moving_mean`` zeros, ``moving_variance`` ones. Weights in
    Keras's order: ``gamma, beta, moving_mean, moving_variance`` (the last two non-trainable;
    saved with the model). PyTorch's ``BatchNorm1d`` writes ``momentum`` the other way round
    (0.1 there is 0.9 here), uses ``eps=1e-5`` and keeps the *unbiased* variance as its running
    variance.

    >>> import numpy as np
    >>> from actloss.layers import BatchNormalization
    >>> bn = BatchNormalization(momentum=0.0)
    >>> y = bn(np.array([[0.0], [4.0]]), training=True)  # (x - 2) / sqrt(4 + 0.001)
    >>> np.round(y.ravel().astype(float), 4).tolist(), bn.moving_mean.tolist(), bn.moving_variance.tolist()
    ([-0.9999, 0.9999], [2.0], [4.0])
    """

    _prefix = "batch_normalization"
    _non_trainable = ("moving_mean", "moving_variance")
    stateful = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNormalization: expected axis to be an int; received "
                            f"axis={axis!r}")
        if renorm or synchronized:
            raise NotImplementedError("BatchNormalization: renorm and synchronized are not "
                                      "supported by actloss")
        if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise ValueError(f"BatchNormalization: expected momentum in [0, 1]; received "
                             f"momentum={momentum!r}")
        super().__init__(int(axis), epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = _initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = _initializers.get(moving_variance_initializer)
        self.moving_mean = self.moving_variance = None

    def _param_axes(self):
        return _axes(self.axis, len(self.input_shape) + 1)

    def _reduce_axes(self, ndim):
        return tuple(i for i in range(ndim) if i not in self._param_axes())

    def weight_specs(self):
        shape = self._param_shape()
        return [*self._affine_specs(),
                ("moving_mean", shape, self.moving_mean_initializer),
                ("moving_variance", shape, self.moving_variance_initializer)]

    def bind(self, weights, grads):
        named = super().bind(weights, grads)
        self.moving_mean, self._mean_grad = named["moving_mean"]
        self.moving_variance, self._var_grad = named["moving_variance"]

    def forward(self, x, ws, training):
        batch_stats = bool(training) and self.trainable
        ws["batch_stats"] = batch_stats
        axes = self._reduce_axes(x.ndim)
        if batch_stats:
            y, mean, var = self._normalize(x, ws, axes)
            ws["mean"], ws["var"] = mean, var
            return y
        shape = self._bshape()
        y, _, _ = self._normalize(x, ws, axes, self.moving_mean.reshape(shape).astype(x.dtype),
                                  self.moving_variance.reshape(shape).astype(x.dtype))
        return y

    def backward(self, g, ws, need_input_grad):
        axes = self._reduce_axes(g.ndim)
        if ws["batch_stats"]:  # the loss does not depend on the moving statistics
            self._mean_grad[...] = 0
            self._var_grad[...] = 0
        else:  # inference: y = gamma (x - m) s + beta with s = (v + eps)^(-1/2)
            d = g if self.gamma is None else g * self.gamma.reshape(self._bshape())
            inv = ws["inv"]
            self._mean_grad[...] = -np.sum(d * inv, axis=axes).reshape(-1)
            self._var_grad[...] = (-0.5 * np.sum(d * ws["xhat"], axis=axes, keepdims=True)
                                   * inv * inv).reshape(-1)
        return self._backward(g, ws, need_input_grad, axes, ws["batch_stats"])

    def commit(self, ws):
        if not ws.get("batch_stats"):
            return
        m = self.momentum
        self.moving_mean[...] = self.moving_mean * m + ws["mean"].reshape(-1) * (1.0 - m)
        self.moving_variance[...] = self.moving_variance * m + ws["var"].reshape(-1) * (1.0 - m)

    def get_config(self):
        init = (lambda i, d: i.get_config() if hasattr(i, "get_config") else d)
        return {**super().get_config(), "momentum": self.momentum,
                "moving_mean_initializer": init(self.moving_mean_initializer, "zeros"),
                "moving_variance_initializer": init(self.moving_variance_initializer, "ones")}


class LayerNormalization(_Normalization):
    r"""Normalizes each sample over ``axis`` (default the last), Keras's ``LayerNormalization``:
    the mean and biased variance over ``axis``, then ``gamma`` and ``beta`` (of the shape of
    those axes). The same in training and inference. Keras defaults: ``axis=-1,
    epsilon=1e-3, center=True, scale=True``; PyTorch's ``LayerNorm`` uses ``eps=1e-5``.

    >>> import numpy as np
    >>> from actloss.layers import LayerNormalization
    >>> np.round(LayerNormalization()(np.array([[1.0, 5.0]])).astype(float), 4).tolist()
    [[-0.9999, 0.9999]]
    """

    _prefix = "layer_normalization"

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise NotImplementedError("LayerNormalization: rms_scaling is not supported by "
                                      "actloss (Keras deprecated it)")
        if isinstance(axis, (list, tuple)):
            axis = [int(a) for a in axis]
        elif isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', "
                            f"but received: {axis!r}")
        else:
            axis = int(axis)
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)

    def _param_axes(self):
        return _axes(self.axis, len(self.input_shape) + 1)

    def build_shapes(self, input_shape) -> None:
        super().build_shapes(input_shape)
        self.axis = list(self._param_axes())  # Keras: canonical, sorted, non-negative

    def compute_output_shape(self, input_shape) -> tuple:
        _axes(self.axis, len(tuple(input_shape)))
        return super().compute_output_shape(input_shape)

    def weight_specs(self):
        return self._affine_specs()

    def forward(self, x, ws, training):
        y, _, _ = self._normalize(x, ws, self._param_axes())
        return y

    def backward(self, g, ws, need_input_grad):
        return self._backward(g, ws, need_input_grad, self._param_axes(), True)
