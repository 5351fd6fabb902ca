"""What a lesson is and how its outcome is shown: terminal text, an HTML page, a PNG figure.

A lesson is a function ``run(small=False, seed=0) -> Outcome``: it runs one small experiment
with the public API and writes its sentences from the numbers it measured, so the words can only
say what this run showed (and say so when it did not show the effect). ``small=True`` shrinks it
for the tests.
"""

from __future__ import annotations

import html
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import plots


@dataclass
class Lesson:
    """A registered lesson: its command-line name, a title, the claim, and the experiment."""

    name: str
    title: str
    claim: str
    run_fn: object

    def run(self, small: bool = False, seed: int = 0) -> "Outcome":
        start = time.perf_counter()
        outcome = self.run_fn(small=small, seed=seed)
        outcome.name, outcome.title, outcome.claim = self.name, self.title, self.claim
        outcome.numbers = {k: v.item() if hasattr(v, "item") else v  # NumPy scalars: plain
                           for k, v in outcome.numbers.items()}
        outcome.seconds = time.perf_counter() - start
        return outcome


@dataclass
class Outcome:
    """What one run of a lesson measured and says.

    ``text``: paragraphs written from ``numbers``; ``shown``: whether this run showed the
    claim (the text says which); ``charts``: keyword dicts for :func:`actloss.plots.line_chart`.
    """

    text: list
    numbers: dict
    shown: bool
    charts: list = field(default_factory=list)
    name: str = ""
    title: str = ""
    claim: str = ""
    seconds: float = 0.0

    def terminal(self, width: int = 80) -> str:
        """The lesson as wrapped terminal text."""
        lines = [f"{self.title}", "=" * min(width, len(self.title)), ""]
        lines += textwrap.wrap(f"Claim: {self.claim}", width) + [""]
        for paragraph in self.text:
            lines += textwrap.wrap(paragraph, width) + [""]
        verdict = "Shown in this run." if self.shown else \
            "NOT shown in this run (see above): the claim needs another setting or seed."
        lines += textwrap.wrap(verdict, width)
        return "\n".join(lines)

    def write(self, out) -> dict:
        """``out/NAME.html`` (text and SVG figures, self-contained) and, with matplotlib,
        ``out/NAME.png``. Returns ``{"html": path, "png": path or None, "note": str}``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        png, note = out / f"{self.name}.png", ""
        try:
            draw_png(self.charts, png)
        except ImportError as exc:
            png, note = None, f"No PNG figure: {exc}. The figures below are SVG."
        svgs = "".join(plots.line_chart(**chart) for chart in self.charts)
        paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in self.text)
        verdict = "Shown in this run." if self.shown else "Not shown in this run."
        page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actloss lesson: {html.escape(self.title)}</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 1.5em auto;
padding: 0 1em; line-height: 1.5; color: #222; }} .claim {{ font-style: italic; }}
.figs {{ display: flex; flex-wrap: wrap; gap: 8px; }} .figs svg {{ max-width: 100%;
height: auto; border: 1px solid #eee; }} .verdict {{ font-weight: 600; }}</style></head>
<body>
<h1>{html.escape(self.title)}</h1>
<p class="claim">Claim: {html.escape(self.claim)}</p>
<h2>What this run measured</h2>
{paras}<p class="verdict">{verdict}</p>
{f"<p>{html.escape(note)}</p>" if note else ""}
<div class="figs">{svgs}</div>
<p>Run again: <code>actloss lesson {html.escape(self.name)}</code> ({self.seconds:.1f} s this
time).</p>
</body></html>
"""
        page_path = out / f"{self.name}.html"
        page_path.write_text(page, encoding="utf-8")
        return {"html": page_path, "png": png, "note": note}


def draw_png(charts, path) -> Path:
    """The charts side by side in one matplotlib figure (the ``plot`` extra)."""
    import numpy as np

    fig, axes = plots.new_axes(1, len(charts), size=(4.6, 3.6))
    for ax, chart in zip(np.atleast_1d(axes), charts):
        for i, s in enumerate(chart["series"]):
            style = {"linestyle": "--" if s.get("dashed") else "-",
                     "color": plots.color(s.get("color"), i), "label": s.get("label", "")}
            if s.get("marker"):
                style["marker"] = "o"
                style["markersize"] = 3
            if s.get("points"):
                style.update(linestyle="none", marker="o", markersize=2.5)
            ax.plot(np.asarray(s["x"], float), np.asarray(s["y"], float), **style)
        if chart.get("logy"):
            ax.set_yscale("log")
        if chart.get("ylim") and not chart.get("logy"):
            ax.set_ylim(*chart["ylim"])
        ax.set_title(chart.get("title", ""), fontsize=9)
        ax.set_xlabel(chart.get("xlabel", ""))
        ax.set_ylabel(chart.get("ylabel", ""))
        ax.legend(fontsize=7)
    return plots.save(fig, path)
