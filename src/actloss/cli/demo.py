"""``actloss demo``: the catalog table, then one function explained."""

from .catalog import catalog_table, explain, find


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="a short tour of actloss",
                       description="Print the catalog and explain ReLU.",
                       epilog="Example: actloss demo")
    p.set_defaults(func=run)


def run(args) -> int:
    print(catalog_table())
    print()
    print(explain(find("relu")))
    return 0
