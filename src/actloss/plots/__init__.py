"""Plots of activations, losses, training histories and diagnostics (matplotlib, the ``plot``
extra).

matplotlib is imported on first use, with the non-interactive Agg backend unless pyplot is
already running, so plots work without a display. Every function draws on ``ax`` when given
(compose your own figures) and otherwise on a new figure; it returns the Axes. :func:`save`
writes a figure as PNG or SVG, chosen by the file's suffix. :func:`line_chart` draws a line
chart as SVG text without matplotlib (the report and the lessons use it); derivative plots break
their lines at jumps (:func:`split_jumps`) instead of drawing a vertical segment.

>>> from actloss import plots
>>> ax = plots.activations(["relu", "tanh"], derivative=True)
>>> ax.get_legend_handles_labels()[1]
['relu', "relu'", 'tanh', "tanh'"]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ._data import history_dict, loss_curve
from ._svg import color, line_chart, split_jumps

_MISSING = "actloss.plots needs matplotlib: pip install 'actloss[plot]'"


def _matplotlib():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    return matplotlib


def new_axes(nrows: int = 1, ncols: int = 1, size=(6.0, 4.0)):
    """A new figure (no pyplot, no global state) and its Axes (an array when several)."""
    _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def _axes(ax, title=None):
    if ax is None:
        _, ax = new_axes()
    if title:
        ax.set_title(title)
    return ax


def integer_ticks(ax):
    """Whole numbers only on the x axis (epochs, layers)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def save(fig_or_ax, path, dpi: int = 110) -> Path:
    """Write the figure (or the figure of an Axes) to ``path``: ``.png`` or ``.svg``."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"save: expected a .png or .svg path; received {str(path)!r}")
    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format=path.suffix[1:].lower())
    return path


def activations(names, derivative: bool = False, x_range=(-5.0, 5.0), ax=None):
    """Activation functions (solid) and, with ``derivative``, their derivatives (dashed, same
    colour) on one Axes. ``names`` holds names or Activation objects. Non-elementwise ones
    (softmax) are drawn on the row ``[x, 0]`` as the first component of the output.
    """
    from .. import activations as A

    ax = _axes(ax, "Activation functions" + (" and derivatives" if derivative else ""))
    x = np.linspace(*x_range, 801)
    for name in ([names] if isinstance(names, str) else names):
        act = A.get(name)
        if act.elementwise:
            y = act(x)
            dy = act.grad(x) if derivative else None
        else:
            rows = np.stack([x, np.zeros_like(x)], axis=1)
            y = act(rows)[:, 0]
            dy = act.vjp(rows, np.tile([1.0, 0.0], (len(x), 1)))[:, 0] if derivative else None
        (line,) = ax.plot(*split_jumps(x, y), label=act.name)
        if dy is not None:
            ax.plot(*split_jumps(x, dy), linestyle="--", color=line.get_color(),
                    label=f"{act.name}'")
    ax.axhline(0, color="0.6", linewidth=0.6)
    ax.axvline(0, color="0.6", linewidth=0.6)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)" + (", f'(x) dashed" if derivative else ""))
    ax.legend(fontsize="small")
    return ax


def losses(names, ax=None):
    """Loss curves: regression losses against the error :math:`\\hat y - y` (with y = 1),
    classification losses against the predicted probability of the true class. With names of
    both kinds and no ``ax``, two panels side by side (the second Axes is returned too)."""
    from .. import losses as L

    curves = [loss_curve(L.get(n)) for n in ([names] if isinstance(names, str) else names)]
    kinds = sorted({c["kind"] for c in curves})
    if ax is not None and len(kinds) > 1:
        raise ValueError("losses: regression and classification losses have different x axes; "
                         "give them separate Axes (or no ax)")
    if ax is None:
        _, axs = new_axes(1, len(kinds))
        axs = np.atleast_1d(axs)
        by_kind = dict(zip(kinds, axs))
    else:
        by_kind = {kinds[0]: ax}
    for c in curves:
        a = by_kind[c["kind"]]
        a.plot(c["x"], c["y"], label=c["name"])
    for kind, a in by_kind.items():
        a.set_xlabel(kind)
        a.set_ylabel("loss")
        a.set_title("Loss vs " + kind)
        a.legend(fontsize="small")
        if kind == "predicted probability of the true class":
            a.set_ylim(0, 5)
    return ax if ax is not None else (axs[0] if len(axs) == 1 else tuple(axs))


def history(hist, keys=None, ax=None, title="Training history"):
    """Curves of a training ``History`` (or its ``.history`` dict): ``loss`` and ``val_loss`` by
    default, or the ``keys`` given. Validation curves are dashed."""
    h = history_dict(hist)
    keys = keys or [k for k in ("loss", "val_loss") if k in h]
    ax = _axes(ax, title)
    for key in keys:
        values = np.asarray(h[key], dtype=np.float64)
        ax.plot(np.arange(1, len(values) + 1), values, label=key,
                linestyle="--" if key.startswith("val_") else "-")
    ax.set_xlabel("epoch")
    ax.legend(fontsize="small")
    return integer_ticks(ax)


def gradient_flow(hist, ax=None, key="grad_norm_per_layer", title="Gradient flow"):
    """Per-layer RMS weight gradient over epochs (log scale), from a History recorded with
    :class:`actloss.diagnostics.DiagnosticsCallback`, or from one :func:`gradient_flow` dict (a
    bar per layer)."""
    ax = _axes(ax, title)
    ax.set_yscale("log")
    if isinstance(hist, dict) and "weight_grad_rms" in hist:  # one snapshot
        values = np.maximum(np.asarray(hist["weight_grad_rms"], np.float64), 1e-30)
        ax.bar(np.arange(1, len(values) + 1), values)
        ax.set_xlabel("layer")
        ax.set_ylabel("RMS weight gradient")
        return integer_ticks(ax)
    h = history_dict(hist)
    per_epoch = np.asarray(h[key], dtype=np.float64)  # (epochs, layers)
    epochs = np.asarray(h.get("diagnostics_epochs", range(len(per_epoch)))) + 1
    names = h.get("diagnostics_layers") or [f"layer {i + 1}" for i in range(per_epoch.shape[1])]
    for j in range(per_epoch.shape[1]):
        ax.plot(epochs, np.maximum(per_epoch[:, j], 1e-30), label=names[j])
    ax.set_xlabel("epoch")
    ax.set_ylabel("RMS weight gradient")
    ax.legend(fontsize="x-small", ncol=2)
    return integer_ticks(ax)


def dead_units(hist, ax=None, title="Dead units"):
    """Fraction of dead units per ReLU-family layer over epochs (from a History recorded with
    :class:`actloss.diagnostics.DiagnosticsCallback`)."""
    h = history_dict(hist)
    ax = _axes(ax, title)
    per_epoch = h.get("dead_fraction_per_layer", [])
    epochs = np.asarray(h.get("diagnostics_epochs", range(len(per_epoch)))) + 1
    layers = list(per_epoch[0]) if per_epoch else []
    for name in layers:
        ax.plot(epochs, [row.get(name, np.nan) for row in per_epoch], label=name)
    if not layers:
        ax.text(0.5, 0.5, "no ReLU-family layer", ha="center", va="center",
                transform=ax.transAxes)
    else:
        ax.legend(fontsize="x-small")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of units dead")
    return integer_ticks(ax)


__all__ = ["activations", "losses", "history", "gradient_flow", "dead_units", "save",
           "new_axes", "integer_ticks", "line_chart", "split_jumps", "color"]
