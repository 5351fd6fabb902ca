"""What the gradients and the units of a trained (or untrained) network are doing.

All three functions run ``model.trace`` (inference mode, optimizer untouched) and return plain
dicts of lists and floats, ready for JSON and for :mod:`actloss.plots`.
"""

from __future__ import annotations

import numpy as np

# Which layers each report covers, from the Activation properties set where each activation is
# defined: the ReLU family (the activations He initialisation suits; of these, the units of
# those with ``can_die`` can die, the others report 0), and the saturating ones.
def RELU_FAMILY(act) -> bool:  # noqa: N802 - kept as the public name it had as a set
    return act.initializer.startswith("he_") or act.can_die


def SATURATING(act) -> bool:  # noqa: N802
    return act.saturates


def _layer_names(model):
    names = []
    for i, layer in enumerate(model.layers):
        names.append(getattr(layer, "name", None) or f"layer_{i}")
    return names


def _norm(a) -> float:
    a = np.asarray(a, np.float64)
    return float(np.sqrt(np.sum(a * a)))


def gradient_flow(model, x, y, sample_weight=None) -> dict:
    """Per-layer gradient norms of ``model`` on ``(x, y)``: vanishing and exploding gradients.

    For layer :math:`l` with weights :math:`W_l` (kernel and bias) and output :math:`a_l`:

    * ``weight_grad_norm[l]`` :math:`= \\lVert \\partial L / \\partial W_l \\rVert_F` over all of
      the layer's weights (kernel and bias together); ``weight_grad_rms[l]`` is the same divided by
      the square root of the number of weights, so layers of different sizes compare;
    * ``signal_norm[l]`` :math:`= \\lVert \\partial L / \\partial a_l \\rVert_F`, the
      back-propagated signal arriving at the layer's output;
    * ``ratio_first_last`` :math:`= \\mathrm{rms}_1 / \\mathrm{rms}_L`, the first layer's RMS weight
      gradient over the last layer's. Far below 1 (say 1e-3): the gradient vanishes on its way
      down; far above: it explodes.

    Layers without weights get 0.
    """
    return _flow(model, model.trace(x, y, sample_weight))


def _flow(model, trace) -> dict:
    names, norms, rms, signal = _layer_names(model), [], [], []
    for layer_grads, out_grad in zip(trace.weight_grads, trace.output_grads):
        grads = [np.asarray(g, np.float64) for g in (layer_grads or [])]
        total = float(np.sqrt(sum(np.sum(g * g) for g in grads))) if grads else 0.0
        count = sum(g.size for g in grads)
        norms.append(total)
        rms.append(total / np.sqrt(count) if count else 0.0)
        signal.append(_norm(out_grad) if out_grad is not None else 0.0)
    with_weights = [r for r, lg in zip(rms, trace.weight_grads) if lg]
    ratio = float("nan")
    if with_weights and with_weights[-1] > 0:
        ratio = with_weights[0] / with_weights[-1]
    return {"layers": names, "weight_grad_norm": norms, "weight_grad_rms": rms,
            "signal_norm": signal, "ratio_first_last": ratio, "loss": float(trace.loss)}


def _elementwise_layers(model, family):
    for i, layer in enumerate(model.layers):
        act = getattr(layer, "activation", None)
        if act is not None and getattr(act, "elementwise", False) and family(act):
            yield i, layer, act


def dead_units(model, x, tol: float = 0.0) -> dict:
    """Per ReLU-family layer, the fraction of units inactive on every sample of ``x``.

    A unit is inactive on a sample when its activation derivative
    :math:`f'(z) \\le \\text{tol}` there (``tol = 0``: exactly zero); it is dead when that holds on
    every sample, since then no gradient ever reaches its incoming weights. ReLU units with an
    always negative input die; Leaky ReLU (:math:`f' = \\alpha`) and ELU
    (:math:`f' = \\alpha e^{z}`) never do.

    Returns ``{"layers": [...], "activations": [...], "fraction": [...], "dead": [...],
    "units": [...], "overall": float}`` (``overall`` over all those units; NaN when the model has
    no ReLU-family layer).
    """
    return _dead(model, model.trace(x), tol)


def _dead(model, trace, tol: float = 0.0) -> dict:
    names = _layer_names(model)
    out = {"layers": [], "activations": [], "fraction": [], "dead": [], "units": []}
    for i, _, act in _elementwise_layers(model, RELU_FAMILY):
        z = trace.pre_activations[i]
        if z is None:
            continue
        d = np.asarray(act.grad(z))  # in z's dtype: a sign test needs no wider precision
        dead = np.all(d <= tol, axis=0)
        out["layers"].append(names[i])
        out["activations"].append(act.name)
        out["dead"].append(int(dead.sum()))
        out["units"].append(int(dead.size))
        out["fraction"].append(float(dead.mean()))
    total = sum(out["units"])
    out["overall"] = sum(out["dead"]) / total if total else float("nan")
    return out


def saturation(model, x, threshold: float = 0.05) -> dict:
    """Per sigmoid/tanh-family layer, how saturated its units are on ``x``.

    An activation is saturated where its derivative is below ``threshold`` times the function's
    largest derivative (0.25 for sigmoid, 1 for tanh): for sigmoid with the default 0.05 that is
    :math:`\\sigma'(z) < 0.0125`, i.e. :math:`|z| > 4.4`. Reports per layer ``fraction`` (share of
    (sample, unit) pairs saturated) and ``always`` (share of units saturated on every sample), and
    ``overall`` (``fraction`` over all those layers; NaN when there are none).
    """
    return _saturated(model, model.trace(x), threshold)


def _saturated(model, trace, threshold: float = 0.05) -> dict:
    names = _layer_names(model)
    out = {"layers": [], "activations": [], "fraction": [], "always": []}
    pairs = saturated = 0
    for i, _, act in _elementwise_layers(model, SATURATING):
        z = trace.pre_activations[i]
        if z is None:
            continue
        # in z's dtype (float32 models: float64 inside, one rounding): a threshold test needs no
        # long double, which made this 10x slower than the training step it watches
        d = np.abs(np.asarray(act.grad(z)))
        peak = float(np.max(np.abs(act.grad(np.linspace(-1, 1, 201)))))  # f'(0) for sigmoid
        sat = d < threshold * peak
        out["layers"].append(names[i])
        out["activations"].append(act.name)
        out["fraction"].append(float(sat.mean()))
        out["always"].append(float(np.all(sat, axis=0).mean()))
        pairs += sat.size
        saturated += int(sat.sum())
    out["overall"] = saturated / pairs if pairs else float("nan")
    return out


def network_report(model, x, y, sample_weight=None, threshold: float = 0.05) -> dict:
    """:func:`gradient_flow`, :func:`dead_units` and :func:`saturation` of ``model`` on
    ``(x, y)`` from ONE traced forward and backward pass (the three functions each trace the
    network; a callback that wants all three every epoch would pay for three passes).

    Returns ``{"flow": ..., "dead": ..., "saturation": ..., "outputs": predictions on x}``,
    each as the function of that name returns it.
    """
    trace = model.trace(x, y, sample_weight)
    return {"flow": _flow(model, trace), "dead": _dead(model, trace),
            "saturation": _saturated(model, trace, threshold), "outputs": trace.outputs[-1]}
