"""``actloss train``: one network on a data set, with its diagnostics and report."""

from __future__ import annotations

from ._lab import add_data_flags, add_training_flags
from .compare import run_comparison


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train", help="train one network on a data set and report on it",
        description="Train one dense network (the flags of 'compare', one value each) and "
                    "write its learning curves, gradient flow, dead units, results.json and "
                    "report.html into --out.",
        epilog="Example: actloss train --dataset moons --activation elu --epochs 50 "
               "--out runs/moons")
    add_data_flags(p)
    p.add_argument("--activation", default="relu", help="hidden activation (default: relu)")
    p.add_argument("--loss", help="loss (default: the task's cross-entropy, or mse)")
    p.add_argument("--optimizer", default="adam", help="optimizer (default: adam)")
    p.add_argument("--learning-rate", type=float, default=1e-3, metavar="LR",
                   help="learning rate (default: 1e-3)")
    add_training_flags(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", default="runs/train", metavar="DIR",
                   help="output folder (default: runs/train)")
    p.set_defaults(func=run)


def run(args) -> int:
    args.activations, args.optimizers = [args.activation], [args.optimizer]
    args.losses = [args.loss] if args.loss else None
    args.learning_rates, args.jobs, args.scheduler = [args.learning_rate], 1, None
    args.seeds = [args.seed]
    result = run_comparison(args, progress=False, title="actloss train")
    (cell, r), = result.cells
    if r["status"] != "ok":
        print(f"failed: {r['error']}")
        return 1
    print(f"{cell['activation']} / {r['label']} / {cell['optimizer']} "
          f"lr={cell['learning_rate']:g}, {r['epochs_run']} epochs in {r['time_s']:.1f}s")
    for split in ("train", "val", "test"):
        print(f"  {split:<5} loss {r[f'{split}_loss']:.4f}  {r['metric']} "
              f"{r[f'{split}_metric']:.4f}")
    ratio = r["grad_ratio"]
    dead = r["dead_fraction"]
    print(f"  first/last layer gradient ratio {'-' if ratio is None else f'{ratio:.2e}'}, "
          f"dead units {'-' if dead is None else f'{dead:.1%}'}")
    print(f"Report: {result.report}")
    return 0
