"""What the page may ask for, and the check of every configuration a client sends.

A configuration is a JSON object; :func:`validate` returns a clean copy with defaults filled in,
or raises ``ValueError`` naming the field, the value received and what is expected. Nothing in it
is ever used as a file path: an uploaded CSV is referred to by the random id the server gave it.

>>> cfg = validate({"layers": [{"units": 4, "activation": "ReLU"}], "batch_size": "all"})
>>> cfg["data"], cfg["layers"], cfg["batch_size"], cfg["loss"]
('moons', [{'units': 4, 'activation': 'relu'}], 'all', None)
>>> validate({"layers": [{"units": 4, "activation": "nope"}]})
Traceback (most recent call last):
ValueError: layers[0].activation: Unknown activation 'nope'. Known activations: ...
"""

from __future__ import annotations

import importlib.util
import math

from .. import activations as A, losses as L, optimizers as O
from ..datasets import GENERATED, NAMES, NOISE
from ..experiments import DEFAULT_LOSS, output_spec

BUNDLED = tuple(n for n in NAMES if n not in GENERATED)   # scikit-learn's: the 'data' extra
# The regression target is standardized (negative values, mean 0) and there is one output: losses
# that need positive targets (poisson, msle), divide by the target (mape) or compare directions
# (cosine_similarity) do not fit any task the page offers.
UNFIT = frozenset({"poisson", "mean_squared_logarithmic_error",
                   "mean_absolute_percentage_error", "cosine_similarity"})

MAX_LAYERS, MAX_UNITS = 6, 128
MAX_SAMPLES = 5000

# noise None: the generated set's own (datasets.NOISE); a number replaces it
DEFAULTS = {"data": "moons", "upload": None, "target": None, "noise": None,
            "test_fraction": 0.3, "n_samples": 400, "seed": 0,
            "layers": [{"units": 8, "activation": "relu"}, {"units": 8, "activation": "relu"}],
            "loss": None, "optimizer": "adam", "learning_rate": 0.03, "batch_size": 16,
            "l1": 0.0, "l2": 0.0}
# what may change while a network trains; anything else rebuilds the network
LIVE = ("learning_rate", "batch_size")


def has_bundled_sets() -> bool:
    return importlib.util.find_spec("sklearn") is not None


def datasets() -> list[str]:
    return list(GENERATED) + (list(BUNDLED) if has_bundled_sets() else [])


def activation_names() -> list[str]:
    """Every registered activation, by its canonical name (aliases are accepted too)."""
    return sorted(name for name, _ in A.REGISTRY.items())


def optimizer_names() -> list[str]:
    return [name for name, _ in O.REGISTRY.items()]


def losses_for(task: str, n_classes: int) -> list[str]:
    """The losses that fit ``task``: those the lab's output rules accept, less :data:`UNFIT`.

    >>> losses_for("regression", 0)[:3]
    ['mean_squared_error', 'root_mean_squared_error', 'mean_absolute_error']
    >>> "hinge" in losses_for("binary", 2), "hinge" in losses_for("multiclass", 3)
    (True, False)
    """
    out = []
    for name, _ in L.REGISTRY.items():
        if name in UNFIT:
            continue
        try:
            output_spec(task, name, n_classes)
        except ValueError:
            continue
        out.append(name)
    return out


def options() -> dict:
    """The choices the page offers (sent to it once, on connection)."""
    return {"datasets": datasets(), "generated": list(GENERATED), "noise": NOISE,
            "bundled_available": has_bundled_sets(), "activations": activation_names(),
            "optimizers": optimizer_names(),
            "losses": {"binary": losses_for("binary", 2),
                       "multiclass": losses_for("multiclass", 3),
                       "regression": losses_for("regression", 0)},
            "default_loss": DEFAULT_LOSS, "defaults": DEFAULTS,
            "limits": {"layers": MAX_LAYERS, "units": MAX_UNITS, "samples": MAX_SAMPLES}}


def _number(cfg, key, low, high, *, integer=False, low_open=False):
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (integer and not float(value).is_integer()) or not math.isfinite(value):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{key}: expected {kind}; received {value!r}")
    if value < low or value > high or (low_open and value == low):
        left = "(" if low_open else "["
        raise ValueError(f"{key}: expected a value in {left}{low}, {high}]; received {value!r}")
    return int(value) if integer else float(value)


def _name(value, field, registry, kind):
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected the name of {kind}; received {value!r}")
    try:
        return registry.canonical(value)
    except ValueError as exc:  # the registry's message lists close matches and known names
        raise ValueError(f"{field}: {exc}") from None


def validate(config) -> dict:
    """A clean, complete configuration from the client's ``config`` (see module docstring)."""
    if not isinstance(config, dict):
        raise ValueError(f"config: expected a JSON object; received {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"config: unknown field(s) {', '.join(map(repr, unknown))}; expected "
                         f"some of {', '.join(DEFAULTS)}")
    cfg = {**DEFAULTS, **config}
    if cfg["data"] not in (*GENERATED, *BUNDLED, "csv"):
        raise ValueError(f"data: unknown data set {cfg['data']!r}; expected one of "
                         f"{', '.join(datasets())} or 'csv'")
    if cfg["data"] in BUNDLED and not has_bundled_sets():
        raise ValueError(f"data: {cfg['data']!r} comes with scikit-learn: "
                         f"pip install 'actloss[data]'")
    if cfg["data"] == "csv":
        for key in ("upload", "target"):
            if not isinstance(cfg[key], str) or not cfg[key]:
                raise ValueError(f"{key}: a CSV data set needs the upload id and a target "
                                 f"column; received {key}={cfg[key]!r}")
    else:
        cfg["upload"] = cfg["target"] = None
    if cfg["data"] not in GENERATED:  # the noise is the generated sets' only
        cfg["noise"] = None
    elif cfg["noise"] is not None:
        cfg["noise"] = _number(cfg, "noise", 0.0, 2.0)
    cfg["test_fraction"] = _number(cfg, "test_fraction", 0.05, 0.9)
    cfg["n_samples"] = _number(cfg, "n_samples", 50, MAX_SAMPLES, integer=True)
    cfg["seed"] = _number(cfg, "seed", 0, 2**31 - 1, integer=True)
    layers = cfg["layers"]
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise ValueError(f"layers: expected a list of at most {MAX_LAYERS} hidden layers; "
                         f"received {layers!r:.80}")
    clean = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or set(layer) != {"units", "activation"}:
            raise ValueError(f"layers[{i}]: expected {{'units': N, 'activation': NAME}}; "
                             f"received {layer!r:.80}")
        units = _number(layer, "units", 1, MAX_UNITS, integer=True)
        act = _name(layer["activation"], f"layers[{i}].activation", A.REGISTRY, "activation")
        clean.append({"units": units, "activation": act})
    cfg["layers"] = clean
    if cfg["loss"] is not None:
        cfg["loss"] = _name(cfg["loss"], "loss", L.REGISTRY, "loss")
    cfg["optimizer"] = _name(cfg["optimizer"], "optimizer", O.REGISTRY, "optimizer")
    cfg["learning_rate"] = _number(cfg, "learning_rate", 0.0, 10.0, low_open=True)
    if cfg["batch_size"] != "all":
        cfg["batch_size"] = _number(cfg, "batch_size", 1, 100_000, integer=True)
    cfg["l1"] = _number(cfg, "l1", 0.0, 1.0)
    cfg["l2"] = _number(cfg, "l2", 0.0, 1.0)
    return cfg
