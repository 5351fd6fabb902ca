"""The loss catalog (first entries; each loss's value and gradient side by side)."""

import numpy as np

from .._numerics import special
from ._base import Loss


def _as_2d(a):
    return a.reshape(a.shape[0], -1) if a.ndim != 2 else a


def _validate_regression(y_true, p):
    t = np.asarray(y_true, dtype=p.dtype)
    if t.shape != p.shape:
        if t.size == p.size and t.shape[:1] == p.shape[:1]:
            t = t.reshape(p.shape)  # (n,) against (n, 1) and the reverse, as users expect
        else:
            raise ValueError(f"y_true and y_pred must have the same shape; received "
                             f"y_true.shape={t.shape}, y_pred.shape={p.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"y_true must be finite; found {np.count_nonzero(~np.isfinite(t))} "
                         f"NaN or inf values")
    return _as_2d(t), _as_2d(p)


# ---------------------------------------------------------------- mean squared error
def _mse(t, p):
    e = p - t
    return np.mean(e * e, axis=-1)


def _mse_grad(t, p):
    return (p - t) * (2 / p.shape[-1])


mean_squared_error = Loss(
    "mean_squared_error", _mse, _mse_grad, validate=_validate_regression,
    formula=r"\ell(y, \hat y) = \frac{1}{d}\sum_{k=1}^{d} (\hat y_k - y_k)^2",
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac{2}{d}(\hat y_k - y_k)",
    pros=("Smooth; the maximum-likelihood loss under Gaussian noise.",),
    cons=("Sensitive to outliers: an error of 10 costs 100.",),
    summary="Mean of squared errors.",
)


# ---------------------------------------------------------------- binary cross-entropy
def _validate_binary(y_true, p, from_logits=False):
    t, p = _validate_regression(y_true, p)
    if np.any((t < 0) | (t > 1)):
        raise ValueError("y_true for binary_crossentropy must lie in [0, 1]; found values "
                         f"in [{t.min()}, {t.max()}]")
    if not from_logits and np.any(~((p >= 0) & (p <= 1))):
        raise ValueError("y_pred must be probabilities in [0, 1] (pass from_logits=True for "
                         f"logits); found values in [{np.nanmin(p)}, {np.nanmax(p)}]")
    return t, p


def _bce(t, p, from_logits=False):
    if from_logits:
        sp = special()
        return -np.mean(t * sp.log_expit(p) + (1 - t) * sp.log_expit(-p), axis=-1)
    with np.errstate(divide="ignore"):
        return -np.mean(t * np.log(p) + (1 - t) * np.log1p(-p), axis=-1)


def _bce_grad(t, p, from_logits=False):
    d = p.shape[-1]
    if from_logits:
        return (special().expit(p) - t) / d
    return (p - t) / (p * (1 - p)) / d


binary_crossentropy = Loss(
    "binary_crossentropy", _bce, _bce_grad, validate=_validate_binary,
    params={"from_logits": False}, task="binary",
    formula=r"\ell(y, p) = -\left[y \log p + (1 - y)\log(1 - p)\right]",
    derivative_formula=r"\frac{\partial \ell}{\partial p} = \frac{p - y}{p(1 - p)}, \quad "
                       r"\frac{\partial \ell}{\partial z} = \sigma(z) - y",
    summary="Cross-entropy of a Bernoulli prediction.",
)


# ---------------------------------------------------------------- categorical cross-entropy
def _validate_categorical(y_true, p, from_logits=False):
    return _validate_regression(y_true, p)


def _cce(t, p, from_logits=False):
    if from_logits:
        return -np.sum(t * special().log_softmax(p, axis=-1), axis=-1)
    with np.errstate(divide="ignore"):
        return -np.sum(t * np.log(p), axis=-1)


def _cce_grad(t, p, from_logits=False):
    if from_logits:
        return special().softmax(p, axis=-1) * t.sum(axis=-1, keepdims=True) - t
    return -t / p


categorical_crossentropy = Loss(
    "categorical_crossentropy", _cce, _cce_grad, validate=_validate_categorical,
    params={"from_logits": False}, task="multiclass",
    formula=r"\ell(y, p) = -\sum_k y_k \log p_k",
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = -\frac{y_k}{p_k}, \quad "
                       r"\frac{\partial \ell}{\partial z_k} = \operatorname{softmax}(z)_k - y_k",
    summary="Cross-entropy of a one-hot (or soft) label against a predicted distribution.",
)

CATALOG = {
    mean_squared_error: ("mse",),
    binary_crossentropy: ("bce",),
    categorical_crossentropy: ("cce", "cross_entropy"),
}
