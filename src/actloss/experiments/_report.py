"""The figures of a comparison (SVG files in OUT/) and ``report.html``: one self-contained page
that opens with "What this shows" in words, then the ranked table, then the figures inline.

The figures are SVG text drawn by :func:`actloss.plots.line_chart` (NumPy only): a few
milliseconds each, where the matplotlib PNGs they replace took 3.1 s of a 5.8 s one-cell
``actloss compare``. No script, nothing fetched: the page works offline and on a phone (viewport
meta, the table scrolls sideways, the figures shrink to the screen).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np

from ._findings import Labels, findings
from ._grid import can_die, group_key
from ._results import table_rows

MAX_PANELS = 12   # learning-curve panels: the best configurations; the rest are in the table

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; padding: 0 1em; max-width: 1200px;
       color: #222; line-height: 1.45; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 14px; white-space: nowrap; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #f3f3f3; } tbody tr:first-child td { font-weight: 600; }
.figs { display: flex; flex-wrap: wrap; gap: 8px; }
.figs svg { max-width: 100%; height: auto; border: 1px solid #eee; }
#what { background: #f6f9ff; border-left: 4px solid #4a78c2; padding: 0.4em 1em; }
.failed { color: #a00; } code { background: #f6f6f6; padding: 1px 4px; word-break: break-all; }
"""


def ranking_rows(ranking) -> tuple[list[str], list[list[str]]]:
    """The ranked table's header and rows, with the spread (``± s``) only where at least two
    seeds finished: one seed has no spread to show, and ``± 0.000`` would claim one."""
    header, rows = table_rows(ranking)
    out = []
    for entry, row in zip(ranking, rows):
        if entry["ok"] < 2:
            row = [re.sub(r" ± \S+$", "", cell) for cell in row]
        out.append(row)
    return header, out


def _groups(cells_results):
    groups: dict[tuple, list] = {}
    for cell, result in cells_results:
        if result["status"] == "ok":
            groups.setdefault(group_key(cell), []).append((cell, result))
    return groups


def _stack(curves):
    """Curves (lists, None for NaN) of possibly different lengths -> (n_curves, shortest)."""
    arrays = [np.asarray([np.nan if v is None else v for v in c], np.float64) for c in curves if c]
    if not arrays:
        return np.empty((0, 0))
    n = min(len(a) for a in arrays)
    return np.stack([a[:n] for a in arrays])


def _epochs(diags, n: int) -> np.ndarray:
    """The epochs (from 1) of the first ``n`` diagnosed points: a cell diagnoses some epochs,
    listed in its ``diagnostics["epochs"]`` (from 0); every epoch where that list is absent."""
    listed = next((d["epochs"] for d in diags if len(d.get("epochs") or []) >= n), None)
    return np.asarray(listed[:n]) + 1 if listed is not None else np.arange(1, n + 1)


def _mean_band(curves):
    """Mean over seeds, and (min, max) over seeds when there are several; NaN where none."""
    stack = _stack(curves)
    if not stack.size:
        return np.array([]), None
    finite = np.isfinite(stack)
    count = finite.sum(axis=0)
    total = np.where(finite, stack, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.full(stack.shape[1], np.nan), where=count > 0)
    if stack.shape[0] < 2:
        return mean, None
    lo = np.where(count > 0, np.min(np.where(finite, stack, np.inf), axis=0), np.nan)
    hi = np.where(count > 0, np.max(np.where(finite, stack, -np.inf), axis=0), np.nan)
    return mean, (lo, hi)


def _activation_chart(cells_results) -> str:
    from .. import activations as A
    from ..plots import line_chart, split_jumps

    x = np.linspace(-5, 5, 401)
    series = []
    for i, name in enumerate(dict.fromkeys(c["activation"] for c, _ in cells_results)):
        act = A.get(name)
        if not act.elementwise:
            continue
        series.append({"label": name, "color": f"C{i}", **dict(zip("xy", split_jumps(x, act(x))))})
        series.append({"label": f"{name}'", "color": f"C{i}", "dashed": True,
                       **dict(zip("xy", split_jumps(x, act.grad(x))))})
    return line_chart(series, title="Activations (solid) and derivatives (dashed)",
                      xlabel="x", ylabel="f(x), f'(x)", hline=0.0)


