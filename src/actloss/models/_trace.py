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
    with np.errstate(all="ignore"):   # the layers' executors hold none of their own
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
    at = pre[-1] if model._fused else outs[-1]
    with np.errstate(all="ignore"):
        return _backward(model, engine, layers, ws, pre, outs, T, W, at)


def _backward(model, engine, layers, ws, pre, outs, T, W, at) -> Trace:
    vals, g = model._train_loss.value_and_grad_unchecked(T, at)
    loss, g = model._train_loss.reduce(T, vals, W, g)
    loss += sum(layer.regularization_loss() for layer in engine.reg_layers)
    out_grads = [None] * len(layers)
    vals, g_out = model.loss.value_and_grad_unchecked(T, outs[-1])
    out_grads[-1] = model.loss.reduce(T, vals, W, g_out)[1]
    for i in range(len(layers) - 1, -1, -1):
        if i < len(layers) - 1 or not model._fused:
            out_grads[i] = g.copy()
        g = layers[i].backward(g, ws[i], i > 0)
    for layer in engine.reg_layers:
        layer.add_regularization_grads()
    wgrads = [[gr.copy() for gr in layer._grads] for layer in layers]
    return Trace(pre_activations=pre, outputs=outs, loss=loss, output_grads=out_grads,
                 weight_grads=wgrads)
