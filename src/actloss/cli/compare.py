"""``actloss compare``: train a grid of activation x loss x optimizer x learning rate x seed."""

from __future__ import annotations

import shlex

from ._lab import (add_data_flags, add_training_flags, floats, jobs, names, positive_int,
                   require_extra)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compare", help="train a grid of activations, losses, optimizers and learning rates",
        description="Train every cell of activations x losses x optimizers x learning rates x "
                    "seeds on a data set, in this process, in local processes (--jobs) or on a "
                    "Dask cluster (--scheduler). Each finished cell is saved under OUT/cells/ "
                    "and skipped when the same command runs again. Writes results.csv, "
                    "results.json, PNG figures and report.html into --out, and prints the "
                    "ranked table.",
        epilog="Example: actloss compare --dataset digits --activations relu,tanh,elu "
               "--learning-rates 1e-3,1e-2 --seeds 3 --jobs 2 --out runs/digits")
    add_data_flags(p)
    p.add_argument("--activations", type=names, default=["relu", "tanh"], metavar="relu,tanh",
                   help="hidden-layer activations (default: relu,tanh)")
    p.add_argument("--losses", type=names, metavar="NAMES",
                   help="losses (default: the task's cross-entropy, or mse for regression); a "
                        "regression loss on classes is allowed and labelled so")
    p.add_argument("--optimizers", type=names, default=["adam"], metavar="adam,sgd",
                   help="sgd, adam, rmsprop, adagrad, adamw, nadam (default: adam)")
    p.add_argument("--learning-rates", type=floats, default=[1e-3], metavar="1e-3,1e-2",
                   help="learning rates (default: 1e-3)")
    add_training_flags(p)
    p.add_argument("--seeds", type=positive_int, default=1, metavar="N",
                   help="seeds 0..N-1 per configuration (default: 1)")
    p.add_argument("--jobs", type=jobs, metavar="N",
                   help="local worker processes, 0 = all cores (default: 1); with "
                        "--scheduler local, the number of Dask workers (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDR|local",
                   help="run on the Dask cluster at ADDR (tcp://HOST:PORT), or 'local' to "
                        "start a LocalCluster here (the dask extra)")
    p.add_argument("--out", default="runs/compare", metavar="DIR",
                   help="output folder (default: runs/compare)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def command_line(args) -> str:
    """The ``actloss compare`` command equivalent to ``args``, for the report."""
    parts = ["actloss", "compare", "--dataset", args.dataset]
    if args.target:
        parts += ["--target", args.target]
    if getattr(args, "drop_missing", False):
        parts.append("--drop-missing")
    for flag, values in (("--activations", args.activations), ("--losses", args.losses),
                         ("--optimizers", args.optimizers),
                         ("--learning-rates", [f"{v:g}" for v in args.learning_rates]),
                         ("--hidden", args.hidden)):
        if values:
            parts += [flag, ",".join(map(str, values))]
    parts += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
              "--seeds", str(args.seeds if isinstance(args.seeds, int) else len(args.seeds))]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    return shlex.join([*parts, "--out", str(args.out)])


def run_comparison(args, **overrides):
    from ..experiments import compare

    options = dict(target=args.target, activations=args.activations, losses=args.losses,
                   optimizers=args.optimizers, learning_rates=args.learning_rates,
                   hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size,
                   seeds=args.seeds, scheduler=args.scheduler, out=args.out,
                   jobs=args.jobs if args.jobs is not None else
                   (0 if args.scheduler == "local" else 1),
                   progress=not getattr(args, "quiet", False),
                   command=command_line(args), drop_missing=args.drop_missing)
    options.update(overrides)
    try:
        return compare(args.dataset, **options)
    except ImportError as exc:
        raise require_extra(exc) from None


def run(args) -> int:
    result = run_comparison(args)
    print()
    from ._text import ranking_table
    print(ranking_table(result.ranking))
    print(f"\nReport: {result.report}")
    return 0
