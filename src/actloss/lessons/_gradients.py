"""Lessons on what gradients do inside a deep network: vanishing, exploding, saturating units and
dying ReLUs. Each trains small networks on :func:`classification_data` and reads the
diagnostics (``gradient_flow``, ``dead_units``, ``saturation``) before and during training."""

from __future__ import annotations

import warnings

import numpy as np

from .. import diagnostics as D, initializers, optimizers
from ._base import Outcome
from ._common import accuracy, classification_data, curve, epochs, g, net


def _fit(model, x, y, n_epochs, **kw):
    """fit, keeping the divergence warning as data instead of letting it print."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=n_epochs, batch_size=32, verbose=0, **kw)
    diverged = [str(w.message).split(".")[0] for w in caught if "diverg" in str(w.message)]
    return history.history, (diverged[0] if diverged else "")


def vanishing_gradients(small=False, seed=0) -> Outcome:
    depth, n_epochs = (6, 3) if small else (10, 12)
    x, y = classification_data(seed, n=256 if small else 512)
    runs = {}
    for act, init in (("sigmoid", "glorot_uniform"), ("relu", "he_normal")):
        model = net(act, depth, 32, x.shape[1], init=init, seed=seed)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy")
        before = D.gradient_flow(model, x, y)
        cb = D.DiagnosticsCallback(x, y)
        h, _ = _fit(model, x, y, n_epochs, callbacks=[cb])
        runs[act] = {"before": before, "ratios": cb.history["grad_ratio_first_last"],
                     "after": D.gradient_flow(model, x, y), "loss": h["loss"],
                     "accuracy": accuracy(model, x, y)}
    s, r = runs["sigmoid"], runs["relu"]
    rs, rr = s["before"]["ratio_first_last"], r["before"]["ratio_first_last"]
    shown = bool(rs < 0.1 * rr)
    numbers = {"depth": depth, "epochs": n_epochs, "ratio_sigmoid": rs, "ratio_relu": rr,
               "ratio_sigmoid_end": s["ratios"][-1], "ratio_relu_end": r["ratios"][-1],
               "accuracy_sigmoid": s["accuracy"], "accuracy_relu": r["accuracy"]}
    text = [f"A network of {depth} hidden layers of 32 units, before training: with sigmoid "
            f"(Glorot initialization) the first layer's gradient is {g(rs)} of the last "
            f"layer's; with ReLU and He initialization {g(rr)}.",
            f"Each sigmoid layer multiplies the back-propagated gradient by sigmoid'(z) <= "
            f"0.25, so it shrinks layer after layer; ReLU's derivative is 1 where the unit is "
            f"active and He initialization keeps the signal's size.",
            f"After {n_epochs} epochs of SGD (learning rate 0.1) the ratio is "
            f"{g(s['ratios'][-1])} for sigmoid and {g(r['ratios'][-1])} for ReLU; training "
            f"accuracy {s['accuracy']:.2f} for sigmoid against {r['accuracy']:.2f} for ReLU "
            f"(loss {g(s['loss'][-1])} vs {g(r['loss'][-1])})."]
    if not shown:
        text.append(f"This run does not show a vanishing gradient: sigmoid's ratio {g(rs)} is "
                    f"not far below ReLU's {g(rr)}.")
    layers = np.arange(1, depth + 2)
    charts = [
        {"series": [{"label": f"{a} (before training)", "x": layers, "marker": True,
                     "y": runs[a]["before"]["weight_grad_rms"], "color": f"C{i}"}
                    for i, a in enumerate(runs)],
         "title": "Gradient per layer", "xlabel": "layer (1 = first)",
         "ylabel": "RMS weight gradient (log)", "logy": True, "integer_x": True},
        {"series": [{"label": a, "x": epochs(len(runs[a]["ratios"])),
                     "y": curve(runs[a]["ratios"]), "color": f"C{i}"}
                    for i, a in enumerate(runs)],
         "title": "First / last layer gradient over training", "xlabel": "epoch",
         "ylabel": "ratio (log)", "logy": True, "integer_x": True, "hline": 1.0},
    ]
    return Outcome(text, numbers, shown, charts)


def exploding_gradients(small=False, seed=0) -> Outcome:
    from .. import layers

    depth, n_epochs = (6, 3) if small else (10, 8)
    x, y = classification_data(seed, n=256 if small else 512)
    big = initializers.get("random_normal", stddev=0.5)
    variants = [("large weights, plain SGD", big, {}, False),
                ("large weights, clipnorm=1", big, {"global_clipnorm": 1.0}, False),
                ("He initialization", "he_normal", {}, False)]
    has_bn = hasattr(layers, "BatchNormalization")
    if has_bn:
        variants.append(("large weights, batch norm", big, {}, True))
    runs = {}
    for label, init, clip, bn in variants:
        model = net("relu", depth, 32, x.shape[1], init=init, batch_norm=bn, seed=seed)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.01, **clip),
                      loss="binary_crossentropy")
        flow = D.gradient_flow(model, x, y)
        # the back-propagated signal dL/da at each hidden layer's output (the Dense layers,
        # without the output layer, whose signal is the loss's own gradient)
        dense = [i for i, lay in enumerate(model.layers) if type(lay).__name__ == "Dense"][:-1]
        signal = [flow["signal_norm"][i] for i in dense]
        h, diverged = _fit(model, x, y, n_epochs)
        runs[label] = {"signal": signal, "growth": signal[0] / signal[-1],
                       "loss": h.get("loss", []), "diverged": diverged,
                       "accuracy": accuracy(model, x, y)}
    plain, clipped, he = (runs[v[0]] for v in variants[:3])
    shown = bool(plain["growth"] > 10 * he["growth"] and plain["diverged"] and
                 not clipped["diverged"])
    numbers = {"growth_large": plain["growth"], "growth_he": he["growth"],
               "diverged_plain": bool(plain["diverged"]),
               "diverged_clipped": bool(clipped["diverged"]),
               "final_loss_clipped": clipped["loss"][-1] if clipped["loss"] else float("nan"),
               "batch_norm": has_bn}
    text = [f"A {depth}-layer ReLU network with weights drawn from N(0, 0.5²), twice He's "
            f"standard deviation for 32 inputs: the back-propagated gradient at the first "
            f"hidden layer is {g(plain['growth'])} times the one at the last hidden layer "
            f"(with He initialization: {g(he['growth'])} times). Each layer multiplies it by "
            f"its weights, about 2x here, so it grows towards the input.",
            "With plain SGD (learning rate 0.01) training "
            + (f"failed: {plain['diverged'][0].lower()}{plain['diverged'][1:]}." if
               plain["diverged"] else
               f"did not diverge (final loss {g(plain['loss'][-1])}).")
            + " With gradient clipping (global_clipnorm=1: the whole gradient is rescaled to "
              "norm 1 when larger) it "
            + (f"also diverged ({clipped['diverged']})." if clipped["diverged"] else
               f"trained: loss {g(clipped['loss'][0])} after the first epoch, "
               f"{g(clipped['loss'][-1])} after {len(clipped['loss'])}, accuracy "
               f"{clipped['accuracy']:.2f}. Clipping bounds each step; it does not fix the "
               "weights' scale, He initialization does.")]
    if has_bn:
        bn = runs["large weights, batch norm"]
        numbers["growth_batch_norm"] = bn["growth"]
        text.append(f"With BatchNormalization after each Dense layer the growth is "
                    f"{g(bn['growth'])}x and training "
                    + ("diverged." if bn["diverged"] else
                       f"reached loss {g(bn['loss'][-1])}, accuracy {bn['accuracy']:.2f}."))
    else:
        text.append("Batch normalization is not shown: actloss.layers.BatchNormalization is "
                    "not in this installation (this lesson uses it when it is).")
    if not shown:
        text.append("This run does not show the full effect (growth, divergence without "
                    "clipping, and training with it).")
    charts = [
        {"series": [{"label": label, "x": np.arange(1, len(r["signal"]) + 1), "y": r["signal"],
                     "marker": True, "color": f"C{i}"} for i, (label, r) in
                    enumerate(runs.items()) if "clipnorm" not in label],
         "title": "Back-propagated gradient per layer", "xlabel": "hidden layer (1 = first)",
         "ylabel": "norm of dL/da (log)", "logy": True, "integer_x": True},
        {"series": [{"label": label, "x": epochs(len(r["loss"])), "y": curve(r["loss"]),
                     "color": f"C{i}"} for i, (label, r) in enumerate(runs.items())],
         "title": "Training loss", "xlabel": "epoch", "ylabel": "loss (log)", "logy": True,
         "integer_x": True},
    ]
    return Outcome(text, numbers, shown, charts)


def saturation(small=False, seed=0) -> Outcome:
    n_epochs = 4 if small else 15
    x, y = classification_data(seed, n=256 if small else 512)
    runs = {}
    for act in ("sigmoid", "tanh"):
        for init_name, init in (("Glorot", "glorot_uniform"),
                                ("N(0, 4²)", initializers.get("random_normal", stddev=4.0))):
            model = net(act, 3, 32, x.shape[1], init=init, seed=seed)
            model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                          loss="binary_crossentropy")
            sat = D.saturation(model, x)["overall"]
            h, _ = _fit(model, x, y, n_epochs)
            runs[(act, init_name)] = {"saturated": sat, "loss": h["loss"],
                                      "accuracy": accuracy(model, x, y)}
    text, shown = [], {}
    for act in ("sigmoid", "tanh"):
        good, bad = runs[(act, "Glorot")], runs[(act, "N(0, 4²)")]
        shown[act] = bool(bad["saturated"] > good["saturated"] + 0.3 and
                          bad["loss"][-1] > good["loss"][-1])
        text.append(f"{act}: with weights from N(0, 4²) {bad['saturated']:.0%} of the hidden "
                    f"units' outputs are saturated before training (derivative below 5% of its "
                    f"peak), against {good['saturated']:.0%} with Glorot initialization. After "
                    f"{n_epochs} epochs of Adam the training loss is {g(bad['loss'][-1])} "
                    f"against {g(good['loss'][-1])}, accuracy {bad['accuracy']:.2f} against "
                    f"{good['accuracy']:.2f}: "
                    + ("the saturated network learns slower." if shown[act] else
                       "this run does NOT show slower learning for it (saturated units still "
                       "act as fixed step-like features the output layer can use)."))
    text.append("A saturated unit passes almost no gradient (sigmoid'(z) < 0.0125 for "
                "|z| > 4.4), so its incoming weights hardly move: the network learns slowly, "
                "or settles on a poor solution. Keep pre-activations near 0: Glorot or He "
                "initialization, standardized inputs.")
    numbers = {f"{a}_{'glorot' if i == 'Glorot' else 'large'}_{k}": v[k]
               for (a, i), v in runs.items() for k in ("saturated", "accuracy")}
    charts = [{"series": [{"label": f"{a}, {i}", "x": epochs(len(v["loss"])),
                           "y": curve(v["loss"]), "color": f"C{k // 2}",
                           "dashed": i != "Glorot"} for k, ((a, i), v) in enumerate(runs.items())],
               "title": "Training loss (dashed: large initial weights)", "xlabel": "epoch",
               "ylabel": "loss (log)", "logy": True, "integer_x": True}]
    numbers.update({f"shown_{a}": v for a, v in shown.items()})
    return Outcome(text, numbers, any(shown.values()), charts)


def _DeadEveryEpoch(x):
    """A callback recording ``dead_units(model, x)["overall"]`` after each epoch (only that:
    the full DiagnosticsCallback also back-propagates, which this lesson does not need)."""
    from ..callbacks import Callback

    class DeadEveryEpoch(Callback):
        def __init__(self):
            super().__init__()
            self.dead: list[float] = []

        def on_epoch_end(self, epoch, logs=None):
            self.dead.append(D.dead_units(self.model, x)["overall"])

    return DeadEveryEpoch()


def dying_relu(small=False, seed=0) -> Outcome:
    n_epochs = 4 if small else 12
    x, y = classification_data(seed, n=256 if small else 512)
    runs = {}
    for act in ("relu", "leaky_relu", "elu"):
        model = net(act, 3, 32, x.shape[1], init="he_normal", seed=seed)
        model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy")
        cb = _DeadEveryEpoch(x)
        h, diverged = _fit(model, x, y, n_epochs, callbacks=[cb])
        runs[act] = {"dead": cb.dead, "loss": h.get("loss", []),
                     "accuracy": accuracy(model, x, y), "diverged": diverged,
                     "final_dead": D.dead_units(model, x)["overall"]}
    relu = runs["relu"]
    peak = float(np.nanmax(relu["dead"])) if relu["dead"] else float("nan")
    others = max(float(np.nanmax(runs[a]["dead"])) for a in ("leaky_relu", "elu"))
    shown = bool(peak > 0.05 and others == 0)
    text = [f"Three hidden layers of 32 units, He initialization, SGD with a too-high learning "
            f"rate of 1.0. With ReLU, up to {peak:.0%} of the units died (negative input on "
            f"every one of the {len(x)} training samples, so their gradient is exactly 0 and "
            f"they never recover by themselves); {relu['final_dead']:.0%} were dead at the end.",
            f"Leaky ReLU (slope 0.2 below 0) and ELU have a nonzero derivative everywhere: "
            f"their dead fraction stayed at {others:.0%}.",
            "Final training loss: " + ", ".join(f"{a} {g(r['loss'][-1])} (accuracy "
                                                f"{r['accuracy']:.2f})" for a, r in runs.items()
                                                if r["loss"]) + "."]
    if not shown:
        text.append("This run does not show dying ReLUs clearly (a higher learning rate, or a "
                    "negative bias, makes more units die).")
    numbers = {"dead_relu_peak": peak, "dead_relu_end": relu["final_dead"],
               "dead_others_peak": others,
               **{f"loss_{a}": r["loss"][-1] for a, r in runs.items() if r["loss"]}}
    charts = [{"series": [{"label": a, "x": epochs(len(r["dead"])), "y": curve(r["dead"]),
                           "color": f"C{i}"} for i, (a, r) in enumerate(runs.items())],
               "title": "Dead units over training", "xlabel": "epoch",
               "ylabel": "fraction of units dead", "ylim": (-0.02, max(0.5, peak + 0.05)),
               "integer_x": True},
              {"series": [{"label": a, "x": epochs(len(r["loss"])), "y": curve(r["loss"]),
                           "color": f"C{i}"} for i, (a, r) in enumerate(runs.items())],
               "title": "Training loss", "xlabel": "epoch", "ylabel": "loss (log)",
               "logy": True, "integer_x": True}]
    return Outcome(text, numbers, shown, charts)
