"""Lessons on losses: outliers and robust losses, Smooth L1 vs the tutorials' formula, and the
numerically stable softmax / sigmoid / cross-entropy against the naive formulas."""

from __future__ import annotations

import numpy as np

from .. import activations as A, losses as L
from ._base import Outcome
from ._common import g


def outliers(small=False, seed=0) -> Outcome:
    from .. import optimizers
    from ..layers import Dense
    from ..models import Sequential
    from ..utils import set_random_seed

    rng = np.random.default_rng(seed)
    n, n_epochs = (100, 150) if small else (200, 400)
    x = rng.uniform(-2, 2, (n, 1))
    y = 2 * x[:, 0] + 1 + rng.normal(0, 0.2, n)
    bad = rng.choice(n, n // 10, replace=False)
    y_obs = y.copy()
    y_obs[bad] += 15.0  # 10% of the targets are far off, all on one side
    clean = np.setdiff1d(np.arange(n), bad)
    grid = np.linspace(-2, 2, 41)
    fits = {}
    for name in ("mse", "mae", "huber", "smooth_l1"):
        set_random_seed(seed)
        model = Sequential([Dense(1, input_shape=(1,))])
        model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss=name)
        model.fit(x, y_obs, epochs=n_epochs, batch_size=n, verbose=0, shuffle=False)
        kernel, bias = model.layers[0].get_weights()
        pred = model.predict(x, verbose=0)[:, 0]
        fits[name] = {"slope": float(kernel.ravel()[0]), "intercept": float(bias.ravel()[0]),
                      "clean_rmse": float(np.sqrt(np.mean((pred[clean] - y[clean]) ** 2))),
                      "line": model.predict(grid[:, None], verbose=0)[:, 0]}
    robust = min(fits[k]["clean_rmse"] for k in ("mae", "huber", "smooth_l1"))
    shown = bool(fits["mse"]["clean_rmse"] > 2 * robust)
    text = [f"{n} points on the line y = 2x + 1 (noise 0.2), {len(bad)} of them ({len(bad) / n:.0%})"
            f" moved up by 15. A straight line (Dense(1)) fitted with each loss, Adam, "
            f"{n_epochs} full-batch steps:",
            *[f"{k}: y = {v['slope']:.2f}x + {v['intercept']:.2f}, error on the clean points "
              f"(RMS) {v['clean_rmse']:.2f}" for k, v in fits.items()],
            f"MSE's gradient grows with the residual (2e: 30 for an outlier 15 off) while "
            f"MAE's stays at 1, so a tenth of the points drag the MSE line up: its intercept "
            f"moved by {fits['mse']['intercept'] - 1:.2f}, close to the outliers' mean shift "
            f"15 x {len(bad) / n:.0%} = {15 * len(bad) / n:.2f}. Huber and Smooth L1 are "
            f"quadratic only for |e| < 1 and linear beyond, so an outlier's pull is bounded."]
    if not shown:
        text.append("This run does not show MSE doing clearly worse on the clean points.")
    numbers = {f"{k}_{q}": v[q] for k, v in fits.items() for q in ("slope", "intercept",
                                                                   "clean_rmse")}
    series = [{"label": "data", "x": x[:, 0], "y": y_obs, "points": True, "color": "#888"}]
    series += [{"label": k, "x": grid, "y": v["line"], "color": f"C{i}"}
               for i, (k, v) in enumerate(fits.items())]
    charts = [{"series": series, "title": "Fitted lines (10% outliers at +15)", "xlabel": "x",
               "ylabel": "y"}]
    return Outcome(text, numbers, shown, charts)


def smooth_l1(small=False, seed=0) -> Outcome:
    e = np.linspace(-3, 3, 121 if small else 601)
    tutorial = np.maximum(0.5 * e ** 2, np.abs(e) - 0.5)
    half_mse = 0.5 * e ** 2
    t, p = np.zeros((e.size, 1)), e[:, None]
    sl1 = L.get("smooth_l1", beta=1.0).per_sample(t, p)
    hub1 = L.get("huber", delta=1.0).per_sample(t, p)
    sl1_2 = L.get("smooth_l1", beta=2.0).per_sample(t, p)
    hub2 = L.get("huber", delta=2.0).per_sample(t, p)
    gap = float(np.max(np.abs(tutorial - half_mse)))
    d_sl1_hub = float(np.max(np.abs(sl1 - hub1)))
    d_scaled = float(np.max(np.abs(hub2 - 2.0 * sl1_2)))
    d_real = float(np.max(np.abs(tutorial - sl1)))
    shown = bool(gap == 0 and d_sl1_hub < 1e-12 and d_scaled < 1e-12 and d_real > 0.5)
    text = [f"The tutorials' np.maximum(0.5*e**2, abs(e) - 0.5) differs from half the squared "
            f"error 0.5*e**2 by at most {g(gap)} over e in [-3, 3]: it IS half-MSE, because "
            f"0.5e² - (|e| - 0.5) = 0.5(|e| - 1)² >= 0, so the maximum always picks 0.5e².",
            f"The real Smooth L1 (PyTorch, beta = 1) is the minimum: 0.5e² for |e| < 1 and "
            f"|e| - 0.5 beyond; it differs from the tutorials' formula by up to {g(d_real)} "
            f"at |e| = 3.",
            f"Huber with delta = 1 equals Smooth L1 with beta = 1 (largest difference "
            f"{g(d_sl1_hub)}); in general huber(delta) = delta * smooth_l1(beta=delta) "
            f"(largest difference at delta = 2: {g(d_scaled)}). So Smooth L1's linear part has "
            f"slope 1 and Huber's slope delta."]
    numbers = {"tutorial_vs_half_mse": gap, "tutorial_vs_smooth_l1": d_real,
               "smooth_l1_vs_huber": d_sl1_hub, "huber2_vs_2_smooth_l1_2": d_scaled}
    charts = [{"series": [{"label": "tutorial max(...) = 0.5 e²", "x": e, "y": tutorial},
                          {"label": "smooth_l1 (beta 1) = huber (delta 1)", "x": e, "y": sl1},
                          {"label": "huber (delta 2)", "x": e, "y": hub2, "dashed": True},
                          {"label": "mae", "x": e, "y": np.abs(e), "dashed": True}],
               "title": "Smooth L1, Huber and the tutorials' formula", "xlabel": "error e",
               "ylabel": "loss", "ylim": (0, 4.6)}]
    return Outcome(text, numbers, shown, charts)


