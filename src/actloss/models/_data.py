"""Data preparation for fit/evaluate (once per call) and the batch sources of the training loop.

In-memory arrays are converted to the model's dtype once per fit. Each epoch draws one
permutation; a data set of up to 32 MiB is gathered once into a reused buffer (one fancy-index
per array) and batches are contiguous slices of it; a larger one is gathered batch by batch
into a reused batch buffer, so no copy of the data set is made. A NumPy memmap is read batch by
batch with ``os.preadv`` straight from its file into the batch buffer: reading through the
mapping would map (and count in the process's memory) whole regions of the file around every
random row, while file reads leave the data in the page cache only, so memory stays bounded by
the batch. An iterable of batches is converted batch by batch.
"""

from __future__ import annotations

import mmap
import os

import math

import numpy as np

from . import _checks

SMALL_BYTES = 32 * 2**20


def label_checks(loss, y: np.ndarray, units: int) -> None:
    """Clear messages for targets that do not fit the loss's target form (its ``targets``
    property: one-hot rows or class indices) and the output units."""
    one_d = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
    integer = y.dtype.kind in "iub" or (y.size and np.all(np.mod(y, 1) == 0))
    name = loss.name
    if loss.targets == "one_hot" and units > 1 and one_d and integer:
        raise ValueError(f"{name} expects one-hot targets of shape (n, {units}); received "
                         f"integer labels of shape {y.shape}. Use "
                         f"loss='sparse_categorical_crossentropy' for integer labels, or one-hot "
                         f"encode y (np.eye({units})[y]).")
    if loss.targets == "class_index":
        if y.ndim == 2 and y.shape[1] > 1:
            raise ValueError(f"{name} expects integer class labels of shape (n,); received y "
                             f"of shape {y.shape}, which looks one-hot. Use "
                             f"loss='categorical_crossentropy' for one-hot targets, or pass "
                             f"y.argmax(axis=1).")
        if y.size and integer and (y.max() >= units or y.min() < 0):
            raise ValueError(f"Labels must lie in [0, {units - 1}] for a model with {units} output "
                             f"units; received labels in [{y.min()}, {y.max()}]. Give the last "
                             f"Dense layer {int(y.max()) + 1} units, or fix the labels.")
    if loss.targets == "one_hot" and y.ndim == 2 and y.shape[1] != units:
        raise ValueError(f"y has {y.shape[1]} classes (shape {y.shape}) but the model has {units} "
                         f"output units; make the last layer Dense({y.shape[1]}, ...).")


