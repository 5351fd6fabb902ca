r"""The fused output path: sigmoid/softmax + cross-entropy computed from the logits ``z``.

Each kernel returns ``(per_sample_loss, grad, p)`` from logits ``z`` (overwritten) and prepared
targets ``t``, with one exponential pass:

* sigmoid + binary cross-entropy (mean over the d outputs, as Keras):
  :math:`\ell = \frac1d\sum_k \max(z_k,0) - z_k t_k + \log(1 + e^{-|z_k|})`,
  :math:`\partial\ell/\partial z = (p - t)/d`;
* softmax + categorical cross-entropy with :math:`s = z - \max z`, :math:`S = \sum e^{s}`:
  :math:`\ell = \log S \sum_k t_k - \sum_k t_k s_k`, :math:`\partial\ell/\partial z = p\sum_k t_k - t`
  (``p - t`` for one-hot rows);
* softmax + sparse categorical cross-entropy with integer labels ``y``:
  :math:`\ell = \log S - s_y`, :math:`\partial\ell/\partial z = p - e_y`.

They are used only when the loss has its default parameters (no label smoothing ...); any
other configuration goes through ``loss.with_params(from_logits=True)``, which computes the
same values (tests compare both).
"""

from __future__ import annotations

import numpy as np


def bce(z, t):
    d = z.shape[-1]
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)                       # e = exp(-|z|) <= 1: never overflows
    vals = np.log1p(e)
    vals += np.maximum(z, 0)
    vals -= z * t
    vals = np.add.reduce(vals, axis=-1) / d if d > 1 else vals.reshape(-1)
    r = e + 1
    np.divide(1, r, out=r)                 # r = 1 / (1 + e)
    p = np.multiply(e, r, out=e)           # sigmoid(z) for z < 0 ...
    np.copyto(p, r, where=z >= 0)          # ... and for z >= 0
    g = np.subtract(p, t, out=r)
    if d > 1:
        g *= 1.0 / d
    return vals, g, p


def _softmax_parts(z):
    z -= np.maximum.reduce(z, axis=-1, keepdims=True)   # s = z - max z <= 0
    p = np.exp(z)
    S = np.add.reduce(p, axis=-1, keepdims=True)
    p /= S
    return p, np.log(S).reshape(-1)


def cce(z, t):
    p, log_s = _softmax_parts(z)
    tsum = np.add.reduce(t, axis=-1)
    vals = log_s * tsum
    vals -= np.add.reduce(np.multiply(t, z, out=z), axis=-1)
    g = p * tsum[:, None]
    g -= t
    return vals, g, p


def scce(z, t):
    p, log_s = _softmax_parts(z)
    rows = np.arange(z.shape[0])
    vals = log_s - z[rows, t]
    g = p.copy()
    g[rows, t] -= 1
    return vals, g, p


def select(loss, targets):
    """The kernel for ``loss`` when it has default parameters (and integer targets for the
    sparse loss), else None."""
    from .. import losses
    try:
        plain = losses.get(loss.name, reduction=loss.reduction) == loss
    except (ValueError, TypeError):
        return None
    if not plain:
        return None
    if loss.name == "binary_crossentropy":
        return bce
    if loss.name == "categorical_crossentropy" and getattr(targets, "ndim", 0) == 2:
        return cce
    if loss.name == "sparse_categorical_crossentropy" and getattr(targets, "ndim", 0) == 1 \
            and targets.dtype.kind in "iu":
        return scce
    return None
