"""Data sets for the lab, standardized and split train / validation / test with a fixed seed.

* ``digits``, ``breast_cancer``, ``iris``, ``wine``, ``diabetes``: scikit-learn's bundled sets
  (the ``data`` extra, imported on first use);
* ``moons``, ``circles``, ``spirals``, ``xor``: two-dimensional problems generated in NumPy
  (``n_samples`` points, Gaussian ``noise`` of the set's own size unless given);
* any CSV file with a header row, with ``target="COLUMN"``: the delimiter (``, ; TAB |``) is
  detected with ``csv.Sniffer``; empty or NaN cells are an error that counts them and says
  where, unless ``drop_missing=True`` drops their rows (``notes`` says how many).

The task is inferred: two classes ``binary``, more ``multiclass``, a numeric target with many
distinct (or non-integer) values ``regression``. Features are standardized with the training
split's mean and standard deviation; a regression target too (``y_mean``, ``y_std`` undo it).

>>> ds = load("xor", n_samples=100)
>>> ds.task, ds.n_features, len(ds.x_train), len(ds.x_val), len(ds.x_test)
('binary', 2, 60, 20, 20)
>>> bool(abs(ds.x_train.mean()) < 1e-12), round(float(ds.x_train.std()), 12)
(True, 1.0)
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._sources import GENERATED, NOISE, SKLEARN, csv_source, generated_source, sklearn_source

NAMES = (*SKLEARN, *GENERATED)
TASKS = ("binary", "multiclass", "regression")


@dataclass
class Dataset:
    """Split, standardized arrays and what they are: ``task``, ``classes``, ``feature_names``.

    Classification targets are integer labels 0..k-1 (``classes[k]`` is the original label);
    regression targets are floats of shape ``(n,)``.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: list = field(default_factory=list)
    classes: list | None = None
    fingerprint: str = ""
    y_mean: float = 0.0
    y_std: float = 1.0
    notes: list = field(default_factory=list)   # what loading did that a person should know

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    def describe(self) -> str:
        sizes = f"{len(self.x_train)}/{len(self.x_val)}/{len(self.x_test)} train/val/test"
        what = f"{self.n_classes} classes" if self.classes else "regression target"
        return f"{self.name}: {self.task}, {self.n_features} features, {what}, {sizes}"


def is_csv(name: str) -> bool:
    return str(name).lower().endswith(".csv") or Path(str(name)).exists()


def load(name, target: str | None = None, seed: int = 0, val_fraction: float = 0.2,
         test_fraction: float = 0.2, n_samples: int = 600, drop_missing: bool = False,
         noise: float | None = None) -> Dataset:
    """Load data set ``name`` (a name above or a CSV path) as a :class:`Dataset`.

    The rows are shuffled with ``default_rng(seed)`` and split ``val_fraction`` /
    ``test_fraction`` / the rest; ``n_samples`` sizes the generated sets. Each split must get
    rows (at least 2 for training, 1 for validation and 1 for test), else ``ValueError``.

    ``noise`` (generated sets only): the standard deviation of the Gaussian noise added to each
    coordinate before standardization, in the set's own units (moons are arcs of radius 1);
    ``None`` keeps the set's own, :data:`NOISE` (moons 0.1, circles 0.05, spirals 0.02, xor 0),
    as scikit-learn's ``make_moons(noise=...)``. Another value is part of the fingerprint.

    >>> clean, noisy = load("circles", noise=0.0), load("circles", noise=0.3)
    >>> r = lambda ds: np.hypot(*ds.x_train[ds.y_train == 0].T)   # the outer circle's radii
    >>> bool(r(noisy).std() > 4 * r(clean).std())   # 0.46 against 0.09 (standardization)
    True
    """
    name = str(name)
    notes: list = []
    if noise is not None:
        if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)) \
                or not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise: expected a finite number >= 0 (or None for the set's "
                             f"own); received {noise!r}")
        if is_csv(name) or name.strip().lower().replace("-", "_") not in GENERATED:
            raise ValueError(f"noise: only the generated sets ({', '.join(GENERATED)}) take "
                             f"noise; {name!r} is data as it is")
        noise = float(noise)
    if is_csv(name):
        x, y, features, classes = csv_source(name, target, drop_missing, notes)
        digest = hashlib.sha256(Path(name).read_bytes()).hexdigest()[:16]
        digest += ":drop-missing" if drop_missing else ""
        label = Path(name).name
    else:
        key = name.strip().lower().replace("-", "_")
        if target:
            raise ValueError("--target is only for CSV files; the named data sets know theirs")
        if key in SKLEARN:
            x, y, features, classes = sklearn_source(key)
        elif key in GENERATED:
            x, y, features, classes = generated_source(key, n_samples, seed, noise)
        else:
            close = difflib.get_close_matches(key, NAMES, n=2)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"--dataset: unknown data set {name!r}.{hint} Known: "
                             f"{', '.join(NAMES)}, or a CSV file with --target COLUMN")
        digest, label = f"{key}-{n_samples if key in GENERATED else 'bundled'}", key
        digest += f"-noise{noise!r}" if noise is not None else ""
    if classes is not None and len(classes) < 2:
        raise ValueError(f"{label}: the target has a single class {classes}; nothing to learn")
    task = "regression" if classes is None else ("binary" if len(classes) == 2 else "multiclass")
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction + test_fraction must be below 1; received "
                         f"{val_fraction} + {test_fraction}")
    n = len(x)
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
    n_train = n - n_test - n_val
    if n_train < 2 or (val_fraction and n_val < 1) or (test_fraction and n_test < 1):
        raise ValueError(f"{label}: {n} rows are too few: they split into {n_train}/{n_val}/"
                         f"{n_test} train/validation/test rows; each split needs rows (at "
                         f"least 2/1/1)")
    test, val, train = np.split(order, [n_test, n_test + n_val])
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    y_mean, y_std = 0.0, 1.0
    if task == "regression":
        y_mean, y_std = float(y[train].mean()), float(y[train].std() or 1.0)
        y = (y - y_mean) / y_std
    return Dataset(label, task, x[train], y[train], x[val], y[val], x[test], y[test],
                   features, classes, f"{digest}:{target or ''}:{seed}:{val_fraction}:"
                   f"{test_fraction}", y_mean, y_std, notes)


__all__ = ["Dataset", "load", "NAMES", "TASKS", "GENERATED", "NOISE", "is_csv"]
