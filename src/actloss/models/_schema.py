"""One schema for ``model.json``: every key, its type and its range, checked before anything is
built from the file.

The checks are small declarative objects (:class:`Int`, :class:`Number`, :class:`Record`, ...)
that raise ``ValueError("key PATH: found WHAT; expected WHAT")``. The parts that depend on the
catalogs are derived from them when a file is checked, so a new activation, loss, optimizer,
initializer or layer class is accepted without editing this file, and an unknown name is an
error, never a default:

* layers: ``class_name`` from ``actloss.layers.LAYERS``; the config keys are the parameters of
  the class's ``__init__`` (plus ``Layer``'s), typed by :data:`LAYER_KEYS` or by their default;
* activations, initializers, losses, optimizers: a registered name (or a dict with ``name``)
  whose other keys are those of the registered object's ``get_config()``, typed by its values;
* regularizers: ``l1`` / ``l2`` / ``l1_l2`` with ``l1``, ``l2`` >= 0;
* learning-rate schedules: a class of ``optimizers.schedules.SCHEDULES`` and its parameters.

>>> header_schema().check({"format": "actloss-model", "format_version": -1}, "")
Traceback (most recent call last):
...
ValueError: key format_version: found int -1; expected an int in [1, 1]
"""

from __future__ import annotations

import inspect
import math

from ._archive import FLOAT_DTYPES

VERSION = 1
MAX_LAYERS = 1024
MAX_DIM = 1 << 24          # one axis of a sample, and a layer's units
MAX_RANK = 8
MAX_NAME = 256
MAX_LIST = 10000
MAX_INT = (1 << 63) - 1


