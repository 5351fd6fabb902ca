r"""The model's own loss kernels for the training loop: the fused output path (sigmoid/softmax
+ cross-entropy from the logits ``z``) and mean squared error.

``kernel(h, t, c, w) -> (loss, grad, p)``: ``h`` the output layer's result (logits for the
fused kernels; overwritten), ``t`` the prepared targets, ``c`` the reduction factor (``1/n`` for
``'mean'``, 1 for ``'sum'``) and ``w`` the sample weights or None. ``loss`` is
:math:`c\sum_i w_i \ell_i`, ``grad`` its gradient with respect to ``h`` (the factor folded into
the last operation), ``p`` the predictions. One exponential pass each:

* sigmoid + binary cross-entropy (mean over the d outputs, as Keras):
  :math:`\ell = \frac1d\sum_k \max(z_k,0) - z_k t_k + \log(1 + e^{-|z_k|})`,
  :math:`\partial\ell/\partial z = (p - t)/d`;
* softmax + categorical cross-entropy with :math:`s = z - \max z`, :math:`S = \sum e^{s}`:
  :math:`\ell = \log S \sum_k t_k - \sum_k t_k s_k`, :math:`\partial\ell/\partial z = p\sum_k t_k - t`
  (``p - t`` for one-hot rows);
* softmax + sparse categorical cross-entropy with integer labels ``y``:
  :math:`\ell = \log S - s_y`, :math:`\partial\ell/\partial z = p - e_y`;
* mean squared error: :math:`\ell = \frac1d\sum_k (p_k - t_k)^2`,
  :math:`\partial\ell/\partial p = \frac2d (p - t)`.

They are used only when the loss has its default parameters (no label smoothing ...); any
other configuration goes through the loss object (``with_params(from_logits=True)`` for the
fused pairs), which computes the same values (tests compare both).
"""

from __future__ import annotations

import numpy as np


def _reduce(vals, g, c, w):
    """``c * sum(w * vals)`` and ``g`` scaled by ``c * w`` per row, in place."""
    if w is None:
        g *= c
        return float(np.add.reduce(vals)) * c
    g *= (w * c)[:, None]
    return float(np.dot(vals, w)) * c


def bce(z, t, c, w):
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
    return _reduce(vals, g, c / d, w) * d, g, p


def _softmax_parts(z):
    z -= np.maximum.reduce(z, axis=-1, keepdims=True)   # s = z - max z <= 0
    p = np.exp(z)
    S = np.add.reduce(p, axis=-1, keepdims=True)
    p /= S
    return p, np.log(S).reshape(-1)


def cce(z, t, c, w):
    p, log_s = _softmax_parts(z)
    tsum = np.add.reduce(t, axis=-1)
    vals = log_s * tsum
    vals -= np.add.reduce(np.multiply(t, z, out=z), axis=-1)
    g = p * tsum[:, None]
    g -= t
    return _reduce(vals, g, c, w), g, p


def scce(z, t, c, w):
    p, log_s = _softmax_parts(z)
    rows = np.arange(z.shape[0])
    vals = log_s - z[rows, t]
    g = p.copy()
    g[rows, t] -= 1
    return _reduce(vals, g, c, w), g, p


def mse(p, t, c, w):
    e = p - t
    d = e.shape[-1]
    if w is None:
        flat = e.reshape(-1)
        loss = float(np.dot(flat, flat)) * (c / d)
        e *= 2 * c / d
        return loss, e, p
    vals = np.add.reduce(e * e, axis=-1) / d
    return _reduce(vals, e, 2 * c / d, w) * d / 2, e, p


def select(loss, targets, fused: bool, units: int):
    """The kernel for ``loss`` when it has default parameters (and the target form the kernel
    reads), else None."""
    from .. import losses
    try:
        plain = losses.get(loss.name, reduction=loss.reduction) == loss
    except (ValueError, TypeError):
        return None
    if not plain or not isinstance(targets, np.ndarray):
        return None
    dense = targets.ndim == 2 and targets.shape[1] == units
    if fused and loss.name == "binary_crossentropy" and dense:
        return bce
    if fused and loss.name == "categorical_crossentropy" and dense:
        return cce
    if fused and loss.name == "sparse_categorical_crossentropy" and targets.ndim == 1 \
            and targets.dtype.kind in "iu":
        return scce
    if not fused and loss.name == "mean_squared_error" and dense:
        return mse
    return None
