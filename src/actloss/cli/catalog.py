"""``actloss list`` and ``actloss explain NAME``: the catalogs as text."""

from __future__ import annotations

import argparse
import textwrap

from . import CLIError
from ._text import table, width


def _registries():
    from .. import activations, losses

    return {"activation": activations.REGISTRY, "loss": losses.REGISTRY}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "list", help="list the registered activations and losses",
        description="List every registered activation and loss with its aliases and range.",
        epilog="Example: actloss list --kind loss",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", choices=("activation", "loss", "all"), default="all",
                   help="which catalog to list (default: all)")
    p.set_defaults(func=run_list)

    p = sub.add_parser(
        "explain", help="formula, derivative, range, pros and cons of one function",
        description="Explain one activation or loss: its formula and derivative (as Unicode "
                    "text; --latex adds the LaTeX), output range, pros, cons and reference.",
        epilog="Example: actloss explain leaky_relu")
    p.add_argument("name", help="an activation or loss name or alias, e.g. relu, huber")
    p.add_argument("--latex", action="store_true",
                   help="also print the formulas as LaTeX source")
    p.set_defaults(func=run_explain)


def catalog_table(kind: str = "all", max_width: int | None = None) -> str:
    """The catalogs as tables that fit ``max_width`` columns (the terminal's, 80 in a pipe):
    one per kind, aliases under each name."""
    parts = []
    for kind_name, registry in _registries().items():
        if kind not in ("all", kind_name):
            continue
        rows = []
        for name, obj in sorted(registry.items()):
            aliases = registry.aliases_of(name)
            cell = name + "".join(f"\n  {a}" for a in aliases)
            rows.append((cell, obj.output_range, obj.summary))
        title = "Activations" if kind_name == "activation" else "Losses"
        parts.append(f"{title} ({len(rows)}; aliases indented)\n"
                     + table((kind_name, "range", "summary"), rows, max_width,
                             wrap=("range", "summary")))
    return "\n\n".join(parts)


def run_list(args) -> int:
    print(catalog_table(args.kind))
    return 0


def find(name: str):
    """The activation or loss called ``name``; a CLIError with close matches otherwise."""
    registries = _registries()
    for registry in registries.values():
        if name in registry:
            return registry.get(name)
    import difflib

    from .._registry import normalize

    known = [n for r in registries.values() for n in r.names()]
    close = difflib.get_close_matches(normalize(name), known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise CLIError(f"unknown activation or loss {name!r}.{hint} Run 'actloss list' to see all.")


def explain(obj, latex: bool = False, max_width: int | None = None) -> str:
    """One function explained for a terminal: formulas as Unicode text (``latex``: the LaTeX
    source too), wrapped to ``max_width`` columns."""
    max_width = max_width or width()
    params = ", ".join(f"{k}={v!r}" for k, v in obj.params.items()) or "none"
    kind = type(obj).__name__.lower()

    def field(title, text):
        return textwrap.fill(text, max_width, initial_indent=f"  {title:<12} ",
                             subsequent_indent=" " * 15, break_on_hyphens=False)

    out = [f"{obj.name} ({kind})", textwrap.fill(obj.summary, max_width, initial_indent="  ",
                                                 subsequent_indent="  "), "",
           field("parameters:", params),
           field("formula:", obj.formula_text),
           field("derivative:", obj.derivative_formula_text)]
    if latex:
        out += [field("LaTeX:", obj.formula), field("LaTeX:", obj.derivative_formula)]
    out.append(field("range:", obj.output_range))
    for title, items in (("pros", obj.pros), ("cons", obj.cons)):
        out.append(f"  {title}:")
        out += [textwrap.fill(item, max_width, initial_indent="    - ",
                              subsequent_indent="      ") for item in items] or \
            ["    (none listed)"]
    out.append(field("reference:", obj.reference or "-"))
    return "\n".join(out)


def run_explain(args) -> int:
    print(explain(find(args.name), latex=args.latex))
    return 0
