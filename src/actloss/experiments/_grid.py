"""The grid of cells and what each (task, loss) pair needs from the network.

A cell is one training run, described by a JSON-ready dict; its key is a hash of that dict, so
a changed configuration (data, hyper-parameters, seed, format) is a new cell.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from dataclasses import dataclass

FORMAT = 1  # bump when a cell's meaning changes: old cells then no longer match

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad",
              "adamw": "AdamW", "nadam": "Nadam"}

# loss (canonical name) -> (output activation, target form) on classification tasks
_ONE_HOT = ("softmax", "onehot")
BINARY_ONLY = {"binary_crossentropy": ("sigmoid", "binary"),
               "binary_focal_crossentropy": ("sigmoid", "binary"),
               "hinge": ("tanh", "signed"), "squared_hinge": ("tanh", "signed")}
MULTICLASS = {"categorical_crossentropy": _ONE_HOT, "kl_divergence": _ONE_HOT,
              "log_loss": _ONE_HOT, "categorical_hinge": _ONE_HOT,
              "sparse_categorical_crossentropy": ("softmax", "sparse")}
DEFAULT_LOSS = {"binary": "binary_crossentropy", "multiclass": "categorical_crossentropy",
                "regression": "mean_squared_error"}



@dataclass(frozen=True)
class OutputSpec:
    """The output layer and target encoding a (task, loss) pair needs."""

    units: int
    activation: str
    target: str          # 'binary' (n, 1) 0/1, 'signed' (n, 1) -1/1, 'onehot', 'sparse', 'value'
    label: str           # the loss as the table shows it
    threshold: float = 0.5


def output_spec(task: str, loss: str, n_classes: int) -> OutputSpec:
    """What the network's last layer and the targets look like for ``loss`` on ``task``.

    Regression losses are allowed on a classification task (they must have been asked for), and
    then labelled ``"<loss> on classes"``. A classification loss on a regression task, or a
    binary loss on more than two classes, is a ``ValueError``.

    >>> output_spec("multiclass", "categorical_crossentropy", 10)
    OutputSpec(units=10, activation='softmax', target='onehot', label='categorical_crossentropy', threshold=0.5)
    >>> output_spec("binary", "mean_squared_error", 2).label
    'mean_squared_error on classes'
    """
    if loss in BINARY_ONLY:
        if task != "binary":
            raise ValueError(f"--losses: {loss} needs a binary task; this data set is {task}"
                             + ("" if task == "regression" else
                                "; use categorical_crossentropy"))
        act, target = BINARY_ONLY[loss]
        return OutputSpec(1, act, target, loss, 0.0 if target == "signed" else 0.5)
    if loss in MULTICLASS:
        if task == "regression":
            raise ValueError(f"--losses: {loss} is a classification loss; this data set is a "
                             f"regression task (try mean_squared_error, mae, huber)")
        act, target = MULTICLASS[loss]
        return OutputSpec(n_classes, act, target, loss)
    # a regression loss
    if task == "regression":
        return OutputSpec(1, "linear", "value", loss)
    if task == "binary":
        return OutputSpec(1, "sigmoid", "binary", f"{loss} on classes")
    return OutputSpec(n_classes, "softmax", "onehot", f"{loss} on classes")


def _canonical(kind: str, names, registry) -> list[str]:
    out = []
    for name in names:
        key = registry.canonical(name)  # raises ValueError with "did you mean"
        if key not in out:
            out.append(key)
    if not out:
        raise ValueError(f"--{kind}: give at least one name")
    return out


def canonical_optimizers(names) -> list[str]:
    out = []
    for name in names:
        key = name.strip().lower()
        if key not in OPTIMIZERS:
            close = difflib.get_close_matches(key, OPTIMIZERS, n=2)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"--optimizers: unknown optimizer {name!r}.{hint} "
                             f"Known: {', '.join(OPTIMIZERS)}")
        if key not in out:
            out.append(key)
    if not out:
        raise ValueError("--optimizers: give at least one name")
    return out


def can_die(activation: str) -> bool:
    """Can units of ``activation`` die, i.e. is its derivative exactly 0 on a half-line?

    Measured, not listed: f' on [-12, -4] is all zero for relu, relu6, hard_silu (and step,
    hard_tanh, hard_sigmoid, whose units die by saturating), and positive for leaky_relu, elu,
    selu, gelu, silu, softplus. The single place the report asks this; an activation property
    can replace it.

    >>> can_die("relu"), can_die("leaky_relu"), can_die("elu"), can_die("sigmoid")
    (True, False, False, False)
    """
    import numpy as np

    from .. import activations as A

    try:
        act = A.get(activation)
    except (ValueError, TypeError):
        return False
    if not act.elementwise:
        return False
    return bool(np.all(act.grad(np.linspace(-12.0, -4.0, 33)) == 0))


def initializer_for(activation: str) -> str:
    """The initializer that suits ``activation`` (its ``initializer`` property: He for the ReLU
    family, LeCun normal for SELU, Glorot, Keras's default, otherwise)."""
    from .. import activations as A

    return A.get(activation).initializer


def build_grid(ds, activations, losses=None, optimizers=("adam",), learning_rates=(1e-3,),
               hidden=(64, 64), epochs=20, batch_size=32, seeds=1) -> list[dict]:
    """Every cell of activation x loss x optimizer x learning rate x seed, validated.

    ``seeds``: a count N (seeds 0..N-1) or a list of seeds.
    """
    from .. import activations as A, losses as L

    acts = _canonical("activations", activations, A.REGISTRY)
    losses = _canonical("losses", losses or [DEFAULT_LOSS[ds.task]], L.REGISTRY)
    for loss in losses:
        output_spec(ds.task, loss, ds.n_classes)
    opts = canonical_optimizers(optimizers)
    lrs = [float(lr) for lr in learning_rates]
    if not lrs or any(not lr > 0 for lr in lrs):
        raise ValueError(f"--learning-rates: expected positive numbers; received {lrs}")
    hidden = [int(h) for h in hidden]
    if any(h < 1 for h in hidden):
        raise ValueError(f"--hidden: layer widths must be >= 1; received {hidden}")
    seed_list = list(range(int(seeds))) if isinstance(seeds, (int, str)) else \
        [int(s) for s in seeds]
    for flag, value in (("epochs", epochs), ("batch-size", batch_size), ("seeds", len(seed_list))):
        if int(value) < 1:
            raise ValueError(f"--{flag}: expected an integer >= 1; received {value}")
    cells = []
    for act, loss, opt, lr, seed in itertools.product(acts, losses, opts, lrs, seed_list):
        cells.append({"format": FORMAT, "dataset": ds.name, "data": ds.fingerprint,
                      "task": ds.task, "activation": act, "init": initializer_for(act),
                      "loss": loss, "optimizer": opt, "learning_rate": lr, "hidden": hidden,
                      "epochs": int(epochs), "batch_size": int(batch_size), "seed": seed})
    return cells


def cell_key(cell: dict) -> str:
    """A stable hash of the cell's configuration: its file name under ``OUT/cells/``.

    >>> cell_key({"a": 1, "b": [2]}) == cell_key({"b": [2], "a": 1})
    True
    """
    text = json.dumps(cell, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def group_key(cell: dict) -> tuple:
    """A configuration without its seed: the unit the ranked table averages over."""
    return (cell["activation"], cell["loss"], cell["optimizer"], cell["learning_rate"])
