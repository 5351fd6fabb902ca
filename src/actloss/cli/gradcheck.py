"""``actloss gradcheck``: an activation's or a loss's gradient against central differences."""

from __future__ import annotations

import json
from pathlib import Path

from .catalog import find


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gradcheck", help="check gradients against central differences (float64)",
        description="Check grad and vjp of activations, or the gradient of losses with respect "
                    "to y_pred, against central finite differences in float64. 'all' checks "
                    "every registered name. Exit status 1 when an error exceeds --tol.",
        epilog="Example: actloss gradcheck gelu huber")
    p.add_argument("names", nargs="+", metavar="NAME", help="activation or loss names, or 'all'")
    p.add_argument("--tol", type=float, default=1e-5, help="largest relative error accepted "
                                                         "(default: 1e-5)")
    p.add_argument("--out", metavar="DIR", help="also write gradcheck.json into DIR")
    p.set_defaults(func=run)


def _objects(names):
    from .. import activations as A, losses as L

    if names == ["all"]:
        return [*A.REGISTRY, *L.REGISTRY]
    return [find(n) for n in names]


def run(args) -> int:
    from ..diagnostics import gradcheck

    reports = []
    for obj in _objects(args.names):
        try:
            reports.append(gradcheck(obj))
        except (ValueError, TypeError) as exc:
            reports.append({"kind": type(obj).__name__.lower(), "name": obj.name,
                            "max_rel_error": float("inf"), "worst_check": "-",
                            "worst": str(exc), "checks": []})
    width = max(len(r["name"]) for r in reports)
    failed = 0
    for r in reports:
        ok = r["max_rel_error"] <= args.tol
        failed += not ok
        worst = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in (r["worst"] or {}).items()) \
            if isinstance(r["worst"], dict) else r["worst"]
        print(f"{'ok  ' if ok else 'FAIL'}  {r['kind']:<10} {r['name']:<{width}}  "
              f"max rel error {r['max_rel_error']:.2e} ({r['worst_check']} at {worst})")
    if args.out:
        path = Path(args.out) / "gradcheck.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(reports, indent=1, default=str))
        print(path)
    return 1 if failed else 0
