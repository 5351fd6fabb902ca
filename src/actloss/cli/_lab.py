"""Argument types and flags shared by the lab's commands (plot, gradcheck, train, compare)."""

from __future__ import annotations

import argparse
import os

from . import CLIError


def names(text: str) -> list[str]:
    """``"relu,tanh"`` -> ``["relu", "tanh"]``."""
    out = [t.strip() for t in text.split(",") if t.strip()]
    if not out:
        raise argparse.ArgumentTypeError(f"expected comma-separated names; received {text!r}")
    return out


def _list_of(convert, what: str):
    def parse(text: str) -> list:
        try:
            return [convert(t) for t in names(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}; received "
                                             f"{text!r}") from None
    parse.__name__ = f"list of {what}"
    return parse


floats = _list_of(float, "numbers")
ints = _list_of(int, "integers")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; received {text!r}")
    return value


def jobs(text: str) -> int:
    """``--jobs N``; 0 means every core."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0 (0: all cores); "
                                         f"received {text!r}")
    return value or os.cpu_count() or 1


def add_data_flags(p) -> None:
    p.add_argument("--dataset", required=True, metavar="NAME|FILE.csv",
                   help="digits, breast_cancer, iris, wine, diabetes, moons, circles, spirals, "
                        "xor, or a CSV file (with --target)")
    p.add_argument("--target", metavar="COL", help="the target column of a CSV file")
    p.add_argument("--drop-missing", action="store_true",
                   help="drop the CSV rows that have empty or NaN cells (default: stop with "
                        "an error that says how many and where)")


def add_training_flags(p, epochs: int = 20) -> None:
    p.add_argument("--hidden", type=ints, default=[64, 64], metavar="64,64",
                   help="hidden layer widths (default: 64,64)")
    p.add_argument("--epochs", type=positive_int, default=epochs, metavar="N",
                   help=f"epochs per cell (default: {epochs})")
    p.add_argument("--batch-size", type=positive_int, default=32, metavar="N",
                   help="mini-batch size (default: 32)")


def require_extra(exc: ImportError):
    """An ImportError that names an extra becomes a one-line user error."""
    message = str(exc)
    if "pip install" in message:
        return CLIError(message)
    return exc
