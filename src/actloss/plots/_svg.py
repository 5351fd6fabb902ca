"""Line charts as inline SVG text, in NumPy and the standard library only (no matplotlib).

The report and the lessons draw their figures with this: an SVG string costs milliseconds where
a matplotlib PNG costs about half a second (``savefig`` was 2.2 s of a 5.8 s one-cell
``actloss compare``), needs no extra, stays sharp when zoomed on a phone, and is text inside the
page (no script, nothing fetched). Each chart has a title, axis labels and a legend.

A series is a dict: ``{"label", "x", "y"}`` and optionally ``"dashed": True``, ``"color"``
(``"C0"``... as in matplotlib, or any CSS colour), ``"marker": True``, ``"points": True`` (markers
only, a scatter), ``"band": (low, high)``
(a shaded range, e.g. min and max over seeds). NaN (or, on a log axis, a value <= 0) breaks a
line, which is how a jump is drawn without a vertical segment.

>>> svg = line_chart([{"label": "relu", "x": [0, 1, 2], "y": [0, 1, 2]}], title="t",
...                  xlabel="x", ylabel="f(x)")
>>> svg.startswith("<svg") and "relu" in svg and ">x</text>" in svg
True
"""

from __future__ import annotations

import html
import itertools
import math

import numpy as np

# matplotlib's tab10, so SVG and PNG figures use the same colours
_IDS = itertools.count()   # clip-path ids, unique within a page of many charts
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def color(spec, i: int = 0) -> str:
    """``"C3"`` -> the fourth palette colour; a CSS colour passes through; None -> ``C{i}``."""
    if spec is None:
        spec = f"C{i}"
    if isinstance(spec, str) and spec[:1] == "C" and spec[1:].isdigit():
        return PALETTE[int(spec[1:]) % len(PALETTE)]
    return str(spec)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 times 10^k).

    >>> nice_ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 12) + 0.0)
        k += 1
    return ticks


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e4 or a < 1e-3:
        m, e = f"{v:.0e}".split("e")
        return f"{m}e{int(e)}"
    return f"{v:g}"


def _finite_range(values, log: bool):
    v = np.concatenate([np.asarray(a, np.float64).ravel() for a in values]) if values else \
        np.array([])
    v = v[np.isfinite(v)]
    if log:
        v = v[v > 0]
    if not v.size:
        return (1.0, 10.0) if log else (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        return lo, hi
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        pad = 0.5 if hi == 0 else abs(hi) * 0.1
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.04
    return lo - pad, hi + pad


def _segments(x, y):
    """Runs of consecutive finite points (a NaN ends a run)."""
    ok = np.isfinite(x) & np.isfinite(y)
    runs, start = [], None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(ok)))
    return runs


