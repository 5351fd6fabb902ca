"""The ``actloss`` command line. Each command lives in its own module, which provides
``add_parser(subparsers)``; the parser it adds carries ``func=run``.

Errors a user can fix exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

# command modules, in the order `actloss --help` lists them
_COMMAND_MODULES = ("catalog", "plot", "gradcheck", "train", "compare", "lesson", "demo")
_COMMAND_MODULES += ("playground",)


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage block stays in ``--help``)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="actloss",
        description="Activation and loss functions, dense networks, and a lab to compare them.",
        epilog="Example: actloss explain leaky_relu",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"actloss {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    for name in _COMMAND_MODULES:
        import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def _quiet_broken_pipe() -> int:
    """The reader went away (``actloss list | head``): stop quietly, as ``cat`` does. stdout is
    pointed at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (tests capture it)
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a command killed by the pipe


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args) or 0
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at exit
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (CLIError, ValueError, TypeError) as exc:
        print(f"actloss {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"actloss {args.command}: interrupted", file=sys.stderr)
        return 130
