"""Row-wise activations: softmax and log_softmax (not elementwise: ``grad`` raises, use ``vjp``).

Each row is evaluated in the working precision of ``actloss._numerics`` (float64 for float32,
long double for float64) and rounded once. Large float32 arrays may use the compiled row kernels
of ``actloss._fast32`` (softmax forward and vjp), the same formulas, checked against these.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _fast32
from .._numerics import BLOCK, run_parts, work_dtype
from .._validation import check_number
from ._base import Activation



def _check_axis(axis):
    """An integer, or a tuple of distinct integers (Keras: the rows span several axes)."""
    if isinstance(axis, tuple) and axis:
        for a in axis:
            check_number("axis", a, integer=True)
        if len(set(axis)) != len(axis):
            raise ValueError(f"Expected distinct axes; received axis={axis!r}")
        return
    check_number("axis", axis, integer=True)


def _shift(x):
    """x - max(x) per row, without inf - inf: rows whose maximum is +inf keep 0 at their +inf
    entries and -inf elsewhere (the limit shares the mass among them); rows of -inf only become
    0 (uniform); a NaN anywhere makes the row NaN."""
    m = np.max(x, axis=-1, keepdims=True)
    d = x - np.where(np.isinf(m), 0, m)  # a NaN maximum makes the whole row NaN
    if np.isinf(m).any():
        d = np.where(m == np.inf, np.where(x == np.inf, 0.0, -np.inf),
                     np.where(m == -np.inf, 0.0, d)).astype(x.dtype)
    return d


def _softmax_rows(x):
    e = np.exp(_shift(x))
    return e / np.sum(e, axis=-1, keepdims=True)


def _log_softmax_rows(x):
    """d - log1p(sum of e^d over all but one maximal entry): the maximal entry (-log1p(small))
    keeps its relative accuracy where log(sum) would round it to 0."""
    d = _shift(x)
    e = np.exp(d)
    np.put_along_axis(e, np.argmax(d, axis=-1)[:, None], 0.0, axis=-1)
    return d - np.log1p(np.sum(e, axis=-1, keepdims=True))


def _softmax_vjp_rows(x, g):
    """g J = y (g - <g, y>) written y ((g - g_k) + D), D = sum_{j != k} y_j (g_k - g_j), k the
    row's largest y: when y_k rounds to 1, g_k - <g, y> would cancel; D does not."""
    y = _softmax_rows(x)
    k = np.argmax(y, axis=-1)[:, None]
    gk = np.take_along_axis(g, k, axis=-1)
    t = y * (gk - g)
    np.put_along_axis(t, k, 0.0, axis=-1)  # y_k (g_k - g_k) = 0, also for an infinite g_k
    return y * ((g - gk) + np.sum(t, axis=-1, keepdims=True))


def _log_softmax_vjp_rows(x, g):
    """g J = g - s sum(g), s = softmax(x); at the row's largest s_k, g_k - s_k G is written
    S G - G', S = sum_{j != k} s_j, G' = sum_{j != k} g_j (no cancellation when s_k ~ 1)."""
    s = _softmax_rows(x)
    k = np.argmax(s, axis=-1)[:, None]
    total = np.sum(g, axis=-1, keepdims=True)
    out = g - s * total
    s_o, g_o = s.copy(), g.copy()
    np.put_along_axis(s_o, k, 0.0, axis=-1)
    np.put_along_axis(g_o, k, 0.0, axis=-1)
    top = np.sum(s_o, axis=-1, keepdims=True) * total - np.sum(g_o, axis=-1, keepdims=True)
    np.put_along_axis(out, k, top, axis=-1)
    return out


_COMPILED = {_softmax_rows: "softmax", _softmax_vjp_rows: "softmax_vjp"}


