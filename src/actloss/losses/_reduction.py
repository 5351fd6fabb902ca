r"""The one reduction of per-sample losses, and its gradient; used by the loss objects, the
training loop and the fused output path alike.

With per-sample losses :math:`\ell_i` (i = 1..m) and weights :math:`w_i` (1 without
``sample_weight``):

* ``'mean'`` (Keras ``'sum_over_batch_size'``, the default): :math:`L = \frac1n\sum_i w_i\ell_i`,
  :math:`\partial L/\partial\ell_i = w_i/n`, n = m (or the number of samples a loss counts,
  e.g. the non-ignored labels of the sparse cross-entropy); an empty mean is 0.
* ``'mean_with_sample_weight'`` (Keras): :math:`L = \sum_i w_i\ell_i / \sum_i w_i`
  (= ``'mean'`` without weights; 0 when every weight is 0), gradient :math:`w_i/\sum w`.
* ``'sum'``: :math:`\sum_i w_i\ell_i`, gradient :math:`w_i`.
* ``'none'`` (Keras ``None``): the values :math:`w_i\ell_i`, gradient rows scaled by :math:`w_i`.

A weight of exactly 0 removes its sample: its loss may be inf or NaN and still adds nothing
(0 * inf is not NaN here), its gradient row is exactly 0. Sums accumulate in float64 for
float16/float32 losses and in x86's 80-bit long double for float64 losses, so huge weights do
not overflow a float32 mean that fits, and a mean of 10^6 losses is correctly rounded to within
an ULP or so. PyTorch's weighted cross-entropy and scikit-learn divide by sum(w) (our
``'mean_with_sample_weight'``); Keras's default and ours divide by n.

>>> import numpy as np
>>> reduce(np.array([1.0, np.inf]), np.array([2.0, 0.0]), "mean")[0]
1.0
"""

from __future__ import annotations

import math

import numpy as np

REDUCTIONS = ("mean", "sum", "none", "mean_with_sample_weight")
# Keras's spellings -> ours (Keras 'mean' is its sum_over_batch_size as well).
KERAS_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "sum": "sum", None: "none",
                    "none": "none", "mean_with_sample_weight": "mean_with_sample_weight"}

# Accumulator of float64 sums: x86's 80-bit long double (64-bit mantissa) where there is one.
_EXTENDED = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64


def standardize_reduction(reduction) -> str:
    """Our name for a reduction given in our or Keras's spelling; ValueError otherwise."""
    try:
        return KERAS_REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of 'mean', "
                         f"'sum', 'none', 'mean_with_sample_weight' or Keras's "
                         f"'sum_over_batch_size', None. Received: reduction={reduction!r}"
                         ) from None


def check_weights(sample_weight, shape: tuple):
    """Weights as float64 of ``shape`` (the shape of the per-sample values, (n,) or Keras's
    (n, t) for sequence targets), from a scalar, per sample (n,) or (n, 1), or per element;
    None stays None. ValueError names what was received and what was expected."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must be numeric; could not convert it ({exc})") from None
    n = shape[0]
    if w.ndim == 0:
        w = np.full(shape, float(w))
    elif w.shape == shape:
        pass
    elif w.shape in ((n,), (n, 1)) or (w.shape == (*shape, 1)):
        w = np.broadcast_to(w.reshape((n,) + (1,) * (len(shape) - 1)) if w.shape[0] == n
                            and w.size == n else w.reshape(shape), shape)
    else:
        expected = f"({n},)" + (f" or {shape}" if len(shape) > 1 else "")
        raise ValueError(f"sample_weight must have shape {expected} (one weight per sample"
                         f"{' or per element' if len(shape) > 1 else ''}) or be a scalar; "
                         f"received shape {w.shape}")
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        i = int(np.argmax(bad.reshape(-1)))
        raise ValueError(f"sample_weight must be finite and >= 0; received "
                         f"{w.reshape(-1)[i]!r} at flat index {i}")
    return w


def _accumulator(dtype):
    return _EXTENDED if dtype == np.float64 else np.float64


def reduce(values, weights=None, reduction="mean", grad=None, count=None):
    """``(L, G)``: the reduced loss and, when ``grad`` (per-sample gradients, rows matching
    ``values``) is given, the gradient of L with respect to the predictions; see the module
    docstring. ``values`` (m,) in the loss's dtype; ``weights`` None or float64 (m,);
    ``count`` the n of ``'mean'`` (default m).

    L is a Python float rounded once to ``values``' dtype (an array of that dtype for
    ``'none'``). ``grad`` is scaled in place when it is writable and has the values' dtype.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return reduce_unchecked(values, weights, reduction, grad, count)


def reduce_unchecked(values, weights=None, reduction="mean", grad=None, count=None):
    """:func:`reduce` without its own floating-point error state: for callers that hold
    ``np.errstate(all="ignore")`` already (the training step)."""
    dtype = values.dtype
    m = values.shape[0]
    if weights is None and count is None and reduction == "mean" and m:
        # the training step's case, with the general path's arithmetic and fewer calls
        loss = float(dtype.type(np.add.reduce(values, dtype=_accumulator(dtype)) / m))
        return loss, None if grad is None else _scale_rows(grad, 1.0 / m, None)
    zero = None if weights is None or weights.all() else weights == 0
    if reduction == "none":
        out = values if weights is None else (values * weights).astype(dtype)
        if zero is not None:
            out[zero] = 0
        return out, None if grad is None else _scale_rows(grad, weights, zero)
    acc = _accumulator(dtype)
    if weights is None:
        total = np.add.reduce(values, dtype=acc)   # np.sum's wrapper costs microseconds
    else:
        terms = values.astype(acc) * weights
        if zero is not None:
            terms[zero] = 0
        total = np.add.reduce(terms, dtype=acc)
    if reduction == "mean":
        divisor = m if count is None else count
    elif reduction == "mean_with_sample_weight" and weights is not None:
        divisor = math.fsum(weights.reshape(-1))
    elif reduction == "mean_with_sample_weight":
        divisor = m
    else:
        divisor = 1
    loss = float(dtype.type(total / acc(divisor) if divisor else 0.0))
    if grad is None:
        return loss, None
    w = (1.0 / divisor if divisor else 0.0) if weights is None else \
        (weights / divisor if divisor else weights * 0.0)
    return loss, _scale_rows(grad, w, zero)


def _scale_rows(g, w, zero):
    """``g`` with row i multiplied by ``w[i]`` (or the scalar ``w``), rows where ``zero`` exactly
    0; in place when possible. The factor is rounded once to g's dtype (float32 gradients of a
    weight of 1e30 stay finite)."""
    if w is None:
        return g
    if not g.flags.writeable:
        g = g.copy()
    if isinstance(w, float):
        if w != 1.0:
            g *= g.dtype.type(w)
    else:
        g *= np.asarray(w, dtype=g.dtype).reshape(w.shape + (1,) * (g.ndim - w.ndim))
    if zero is not None:
        g[zero] = 0
    return g
