""""What this shows": the findings of a comparison, in words, from its numbers.

Each finding is one sentence (plain text; the report escapes it). They say which configuration
is best and whether that is distinguishable from the next ones, where validation and test orders
disagree, and where gradients vanish or explode and units die, naming the configurations.

Distinguishable means both: the 95% intervals of the two means (t distribution over the seeds)
do not overlap, and a paired comparison over the seeds both ran (the mean difference's 95%
interval) excludes 0. Otherwise it is a tie. One seed cannot separate anything, and says so.
"""

from __future__ import annotations

import math

import numpy as np

from ._grid import can_die, group_key

# two-sided 95% quantiles of Student's t, df = 1..30 (scipy.stats would cost 2 s of import)
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)

VANISHING = 0.1    # first/last gradient ratio below this: the first layer learns far slower
EXPLODING = 10.0


def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom.

    >>> t95(2), t95(1000)
    (4.303, 1.96)
    """
    return _T95[df - 1] if 1 <= df <= len(_T95) else 1.96


class Labels:
    """Names for the configurations of one comparison: only the parts that vary (``relu``
    rather than ``relu / categorical_crossentropy / adam 0.001`` when only the activation
    varies); :attr:`common` says the rest once.

    >>> r = [{"activation": a, "loss": "mse", "label": "mse", "optimizer": "adam",
    ...       "learning_rate": 0.001} for a in ("relu", "tanh")]
    >>> labels = Labels(r)
    >>> labels(r[1]), labels.common
    ('tanh', 'All configurations: loss mse, optimizer adam, learning rate 0.001.')
    """

    _PARTS = ("activation", "loss", "optimizer", "learning rate")

    def __init__(self, ranking):
        self._loss = {e["loss"]: e.get("label") or e["loss"] for e in ranking}
        keys = [_key(e) for e in ranking]
        self.varies = [len({k[i] for k in keys}) > 1 for i in range(4)]
        if not any(self.varies):
            self.varies[0] = True
        fixed = [f"{name} {self._text(keys[0], i)}" for i, name in enumerate(self._PARTS)
                 if keys and not self.varies[i]]
        self.common = f"All configurations: {', '.join(fixed)}." if fixed else ""

    def _text(self, key, i):
        if i == 1:
            return self._loss.get(key[1], key[1])
        return f"{key[3]:g}" if i == 3 else str(key[i])

    def __call__(self, entry_or_key) -> str:
        key = _key(entry_or_key) if isinstance(entry_or_key, dict) else tuple(entry_or_key)
        parts = [self._text(key, i) for i in range(4) if self.varies[i]]
        if self.varies[2] and self.varies[3]:  # "adam 0.001" reads better than "adam / 0.001"
            parts[-2:] = [" ".join(parts[-2:])]
        return " / ".join(parts)


def _key(entry) -> tuple:
    return (entry["activation"], entry["loss"], entry["optimizer"], entry["learning_rate"])


def per_seed(cells_results, name: str) -> dict:
    """``{configuration key: {seed: value}}`` of one result field, finished cells only."""
    out: dict = {}
    for cell, result in cells_results:
        value = result.get(name)
        if result["status"] == "ok" and value is not None and math.isfinite(value):
            out.setdefault(group_key(cell), {})[cell["seed"]] = float(value)
    return out


def interval(values) -> tuple[float, float] | None:
    """The 95% interval of the mean of ``values``; None for fewer than 2."""
    v = np.asarray(list(values), np.float64)
    if v.size < 2:
        return None
    half = t95(v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return float(v.mean()) - half, float(v.mean()) + half


def separated(a: dict, b: dict) -> tuple[bool | None, str]:
    """Is configuration ``a`` (per-seed values) better than ``b`` beyond the spread over seeds?

    Returns ``(verdict, reason)``: ``None`` when there are too few seeds to tell.

    >>> separated({0: 0.90, 1: 0.91, 2: 0.92}, {0: 0.80, 1: 0.81, 2: 0.80})[0]
    True
    >>> separated({0: 0.956, 1: 0.950, 2: 0.962}, {0: 0.955, 1: 0.957, 2: 0.953})[0]
    False
    """
    ia, ib = interval(a.values()), interval(b.values())
    common = sorted(set(a) & set(b))
    if ia is None or ib is None:
        return None, "one seed cannot tell a difference from noise"
    overlap = ia[0] <= ib[1] and ib[0] <= ia[1]
    paired = None
    if len(common) >= 2:
        d = np.asarray([a[s] - b[s] for s in common])
        sd = float(d.std(ddof=1))
        half = t95(len(d) - 1) * sd / math.sqrt(len(d))
        paired = float(d.mean()) - half > 0 if sd > 0 else float(d.mean()) > 0
        if overlap or not paired:
            why = "their 95% intervals over seeds overlap" if overlap else \
                f"the paired difference over {len(d)} seeds, {d.mean():+.3f} ± {half:.3f}, " \
                "includes 0"
            return False, why
        return True, f"paired difference over {len(d)} seeds {d.mean():+.3f} ± {half:.3f}"
    if overlap:
        return False, "their 95% intervals over seeds overlap"
    return True, "their 95% intervals over seeds do not overlap"


def _fmt(v) -> str:
    return f"{v:.3f}"


def _best_sentences(ranking, cells_results, metric: str, label) -> list[str]:
    ranked = [e for e in ranking if e["val_metric"] is not None]
    if not ranked:
        return ["Every configuration failed: nothing to rank (see the failed cells below)."]
    vals = per_seed(cells_results, "val_metric")
    best = ranked[0]
    seeds = best["ok"]
    spread = f" ± {best['val_metric_std']:.3f} over {seeds} seeds" if seeds > 1 else \
        " (one seed)"
    if len(ranked) == 1:
        return [f"Validation {metric}: {_fmt(best['val_metric'])}{spread}, test "
                f"{_fmt(best['test_metric']) if best['test_metric'] is not None else '-'}."]
    out = [f"Best by validation {metric}: {label(best)}, {_fmt(best['val_metric'])}{spread}."]
    ties, beaten = [], None
    for other in ranked[1:]:
        verdict, why = separated(vals.get(_key(best), {}), vals.get(_key(other), {}))
        if verdict is None:
            out.append(f"With one seed per configuration the ranking cannot tell a real "
                       f"difference from noise (next: {label(other)}, "
                       f"{_fmt(other['val_metric'])}); run with --seeds 3 or more.")
            return out
        if verdict:
            beaten = (other, why)
            break
        ties.append((other, why))
    if ties:
        names = ", ".join(f"{label(o)} ({_fmt(o['val_metric'])})" for o, _ in ties)
        out.append(f"Tie: the best is not distinguishable from {names}: {ties[0][1]}.")
    if beaten:
        other, why = beaten
        out.append(f"It is better than {label(other)} ({_fmt(other['val_metric'])}) and the "
                   f"rest: {why}.")
    elif ties and len(ties) == len(ranked) - 1:
        out.append("No configuration is distinguishable from the best on these seeds.")
    return out


def _order_sentence(ranking, metric: str, label) -> list[str]:
    both = [e for e in ranking if e["val_metric"] is not None and e["test_metric"] is not None]
    if len(both) < 2:
        return []
    by_test = sorted(both, key=lambda e: -e["test_metric"])
    if [_key(e) for e in by_test] == [_key(e) for e in both]:
        return [f"Validation and test {metric} put the configurations in the same order."]
    first = by_test[0]
    gap = by_test[0]["test_metric"] - by_test[1]["test_metric"]
    return [f"Validation and test orders disagree: by test {metric} the order is "
            + ", ".join(f"{label(e)} ({_fmt(e['test_metric'])})" for e in by_test[:4])
            + (" ..." if len(by_test) > 4 else "")
            + f". Differences this small (the test leader {label(first)} is ahead by "
              f"{gap:.3f}) are within what another split or seed would change; the test set "
              "is for the final check, not for choosing."]


def _gradient_sentences(ranking, label) -> list[str]:
    with_ratio = [e for e in ranking if e["grad_ratio"] is not None]
    if not with_ratio:
        return []
    small = [e for e in with_ratio if e["grad_ratio"] < VANISHING]
    large = [e for e in with_ratio if e["grad_ratio"] > EXPLODING]
    out = []
    if small:
        out.append("Vanishing gradients: the first layer's gradient is only "
                   + ", ".join(f"{e['grad_ratio']:.2g} of the last layer's in {label(e)}"
                               for e in small)
                   + " (far below 1): the first layers learn much slower than the last.")
    if large:
        out.append("Exploding gradients: the first layer's gradient is "
                   + ", ".join(f"{e['grad_ratio']:.3g} times the last layer's in {label(e)}"
                               for e in large) + ".")
    if not small and not large:
        lo = min(with_ratio, key=lambda e: e["grad_ratio"])
        hi = max(with_ratio, key=lambda e: e["grad_ratio"])
        if lo is hi:
            out.append(f"No vanishing or exploding gradients: the first layer's gradient is "
                       f"{lo['grad_ratio']:.2g} of the last layer's after training (below "
                       f"{VANISHING:g} would be vanishing, above {EXPLODING:g} exploding).")
        else:
            out.append(f"No vanishing or exploding gradients (a first/last layer gradient "
                       f"ratio below {VANISHING:g} or above {EXPLODING:g}): after training it "
                       f"is between {lo['grad_ratio']:.2g} in {label(lo)}, where the gradient "
                       f"shrinks most on its way down, and {hi['grad_ratio']:.2g} in "
                       f"{label(hi)}.")
    return out


def _dead_sentences(ranking, label) -> list[str]:
    dying = [e for e in ranking if can_die(e["activation"]) and e["dead_fraction"] is not None]
    if not dying:
        return []
    dead = [e for e in dying if e["dead_fraction"] > 0]
    if not dead:
        return ["No dead units: every unit of " + ", ".join(sorted({e["activation"] for e in
                                                                      dying}))
                + " is active on some training sample at the end."]
    return ["Dead units (never active on the training sample, so they no longer learn): "
            + ", ".join(f"{e['dead_fraction']:.1%} in {label(e)}" for e in dead) + "."]


def findings(ranking, cells_results) -> list[str]:
    """The sentences of "What this shows" (see the module docstring); configurations are named
    by what varies between them (:class:`Labels`)."""
    metric = next((e["metric"] for e in ranking if e.get("metric")), "metric")
    label = Labels(ranking)
    out = _best_sentences(ranking, cells_results, metric, label)
    out += _order_sentence(ranking, metric, label)
    out += _gradient_sentences(ranking, label)
    out += _dead_sentences(ranking, label)
    failed = sum(1 for _, r in cells_results if r["status"] != "ok")
    if failed:
        out.append(f"{failed} of {len(cells_results)} cells failed (listed below the table).")
    return out