def line_chart(series, *, title: str = "", xlabel: str = "", ylabel: str = "",
               logy: bool = False, ylim=None, width: int = 420, height: int = 300,
               integer_x: bool = False, legend: bool = True, hline=None) -> str:
    """One chart as an ``<svg>`` element (its width scales down to the page's; see module doc).

    ``ylim``: ``(low, high)`` for a linear axis; ``hline``: a y value drawn as a thin grey line.
    """
    series = list(series)
    # the legend goes under the plot, a row per series: it never hides a line
    rows = len(series) if legend else 0
    left, right, top, bottom = 58, 12, 26 if title else 10, 40
    pw, ph = width - left - right, height - top - bottom
    height += 14 * rows + (18 if rows else 0)
    xs = [np.asarray(s["x"], np.float64) for s in series]
    ys = [np.asarray(s["y"], np.float64) for s in series]
    bands = [np.asarray(b, np.float64) for s in series if s.get("band") is not None
             for b in s["band"]]
    x0, x1 = _finite_range(xs, False)
    if xs and all(x.size for x in xs):
        finite = np.concatenate([x[np.isfinite(x)] for x in xs])
        if finite.size:
            x0, x1 = float(finite.min()), float(finite.max())
            if x1 <= x0:
                x0, x1 = x0 - 0.5, x1 + 0.5
    y0, y1 = _finite_range(ys + bands, logy)
    if ylim is not None and not logy:
        y0, y1 = float(ylim[0]), float(ylim[1])

    def tx(v):
        return left + (v - x0) / (x1 - x0) * pw

    def ty(v):
        v = np.log10(np.where(v > 0, v, np.nan)) if logy else v
        return top + ph - (v - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" '
           f'aria-label="{html.escape(title or ylabel)}" font-family="sans-serif" font-size="11">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="white" stroke="#999"/>']
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="16" text-anchor="middle" font-size="12" '
                   f'font-weight="600">{html.escape(title)}</text>')
    xticks = [t for t in nice_ticks(x0, x1) if x0 - 1e-9 <= t <= x1 + 1e-9]
    if integer_x:
        xticks = [t for t in xticks if float(t).is_integer()] or xticks
    for t in xticks:
        px = tx(t)
        out.append(f'<line x1="{px:.1f}" y1="{top + ph}" x2="{px:.1f}" y2="{top + ph + 4}" '
                   f'stroke="#666"/><text x="{px:.1f}" y="{top + ph + 15}" '
                   f'text-anchor="middle">{_fmt(t)}</text>')
    if logy:
        lo, hi = math.floor(y0), math.ceil(y1)
        step = max(1, math.ceil((hi - lo) / 6))
        yticks = [(10.0 ** k, k) for k in range(lo, hi + 1, step) if y0 - 1e-9 <= k <= y1 + 1e-9]
        if len(yticks) < 2:  # less than a decade: round values between, at their log position
            yticks = [(t, math.log10(t)) for t in nice_ticks(10 ** y0, 10 ** y1, 4) if t > 0]
    else:
        yticks = [(t, t) for t in nice_ticks(y0, y1) if y0 - 1e-9 <= t <= y1 + 1e-9]
    for label, pos in yticks:
        py = top + ph - (pos - y0) / (y1 - y0) * ph
        out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{left + pw}" y2="{py:.1f}" '
                   f'stroke="#eee"/><text x="{left - 5}" y="{py + 4:.1f}" '
                   f'text-anchor="end">{_fmt(label)}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph + 30}" text-anchor="middle">'
               f'{html.escape(xlabel)}</text>')
    out.append(f'<text transform="translate(13,{top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{html.escape(ylabel)}</text>')
    if hline is not None and (not logy or hline > 0):
        py = float(ty(np.float64(hline)))
        if top <= py <= top + ph:
            out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{left + pw}" y2="{py:.1f}" '
                       f'stroke="#aaa" stroke-width="0.8"/>')
    clip = f"clip{next(_IDS)}"
    out.append(f'<clipPath id="{clip}"><rect x="{left}" y="{top}" width="{pw}" '
               f'height="{ph}"/></clipPath><g clip-path="url(#{clip})">')
    for i, (s, x, y) in enumerate(zip(series, xs, ys)):
        c = color(s.get("color"), i)
        if s.get("band") is not None:
            lo_b, hi_b = (np.asarray(b, np.float64) for b in s["band"])
            for a, b in _segments(x, lo_b + hi_b):
                pts = [f"{tx(x[k]):.1f},{ty(hi_b[k]):.1f}" for k in range(a, b)]
                pts += [f"{tx(x[k]):.1f},{ty(lo_b[k]):.1f}" for k in range(b - 1, a - 1, -1)]
                if all("nan" not in p for p in pts):
                    out.append(f'<polygon points="{" ".join(pts)}" fill="{c}" '
                               f'fill-opacity="0.15" stroke="none"/>')
        py_all = ty(y)
        if s.get("points"):
            out += [f'<circle cx="{tx(x[k]):.1f}" cy="{py_all[k]:.1f}" r="2" fill="{c}" '
                    f'fill-opacity="0.7"/>' for k in range(len(x))
                    if np.isfinite(x[k]) and np.isfinite(py_all[k])]
            continue
        dash = ' stroke-dasharray="5,3"' if s.get("dashed") else ""
        for a, b in _segments(x, py_all):
            pts = " ".join(f"{tx(x[k]):.1f},{py_all[k]:.1f}" for k in range(a, b))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" '
                       f'stroke-width="1.6"{dash}/>')
            if s.get("marker") or b - a == 1:
                out += [f'<circle cx="{tx(x[k]):.1f}" cy="{py_all[k]:.1f}" r="2.5" fill="{c}"/>'
                        for k in range(a, b)]
    out.append("</g>")
    for k, s in enumerate(series[:rows]):
        c, yy = color(s.get("color"), k), top + ph + 48 + 14 * k
        dash = ' stroke-dasharray="5,3"' if s.get("dashed") else ""
        out.append(f'<line x1="{left}" y1="{yy - 4}" x2="{left + 18}" y2="{yy - 4}" '
                   f'stroke="{c}" stroke-width="1.8"{dash}/><text x="{left + 24}" '
                   f'y="{yy}">{html.escape(str(s.get("label", "")))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def split_jumps(x, y, rel: float = 0.25):
    """``(x, y)`` with a NaN point inserted wherever ``y`` jumps, so a discontinuity (step,
    relu', hard_tanh') is not drawn as a vertical line (matplotlib and :func:`line_chart` both
    break a line at NaN). A jump is a step between neighbours larger than ``rel`` times the
    curve's range and 20 times the median step.

    >>> x, y = split_jumps([0, 1, 2, 3], [0, 0, 1, 1])
    >>> x.tolist(), y.tolist()
    ([0.0, 1.0, 1.5, 2.0, 3.0], [0.0, 0.0, nan, 1.0, 1.0])
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    finite = y[np.isfinite(y)]
    if finite.size < 3:
        return x.copy(), y.copy()
    span = float(finite.max() - finite.min())
    d = np.abs(np.diff(y))
    typical = float(np.nanmedian(d)) if np.any(np.isfinite(d)) else 0.0
    with np.errstate(invalid="ignore"):
        jumps = np.flatnonzero((d > rel * span) & (d > 20 * typical)) if span > 0 else []
    if not len(jumps):
        return x.copy(), y.copy()
    return (np.insert(x, np.asarray(jumps) + 1, (x[jumps] + x[np.asarray(jumps) + 1]) / 2),
            np.insert(y, np.asarray(jumps) + 1, np.nan))
