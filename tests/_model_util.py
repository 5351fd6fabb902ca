"""Helpers for the model tests: float64 sessions and whole-model gradient checks."""

from __future__ import annotations

import contextlib

import numpy as np

import actloss
from actloss.models import Sequential


@contextlib.contextmanager
def floatx(name):
    old = actloss.floatx()
    actloss.set_floatx(name)
    try:
        yield
    finally:
        actloss.set_floatx(old)


def flat_grads(trace) -> np.ndarray:
    return np.concatenate([g.reshape(-1) for layer in trace.weight_grads for g in layer])


def model_gradcheck(model: Sequential, x, y, sample_weight=None, *, rng, h=1e-6,
                    max_coords=400):
    """Max relative errors (per coordinate, random direction) of the analytic gradient of the
    compiled loss (trace) against central differences, in the model's dtype (use float64)."""
    params = model._params
    analytic = flat_grads(model.trace(x, y, sample_weight))

    def loss_at(v):
        saved = params.copy()
        params[...] = v
        try:
            return model.trace(x, y, sample_weight).loss
        finally:
            params[...] = saved

    base = params.copy()
    idx = np.arange(base.size)
    if base.size > max_coords:
        idx = rng.choice(base.size, max_coords, replace=False)
    numeric = np.empty(len(idx))
    for k, i in enumerate(idx):
        e = np.zeros_like(base)
        e[i] = h
        numeric[k] = (loss_at(base + e) - loss_at(base - e)) / (2 * h)
    scale = max(1.0, np.abs(analytic).max())
    coord_err = float(np.max(np.abs(numeric - analytic[idx])) / scale)
    d = rng.standard_normal(base.size)
    d /= np.linalg.norm(d)
    directional = (loss_at(base + h * d) - loss_at(base - h * d)) / (2 * h)
    dir_err = abs(directional - float(analytic @ d)) / max(1.0, abs(directional))
    return coord_err, dir_err