def check_label_dtype(loss, y: np.ndarray, name: str = "y") -> None:
    """Text (or object) labels: say how to encode them, for the classification losses."""
    if y.dtype.kind not in "USO":
        return
    if y.dtype.kind == "O" and not any(isinstance(v, str) for v in y.reshape(-1)[:100]):
        return
    classes = np.unique(y.astype(str))
    shown = ", ".join(repr(str(c)) for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
    loss_name = loss.name
    if loss.task in ("binary", "multiclass", "classification"):   # say how to encode them
        raise ValueError(
            f"{name} holds text class labels ({shown}); the loss {loss_name!r} needs numbers. "
            f"Encode them first: classes, {name}_int = np.unique({name}, return_inverse=True) "
            f"gives integer labels 0..{len(classes) - 1} for "
            f"loss='sparse_categorical_crossentropy' (or binary_crossentropy with 2 classes); "
            f"actloss.utils.to_categorical({name}_int) gives the one-hot targets "
            f"categorical_crossentropy expects. Keep `classes` to decode predictions.")
    raise ValueError(f"{name} holds text ({shown}); the loss {loss_name!r} needs numeric "
                     f"targets")


def prepare_targets(model, y, n: int, name: str = "y"):
    """Targets in the loss's form, checked once (clear errors for labels vs loss)."""
    check_label_dtype(model.loss, np.asarray(y), name)
    y = _checks.as_target_array(y)
    out_shape = model._layers[-1].output_shape
    units = int(math.prod(out_shape))
    if y.dtype.kind == "f":
        _checks.check_finite(y, name)
    label_checks(model.loss, y, units)
    try:
        return model._train_loss.prepare_targets(y, (n, *out_shape), model.dtype)
    except ValueError as err:
        raise ValueError(f"{name} (shape {y.shape}) does not fit the loss {model.loss.name!r} and "
                         f"the model's output shape (n, {', '.join(map(str, out_shape))}): "
                         f"{err}") from err


def metric_targets(y, kind: str, units: int, dtype):
    """Targets for metrics: ``'dense'`` float (n, units) or ``'sparse'`` int labels (n,)."""
    y = np.asarray(y)
    n = len(y)
    if kind == "sparse":
        if y.ndim == 2 and y.shape[1] > 1:
            return np.argmax(y, axis=1)
        return y.reshape(n).astype(np.int64)
    y2 = y.reshape(n, -1)
    if y2.shape[1] == 1 and units > 1:
        return np.eye(units, dtype=dtype)[y2[:, 0].astype(np.int64)]
    return np.ascontiguousarray(y2, dtype=dtype)


def sample_weights(y, sample_weight, class_weight, n: int, dtype):
    """One weight per sample (``sample_weight`` times ``class_weight[label]``), or None."""
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 2 and w.shape[1] == 1:
            w = w.reshape(-1)
        if w.shape != (n,):
            raise ValueError(f"sample_weight must have one weight per sample, shape ({n},); "
                             f"received shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"sample_weight must be finite and >= 0; found "
                             f"{int(np.count_nonzero(~(np.isfinite(w) & (w >= 0))))} bad values")
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict {{class: weight}}; received "
                            f"{type(class_weight).__name__}")
        y = np.asarray(y)
        labels = np.argmax(y, axis=1) if (y.ndim == 2 and y.shape[1] > 1) else \
            np.rint(y.reshape(n)).astype(np.int64)
        table = np.ones(max(int(labels.max()) + 1, max(map(int, class_weight)) + 1))
        for k, v in class_weight.items():
            table[int(k)] = float(v)
        cw = table[labels]
        w = cw if w is None else w * cw
    return None if w is None else w.astype(dtype)


