"""The figures of a comparison (PNG files in OUT/) and ``report.html``: one self-contained page,
its images embedded as base64 ``data:`` URIs, no script, no external resource."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np

from ._grid import group_key
from ._results import table_rows

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1200px;
       color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #f3f3f3; } tr:first-child td { font-weight: 600; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.failed { color: #a00; } code { background: #f6f6f6; padding: 1px 4px; }
"""


def _label(key) -> str:
    act, loss, opt, lr = key
    return f"{act} / {loss} / {opt} {lr:g}"


def _groups(cells_results):
    groups: dict[tuple, list] = {}
    for cell, result in cells_results:
        if result["status"] == "ok":
            groups.setdefault(group_key(cell), []).append((cell, result))
    return groups


def _mean_curve(curves):
    curves = [np.asarray([np.nan if v is None else v for v in c], np.float64)
              for c in curves if c]
    if not curves:
        return np.array([])
    n = min(len(c) for c in curves)
    if not n:
        return np.array([])
    stack = np.stack([c[:n] for c in curves])
    count = np.sum(np.isfinite(stack), axis=0)
    total = np.sum(np.where(np.isfinite(stack), stack, 0.0), axis=0)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def figures(out: Path, cells_results, ranking) -> dict[str, Path]:
    """Write the comparison's PNG figures into ``out``; return {title: path}."""
    from .. import plots

    groups = _groups(cells_results)
    order = [(e["activation"], e["loss"], e["optimizer"], e["learning_rate"]) for e in ranking]
    order = [k for k in order if k in groups]
    paths = {}
    acts = list(dict.fromkeys(c["activation"] for c, _ in cells_results))
    ax = plots.activations(acts, derivative=True)
    paths["Activations used and their derivatives"] = plots.save(ax, out / "activations.png")
    if not order:
        return paths
    ncols = min(4, len(order))
    nrows = math.ceil(len(order) / ncols)
    for what, keys, title in (("metric", ("metric", "val_metric"), "Learning curves: metric"),
                              ("loss", ("loss", "val_loss"), "Learning curves: loss")):
        fig, axes = plots.new_axes(nrows, ncols, size=(3.6, 2.7))
        axes = np.atleast_1d(axes).ravel()
        for ax, key in zip(axes, order):
            for i, (cell, result) in enumerate(groups[key]):
                curves = result["curves"]
                for name in keys:
                    values = np.asarray([np.nan if v is None else v for v in curves[name]], float)
                    ax.plot(np.arange(1, len(values) + 1), values, color=f"C{i}",
                            linestyle="--" if name.startswith("val") else "-", linewidth=1,
                            label=f"seed {cell['seed']} {'val' if name.startswith('val') else 'train'}")
            ax.set_title(_label(key), fontsize=9)
            plots.integer_ticks(ax)
            ax.set_xlabel("epoch", fontsize=8)
            if what == "loss":
                ax.set_yscale("log")
        for ax in axes[len(order):]:
            ax.set_axis_off()
        axes[0].legend(fontsize=6)
        fig.suptitle(f"{title} per configuration (train solid, validation dashed)")
        paths[title] = plots.save(fig, out / f"learning_curves_{what}.png")
    fig, (left, right) = plots.new_axes(1, 2, size=(5.5, 3.8))
    for i, key in enumerate(order):
        diags = [r["diagnostics"] for _, r in groups[key] if r.get("diagnostics")]
        last = _mean_curve([d["grad_norm_per_layer"][-1] for d in diags
                            if d["grad_norm_per_layer"]])
        left.plot(np.arange(1, len(last) + 1), last, marker="o", label=_label(key), color=f"C{i}")
        ratio = _mean_curve([d["grad_ratio"] for d in diags])
        right.plot(np.arange(1, len(ratio) + 1), ratio, label=_label(key), color=f"C{i}")
    left.set(yscale="log", xlabel="layer (1 = first)", ylabel="RMS weight gradient",
             title="Gradient flow after training (mean over seeds)")
    right.set(yscale="log", xlabel="epoch", ylabel="first / last layer",
              title="First/last layer gradient ratio over training")
    left.legend(fontsize=6)
    plots.integer_ticks(left)
    plots.integer_ticks(right)
    paths["Gradient flow"] = plots.save(fig, out / "gradient_flow.png")
    _, ax = plots.new_axes(size=(7, 3.8))
    for i, key in enumerate(order):
        dead = _mean_curve([r["diagnostics"]["dead_fraction"] for _, r in groups[key]
                            if r.get("diagnostics")])
        if dead.size and np.any(np.isfinite(dead)):
            ax.plot(np.arange(1, len(dead) + 1), dead, label=_label(key), color=f"C{i}")
    ax.set(ylim=(-0.02, 1.02), xlabel="epoch", ylabel="fraction of ReLU-family units dead",
           title="Dead units over training (mean over seeds)")
    if ax.get_lines():
        ax.legend(fontsize=6)
    plots.integer_ticks(ax)
    paths["Dead units"] = plots.save(ax, out / "dead_units.png")
    return paths


def _img(path: Path, title: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<h2>{html.escape(title)}</h2>\n'
            f'<img alt="{html.escape(title)}" src="data:image/png;base64,{data}">')


def write_report(out: Path, ds, cells_results, ranking, images: dict, command: str = "") -> Path:
    """``out/report.html``: the ranked table, then every figure, then the failed cells."""
    header, rows = table_rows(ranking)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                     for r in rows)
    failed = [(c, r) for c, r in cells_results if r["status"] != "ok"]
    failed_html = ""
    if failed:
        items = "\n".join(f"<li>{html.escape(_label(group_key(c)))}, seed {c['seed']}: "
                          f"<code>{html.escape(str(r['error']))}</code></li>" for c, r in failed)
        failed_html = f'<h2 class="failed">Failed cells ({len(failed)})</h2>\n<ul>{items}</ul>'
    cmd = f"<p>Command: <code>{html.escape(command)}</code></p>" if command else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>actloss compare: {html.escape(ds.name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>actloss compare: {html.escape(ds.name)}</h1>
<p>{html.escape(ds.describe())}. {len(cells_results)} cells, ranked by mean validation metric
over seeds (± sample standard deviation). "dead": fraction of ReLU-family units inactive on every
training sample at the end; "grad 1st/last": RMS weight gradient of the first layer over the
last's (far below 1: vanishing gradient).</p>
{cmd}
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
{failed_html}
{"".join(_img(p, t) for t, p in images.items())}
</body></html>
"""
    path = out / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
