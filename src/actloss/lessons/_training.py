"""Lessons on the training loop: the step activation cannot learn by gradient descent, batch vs
stochastic vs mini-batch descent (and Adam), and the learning rate."""

from __future__ import annotations

import warnings

import numpy as np

from .. import optimizers
from ._base import Outcome
from ._common import accuracy, classification_data, curve, epochs, g, net, timed_history


def _quiet_fit(model, x, y, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = model.fit(x, y, verbose=0, **kw)
    diverged = [str(w.message).split(".")[0] for w in caught if "diverg" in str(w.message)]
    return h.history, (diverged[0] if diverged else "")


def step_cannot_learn(small=False, seed=0) -> Outcome:
    n_epochs = 5 if small else 30
    x, y = classification_data(seed, n=256 if small else 512, d=4)
    runs = {}
    for act in ("step", "sigmoid"):
        model = net(act, 1, 16, x.shape[1], seed=seed)
        model.compile(optimizer=optimizers.Adam(learning_rate=0.02),
                      loss="binary_crossentropy")
        first = [w.copy() for w in model.layers[0].get_weights()]
        h, _ = _quiet_fit(model, x, y, epochs=n_epochs, batch_size=32)
        moved = float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in
                                  zip(model.layers[0].get_weights(), first))))
        runs[act] = {"loss": h["loss"], "moved": moved, "accuracy": accuracy(model, x, y)}
    step, sig = runs["step"], runs["sigmoid"]
    shown = bool(step["moved"] == 0 and sig["moved"] > 0 and sig["accuracy"] > step["accuracy"])
    text = [f"One hidden layer of 16 units, Adam, {n_epochs} epochs. step'(z) = 0 everywhere "
            f"(and undefined at 0), so back-propagation sends exactly zero gradient into the "
            f"hidden layer: its weights moved by {g(step['moved'])} (Frobenius norm of the "
            f"change). With sigmoid they moved by {g(sig['moved'])}.",
            f"Only the output layer learns on top of the step network's fixed random features: "
            f"training loss {g(step['loss'][0])} -> {g(step['loss'][-1])}, accuracy "
            f"{step['accuracy']:.2f}; the sigmoid network: {g(sig['loss'][0])} -> "
            f"{g(sig['loss'][-1])}, accuracy {sig['accuracy']:.2f}.",
            "The perceptron rule, or a smooth surrogate like sigmoid, is how step-like units "
            "are trained; gradient descent alone cannot."]
    if not shown:
        text.append("This run does not show it cleanly (the step layer's weights moved, or "
                    "sigmoid did not do better).")
    numbers = {"step_weight_change": step["moved"], "sigmoid_weight_change": sig["moved"],
               "step_accuracy": step["accuracy"], "sigmoid_accuracy": sig["accuracy"]}
    charts = [{"series": [{"label": a, "x": epochs(len(r["loss"])), "y": curve(r["loss"]),
                           "color": f"C{i}"} for i, (a, r) in enumerate(runs.items())],
               "title": "Training loss", "xlabel": "epoch", "ylabel": "loss",
               "integer_x": True}]
    return Outcome(text, numbers, shown, charts)


