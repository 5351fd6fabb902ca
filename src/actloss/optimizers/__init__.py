r"""Optimizers with Keras 3's names, defaults and update rules (checked against the Keras source).

All are settings of one core (:class:`Optimizer`) that updates the whole model in place on one
flat parameter vector. Common keywords (Keras 3's, each optimizer takes them):
``weight_decay`` (decoupled, ``w -= lr*wd*w`` before the update; ``exclude_from_weight_decay``),
``clipnorm`` (per weight tensor), ``global_clipnorm``, ``clipvalue``, ``use_ema``,
``ema_momentum=0.99``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
``gradient_accumulation_steps``, ``name``. ``decay`` (Keras 2) is ignored with a warning, as
Keras 3 does; any other keyword is a ValueError. ``get_config``/``from_config``,
:func:`serialize`/:func:`deserialize` and :func:`get` follow Keras.

=========  =============  ==========================================================================
name       Keras default  update (g gradient, t step count from 1)
=========  =============  ==========================================================================
SGD        lr=0.01        ``m = momentum*m - lr*g``; ``w += m`` (nesterov: ``w += momentum*m - lr*g``)
RMSprop    lr=0.001       ``v = rho*v + (1-rho)*g²``; ``w -= lr*g / sqrt(v + eps)``; rho=0.9, eps=1e-7
Adagrad    lr=0.001       ``a += g²``; ``w -= lr*g / sqrt(a + eps)``; a0=0.1, eps=1e-7
Adam       lr=0.001       ``w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)``; eps=1e-7 "hat"
AdamW      lr=0.001       Adam with weight_decay=0.004
Nadam      lr=0.001       Dozat's Nesterov Adam with Keras's momentum schedule (0.96 decay)
=========  =============  ==========================================================================

Batch, stochastic and mini-batch gradient descent are the same optimizer with
``fit(batch_size=len(x))``, ``batch_size=1`` and ``batch_size=n`` (default 32)::

    >>> import numpy as np
    >>> from actloss.optimizers import SGD, get
    >>> opt = SGD(learning_rate=0.1)
    >>> opt.build(2, np.float64)
    >>> w = np.array([1.0, 2.0]); opt.apply(w, np.array([1.0, -1.0])); w.tolist()
    [0.9, 2.1]
    >>> get("adam").get_config()["epsilon"]
    1e-07

Keras's form on NumPy arrays, updated in place::

    >>> v = np.array([1.0, 2.0, 3.0, 4.0])
    >>> SGD(learning_rate=0.5).apply_gradients(zip([np.array([1.0, 6.0, 7.0, 2.0])], [v]))
    >>> v.tolist()
    [0.5, -1.0, -0.5, 3.0]
"""

from __future__ import annotations

from .._registry import Registry
from . import schedules
from ._core import Optimizer
from ._kernels import enabled as kernels_enabled  # the models ask: do compiled kernels run?


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras 3 form.

    ``m = momentum*m - lr*g``; ``w += m``, or with ``nesterov=True`` ``w += momentum*m - lr*g``.
    Defaults: ``learning_rate=0.01, momentum=0.0, nesterov=False``. PyTorch's SGD keeps
    ``b = momentum*b + g`` and steps ``w -= lr*b``: the same trajectory while ``lr`` is constant.
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, rule="sgd",
                         hyper=dict(momentum=momentum, nesterov=bool(nesterov)), **kwargs)


class RMSprop(Optimizer):
    """RMSprop, Keras 3 form: ``v = rho*v + (1-rho)*g²``, ``w -= lr*g / sqrt(v + eps)``.

    Defaults ``learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False``.
    ``centered``: ``a = rho*a + (1-rho)*g`` and the denominator is ``sqrt(v - a² + eps)``;
    ``momentum``: ``m = momentum*m + lr*g/sqrt(...)``, ``w -= m``. Epsilon sits inside the square
    root (Keras); PyTorch adds ``eps=1e-8`` outside it and defaults to ``lr=0.01, alpha=0.99``.
    """

    name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, rule="rmsprop",
                         hyper=dict(rho=rho, momentum=momentum, epsilon=epsilon,
                                    centered=bool(centered)), **kwargs)


