"""Helpers shared by the loss families: target validation and small exact-arithmetic kernels.

Validation (public boundary only) turns ``y_true`` into the array the kernels use and raises
``ValueError`` naming the argument, what was found and what was expected. Kernels trust it.
"""

from __future__ import annotations

from functools import wraps

import numpy as np


# ---------------------------------------------------------------- numerics
def tiny(dtype):
    """Smallest positive *normal* number of ``dtype``: the floor of every clamped probability.

    ``-log(tiny)`` is 708.4 (float64) / 87.3 (float32) and ``1/tiny`` is finite, so a
    probability of exactly 0 against its label costs a large finite loss with a finite gradient,
    and the loss stays monotone in p (flat only on [0, tiny]).
    """
    return _TINY[dtype] if dtype in _TINY else np.finfo(dtype).tiny


_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float32, np.float64)}


def two_diff(a, b):
    """``(d, err)`` with ``d = fl(a - b)`` and ``a - b = d + err`` exactly (Knuth's TwoSum)."""
    d = a - b
    bv = a - d
    err = (a - (d + bv)) + (bv - b)
    return d, err


# Wider working precision for the non-hot-path kernels: float32 in float64, float64 in x86's
# 80-bit long double where NumPy has one (else float64 itself); results are rounded once.
_LONG = np.dtype(np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64)
_WIDER = {np.dtype(np.float32): np.dtype(np.float64), np.dtype(np.float64): _LONG}
_WIDEST = {np.dtype(np.float32): _LONG, np.dtype(np.float64): _LONG}


def in_wider(kernel=None, *, pass_dtype=False, widest=False):
    """Decorator: run ``kernel(t, p, **params) -> (values, grad)`` in a wider float type; the
    Loss object averages the outputs there and rounds once to ``p``'s dtype. With ``pass_dtype`` the kernel also receives
    ``dtype=`` (the caller's), for clamps that must use the caller's smallest normal number;
    ``widest`` runs float32 in long double too (for results that cancel deeply)."""
    if kernel is None:
        return lambda k: in_wider(k, pass_dtype=pass_dtype, widest=widest)
    table = _WIDEST if widest else _WIDER

    @wraps(kernel)
    def wrapped(t, p, **params):
        dtype = p.dtype
        wide = table[dtype]
        if pass_dtype:
            params["dtype"] = dtype
        t = t.astype(wide) if t.dtype.kind == "f" else t
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return kernel(t, p.astype(wide), **params)
    return wrapped


def mul0(a, b):
    """``a * b`` with 0 * (anything) = 0: a label or weight of exactly 0 removes a term even
    where the other factor is infinite (a masked -inf logit, log 0)."""
    return np.where(a == 0, 0, a * b)


def keep_nan(g, p):
    """``g`` with NaN wherever ``p`` is NaN (gradient formulas built from comparisons, such as
    the hinge's ``[t p < 1]``, would otherwise turn a NaN prediction into 0)."""
    return np.where(np.isnan(p), p, g)


REDUCED = (r"; reduced: \frac{1}{n}\sum_i w_i \ell_i (mean), \sum_i w_i \ell_i (sum), "
           r"\sum_i w_i \ell_i / \sum_i w_i (mean_with_sample_weight)")


def mean_last(x):
    """Mean over the last axis (the outputs of one sample), shape (n,); a float32 sum runs in
    float64 (one rounding, and no overflow when the mean fits), a float64 (or long double) sum
    that overflows is redone on x / d."""
    d = x.shape[-1]
    if d == 1:
        return x[:, 0]
    if x.dtype in (np.float32, np.float16):
        return (np.add.reduce(x, axis=-1, dtype=np.float64) / d).astype(x.dtype)
    s = np.add.reduce(x, axis=-1) / d   # np.mean's wrapper is slow
    over = np.isinf(s)
    if over.any():
        s[over] = np.add.reduce(x[over] / d, axis=-1)
    return s


def scaled_rows(e):
    """``(m, r)`` with ``e = m * r`` row-wise and ``max |r| = 1`` (m = 0 for a zero row), so that
    squares of r neither overflow nor underflow. A row holding +-inf has m = inf and r = +-1 at
    its infinite entries, 0 elsewhere (the limit with the infinite entries growing alike)."""
    a = np.abs(e)
    m = np.max(a, axis=-1, keepdims=True)
    r = np.where(np.isinf(m), np.where(np.isinf(e), np.sign(e), 0), e / np.where(m > 0, m, 1))
    return m, r


