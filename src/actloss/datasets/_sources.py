"""Where the raw arrays come from: scikit-learn's bundled sets, NumPy generators, CSV files.

Each source returns ``(x, y, feature_names, classes)``: ``x`` float64 ``(n, d)``; ``y`` integer
labels 0..k-1 with ``classes`` the original labels, or float targets with ``classes=None``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SKLEARN = ("digits", "breast_cancer", "iris", "wine", "diabetes")
GENERATED = ("moons", "circles", "spirals", "xor")

# a numeric target with at most this many distinct integer values is read as class labels
MAX_INTEGER_CLASSES = 20


def sklearn_source(name: str):
    try:
        from sklearn import datasets as skd
    except ImportError as exc:
        raise ImportError(f"dataset {name!r} comes with scikit-learn: "
                          f"pip install 'actloss[data]'") from exc
    bunch = getattr(skd, f"load_{name}")()
    x = np.asarray(bunch.data, dtype=np.float64)
    names = [str(f) for f in getattr(bunch, "feature_names", [])] or \
        [f"x{i}" for i in range(x.shape[1])]
    if name == "diabetes":
        return x, np.asarray(bunch.target, np.float64), names, None
    classes = [str(c) for c in getattr(bunch, "target_names", np.unique(bunch.target))]
    return x, np.asarray(bunch.target, np.int64), names, classes


def generated_source(name: str, n: int, seed: int, noise: float | None = None):
    """Two-dimensional toy problems, generated in NumPy with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    half = n // 2
    labels = np.repeat([0, 1], [n - half, half])
    if name == "moons":
        t = rng.uniform(0, np.pi, n)
        x = np.where(labels[:, None] == 0,
                     np.stack([np.cos(t), np.sin(t)], 1),
                     np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
        noise = 0.1 if noise is None else noise
    elif name == "circles":
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.where(labels == 0, 1.0, 0.5)
        x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
        noise = 0.05 if noise is None else noise
    elif name == "spirals":
        s = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi  # arc position, denser near the centre
        phase = np.pi * labels
        x = np.stack([s * np.cos(s + phase), s * np.sin(s + phase)], 1) / (3 * np.pi)
        noise = 0.02 if noise is None else noise
    elif name == "xor":
        x = rng.uniform(-1, 1, (n, 2))
        labels = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
        noise = 0.0 if noise is None else noise
    else:  # pragma: no cover - the caller checks the name
        raise ValueError(name)
    x = x + noise * rng.standard_normal(x.shape)
    return x, labels.astype(np.int64), ["x0", "x1"], ["0", "1"]


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def csv_source(path, target: str | None):
    """A CSV file with a header row: numeric feature columns and a ``target`` column (numbers or
    strings; strings and few distinct integers are class labels, other numbers a regression
    target)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--dataset: no such file {str(path)!r}")
    if not target:
        raise ValueError(f"--target COLUMN is required with a CSV file ({path.name})")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"{path.name}: expected a header row and data rows; found {len(rows)} rows")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise ValueError(f"--target: column {target!r} is not in {path.name}; "
                         f"its columns are: {', '.join(header)}")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise ValueError(f"{path.name} line {i}: {len(r)} fields, the header has {len(header)}")
    t = header.index(target)
    features = [j for j in range(len(header)) if j != t]
    if not features:
        raise ValueError(f"{path.name}: no feature columns besides the target {target!r}")
    x = np.empty((len(rows) - 1, len(features)))
    for k, j in enumerate(features):
        for i, r in enumerate(rows[1:]):
            value = _number(r[j])
            if value is None or not np.isfinite(value):
                what = "empty" if not r[j].strip() else f"{r[j].strip()!r}"
                raise ValueError(
                    f"{path.name}: feature column {header[j]!r} is not numeric (line {i + 2}: "
                    f"{what}); encode it as numbers or drop the column")
            x[i, k] = value
    raw = [r[t].strip() for r in rows[1:]]
    if any(not v for v in raw):
        raise ValueError(f"{path.name}: target column {target!r} has empty values "
                         f"(line {raw.index('') + 2})")
    numbers = [_number(v) for v in raw]
    names = [header[j] for j in features]
    if all(v is not None for v in numbers):
        y = np.asarray(numbers, np.float64)
        distinct = np.unique(y)
        if not (np.all(distinct == np.round(distinct)) and len(distinct) <= MAX_INTEGER_CLASSES):
            return x, y, names, None
        classes = [str(int(c)) for c in distinct]
        return x, np.searchsorted(distinct, y).astype(np.int64), names, classes
    classes = sorted(set(raw))
    return x, np.asarray([classes.index(v) for v in raw], np.int64), names, classes