class Adagrad(Optimizer):
    """Adagrad, Keras 3 form: ``a += g²``, ``w -= lr*g / sqrt(a + eps)``.

    Defaults ``learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7``. PyTorch:
    ``lr=0.01``, accumulator starts at 0, ``eps=1e-10`` added outside the square root.
    """

    name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, rule="adagrad",
                         hyper=dict(initial_accumulator_value=initial_accumulator_value,
                                    epsilon=epsilon), **kwargs)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014) exactly as Keras 3 computes it:

    .. math::
        m \leftarrow m + (1-\beta_1)(g - m), \quad v \leftarrow v + (1-\beta_2)(g^2 - v), \quad
        w \leftarrow w - \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m}{\sqrt{v} + \hat\epsilon}

    Defaults ``learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False``.
    Keras's epsilon is the paper's "epsilon hat" (added after the bias correction is folded into
    the step size); PyTorch uses ``eps=1e-8`` in Algorithm 1's form ``m̂ / (sqrt(v̂) + eps)``.
    ``amsgrad=True`` divides by ``sqrt(max over time of v)`` (Reddi et al., 2018).
    """

    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, rule="adam",
                         hyper=dict(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                                    amsgrad=bool(amsgrad)), **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), Keras 3 form: before each
    Adam step ``w -= learning_rate * weight_decay * w``. Default ``weight_decay=0.004``
    (PyTorch: 0.01), other defaults as :class:`Adam`."""

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class Nadam(Optimizer):
    r"""Nesterov Adam (Dozat, 2016) as Keras 3 computes it, with the momentum schedule
    :math:`u_t = \beta_1(1 - \tfrac12 0.96^{t})` and :math:`\Pi_t = \prod_{i\le t} u_i`:

    .. math::
        \hat m = \frac{u_{t+1} m}{1 - \Pi_{t+1}} + \frac{(1-u_t) g}{1 - \Pi_t}, \quad
        w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{v / (1-\beta_2^t)} + \epsilon}

    Defaults ``learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7``. PyTorch's NAdam
    uses ``lr=0.002``, ``eps=1e-8`` and ``momentum_decay=0.004`` for the same schedule. The
    running product is kept in float64 (Keras: a float32 variable).
    """

    name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, rule="nadam",
                         hyper=dict(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon), **kwargs)


REGISTRY: Registry[Optimizer] = Registry("optimizer", Optimizer)
for _cls in (SGD, RMSprop, Adagrad, Adam, AdamW, Nadam):
    REGISTRY.add(_cls(), _cls.name)
_BY_CLASS = {cls.__name__: cls for cls in (SGD, RMSprop, Adagrad, Adam, AdamW, Nadam)}


def _class_named(name: str) -> type:
    """The optimizer class for a class name (``'Adam'``) or a registered name (``'adam'``)."""
    if name in _BY_CLASS:
        return _BY_CLASS[name]
    return type(REGISTRY.get(name))


def get(identifier, **params):
    """A new optimizer from a Keras name (``'adam'``, case-insensitive), a config dict
    (:func:`serialize`'s ``{'class_name': ..., 'config': ...}`` or ``get_config()``'s output,
    whose ``name`` is the registered one), or an :class:`Optimizer` object (returned as it is).
    ``None`` gives None, as in Keras."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer) and not params:
        return identifier
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            return deserialize({**identifier,
                                "config": {**identifier.get("config", {}), **params}})
        config = dict(identifier)
        cls = _class_named(config.get("name", ""))
        return cls.from_config({**config, **params})
    proto = REGISTRY.get(identifier)
    config = {**(proto.get_config() if isinstance(identifier, Optimizer) else {}), **params}
    return type(proto).from_config(config)


def serialize(optimizer: Optimizer) -> dict:
    """``{'class_name': 'Adam', 'config': optimizer.get_config()}`` (Keras's layout)."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> Optimizer:
    """An optimizer from :func:`serialize`'s output (``class_name`` may also be a registered
    name such as ``'adam'``)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"deserialize expects {{'class_name': ..., 'config': {{...}}}}; "
                        f"received {config!r}")
    return _class_named(config["class_name"]).from_config(dict(config.get("config") or {}))


def names() -> list:
    """Sorted registered names."""
    return REGISTRY.names()


__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Nadam", "get",
           "serialize", "deserialize", "names", "schedules", "REGISTRY"]
