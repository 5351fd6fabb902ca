"""``actloss list`` and ``actloss explain NAME``: the catalogs as text."""

from __future__ import annotations

import argparse
import textwrap

from . import CLIError


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
        description="Explain one activation or loss: its formula and derivative (LaTeX), "
                    "output range, pros, cons and reference.",
        epilog="Example: actloss explain leaky_relu")
    p.add_argument("name", help="an activation or loss name or alias, e.g. relu, huber")
    p.set_defaults(func=run_explain)


def catalog_table(kind: str = "all") -> str:
    rows = []
    for kind_name, registry in _registries().items():
        if kind not in ("all", kind_name):
            continue
        for name, obj in sorted(registry.items()):
            aliases = ", ".join(registry.aliases_of(name))
            rows.append((kind_name, name, aliases, obj.output_range, obj.summary))
    header = ("kind", "name", "aliases", "range", "summary")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  " + header[4]]
    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    return "\n".join(lines)


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


def explain(obj) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in obj.params.items()) or "none"
    kind = type(obj).__name__.lower()
    out = [f"{obj.name} ({kind})", f"  {obj.summary}", "",
           f"  parameters:  {params}",
           f"  formula:     {obj.formula}",
           f"  derivative:  {obj.derivative_formula}",
           f"  range:       {obj.output_range}"]
    for title, items in (("pros", obj.pros), ("cons", obj.cons)):
        out.append(f"  {title}:")
        out += [textwrap.fill(item, 96, initial_indent="    - ", subsequent_indent="      ")
                for item in items] or ["    (none listed)"]
    out.append(f"  reference:   {obj.reference or '-'}")
    return "\n".join(out)


def run_explain(args) -> int:
    print(explain(find(args.name)))
    return 0
