"""``model.trace``: one forward (and backward) pass that keeps everything the diagnostics need."""

from __future__ import annotations

import numpy as np

from . import _checks, _data


class Trace:
    """What :meth:`Sequential.trace` returns: plain lists, one entry per layer of
    ``model.layers``. Attributes: ``pre_activations``, ``outputs``, and with targets ``loss``,
    ``output_grads``, ``weight_grads``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"Trace({', '.join(self.__dict__)})"


def trace(model, x, y, sample_weight) -> Trace:
    """See :meth:`Sequential.trace`. The layers record their own pre-activations (a ``"pre"``
    key in their workspace), so nothing here recomputes a layer's arithmetic."""
    x = np.ascontiguousarray(model._prepare_x(x), model.dtype)
    engine = model._engine
    n, layers = len(x), engine.layers
    ws = [layer.workspace(n, model.dtype) for layer in layers]
    pre, outs, h = [], [], x
    for layer, w in zip(layers, ws):
        if hasattr(layer, "activation"):
            w["pre"] = None
        h = layer.forward(h, w, False)
        pre.append(w.get("pre"))
        outs.append(h.copy())
    if y is None:
        return Trace(pre_activations=pre, outputs=outs)
    model._require_compiled("trace")
    engine.prepare(model.loss)
    yv = np.asarray(y)
    _checks.check_lengths(n, yv)
    T = _data.prepare_targets(model, yv, n)
    W = _data.sample_weights(yv, sample_weight, None, n, model.dtype)
    c = 1.0 / n if engine.mean else 1.0
    scale = (np.full(n, c) if W is None else W * c).astype(model.dtype)
    scale = scale.reshape((-1,) + (1,) * (outs[-1].ndim - 1))
    at = pre[-1] if model._fused else outs[-1]
    vals = model._train_loss.per_sample_unchecked(T, at)
    loss = float(np.dot(vals.astype(np.float64), scale.reshape(-1)))
    loss += sum(layer.regularization_loss() for layer in engine.reg_layers)
    g = model._train_loss.grad_unchecked(T, at) * scale
    out_grads = [None] * len(layers)
    with np.errstate(divide="ignore", invalid="ignore"):
        out_grads[-1] = model.loss.grad_unchecked(T, outs[-1]) * scale
    for i in range(len(layers) - 1, -1, -1):
        if i < len(layers) - 1 or not model._fused:
            out_grads[i] = g.copy()
        g = layers[i].backward(g, ws[i], i > 0)
    for layer in engine.reg_layers:
        layer.add_regularization_grads()
    wgrads = [[gr.copy() for gr in layer._grads] for layer in layers]
    return Trace(pre_activations=pre, outputs=outs, loss=loss, output_grads=out_grads,
                 weight_grads=wgrads)
