r"""The model's own loss kernels for the training loop: the fused output path (sigmoid/softmax
+ cross-entropy from the logits ``z``) and mean squared error.

``kernel(h, t, c, w) -> (loss, grad, p)``: ``h`` the output layer's result (logits for the
fused kernels; overwritten), ``t`` the prepared targets, ``c`` the reduction factor (``1/n`` for
``'mean'``, 1 for ``'sum'``) and ``w`` the sample weights or None. ``loss`` is
:math:`c\sum_i w_i \ell_i`, ``grad`` its gradient with respect to ``h`` (the factor folded into
the last operation), ``p`` the predictions:

* sigmoid + binary cross-entropy (mean over the d outputs, as Keras):
  :math:`\ell = \frac1d\sum_k (1-t_k)\,\mathrm{softplus}(z_k) + t_k\,\mathrm{softplus}(-z_k)`
  (two non-negative terms: no cancellation when the model is confident),
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


def _flat_dot(a, b) -> float:
    return float(np.dot(a.reshape(-1), b.reshape(-1)))


def bce(z, t, c, w):
    # -log p = softplus(-z) and -log(1 - p) = softplus(z), each exact for every z (logaddexp):
    # the loss (1 - t) softplus(z) + t softplus(-z) adds two non-negative terms, so no
    # cancellation even when the model is confident; p = exp(-softplus(-z)).
    d = z.shape[-1]
    nz = np.negative(z)
    sp_neg = np.logaddexp(0, nz)
    sp_pos = np.logaddexp(0, z)
    u = 1 - t
    if w is None:
        loss = (_flat_dot(u, sp_pos) + _flat_dot(t, sp_neg)) * (c / d)
    else:
        vals = u * sp_pos
        vals += t * sp_neg
        loss = float(np.dot(np.add.reduce(vals, axis=-1), w)) * (c / d)
    p = np.exp(np.negative(sp_neg, out=nz), out=nz)
    g = p - t
    g *= c / d if w is None else (w * (c / d))[:, None]
    return loss, g, p


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


def cce_unit(z, t, c, w):
    """``cce`` for targets whose rows sum to 1 (one-hot or probabilities; checked once per
    fit): the loss is log S - <t, s> and the gradient p - t."""
    p, log_s = _softmax_parts(z)
    if w is None:
        loss = (float(np.add.reduce(log_s)) - _flat_dot(t, z)) * c
    else:
        loss = float(np.dot(log_s - np.add.reduce(t * z, axis=-1), w)) * c
    g = p - t
    g *= c if w is None else (w * c)[:, None]
    return loss, g, p


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
        rows = np.add.reduce(targets, axis=-1, dtype=np.float64)
        return cce_unit if np.all(np.abs(rows - 1) <= 1e-6) else cce
    if fused and loss.name == "sparse_categorical_crossentropy" and targets.ndim == 1 \
            and targets.dtype.kind in "iu":
        return scce
    if not fused and loss.name == "mean_squared_error" and dense:
        return mse
    return None