def _curve_charts(groups, order, metric: str, label) -> dict[str, list[str]]:
    from ..plots import line_chart

    charts = {"metric": [], "loss": []}
    for key in order[:MAX_PANELS]:
        curves = [r["curves"] for _, r in groups[key]]
        for what, names, ylabel in (("metric", ("metric", "val_metric"), metric),
                                    ("loss", ("loss", "val_loss"), "loss (log scale)")):
            series = []
            for name, dashed in zip(names, (False, True)):
                mean, band = _mean_band([c.get(name) or [] for c in curves])
                series.append({"label": "validation" if dashed else "train", "dashed": dashed,
                               "color": "C1" if dashed else "C0",
                               "x": np.arange(1, len(mean) + 1), "y": mean, "band": band})
            charts[what].append(line_chart(series, title=label(key), xlabel="epoch",
                                           ylabel=ylabel, logy=what == "loss", width=340,
                                           height=240, integer_x=True))
    return charts


def _gradient_charts(groups, order, label) -> list[str]:
    from ..plots import line_chart

    per_layer, ratio = [], []
    for i, key in enumerate(order):
        diags = [r["diagnostics"] for _, r in groups[key] if r.get("diagnostics")]
        last, _ = _mean_band([d["grad_norm_per_layer"][-1] for d in diags
                              if d.get("grad_norm_per_layer")])
        per_layer.append({"label": label(key), "color": f"C{i}", "marker": True,
                          "x": np.arange(1, len(last) + 1), "y": last})
        mean, _ = _mean_band([d.get("grad_ratio") or [] for d in diags])
        ratio.append({"label": label(key), "color": f"C{i}", "x": _epochs(diags, len(mean)),
                      "y": mean})
    return [line_chart(per_layer, title="Gradient per layer after training (mean over seeds)",
                       xlabel="layer (1 = first)", ylabel="RMS weight gradient (log)",
                       logy=True, integer_x=True),
            line_chart(ratio, title="First / last layer gradient ratio over training",
                       xlabel="epoch", ylabel="ratio (log; far below 1: vanishing)",
                       logy=True, integer_x=True, hline=1.0)]


def _dead_chart(groups, order, label) -> tuple[str, str]:
    """(chart or "", sentence): only activations whose units can die; a sentence instead of a
    chart of flat zeros."""
    from ..plots import line_chart

    keys = [k for k in order if can_die(k[0])]
    if not keys:
        return "", ("No dead-unit plot: none of these activations has units that can die "
                    "(their derivative is never exactly 0 on a half-line).")
    series = []
    for i, key in enumerate(keys):
        diags = [r["diagnostics"] for _, r in groups[key] if r.get("diagnostics")]
        mean, band = _mean_band([d.get("dead_fraction") or [] for d in diags])
        series.append({"label": label(key), "color": f"C{order.index(key)}",
                       "x": _epochs(diags, len(mean)), "y": mean, "band": band})
    if all(not np.any(np.nan_to_num(s["y"]) > 0) for s in series):
        names = ", ".join(sorted({k[0] for k in keys}))
        return "", (f"No dead units: every {names} unit stayed active on some training sample "
                    "throughout training.")
    return (line_chart(series, title="Dead units over training (mean over seeds)",
                       xlabel="epoch", ylabel="fraction of units dead", ylim=(-0.02, 1.02),
                       integer_x=True), "")