class ArraySource:
    """Batches from in-memory arrays (``X`` already in the model's dtype) or from a memmap."""

    def __init__(self, X, T, W, MT, batch_size, shuffle, rng, dtype):
        self.X, self.T, self.W, self.MT = X, T, W, MT
        self.n = len(T)
        self.B = max(1, min(batch_size, self.n))
        self.steps = -(-self.n // self.B)
        self.shuffle, self.rng, self.dtype = shuffle, rng, dtype
        self.memmap = isinstance(X, np.memmap)
        self.whole = shuffle and not self.memmap and X.nbytes <= SMALL_BYTES
        self._bufs = None
        if self.memmap or (shuffle and not self.whole):
            self.xbuf = np.empty((self.B, *X.shape[1:]), dtype)
        self._file = _FileRows(X) if self.memmap else None

    def _taken(self, arrays, perm):
        if self._bufs is None:
            self._bufs = [None if a is None else np.empty_like(a) for a in arrays]
        return [None if a is None else np.take(a, perm, axis=0, out=buf, mode="clip")
                for a, buf in zip(arrays, self._bufs)]

    def batches(self):
        B, n = self.B, self.n
        if self.shuffle:
            # the same permutation as permutation(n), shuffled in place, in half the memory
            # where int32 holds n
            perm = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
            self.rng.shuffle(perm)
        else:
            perm = None
        if self.whole:   # small data: one shuffled copy, then slices
            X, T, W, *MT = self._taken([self.X, self.T, self.W, *self.MT], perm)
        elif perm is None:
            X, T, W, MT = self.X, self.T, self.W, self.MT
        for a in range(0, n, B):
            b = min(a + B, n)
            if self.whole or (perm is None and not self.memmap):
                yield X[a:b], T[a:b], None if W is None else W[a:b], [t[a:b] for t in MT]
                continue
            # large data: gather each batch's rows (targets too, so nothing grows with n)
            rows = slice(a, b) if perm is None else perm[a:b]
            yield self._gather(perm, a, b), self.T[rows], \
                None if self.W is None else self.W[rows], [t[rows] for t in self.MT]

    def _gather(self, perm, a, b):
        buf = self.xbuf[:b - a]
        idx = np.arange(a, b) if perm is None else perm[a:b]
        if self._file is not None:
            rows = self._file.read(idx)
        elif self.X.dtype == self.dtype:
            return np.take(self.X, idx, axis=0, out=buf, mode="clip")  # valid indices: no check copy
        else:
            rows = self.X[idx]
        np.copyto(buf, rows, casting="unsafe")
        if self.memmap and _checks.count_bad_rows(buf)[0]:
            bad = int(np.argmax(~np.isfinite(buf.reshape(len(buf), -1)).all(axis=1)))
            raise ValueError(f"x (memmap) has NaN or inf values in row {int(idx[bad])}; remove "
                             f"or impute them before training")
        return buf

    def release(self):
        if self._file is not None:
            self._file.close()


class _FileRows:
    """Rows of a C-ordered memmap read with ``os.preadv`` from its file (no mapping); falls
    back to indexing the memmap and dropping its pages when the file cannot be read directly."""

    def __init__(self, X):
        self.X, self.fd = X, None
        row = X.strides[0] if X.ndim else 0
        if getattr(X, "filename", None) and X.flags.c_contiguous and hasattr(os, "preadv") \
                and getattr(X, "_mmap", None) is not None:
            base = np.frombuffer(X._mmap, np.uint8).ctypes.data
            start = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY
            self.offset = X.__array_interface__["data"][0] - base + start
            self.row = row
            self.buf = np.empty((0, *X.shape[1:]), X.dtype)
            self.fd = os.open(X.filename, os.O_RDONLY)

    def read(self, idx):
        if self.fd is None:
            rows = self.X[idx]
            mm = getattr(self.X, "_mmap", None)
            if mm is not None and hasattr(mmap, "MADV_DONTNEED"):
                mm.madvise(mmap.MADV_DONTNEED)
            return rows
        if len(self.buf) < len(idx):
            self.buf = np.empty((len(idx), *self.X.shape[1:]), self.X.dtype)
        buf, fd, row, off = self.buf, self.fd, self.row, self.offset
        for j, i in enumerate(idx.tolist()):
            os.preadv(fd, [buf[j]], off + i * row)
        return buf[:len(idx)]

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class IterSource:
    """Batches from an iterable of ``(x, y)`` or ``(x, y, sample_weight)`` tuples."""

    def __init__(self, model, data, steps_per_epoch, metric_kinds, units):
        self.model, self.data, self.steps = model, data, steps_per_epoch
        self.kinds, self.units = metric_kinds, units
        self._it = None
        self.exhausted = False

    def batches(self):
        model = self.model
        if self._it is None or self.steps is None:
            self._it = iter(self.data)
        count = 0
        while self.steps is None or count < self.steps:
            try:
                item = next(self._it)
            except StopIteration:
                self.exhausted = self.steps is not None or count == 0
                return
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ValueError("A batch generator must yield (x, y) or (x, y, sample_weight) "
                                 f"tuples; received {type(item).__name__}")
            xb, yb, wb = (*item, None) if len(item) == 2 else item
            xb = model._prepare_x(xb, "x batch")
            m = len(xb)
            _checks.check_lengths(m, yb, "y batch", "x batch")
            xb = np.ascontiguousarray(xb, model.dtype)
            _checks.check_finite(xb, f"x batch {count + 1}")
            tb = prepare_targets(model, yb, m, f"y batch {count + 1}")
            wb = sample_weights(yb, wb, None, m, model.dtype)
            yield xb, tb, wb, [metric_targets(yb, k, self.units, model.dtype) for k in self.kinds]
            count += 1
