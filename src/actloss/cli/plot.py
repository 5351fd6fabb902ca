"""``actloss plot``: activation functions (and derivatives) and loss curves as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

from . import CLIError
from ._lab import require_extra


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plot", help="plot activations (and derivatives) or loss curves",
        description="Draw activation functions, with --derivative their derivatives (dashed), "
                    "and with --loss loss curves against the error or the predicted "
                    "probability. Files go into --out.",
        epilog="Example: actloss plot relu elu gelu --derivative --loss mse mae --out plots/")
    p.add_argument("names", nargs="*", metavar="NAME", help="activation names, e.g. relu elu")
    p.add_argument("--derivative", action="store_true", help="draw f'(x) too, dashed")
    p.add_argument("--loss", nargs="+", default=[], metavar="NAME",
                   help="loss names to draw, e.g. mse mae huber")
    p.add_argument("--out", default="runs/plot", metavar="DIR",
                   help="folder for the figures (default: runs/plot)")
    p.add_argument("--format", choices=("png", "svg"), default="png", help="default: png")
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import activations as A, losses as L

    if not args.names and not args.loss:
        raise CLIError("give activation names and/or --loss NAMES (e.g. actloss plot relu tanh "
                       "--out plots/)")
    for n in args.names:
        if n not in A.REGISTRY and n in L.REGISTRY:
            raise CLIError(f"{n!r} is a loss, not an activation: use --loss {n} (e.g. "
                           f"actloss plot --loss {n})")
    acts = [A.get(n) for n in args.names]   # unknown names: ValueError with "did you mean"
    losses = [L.get(n) for n in args.loss]
    try:
        from .. import plots
    except ImportError as exc:  # pragma: no cover - plots itself imports lazily
        raise require_extra(exc) from None
    out = Path(args.out)
    written = []
    try:
        if acts:
            ax = plots.activations(acts, derivative=args.derivative)
            written.append(plots.save(ax, out / f"activations.{args.format}"))
        if losses:
            axes = plots.losses(losses)
            fig = (axes[0] if isinstance(axes, tuple) else axes).figure
            written.append(plots.save(fig, out / f"losses.{args.format}"))
    except ImportError as exc:
        raise require_extra(exc) from None
    for path in written:
        print(path)
    return 0