# ---------------------------------------------------------------- validation
def as_targets(y_true, dtype, name="y_true"):
    try:
        raw = np.asarray(y_true)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"dtype {raw.dtype} is not a real number type")
        with np.errstate(over="ignore"):
            t = raw.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; could not convert it ({exc})") from None
    if raw.dtype.kind == "f" and not np.all(np.isfinite(t) == np.isfinite(raw)):
        big = raw.reshape(-1)[np.argmax(~np.isfinite(t.reshape(-1)) & np.isfinite(raw.reshape(-1)))]
        raise ValueError(f"{name} holds {float(big)!r}, beyond the range of {np.dtype(dtype).name} "
                         f"(the dtype of y_pred); rescale the targets or use float64 predictions")
    if t.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per sample; received a scalar")
    if t.size == 0:
        raise ValueError(f"{name} must not be empty; received shape {t.shape}")
    if not np.all(np.isfinite(t)):
        bad = np.flatnonzero(~np.isfinite(t.reshape(-1)))
        raise ValueError(f"{name} must be finite; found {bad.size} NaN or inf value(s), the "
                         f"first at flat index {bad[0]} ({t.reshape(-1)[bad[0]]!r})")
    return t


def _is_column(shape, n):
    return shape == (n,) or shape == (n, 1)


def validator(check, name):
    """``validate(y_true, p, **params)`` running ``check(name, y_true, p)``."""
    def validate(y_true, p, **_):
        return check(name, y_true, p)
    return validate


def same_shape(name, y_true, p):
    """Targets of ``p``'s shape; (n,) against (n, 1) and the reverse are matched, nothing else
    (``y - p`` would silently broadcast them to (n, n))."""
    t = as_targets(y_true, p.dtype)
    if t.shape != p.shape:
        if _is_column(t.shape, p.shape[0]) and _is_column(p.shape, p.shape[0]):
            t = t.reshape(p.shape)
        else:
            raise ValueError(f"{name}: y_true and y_pred must have the same shape (or (n,) "
                             f"against (n, 1)); received y_true.shape={t.shape}, "
                             f"y_pred.shape={p.shape}")
    return as_2d(t), as_2d(p)


def as_2d(a):
    return a.reshape(a.shape[0], -1) if a.ndim != 2 else a


def check_range(name, arg, a, low=None, high=None, hint="", allow_nan=False):
    """``low <= a <= high`` or a ValueError naming ``arg`` and the range found; NaN passes
    with ``allow_nan`` (a NaN prediction gives a NaN loss, not an error)."""
    bad = np.zeros(a.shape, bool)
    if low is not None:
        bad |= ~(a >= low)
    if high is not None:
        bad |= ~(a <= high)
    if allow_nan:
        bad &= ~np.isnan(a)
    if bad.any():
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        first = a.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise ValueError(f"{name}: {arg} must lie in [{lo}, {hi}]; found {int(bad.sum())} value(s) "
                         f"outside, e.g. {float(first)!r} (values span [{float(np.nanmin(a))!r}, "
                         f"{float(np.nanmax(a))!r}]){hint}")


PROB_HINT = " (pass from_logits=True if y_pred holds logits)"


def probabilities(name, p, from_logits=False):
    if not from_logits:
        check_range(name, "y_pred", p, 0, 1, PROB_HINT, allow_nan=True)


def looks_like_int_labels(t, p) -> bool:
    """``t`` is a column of class indices while ``p`` has several classes per sample."""
    return (p.ndim == 2 and p.shape[1] > 1 and _is_column(t.shape, p.shape[0])
            and bool(np.all(t == np.round(t))))


def categorical(name, y_true, p, axis=-1):
    """One-hot (or soft) targets for predictions of shape (n, classes) (the Loss object has
    moved ``axis`` last already)."""
    if p.ndim != 2:
        raise ValueError(f"{name}: y_pred must have shape (n, classes); received shape {p.shape}")
    t = as_targets(y_true, p.dtype)
    if t.shape != p.shape:
        if looks_like_int_labels(t, p):
            raise ValueError(f"{name}: y_true and y_pred must have the same shape; y_true "
                             f"looks like integer class labels (shape {t.shape}) but one-hot "
                             f"rows of shape {p.shape} were expected; use "
                             f"sparse_categorical_crossentropy for integer labels, or one-hot "
                             f"encode them")
        raise ValueError(f"{name}: y_true and y_pred must have the same shape (n, classes); "
                         f"received y_true.shape={t.shape}, y_pred.shape={p.shape}")
    check_range(name, "y_true", t, 0, 1, " (one-hot or soft labels)")
    return t, p


def binary_labels(name, y_true, p):
    t, p = same_shape(name, y_true, p)
    check_range(name, "y_true", t, 0, 1, " (binary labels 0/1 or soft labels)")
    return t, p


def nonnegative_targets(name, y_true, p):
    t, p = same_shape(name, y_true, p)
    check_range(name, "y_true", t, 0, None, " (targets must be non-negative)")
    return t, p