def figures(out: Path, cells_results, ranking) -> dict[str, list[str] | str]:
    """The comparison's figures as SVG text, each also written to ``out/<name>.svg``.

    Returns ``{section title: [svg, ...] or a sentence}``.
    """
    groups = _groups(cells_results)
    order = [(e["activation"], e["loss"], e["optimizer"], e["learning_rate"]) for e in ranking]
    order = [k for k in order if k in groups]
    metric = next((e["metric"] for e in ranking if e.get("metric")), "metric")
    label = Labels(ranking)
    sections: dict[str, list[str] | str] = {
        "Activations used and their derivatives": [_activation_chart(cells_results)]}
    if order:
        more = f" (the best {MAX_PANELS} of {len(order)})" if len(order) > MAX_PANELS else ""
        curves = _curve_charts(groups, order, metric, label)
        sections[f"Learning curves: {metric}{more}"] = curves["metric"]
        sections[f"Learning curves: loss{more}"] = curves["loss"]
        sections["Gradient flow"] = _gradient_charts(groups, order, label)
        chart, sentence = _dead_chart(groups, order, label)
        sections["Dead units"] = [chart] if chart else sentence
    for title, charts in sections.items():
        if isinstance(charts, list):
            slug = re.sub(r"[^a-z0-9]+", "_", title.lower().split(" (")[0]).strip("_")
            (out / f"{slug}.svg").write_text(charts[0] if len(charts) == 1 else _stack_svg(charts),
                                             encoding="utf-8")
    return sections


def _stack_svg(charts: list[str]) -> str:
    """Several SVG charts in one file: a grid of nested <svg> elements, 3 per row."""
    sizes = [tuple(map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', c).groups()))
             for c in charts]
    w, h = max(s[0] for s in sizes), max(s[1] for s in sizes)
    cols = min(3, len(charts))
    rows = -(-len(charts) // cols)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * cols:g}" '
             f'height="{h * rows:g}" viewBox="0 0 {w * cols:g} {h * rows:g}">']
    for i, chart in enumerate(charts):
        x, y = (i % cols) * w, (i // cols) * h
        parts.append(chart.replace("<svg ", f'<svg x="{x:g}" y="{y:g}" ', 1))
    parts.append("</svg>")
    return "\n".join(parts)


def write_report(out: Path, ds, cells_results, ranking, images: dict, command: str = "",
                 title: str = "") -> Path:
    """``out/report.html``: What this shows, the ranked table, the figures, the failed cells.

    ``title``: the command that made it, ``"actloss train"`` or ``"actloss compare"`` (default:
    the first two words of ``command``, else ``"actloss compare"``).
    """
    title = title or (" ".join(command.split()[:2]) if command.startswith("actloss ") else
                      "actloss compare")
    header, rows = ranking_rows(ranking)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                     for r in rows)
    label = Labels(ranking)
    failed = [(c, r) for c, r in cells_results if r["status"] != "ok"]
    failed_html = ""
    if failed:
        items = "\n".join(f"<li>{html.escape(label(group_key(c)))}, seed {c['seed']}: "
                          f"<code>{html.escape(str(r['error']))}</code></li>" for c, r in failed)
        failed_html = f'<h2 class="failed">Failed cells ({len(failed)})</h2>\n<ul>{items}</ul>'
    cmd = ""
    if command:
        said = "Command" if command.startswith(title) else "The same run as a command"
        cmd = f"<p>{said}: <code>{html.escape(command)}</code></p>"
    what = "\n".join(f"<li>{html.escape(s)}</li>" for s in findings(ranking, cells_results))
    figs = []
    for name, charts in images.items():
        inner = (f'<div class="figs">{"".join(charts)}</div>' if isinstance(charts, list)
                 else f"<p>{html.escape(charts)}</p>")
        figs.append(f"<h2>{html.escape(name)}</h2>\n{inner}")
    seeds = max((e["seeds"] for e in ranking), default=1)
    spread = (" (± sample standard deviation over seeds)" if seeds > 1 else
              " (one seed: no spread to show)")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}: {html.escape(ds.name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}: {html.escape(ds.name)}</h1>
<p>{html.escape(ds.describe())}. {len(cells_results)} cells.</p>
{cmd}
<section id="what"><h2>What this shows</h2>
<p>{html.escape(label.common)}</p>
<ul>
{what}
</ul></section>
<h2>Ranking</h2>
<p>By mean validation metric over seeds{spread}. "dead": fraction of units inactive on every
training sample at the end; "grad 1st/last": RMS weight gradient of the first layer over the
last's (far below 1: vanishing gradient).</p>
<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></div>
{failed_html}
{"".join(figs)}
</body></html>
"""
    path = out / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
