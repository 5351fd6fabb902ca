"""``actloss playground``: the live training page in the browser."""

from __future__ import annotations

import argparse

from ._lab import require_extra


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535 (0: any free port); "
                                         f"received {text!r}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "playground", help="train a network live in the browser, on any data",
        description="Start a local web page where a network trains live with actloss: choose "
                    "the data (moons, circles, spirals, xor, scikit-learn's sets, or your CSV), "
                    "the layers, activations, loss and optimizer, and watch the loss, the "
                    "decision boundary, the gradients and the units as it learns. The URL "
                    "carries a random token; the page works offline. Ctrl-C stops it.",
        epilog="Example: actloss playground --port 8765 --no-browser")
    p.add_argument("--port", type=_port, default=8765, metavar="N",
                   help="port to listen on (default: 8765; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--no-browser", action="store_true",
                   help="print the URL without opening a browser")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..playground import serve

    try:
        serve(host=args.host, port=args.port, open_browser=not args.no_browser)
    except ImportError as exc:
        raise require_extra(exc) from None
    return 0