def _naive_counting(fn, *args):
    """Run a naive NumPy formula, counting the floating-point problems it meets."""
    problems = []

    def note(kind, flag):
        problems.append(kind)

    with np.errstate(all="call"):
        old = np.seterrcall(note)
        try:
            value = fn(*args)
        finally:
            np.seterrcall(old)
    return value, sorted(set(problems))


def stable_softmax(small=False, seed=0) -> Outcome:
    logits = np.array([[1000.0, 0.0, -1000.0]])
    naive_softmax, p1 = _naive_counting(lambda z: np.exp(z) / np.exp(z).sum(axis=-1,
                                                                          keepdims=True), logits)
    stable = A.softmax(logits)
    z = np.array([-1000.0, 1000.0])
    naive_sigmoid, p2 = _naive_counting(lambda v: 1 / (1 + np.exp(-v)), z)
    y1 = np.ones((1, 1))
    naive_bce, p3 = _naive_counting(
        lambda v: -np.log(1 / (1 + np.exp(-v))), np.array([-1000.0]))
    stable_bce = L.binary_crossentropy(y1, np.array([[-1000.0]]), from_logits=True)
    onehot = np.array([[0.0, 0.0, 1.0]])
    naive_ce, p4 = _naive_counting(
        lambda v: -np.sum(onehot * np.log(np.exp(v) / np.exp(v).sum())), logits)
    stable_ce = L.categorical_crossentropy(onehot, logits, from_logits=True)
    shown = bool(not np.all(np.isfinite(naive_softmax)) and np.all(np.isfinite(stable))
                 and not np.isfinite(naive_bce[0]) and np.isfinite(stable_bce)
                 and not np.isfinite(naive_ce) and np.isfinite(stable_ce))

    def arr(a):
        return "[" + ", ".join(g(float(v)) if np.isfinite(v) else str(float(v))
                               for v in np.ravel(a)) + "]"

    text = [f"Logits [1000, 0, -1000]. The naive softmax exp(z) / sum(exp(z)) gives "
            f"{arr(naive_softmax)} (NumPy flagged: {', '.join(p1) or 'nothing'}): exp(1000) "
            f"overflows to inf and inf / inf is NaN. The stable one subtracts max(z) first, "
            f"which changes nothing mathematically: actloss gives {arr(stable)}.",
            f"The naive sigmoid 1 / (1 + exp(-z)) at z = -1000, 1000 gives {arr(naive_sigmoid)}"
            f" (flagged: {', '.join(p2) or 'nothing'}): the value is right but exp overflowed "
            f"on the way.",
            f"Binary cross-entropy of the true class at logit -1000: the naive "
            f"-log(sigmoid(z)) gives {float(naive_bce[0])} (flagged: "
            f"{', '.join(p3) or 'nothing'}), because sigmoid(-1000) rounds to 0; the exact "
            f"value is log(1 + e^1000) = 1000, and binary_crossentropy(from_logits=True) "
            f"gives {g(float(stable_bce))} (it uses log-sigmoid, never forming the "
            f"probability).",
            f"Categorical cross-entropy with the true class at logit -1000: naive "
            f"{float(naive_ce)} (flagged: {', '.join(p4) or 'nothing'}); stable "
            f"log-softmax {g(float(stable_ce))} (the exact value is 2000, the gap to the largest logit)."]
    zs = np.linspace(-800, 800, 161 if small else 801)
    with np.errstate(all="ignore"):
        naive_curve = -np.log(1 / (1 + np.exp(-zs)))
    stable_curve = L.binary_crossentropy.per_sample(np.ones((zs.size, 1)), zs[:, None],
                                                    from_logits=True)
    naive_curve[~np.isfinite(naive_curve)] = np.nan
    numbers = {"naive_softmax_finite": bool(np.all(np.isfinite(naive_softmax))),
               "stable_softmax": stable.ravel().tolist(), "naive_bce": float(naive_bce[0]),
               "stable_bce": float(stable_bce), "naive_ce": float(naive_ce),
               "stable_ce": float(stable_ce),
               "naive_bce_finite_from": float(zs[np.isfinite(naive_curve)][0])}
    text.append(f"Over logits from -800 to 800 the naive binary cross-entropy is finite only "
                f"from z = {numbers['naive_bce_finite_from']:g} on; the stable one everywhere.")
    charts = [{"series": [{"label": "stable (from logits)", "x": zs, "y": stable_curve},
                          {"label": "naive -log(sigmoid(z))", "x": zs, "y": naive_curve,
                           "dashed": True}],
               "title": "Binary cross-entropy of the true class", "xlabel": "logit z",
               "ylabel": "loss (gaps: inf)"}]
    return Outcome(text, numbers, shown, charts)
