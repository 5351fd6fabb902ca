"""Gradient checks by central differences in float64.

For a scalar function :math:`F` of an array :math:`w`, each checked coordinate gets

.. math::

    \\hat g_i = \\frac{F(w + h_i e_i) - F(w - h_i e_i)}{2 h_i}, \\qquad
    h_i = \\text{step} \\cdot \\max(1, |w_i|),

and the relative error

.. math::

    r_i = \\frac{|g_i - \\hat g_i|}{\\max(|g_i|, |\\hat g_i|, \\text{floor})}

with ``floor = 1e-6`` so that a gradient that is zero on both sides counts as exact. The result
is plain data: ``max_rel_error`` and where it is worst.
"""

from __future__ import annotations

import numpy as np

STEP = 1e-6
FLOOR = 1e-6


def _rel_error(analytic, numeric):
    analytic = np.asarray(analytic, np.float64)
    numeric = np.asarray(numeric, np.float64)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), FLOOR)
    err = np.abs(analytic - numeric) / scale
    return np.where(np.isnan(err), np.inf, err)


def _numeric_grad(f, w, index_list, weights=None):
    """Central differences of the scalar ``f(w)`` at the flat indices ``index_list``.

    With ``weights``, ``f`` returns an array and the scalar is ``sum(weights * f(w))``; the
    difference is taken before the sum, so the unchanged terms cannot drown it in rounding.
    """
    flat = w.reshape(-1)
    out = np.empty(len(index_list))
    for k, i in enumerate(index_list):
        old = flat[i]
        h = STEP * max(1.0, abs(old))
        flat[i] = old + h
        up = np.asarray(f(w), np.float64)
        flat[i] = old - h
        down = np.asarray(f(w), np.float64)
        flat[i] = old
        diff = up - down if weights is None else np.sum(weights * (up - down))
        out[k] = float(diff) / (2 * h)
    return out


def _summary(name, analytic, numeric, where):
    err = _rel_error(analytic, numeric)
    if err.size == 0:
        return {"check": name, "max_rel_error": 0.0, "n_checked": 0}
    k = int(np.argmax(err))
    return {"check": name, "max_rel_error": float(err[k]), "n_checked": int(err.size),
            "worst": where[k], "analytic": float(analytic[k]), "numeric": float(numeric[k])}


def _combine(kind, name, checks):
    worst = max(checks, key=lambda c: c["max_rel_error"])
    return {"kind": kind, "name": name, "max_rel_error": worst["max_rel_error"],
            "worst_check": worst["check"], "worst": worst.get("worst"), "checks": checks}


# ------------------------------------------------------------------ activations
def default_activation_input() -> np.ndarray:
    """A grid over [-5, 5] in steps of 0.05, shifted by 1e-3 off the kinks at integers and 0."""
    return np.linspace(-5.0, 5.0, 201) + 1e-3


def check_activation(act, x=None, seed=0) -> dict:
    """``grad`` (elementwise ones) and ``vjp`` against central differences of ``act``."""
    x = default_activation_input() if x is None else np.array(x, dtype=np.float64)
    x = np.array(x, dtype=np.float64)
    checks = []
    if x.ndim >= 2:
        rows = x
    elif act.elementwise or x.size % 3:
        rows = x.reshape(1, -1)
    else:
        rows = x.reshape(3, -1)  # softmax-like: a few rows of a sensible width
    g = np.random.default_rng(seed).standard_normal(rows.shape)
    if act.elementwise:
        flat = x.reshape(-1)
        h = STEP * np.maximum(1.0, np.abs(flat))
        numeric = (act(flat + h) - act(flat - h)) / (2 * h)
        analytic = act.grad(flat)
        checks.append(_summary("grad", analytic, numeric,
                               [{"x": float(v)} for v in flat]))
    # vjp: d/dx sum(g * f(x)), coordinate by coordinate (a Jacobian for softmax-like ones)
    w = rows.copy()
    idx = list(range(w.size))
    numeric = _numeric_grad(act, w, idx, weights=g)
    analytic = act.vjp(rows, g).reshape(-1)
    where = [{"x": float(w.reshape(-1)[i]), "index": [int(a) for a in np.unravel_index(i, w.shape)]}
             for i in idx]
    checks.append(_summary("vjp", analytic, numeric, where))
    return _combine("activation", act.name, checks)


