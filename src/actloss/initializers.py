"""Weight initializers with Keras names and defaults.

Each initializer is an object called as ``init(shape, dtype=None, rng=None)`` returning a new
array; ``rng`` is a ``np.random.Generator`` (actloss's seeded generator by default, see
:func:`actloss.utils.set_random_seed`). Fans of a ``(fan_in, fan_out)`` kernel are its two sizes.

Variance scaling (Keras ``VarianceScaling``): with ``n = fan_in``, ``fan_out`` or their mean,

.. math::  \\mathrm{Var}(w) = \\mathrm{scale} / n

drawn from a normal truncated at two standard deviations (its ``stddev`` divided by 0.8796 so the
variance is right), a plain normal, or ``U(-\\sqrt{3\\,scale/n}, \\sqrt{3\\,scale/n})``.

===============  =====================================  ======================================
name             Keras definition                       PyTorch
===============  =====================================  ======================================
glorot_uniform   scale 1, fan_avg, uniform (default)    ``xavier_uniform_``
glorot_normal    scale 1, fan_avg, truncated normal     ``xavier_normal_`` (not truncated)
he_normal        scale 2, fan_in, truncated normal      ``kaiming_normal_`` (not truncated)
he_uniform       scale 2, fan_in, uniform               ``kaiming_uniform_(a=0)``
lecun_normal     scale 1, fan_in, truncated normal      (for SELU)
lecun_uniform    scale 1, fan_in, uniform
===============  =====================================  ======================================

Plus ``zeros``, ``ones``, ``constant(value=0.0)``, ``random_normal(mean=0, stddev=0.05)``,
``random_uniform(minval=-0.05, maxval=0.05)``, ``truncated_normal(mean=0, stddev=0.05)`` and
``orthogonal(gain=1.0)``. PyTorch's ``nn.Linear`` default is ``kaiming_uniform_(a=sqrt(5))``,
i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; Keras's and ours is ``glorot_uniform``.

>>> import numpy as np
>>> w = get("he_uniform")((4, 3), rng=np.random.default_rng(0))
>>> w.shape, w.dtype.name, bool(np.all(np.abs(w) <= np.sqrt(6 / 4)))
((4, 3), 'float32', True)
>>> get("constant", value=0.5)((2,)).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import math

import numpy as np

from ._config import floatx_dtype
from ._registry import Registry
from .utils import rng as _default_rng


def _fans(shape) -> tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(math.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated(g: np.random.Generator, shape, mean: float, stddev: float) -> np.ndarray:
    """Normal values redrawn until they lie within two standard deviations (Keras, TF)."""
    out = g.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = g.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return mean + stddev * out


class Initializer:
    """Base class: ``name``, ``params`` (its Keras arguments) and ``__call__(shape, dtype, rng)``."""

    def __init__(self, name: str, draw, **params):
        self.name = name
        self._draw = draw
        self.params = params

    def __call__(self, shape, dtype=None, rng=None) -> np.ndarray:
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
        dtype = np.dtype(dtype) if dtype is not None else floatx_dtype()
        g = rng if rng is not None else _default_rng()
        return np.asarray(self._draw(g, shape, **self.params), dtype=dtype)

    def with_params(self, **params) -> "Initializer":
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypeError(f"initializer {self.name!r} got unexpected parameter(s) "
                            f"{sorted(unknown)}; its parameters are: {self.params}")
        return Initializer(self.name, self._draw, **{**self.params, **params})

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    def __repr__(self):
        return f"Initializer({self.name!r}" + "".join(f", {k}={v!r}" for k, v in
                                                     self.params.items()) + ")"

    def __eq__(self, other):
        return isinstance(other, Initializer) and other.get_config() == self.get_config()

    __hash__ = None


def _variance_scaling(g, shape, scale=1.0, mode="fan_in", distribution="truncated_normal",
                      seed=None):
    fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    g = np.random.default_rng(seed) if seed is not None else g
    var = scale / max(1.0, n)
    if distribution == "uniform":
        limit = np.sqrt(3.0 * var)
        return g.uniform(-limit, limit, shape)
    if distribution == "untruncated_normal":
        return g.normal(0.0, np.sqrt(var), shape)
    return _truncated(g, shape, 0.0, np.sqrt(var) / 0.87962566103423978)


def _orthogonal(g, shape, gain=1.0, seed=None):
    g = np.random.default_rng(seed) if seed is not None else g
    rows = int(math.prod(shape[:-1])) if len(shape) > 1 else 1
    cols = shape[-1]
    a = g.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # make the decomposition unique (Saxe et al., 2014)
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


def _seeded(fn):
    def draw(g, shape, seed=None, **params):
        return fn(np.random.default_rng(seed) if seed is not None else g, shape, **params)
    return draw


_VARIANCE_SCALING = [  # name, scale, mode, distribution (Keras's definitions)
    ("glorot_uniform", 1.0, "fan_avg", "uniform"),
    ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"),
    ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ("variance_scaling", 1.0, "fan_in", "truncated_normal"),
]
_CATALOG = [
    *(Initializer(name, _variance_scaling, scale=scale, mode=mode, distribution=dist, seed=None)
      for name, scale, mode, dist in _VARIANCE_SCALING),
    Initializer("zeros", lambda g, shape: np.zeros(shape)),
    Initializer("ones", lambda g, shape: np.ones(shape)),
    Initializer("constant", lambda g, shape, value=0.0: np.full(shape, value), value=0.0),
    Initializer("random_normal", _seeded(lambda g, shape, mean, stddev: g.normal(mean, stddev, shape)),
                mean=0.0, stddev=0.05, seed=None),
    Initializer("random_uniform",
                _seeded(lambda g, shape, minval, maxval: g.uniform(minval, maxval, shape)),
                minval=-0.05, maxval=0.05, seed=None),
    Initializer("truncated_normal", _seeded(lambda g, shape, mean, stddev:
                                            _truncated(g, shape, mean, stddev)),
                mean=0.0, stddev=0.05, seed=None),
    Initializer("orthogonal", _orthogonal, gain=1.0, seed=None),
]
_ALIASES = {"glorot_uniform": ("xavier_uniform",), "glorot_normal": ("xavier_normal",),
            "zeros": ("zero",), "ones": ("one",), "random_normal": ("normal",),
            "random_uniform": ("uniform",), "orthogonal": ("orthogonal_initializer",)}

REGISTRY: Registry[Initializer] = Registry("initializer", Initializer)
for _init in _CATALOG:
    REGISTRY.add(_init, aliases=_ALIASES.get(_init.name, ()))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# Keras's class spellings: HeNormal(seed=1), GlorotUniform(), Constant(value=0.5), ...
for _init in _CATALOG:
    globals()[_camel(_init.name)] = (lambda n: lambda **p: get(n, **p))(_init.name)
    REGISTRY._aliases[_camel(_init.name).lower()] = _init.name


def get(identifier, **params) -> Initializer:
    """An initializer by Keras name (``'he_normal'``), config dict or object; ``None`` is the
    default ``glorot_uniform``. A plain callable ``f(shape, dtype)`` is accepted as it is."""
    if identifier is None:
        identifier = "glorot_uniform"
    if isinstance(identifier, dict):
        config = dict(identifier)
        return REGISTRY.get(config.pop("name"), **config, **params)
    return REGISTRY.get(identifier, **params)


def names() -> list:
    """Sorted registered names and aliases."""
    return REGISTRY.names()


def __getattr__(name):
    if name in REGISTRY:
        return REGISTRY.get(name)
    raise AttributeError(f"module 'actloss.initializers' has no attribute {name!r}")


__all__ = ["Initializer", "REGISTRY", "get", "names", *(_camel(i.name) for i in _CATALOG)]
