"""Where the raw arrays come from: scikit-learn's bundled sets, NumPy generators, CSV files.

Each source returns ``(x, y, feature_names, classes)``: ``x`` float64 ``(n, d)``; ``y`` integer
labels 0..k-1 with ``classes`` the original labels, or float targets with ``classes=None``.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from pathlib import Path

import numpy as np

SKLEARN = ("digits", "breast_cancer", "iris", "wine", "diabetes")
GENERATED = ("moons", "circles", "spirals", "xor")

# a numeric target with at most this many distinct integer values is read as class labels
MAX_INTEGER_CLASSES = 20


def _bundled_file(name: str):
    """The path of the data file scikit-learn ships as ``sklearn/datasets/data/NAME``, found
    without importing scikit-learn (``find_spec`` locates the package without running it); None
    when scikit-learn or the file is absent."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / name
        if path.is_file():
            return path
    return None


def _digits_file(path: Path):
    """``load_digits`` read straight from its file (the same arrays, names and classes): importing
    scikit-learn costs about 1 s of the lab's start-up, reading 1797 rows a few milliseconds.
    Each row is 64 pixel values (0..16) then the digit."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = np.loadtxt(fh, delimiter=",")
    if data.ndim != 2 or data.shape[1] != 65:  # not the file we know: let scikit-learn read it
        return None
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return data[:, :-1], data[:, -1].astype(np.int64), names, [str(k) for k in range(10)]


def sklearn_source(name: str):
    if name == "digits":
        path = _bundled_file("digits.csv.gz")
        found = _digits_file(path) if path is not None else None
        if found is not None:
            return found
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


# each generated set's own noise: the standard deviation of the Gaussian added to both
# coordinates, in the units of the set (moons: arcs of radius 1; circles: radii 1 and 0.5;
# spirals: within the unit disc; xor: the square [-1, 1]^2)
NOISE = {"moons": 0.1, "circles": 0.05, "spirals": 0.02, "xor": 0.0}


def generated_source(name: str, n: int, seed: int, noise: float | None = None):
    """Two-dimensional toy problems, generated in NumPy with ``default_rng(seed)``; ``noise``
    (default: the set's own, :data:`NOISE`) is the standard deviation of the Gaussian noise
    added to each coordinate."""
    rng = np.random.default_rng(seed)
    half = n // 2
    labels = np.repeat([0, 1], [n - half, half])
    if name == "moons":
        t = rng.uniform(0, np.pi, n)
        x = np.where(labels[:, None] == 0,
                     np.stack([np.cos(t), np.sin(t)], 1),
                     np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    elif name == "circles":
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.where(labels == 0, 1.0, 0.5)
        x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    elif name == "spirals":
        s = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi  # arc position, denser near the centre
        phase = np.pi * labels
        x = np.stack([s * np.cos(s + phase), s * np.sin(s + phase)], 1) / (3 * np.pi)
    elif name == "xor":
        x = rng.uniform(-1, 1, (n, 2))
        labels = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    else:  # pragma: no cover - the caller checks the name
        raise ValueError(name)
    noise = NOISE[name] if noise is None else noise
    x = x + noise * rng.standard_normal(x.shape)
    return x, labels.astype(np.int64), ["x0", "x1"], ["0", "1"]


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


SNIFF_BYTES = 64 << 10
DELIMITERS = ",;\t|"


def _utf16_without_bom(head: bytes) -> bool:
    """ASCII text in UTF-16 has a NUL in every other byte, and only there."""
    half = max(len(head) // 2, 1)
    odd, even = head[1::2].count(0), head[0::2].count(0)
    return max(odd, even) > 0.3 * half and min(odd, even) < 0.05 * half


def _text(path: Path) -> str:
    """The file as text: UTF-8 (a BOM allowed); UTF-16 and binary files get an error that
    names the file instead of a bare codec error."""
    data = path.read_bytes()
    head = data[:SNIFF_BYTES]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(head):
        raise ValueError(f"{path.name} is UTF-16 text; save it as UTF-8 (in Excel: 'CSV "
                         f"UTF-8') and try again")
    if b"\x00" in data:
        raise ValueError(f"{path.name} is not a text CSV file (it holds binary data, e.g. a "
                         f"spreadsheet or an archive); export it as CSV (UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"{path.name} line {line}: not UTF-8 text (byte {data[err.start]:#04x});"
                         f" save the file as UTF-8") from None


def _dialect(text: str):
    """The delimiter, detected with ``csv.Sniffer`` among ``, ; TAB |`` (comma when it cannot
    tell, e.g. a one-column file)."""
    try:
        return csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def _where(cells, limit=5) -> str:
    shown = ", ".join(f"line {line} column {col!r}" for line, col in cells[:limit])
    return shown + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


def _missing(text: str) -> bool:
    value = _number(text)
    return not text.strip() or (value is not None and not np.isfinite(value))


def csv_source(path, target: str | None, drop_missing: bool = False, notes=None):
    """A CSV file with a header row: numeric feature columns and a ``target`` column (numbers or
    strings; strings and few distinct integers are class labels, other numbers a regression
    target). The delimiter is detected (``csv.Sniffer``). Empty cells, and NaN or infinite
    numbers, are *missing*: an error that counts them and says where, or with
    ``drop_missing=True`` their rows are dropped (a line saying so is appended to ``notes``)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--dataset: {str(path)!r} is a folder; expected a CSV file or a data "
                         f"set name")
    if not path.is_file():
        raise ValueError(f"--dataset: no such file {str(path)!r}")
    if not target:
        raise ValueError(f"--target COLUMN is required with a CSV file ({path.name})")
    text = _text(path)
    rows = [(i, r) for i, r in enumerate(csv.reader(text.splitlines(), _dialect(text)), 1)
            if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"{path.name}: expected a header row and data rows; found {len(rows)} rows")
    header = [h.strip() for h in rows[0][1]]
    seen = {}
    for h in header:
        seen[h] = seen.get(h, 0) + 1
    twice = [h for h, k in seen.items() if k > 1]
    if twice:
        raise ValueError(f"{path.name}: duplicate column names {twice}; each column needs its "
                         f"own name")
    if target not in header:
        raise ValueError(f"--target: column {target!r} is not in {path.name}; "
                         f"its columns are: {', '.join(header)}")
    for i, r in rows[1:]:
        if len(r) != len(header):
            raise ValueError(f"{path.name} line {i}: {len(r)} fields, the header has {len(header)}")
    t = header.index(target)
    features = [j for j in range(len(header)) if j != t]
    if not features:
        raise ValueError(f"{path.name}: no feature columns besides the target {target!r}")
    missing = [(i, header[j]) for i, r in rows[1:] for j in range(len(header)) if _missing(r[j])]
    if missing:
        lines = sorted({i for i, _ in missing})
        if not drop_missing:
            raise ValueError(f"{path.name}: {len(missing)} empty or NaN cells in {len(lines)} rows"
                             f" ({_where(missing)}); fill them, or pass --drop-missing to drop "
                             f"those rows")
        dropped = set(lines)
        rows = [rows[0]] + [(i, r) for i, r in rows[1:] if i not in dropped]
        if notes is not None:
            notes.append(f"{path.name}: dropped {len(lines)} rows with empty or NaN cells "
                         f"(--drop-missing); {len(rows) - 1} rows remain")
        if len(rows) < 2:
            raise ValueError(f"{path.name}: every data row has an empty or NaN cell; nothing is "
                             f"left after --drop-missing")
    data = [r for _, r in rows[1:]]
    x = np.empty((len(data), len(features)))
    for k, j in enumerate(features):
        for n, (line, r) in enumerate(rows[1:]):
            value = _number(r[j])
            if value is None:
                raise ValueError(
                    f"{path.name}: feature column {header[j]!r} is not numeric (line {line}: "
                    f"{r[j].strip()!r}); encode it as numbers or drop the column")
            x[n, k] = value
    raw = [r[t].strip() for r in data]
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