def _rowwise(kernel, x, axis, out=None, g=None):
    """``kernel`` over the rows of ``x`` along ``axis`` in the working precision, in chunks
    (threaded for large arrays), rounded once into ``out``."""
    if x.size == 0:
        r = np.empty(x.shape, x.dtype)
        return r if out is None else out
    axes = tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))) \
        if x.ndim else ()
    if x.ndim and len(axes) > x.ndim:
        raise ValueError(f"axis={axis!r} does not fit an array of {x.ndim} dimension(s)")
    last = tuple(range(x.ndim - len(axes), x.ndim))
    trailing = axes == last  # the usual case, axis=-1: no axes to move (4 us each way)
    xm = x if trailing else np.moveaxis(x, axes, last)
    k = math.prod(x.shape[a] for a in axes)
    rows = np.ascontiguousarray(xm).reshape(-1, k)
    grows = None if g is None else np.ascontiguousarray(
        g if trailing else np.moveaxis(g, axes, last)).reshape(-1, k)
    axis = None if trailing else (axes, last)
    res = np.empty(rows.shape, x.dtype)
    compiled = _fast32.rows(_COMPILED[kernel]) if (
        kernel in _COMPILED and _fast32.applies(x)) else None
    todo = None  # every row, in slices (fancy indexing cost more than a 64 x 10 softmax)
    if compiled is not None:
        done = np.zeros(rows.shape[0], np.bool_)
        run_parts(lambda lo, hi: compiled(rows[lo:hi], res[lo:hi], done[lo:hi],
                                          *(() if g is None else (grows[lo:hi],))),
                  rows.shape[0], unit=1, weight=k)
        todo = np.flatnonzero(~done)  # the rows the compiled kernel left (non-finite)
    work = work_dtype(x.dtype)
    step = max(1, BLOCK // k)  # rows per chunk: the wide scratch of one block

    def part(lo, hi):
        with np.errstate(all="ignore"):
            for a in range(lo, hi, step):
                idx = slice(a, min(a + step, hi)) if todo is None else todo[a:min(a + step, hi)]
                args = [rows[idx].astype(work)] + ([] if g is None else [grows[idx].astype(work)])
                res[idx] = kernel(*args)

    n = rows.shape[0] if todo is None else todo.size
    if n:
        run_parts(part, n, unit=step, weight=k)
    return _place(res, xm.shape, axis, out)


def _place(res, shape, axis, out):
    """The rows ``res`` back in ``x``'s layout: ``axis`` = (axes, where they were moved), or
    None when they were not moved."""
    r = res.reshape(shape) if axis is None else np.moveaxis(res.reshape(shape), *axis[::-1])
    if out is None:
        return np.ascontiguousarray(r)
    np.copyto(out, r)
    return out


def softmax_forward(x, axis=-1, out=None):
    r"""Softmax along ``axis`` (default -1, as Keras and ``torch.softmax(x, dim=-1)``).

    .. math:: s_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j, \qquad
              g J = s \odot (g - \langle g, s \rangle)

    Stable for logits of any size and rows of one element (always 1). The vjp's dominant entry
    is computed as sum_{j != k} s_j (g_k - g_j), so it keeps its accuracy when s_k rounds to 1.
    Rows with +inf entries share their mass among them; rows of -inf only are uniform. An
    infinite cotangent gives NaN (its limit depends on how fast it grows). Not elementwise:
    ``grad`` raises, use ``vjp``. Keras's ``softmax(x, axis=-1)``; PyTorch's ``dim``.

    >>> from actloss import activations as A
    >>> A.softmax([[1e4, 1e4, -1e4]])
    array([[0.5, 0.5, 0. ]])
    >>> A.softmax([[1.0, 2.0], [3.0, 5.0]], axis=0).round(4)
    array([[0.1192, 0.0474],
           [0.8808, 0.9526]])
    """
    return _rowwise(_softmax_rows, x, axis, out)


softmax = Activation(
    "softmax", rows=(softmax_forward, lambda x, g, axis: _rowwise(_softmax_vjp_rows, x, axis, g=g)),
    params={"axis": -1}, check=_check_axis, outputs_probabilities=True,
    formula=r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
    derivative_formula=(r"\frac{\partial\,\operatorname{softmax}_i}{\partial x_j} = "
                        r"s_i(\delta_{ij} - s_j), \quad g J = s \odot (g - \langle g, s\rangle)"),
    output_range="(0, 1), each row sums to 1",
    pros=("Turns logits into a probability distribution: the output of a multiclass "
          "classifier.", "Paired with cross-entropy its gradient is simply p - y."),
    cons=("Not elementwise: use vjp, not grad.", "A one-unit softmax is always 1.",
          "Invariant to adding a constant to a row: logits are not identifiable."),
    reference="Bridle, 1990, Probabilistic Interpretation of Feedforward Classification "
              "Network Outputs.",
    saturates=True,
    logits_losses=("categorical_crossentropy", "sparse_categorical_crossentropy"),
    summary="Normalised exponential over the last axis.")


def log_softmax_forward(x, axis=-1, out=None):
    r"""Log-softmax along ``axis`` (default -1): the log-probabilities of a classifier.

    .. math:: f(x)_i = x_i - m - \log \sum_j e^{x_j - m}, \qquad
              g J = g - \operatorname{softmax}(x) \sum_j g_j

    The maximal entry is -log1p(sum of the others' e^{x_j - m}), so it keeps full relative
    accuracy when the others are tiny (log(sum) would round it to 0); the vjp's entry there is
    S G - G' (S, G': the others' probabilities and cotangents), without cancellation.

    >>> from actloss import activations as A
    >>> A.log_softmax([[0.0, -1000.0]])
    array([[   -0., -1000.]])
    """
    return _rowwise(_log_softmax_rows, x, axis, out)


log_softmax = Activation(
    "log_softmax",
    rows=(log_softmax_forward, lambda x, g, axis: _rowwise(_log_softmax_vjp_rows, x, axis, g=g)),
    params={"axis": -1}, check=_check_axis,
    formula=r"f(x)_i = x_i - \log \sum_j e^{x_j}",
    derivative_formula=(r"\frac{\partial f_i}{\partial x_j} = \delta_{ij} - s_j, \quad "
                        r"g J = g - \operatorname{softmax}(x) \textstyle\sum_j g_j"),
    output_range="(-inf, 0], logsumexp of each row is 0",
    pros=("Log-probabilities without underflow: pair it with the negative log-likelihood.",),
    cons=("Not elementwise: use vjp, not grad.",),
    reference="(log of Bridle's softmax; the log-likelihood of multinomial logistic regression)",
    summary="x - logsumexp(x) over the last axis.")