def _show(value) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _key(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


class Spec:
    """A check: ``check(value, path)`` returns the value or raises ``ValueError``."""

    expected = "?"

    def ok(self, value) -> bool:  # pragma: no cover - overridden
        return False

    def check(self, value, path):
        if not self.ok(value):
            raise ValueError(f"key {path or '(top)'}: found {_show(value)}; "
                             f"expected {self.expected}")
        return value


class Int(Spec):
    def __init__(self, lo=-MAX_INT, hi=MAX_INT):
        self.lo, self.hi = lo, hi
        self.expected = f"an int in [{lo}, {hi}]"

    def ok(self, value):
        return isinstance(value, int) and not isinstance(value, bool) and \
            self.lo <= value <= self.hi


class Number(Spec):
    """A finite int or float in ``[lo, hi]`` (``hi`` excluded when ``open_hi``)."""

    def __init__(self, lo=-math.inf, hi=math.inf, open_hi=False):
        self.lo, self.hi, self.open_hi = lo, hi, open_hi
        rng = "" if (lo, hi) == (-math.inf, math.inf) else \
            f" in [{lo}, {hi}{')' if open_hi else ']'}"
        self.expected = f"a finite number{rng}"

    def ok(self, value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            math.isfinite(value) and self.lo <= value and \
            (value < self.hi if self.open_hi else value <= self.hi)


class Bool(Spec):
    expected = "true or false"

    def ok(self, value):
        return isinstance(value, bool)


class Null(Spec):
    expected = "null (not supported by actloss)"

    def ok(self, value):
        return value is None


class Str(Spec):
    def __init__(self, choices=None, max_len=MAX_NAME):
        self.choices, self.max_len = choices, max_len
        self.expected = f"one of {sorted(choices)}" if choices else \
            f"a string of at most {max_len} characters"

    def ok(self, value):
        return isinstance(value, str) and len(value) <= self.max_len and \
            (self.choices is None or value in self.choices)


class Maybe(Spec):
    def __init__(self, spec):
        self.spec = spec
        self.expected = f"null or {spec.expected}"

    def check(self, value, path):
        return None if value is None else self.spec.check(value, path)


class Either(Spec):
    """The first spec whose type fits decides (so its message is the precise one)."""

    def __init__(self, *specs, fits):
        self.specs, self.fits = specs, fits
        self.expected = " or ".join(s.expected for s in specs)

    def check(self, value, path):
        for spec, fit in zip(self.specs, self.fits):
            if fit(value):
                return spec.check(value, path)
        raise ValueError(f"key {path}: found {_show(value)}; expected {self.expected}")


class ListOf(Spec):
    def __init__(self, item, min_len=0, max_len=MAX_LIST, unique=False):
        self.item, self.min_len, self.max_len, self.unique = item, min_len, max_len, unique
        self.expected = f"a list of {min_len} to {max_len} items, each {item.expected}"

    def check(self, value, path):
        if not isinstance(value, list) or not self.min_len <= len(value) <= self.max_len:
            return Spec.check(self, value, path)
        for i, v in enumerate(value):
            self.item.check(v, f"{path}[{i}]")
        if self.unique and len(set(map(repr, value))) != len(value):
            raise ValueError(f"key {path}: found repeated items {value!r}; expected each once")
        return value


class Record(Spec):
    """A dict with exactly these keys: ``required`` must be there, ``optional`` may be."""

    def __init__(self, required=None, optional=None, what="an object"):
        self.required, self.optional = dict(required or {}), dict(optional or {})
        self.expected = f"{what} with keys {sorted({*self.required, *self.optional})}"

    def check(self, value, path):
        if not isinstance(value, dict):
            return Spec.check(self, value, path)
        known = {**self.required, **self.optional}
        for key in value:
            if key not in known:
                raise ValueError(f"key {_key(path, key)}: unknown key; expected one of "
                                 f"{sorted(known)}")
        for key, spec in known.items():  # in declaration order: the first problem is named
            if key in value:
                spec.check(value[key], _key(path, key))
            elif key in self.required:
                raise ValueError(f"key {_key(path, key)}: missing; expected {spec.expected}")
        return value


class AnyDict(Spec):
    expected = "an object"

    def ok(self, value):
        return isinstance(value, dict)


class Named(Spec):
    """A catalog entry: a registered name, or ``{"name": NAME, **params}`` whose params are
    checked by ``params(canonical_name) -> {key: spec}``. ``names`` lists the known names;
    ``canonical(name)`` raises ``ValueError`` for an unknown one."""

    def __init__(self, kind, names, canonical, params, allow_str=True):
        self.kind, self.names, self.canonical, self.params = kind, names, canonical, params
        self.allow_str = allow_str
        self.a = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"
        self.expected = f"{self.a + ' name or ' if allow_str else ''}{{'name': ..., ...}}"

    def _name(self, name, path):
        if not isinstance(name, str) or len(name) > MAX_NAME:
            raise ValueError(f"key {path}: found {_show(name)}; expected {self.a} name")
        try:
            return self.canonical(name)
        except ValueError:
            raise ValueError(f"key {path}: found unknown {self.kind} {name!r}; expected one of "
                             f"{self.names()}") from None

    def check(self, value, path):
        if isinstance(value, str) and self.allow_str:
            self._name(value, path)
            return value
        if not isinstance(value, dict):
            return Spec.check(self, value, path)
        if "name" not in value:
            raise ValueError(f"key {_key(path, 'name')}: missing; expected {self.a} name")
        key = self._name(value["name"], _key(path, "name"))
        params = self.params(key)
        if not isinstance(params, Record):
            params = Record({}, params)
        Record({"name": Str(), **params.required}, params.optional,
               what=f"{self.a} config").check(value, path)
        return value


def by_default(default) -> Spec:
    """The spec of a parameter from its default value's type."""
    if isinstance(default, bool):
        return Bool()
    if isinstance(default, int):
        return Int(-(1 << 31), 1 << 31)
    if isinstance(default, float):
        return Number()
    if isinstance(default, str):
        return Str(max_len=64)
    if isinstance(default, (list, tuple)):
        return ListOf(Number())
    return Maybe(Number())


SEED = Maybe(Int(0, MAX_INT))


def _registry_params(registry, special=None):
    special = special or {}

    def params(name):
        config = registry.get(name).get_config()
        config.pop("name", None)
        return {k: special.get(k) or (SEED if k == "seed" else by_default(v))
                for k, v in config.items()}
    return params


def _named(kind, registry, special=None, **kw) -> Named:
    return Named(kind, registry.names, registry.canonical, _registry_params(registry, special),
                 **kw)


def activation_spec() -> Spec:
    from .. import activations
    return Maybe(_named("activation", activations.REGISTRY))


def initializer_spec() -> Spec:
    from .. import initializers
    special = {"mode": Str({"fan_in", "fan_out", "fan_avg"}),
               "distribution": Str({"uniform", "truncated_normal", "untruncated_normal",
                                    "normal"}),
               "scale": Number(0, 1e6)}
    return Maybe(_named("initializer", initializers.REGISTRY, special))


def regularizer_spec() -> Spec:
    from .. import regularizers
    reg = regularizers.REGISTRY
    penalty = {"l1": Number(0, 1e6), "l2": Number(0, 1e6)}
    return Maybe(Named("regularizer", reg.names, reg.canonical, lambda name: penalty))


def schedule_spec() -> Spec:
    """Keras's ``{"class_name": CLASS, "config": {..., "name": str}}`` or the earlier actloss
    form ``{"name": CLASS, ...}``."""
    from ..optimizers import schedules
    known = schedules.SCHEDULES

    def canonical(name):
        if name not in known:
            raise ValueError(name)
        return name

    def params(name, with_name=False):
        required, optional = {}, {}
        for p in inspect.signature(known[name]).parameters.values():
            if p.name == "name":
                if with_name:
                    optional["name"] = Maybe(Str())
                continue
            if p.name in ("boundaries", "values"):
                spec = ListOf(Number(), 1, MAX_LIST)
            else:
                spec = Number() if p.default is p.empty else by_default(p.default)
            (required if p.default is p.empty else optional)[p.name] = spec
        return Record(required, optional, what=f"a {name} config")

    class KerasForm(Spec):
        expected = f"{{'class_name': one of {sorted(known)}, 'config': {{...}}}}"

        def check(self, value, path):
            Record({"class_name": Str(set(known)), "config": AnyDict()}).check(value, path)
            return params(value["class_name"], True).check(value["config"],
                                                           _key(path, "config"))
    earlier = Named("learning-rate schedule", lambda: sorted(known), canonical, params,
                    allow_str=False)
    return Either(KerasForm(), earlier,
                  fits=(lambda v: isinstance(v, dict) and "class_name" in v, lambda v: True))


def optimizer_spec() -> Spec:
    from .. import optimizers
    reg = optimizers.REGISTRY
    rate = Either(Number(0, 1e6), schedule_spec(),
                  fits=(lambda v: not isinstance(v, dict), lambda v: True))
    base = _registry_params(reg, {"learning_rate": rate})
    return Named("optimizer", reg.names, reg.canonical, base, allow_str=False)


def loss_spec() -> Spec:
    from .. import losses
    return _named("loss", losses.REGISTRY, allow_str=False)


def metric_spec() -> Spec:
    from .. import metrics

    def canonical(name):
        if name.strip().lower() in ("accuracy", "acc"):
            return name
        return metrics.REGISTRY.canonical(name)
    return Named("metric", lambda: ["accuracy", *metrics.REGISTRY.names()], canonical,
                 lambda name: {})


SHAPE = ListOf(Int(1, MAX_DIM), 1, MAX_RANK)

#: The spec of a layer config key, by name; other keys are typed by their default value.
LAYER_KEYS = {
    "name": Str(), "trainable": Bool(), "input_shape": Maybe(SHAPE),
    "input_dim": Maybe(Int(1, MAX_DIM)), "dtype": Maybe(Str(set(FLOAT_DTYPES))),
    "units": Int(1, MAX_DIM), "use_bias": Bool(), "rate": Number(0, 1, open_hi=True),
    "seed": SEED, "activity_regularizer": Null(), "kernel_constraint": Null(),
    "bias_constraint": Null(), "noise_shape": Null(),
}


def layer_spec() -> Spec:
    from ..layers import LAYERS, Layer

    base = {p.name: p for p in inspect.signature(Layer.__init__).parameters.values()}
    special = {"activation": activation_spec(), "initializer": initializer_spec(),
               "regularizer": regularizer_spec()}

    def config(name):
        params = {**base, **inspect.signature(LAYERS[name].__init__).parameters}
        required, optional = {}, {}
        for p in params.values():
            if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            suffix = p.name.rsplit("_", 1)[-1]
            spec = LAYER_KEYS.get(p.name) or special.get(p.name) or special.get(suffix) or \
                (by_default(p.default) if p.default is not p.empty else Number())
            (required if p.default is p.empty else optional)[p.name] = spec
        return Record(required, optional, what=f"a {name} config")

    class LayerSpec(Spec):
        expected = f"{{'class_name': one of {sorted(LAYERS)}, 'config': {{...}}}}"

        def check(self, value, path):
            Record({"class_name": Str(set(LAYERS)), "config": AnyDict()}).check(value, path)
            return config(value["class_name"]).check(value["config"], _key(path, "config"))
    return LayerSpec()


RNG = Record({"bit_generator": Str({"PCG64"}),
              "state": Record({"state": Int(0, (1 << 128) - 1), "inc": Int(0, (1 << 128) - 1)}),
              "has_uint32": Int(0, 1), "uinteger": Int(0, (1 << 32) - 1)})


def header_schema() -> Record:
    """The whole ``model.json`` of format version 1."""
    model = Record({"name": Str(), "layers": ListOf(layer_spec(), 1, MAX_LAYERS)},
                   {"input_shape": Maybe(SHAPE)})
    compile_ = Record({"optimizer": optimizer_spec(), "loss": loss_spec(),
                       "metrics": ListOf(metric_spec(), 0, 64)})
    return Record({"format": Str({"actloss-model"}), "format_version": Int(1, VERSION),
                   "kind": Str({"model", "weights"}), "dtype": Str(set(FLOAT_DTYPES)),
                   "model": model},
                  {"actloss_version": Str(max_len=64), "compile": compile_,
                   "optimizer_state": ListOf(Str(max_len=64), 0, 16, unique=True),
                   "rng": Maybe(RNG)})


__all__ = ["Spec", "Int", "Number", "Bool", "Null", "Str", "Maybe", "Either", "ListOf",
           "Record", "Named", "by_default", "header_schema", "layer_spec", "VERSION",
           "MAX_LAYERS", "MAX_DIM"]