def gradient_descent(small=False, seed=0) -> Outcome:
    n_epochs = 4 if small else 20
    n = 256 if small else 512
    x, y = classification_data(seed, n=n, d=4)
    variants = [("batch GD (batch = all)", "sgd", n), ("stochastic GD (batch = 1)", "sgd", 1),
                ("mini-batch GD (batch = 32)", "sgd", 32), ("Adam (batch = 32)", "adam", 32)]
    runs = {}
    for label, opt, batch in variants:
        model = net("tanh", 1, 16, x.shape[1], seed=seed)
        optimizer = optimizers.SGD(learning_rate=0.05) if opt == "sgd" else \
            optimizers.Adam(learning_rate=0.01)
        model.compile(optimizer=optimizer, loss="binary_crossentropy")
        timer = timed_history()
        h, _ = _quiet_fit(model, x, y, epochs=n_epochs, batch_size=batch, callbacks=[timer])
        runs[label] = {"loss": h["loss"], "seconds": timer.seconds, "steps": -(-n // batch),
                       "accuracy": accuracy(model, x, y)}
    batch_gd, sgd, mini, adam = (runs[v[0]] for v in variants)
    shown = bool(batch_gd["loss"][-1] > mini["loss"][-1] and
                 sgd["seconds"][-1] > mini["seconds"][-1])
    text = [f"The same network (one tanh layer of 16) and data ({n} samples), {n_epochs} "
            f"epochs, SGD learning rate 0.05 (Adam 0.01). One epoch is {batch_gd['steps']} "
            f"step(s) for batch gradient descent, {sgd['steps']} for stochastic, "
            f"{mini['steps']} for mini-batch.",
            *[f"{label}: loss {g(r['loss'][-1])} after {n_epochs} epochs in "
              f"{r['seconds'][-1]:.2f} s, accuracy {r['accuracy']:.2f}." for label, r in
              runs.items()],
            f"Per epoch, batch descent takes one careful step and learns slowest; stochastic "
            f"descent takes {sgd['steps']} noisy steps, the most progress per epoch but "
            f"{sgd['seconds'][-1] / max(mini['seconds'][-1], 1e-9):.0f}x the time of "
            f"mini-batches, whose matrix products use the hardware well. Adam adapts each "
            f"weight's step size and needs the least tuning."]
    if not shown:
        text.append("This run does not show the usual order (batch slowest per epoch, "
                    "stochastic slowest per second).")
    numbers = {f"{v[0].split(' (')[0]}": {"loss": runs[v[0]]["loss"][-1],
                                          "seconds": runs[v[0]]["seconds"][-1]}
               for v in variants}
    charts = [{"series": [{"label": k, "x": epochs(len(r["loss"])), "y": curve(r["loss"]),
                           "color": f"C{i}"} for i, (k, r) in enumerate(runs.items())],
               "title": "Loss against epochs", "xlabel": "epoch", "ylabel": "loss (log)",
               "logy": True, "integer_x": True},
              {"series": [{"label": k, "x": r["seconds"], "y": curve(r["loss"]),
                           "color": f"C{i}", "marker": True} for i, (k, r) in
                          enumerate(runs.items())],
               "title": "Loss against wall time", "xlabel": "seconds",
               "ylabel": "loss (log)", "logy": True}]
    return Outcome(text, numbers, shown, charts)


def learning_rate(small=False, seed=0) -> Outcome:
    from ..optimizers import schedules

    n_epochs = 5 if small else 25
    n = 256 if small else 512
    x, y = classification_data(seed, n=n, d=4)
    steps = -(-n // 32)
    variants = [("SGD lr 10 (too large)", lambda: optimizers.SGD(learning_rate=10.0)),
                ("SGD lr 1e-4 (too small)", lambda: optimizers.SGD(learning_rate=1e-4)),
                ("SGD lr 0.1", lambda: optimizers.SGD(learning_rate=0.1)),
                ("SGD lr 1 decaying x0.9 per epoch",
                 lambda: optimizers.SGD(learning_rate=schedules.ExponentialDecay(
                     1.0, decay_steps=steps, decay_rate=0.9))),
                ("Adam lr 0.01", lambda: optimizers.Adam(learning_rate=0.01))]
    runs = {}
    for label, make in variants:
        model = net("tanh", 2, 16, x.shape[1], seed=seed)
        model.compile(optimizer=make(), loss="binary_crossentropy")
        h, diverged = _quiet_fit(model, x, y, epochs=n_epochs, batch_size=32)
        loss = h.get("loss", [])
        runs[label] = {"loss": loss, "diverged": diverged, "accuracy": accuracy(model, x, y)}
    big, tiny, mid, decay, adam = (runs[v[0]] for v in variants)

    def ends(r):
        if not r["loss"]:
            return "diverged in the first epoch"
        return (f"{g(r['loss'][0])} -> {g(r['loss'][-1])}"
                + (f", then diverged: {r['diverged']}" if r["diverged"] else "")
                + f"; accuracy {r['accuracy']:.2f}")

    def rose(r):
        finite = [v for v in r["loss"] if np.isfinite(v)]
        return bool(r["diverged"]) or not finite or finite[-1] > finite[0] * 0.9 or \
            max(finite) > 2 * min(finite)

    crawls = bool(tiny["loss"] and tiny["loss"][0] - tiny["loss"][-1] <
                  0.2 * (mid["loss"][0] - mid["loss"][-1]))
    shown = bool(rose(big) and crawls and mid["loss"][-1] < tiny["loss"][-1])
    text = [f"Two tanh layers of 16, mini-batches of 32, {n_epochs} epochs; training loss from "
            f"the first epoch to the last:",
            *[f"{label}: {ends(r)}." for label, r in runs.items()],
            "Too large a step overshoots the minimum and the loss jumps around or blows up; too "
            "small a step makes the same progress per step but needs many more; a schedule "
            "starts large and shrinks the step; Adam scales each weight's step by its own "
            "gradient history."]
    if not shown:
        text.append("This run does not show all three regimes (diverging, crawling, learning).")
    numbers = {label: (r["loss"][-1] if r["loss"] else float("nan")) for label, r in
               runs.items()}
    charts = [{"series": [{"label": k, "x": epochs(len(r["loss"])), "y": curve(r["loss"]),
                           "color": f"C{i}"} for i, (k, r) in enumerate(runs.items())],
               "title": "Training loss for each learning rate", "xlabel": "epoch",
               "ylabel": "loss (log)", "logy": True, "integer_x": True}]
    return Outcome(text, numbers, shown, charts)
