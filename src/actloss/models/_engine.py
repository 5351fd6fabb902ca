"""The run-time state of a built model, kept apart from the model's public attributes.

A :class:`Engine` holds what running the layers needs besides their weights: the per-layer
buffers (allocated once for the largest batch seen, sliced per batch size), and, once the model
is compiled and a fit or evaluate has started, the training loop's state: the loss kernel (the
fused sigmoid/softmax + cross-entropy or MSE path, or None), the reduction, the layers with a
weight penalty, and the positions of the weights that must not move (frozen layers,
BatchNormalization's moving statistics).

One update (:meth:`Engine.apply_update`): copy the parameters, let the optimizer update them in
place, then check that every parameter is finite. If one is not (NaN gradients, or a float32
step that overflows, e.g. ``SGD(learning_rate=1e38)``) the copy is put back and the update
reports failure: the model keeps its last finite weights. An optimizer that stages the new
parameters and moves them only when all are finite (the fused Adam kernel,
:meth:`Optimizer.checks_update`) needs no copy. The
non-trainable positions are put back after every update, so the optimizer (weight decay
included) never moves them.
"""

from __future__ import annotations

import math

import numpy as np


def _ranges(mask: list, sizes: list) -> list:
    """Contiguous ``(start, stop)`` ranges of the flat vector where ``mask`` is True."""
    out, offset = [], 0
    for keep, n in zip(mask, sizes):
        if keep:
            if out and out[-1][1] == offset:
                out[-1] = (out[-1][0], offset + n)
            else:
                out.append((offset, offset + n))
        offset += n
    return out


def all_finite(a: np.ndarray) -> bool:
    """Whether every value of ``a`` is finite: one BLAS dot product a·a (3x faster than a sum;
    NaN and inf propagate through it); a non-finite result (a NaN, an inf, or finite values
    whose squares overflow) is confirmed elementwise. Called inside the training step's
    ``np.errstate(all="ignore")``."""
    flat = a.reshape(-1)
    if math.isfinite(float(np.dot(flat, flat))):
        return True
    return bool(np.isfinite(a).all())


class Engine:
    """Buffers and training state of a built model (see the module docstring)."""

    def __init__(self, layers, params, grads, sizes, dtype):
        self.layers, self.params, self.grads = list(layers), params, grads
        self.sizes, self.dtype = list(sizes), dtype
        self.capacity = 0
        self._full: list = []
        self._views: dict = {}
        self.kernel = None      # the model's loss kernel for this data, or None
        self.mean = True        # reduction 'mean' (c = 1/n) or 'sum' (c = 1)
        self.reg_layers: list = []
        self.stateful = [i for i, layer in enumerate(self.layers) if layer.stateful]
        self._backup = None
        self.fixed: list = []   # (start, stop) ranges of the weights that must not move

    # ------------------------------------------------------------------ buffers
    def workspace(self, m: int) -> list:
        """Per-layer buffers for a batch of ``m`` rows: views into buffers allocated once for
        the largest batch seen, cached per batch size."""
        cached = self._views.get(m)
        if cached is not None:
            return cached
        if m > self.capacity:
            self._full = [layer.workspace(m, self.dtype) for layer in self.layers]
            self.capacity = m
            self._views = {}
        views = [{k: v[:m] for k, v in ws.items()} for ws in self._full]
        self._views[m] = views
        return views

    def forward(self, x, training):
        ws = self.workspace(x.shape[0])
        with np.errstate(all="ignore"):   # the layers' executors hold none of their own
            for layer, w in zip(self.layers, ws):
                x = layer.forward(x, w, training)
        return x, ws

    def eval_chunk(self) -> int:
        """Rows per forward pass in evaluate/predict: the training buffers' size, at least 1024
        (larger chunks would only grow the reused buffers)."""
        return max(self.capacity, 1024)

    # ------------------------------------------------------------------ training state
    def prepare(self, loss) -> None:
        """Settings that follow the compiled loss and the layers (cheap; fit, evaluate and
        trace call it, so it must not reset anything a fit in progress relies on)."""
        self.mean = loss.reduction == "mean"
        self.reg_layers = [layer for layer in self.layers if layer.penalized()]

    def fix_weights(self) -> None:
        """Record which weights must not move (read ``trainable`` now: once per fit)."""
        mask = [t for layer in self.layers for t in layer.trainable_flags()]
        self.fixed = _ranges([not t for t in mask], self.sizes)

    def apply_update(self, optimizer) -> bool:
        """One optimizer update of the flat parameters; False (parameters unchanged) when it
        would leave a parameter NaN or infinite."""
        p = self.params
        if optimizer.checks_update(p):   # it refuses a non-finite update itself: no copy of p
            kept = [p[a:b].copy() for a, b in self.fixed]
            applied = optimizer.update_if_finite(p, self.grads)
            for (a, b), old in zip(self.fixed, kept):
                p[a:b] = old
            return applied
        backup = self._backup
        if backup is None or backup.shape != p.shape:
            backup = self._backup = np.empty_like(p)
        np.copyto(backup, p)
        optimizer.apply(p, self.grads)
        if not all_finite(p):
            np.copyto(p, backup)
            return False
        for a, b in self.fixed:
            p[a:b] = backup[a:b]
        return True

    def commit(self, ws) -> None:
        """After an applied update: stateful layers (BatchNormalization) advance their state."""
        for i in self.stateful:
            self.layers[i].commit(ws[i])