# ------------------------------------------------------------------ losses
def _loss_candidates(task, rng, n=6, k=3):
    """Input pairs (y_true, y_pred) that suit a loss of ``task``; the first one it accepts wins."""
    probs = rng.dirichlet(np.ones(k), size=n) * 0.9 + 0.1 / k
    labels = rng.integers(0, k, size=n)
    onehot = np.eye(k)[labels]
    binary = (rng.integers(0, 2, size=(n, 1)).astype(np.float64),
              rng.uniform(0.05, 0.95, size=(n, 1)))
    generic = (rng.uniform(0.1, 0.9, size=(n, k)), rng.uniform(0.1, 0.9, size=(n, k)))
    multiclass = [(onehot, probs), (labels, probs)]
    if task == "multiclass":
        return [*multiclass, binary, generic]
    if task == "binary":
        return [binary, *multiclass, generic]
    return [generic, binary, *multiclass]


def check_loss(loss, y_true=None, y_pred=None, seed=0) -> dict:
    """``loss.grad`` with respect to ``y_pred`` against central differences of ``loss``."""
    if (y_true is None) != (y_pred is None):
        raise ValueError("gradcheck of a loss: give both y_true and y_pred, or neither")
    if y_true is None:
        errors = []
        for t, p in _loss_candidates(getattr(loss, "task", "regression"),
                                     np.random.default_rng(seed)):
            try:
                loss(t, p)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
                continue
            y_true, y_pred = t, p
            break
        else:
            raise ValueError(f"gradcheck: no default input suits loss {loss.name!r}; pass "
                             f"y_true and y_pred. Last error: {errors[-1]}")
    p = np.array(y_pred, dtype=np.float64)
    analytic = np.asarray(loss.grad(y_true, p), np.float64).reshape(-1)
    idx = list(range(p.size))
    numeric = _numeric_grad(lambda v: loss(y_true, v), p, idx)
    where = [{"y_pred": float(p.reshape(-1)[i]), "index": [int(a) for a in np.unravel_index(i, p.shape)]}
             for i in idx]
    return _combine("loss", loss.name, [_summary("grad", analytic, numeric, where)])


# ------------------------------------------------------------------ models
def check_model(model, x, y, sample_weight=None, max_per_weight=40, seed=0) -> dict:
    """Every weight array of ``model``: ``trace(x, y).weight_grads`` against central differences
    of ``trace(x, y).loss`` at up to ``max_per_weight`` coordinates each (all of them when the
    array is smaller), plus one random-direction check of the whole gradient:
    :math:`\\frac{d}{dt} F(w + t v)\\big|_{t=0} = \\langle \\nabla F, v \\rangle`.

    The model must hold float64 weights (build it after ``actloss.set_floatx("float64")``):
    central differences in float32 cannot resolve a gradient.
    """
    model.trace(x, y, sample_weight)  # builds a lazily built model
    weights = model.get_weights()
    bad = sorted({str(w.dtype) for w in weights if w.dtype != np.float64})
    if bad:
        raise ValueError(f"gradcheck of a model needs float64 weights; this one has {bad}. "
                         f"Call actloss.set_floatx('float64') before building the model.")
    weights = [w.astype(np.float64) for w in weights]
    trace = model.trace(x, y, sample_weight)
    grads = [np.asarray(g, np.float64) for layer in trace.weight_grads for g in (layer or [])]
    if len(grads) != len(weights):
        raise ValueError(f"model.trace gave {len(grads)} weight gradients for "
                         f"{len(weights)} weight arrays")
    rng = np.random.default_rng(seed)

    def loss_at(j):
        def f(w):
            model.set_weights(weights[:j] + [w] + weights[j + 1:])
            return model.trace(x, y, sample_weight).loss
        return f

    checks = []
    try:
        for j, (w, g) in enumerate(zip(weights, grads)):
            idx = np.arange(w.size)
            if w.size > max_per_weight:
                idx = np.sort(rng.choice(w.size, max_per_weight, replace=False))
            work = w.copy()
            numeric = _numeric_grad(loss_at(j), work, idx.tolist())
            where = [{"weight": j, "index": [int(a) for a in np.unravel_index(i, w.shape)]}
                     for i in idx]
            checks.append(_summary(f"weight {j} {w.shape}", g.reshape(-1)[idx], numeric, where))
        # random direction through all weights at once
        v = [rng.standard_normal(w.shape) for w in weights]
        norm = np.sqrt(sum(float(np.sum(a * a)) for a in v))
        v = [a / norm for a in v]
        h = STEP

        def along(t):
            model.set_weights([w + t * a for w, a in zip(weights, v)])
            return model.trace(x, y, sample_weight).loss
        numeric = (along(h) - along(-h)) / (2 * h)
        analytic = sum(float(np.sum(g * a)) for g, a in zip(grads, v))
        checks.append(_summary("random direction", np.array([analytic]), np.array([numeric]),
                               [{"direction": "all weights"}]))
    finally:
        model.set_weights(weights)
    return _combine("model", type(model).__name__, checks)
