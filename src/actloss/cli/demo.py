"""``actloss demo`` (``make demo``): the tutorial network, then a comparison of the tutorials'
activations on scikit-learn's digits, written to ``runs/demo/report.html``."""

from __future__ import annotations

import time

import numpy as np

from ._lab import jobs, positive_int, require_extra

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "selu")
EPOCHS = 30  # 21 cells: well under a minute on 2 cores, accuracy close to its plateau


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo", help="the tutorial network, then compare activations on digits",
        description="Train the tutorials' network (random data, relu -> sigmoid, binary "
                    "cross-entropy, Adam), then compare sigmoid, tanh, relu, leaky_relu, elu, "
                    "gelu and selu on scikit-learn's digits with cross-entropy and Adam, 3 seeds "
                    "on all cores, and write the report into --out.",
        epilog="Example: actloss demo --out runs/demo")
    p.add_argument("--out", default="runs/demo", metavar="DIR",
                   help="output folder (default: runs/demo)")
    p.add_argument("--epochs", type=positive_int, default=EPOCHS, metavar="N",
                   help=f"epochs per cell of the comparison (default: {EPOCHS})")
    p.add_argument("--jobs", type=jobs, default="0", metavar="N",
                   help="worker processes (default: 0, all cores)")
    p.set_defaults(func=run)


def tutorial() -> str:
    """The tutorials' first network, exactly as they write it (with actloss imports)."""
    from ..layers import Dense
    from ..models import Sequential
    from ..optimizers import Adam

    np.random.seed(0)
    X = np.random.rand(100, 10)
    y = np.random.randint(0, 2, 100)
    model = Sequential()
    model.add(Dense(10, input_dim=10, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(X, y, epochs=10, batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    loss = history.history["loss"]
    accuracy = float(np.mean((model.predict(X, verbose=0).reshape(-1) > 0.5) == y))
    return (f"Tutorial network (10 relu -> 1 sigmoid, binary cross-entropy, Adam 0.01, random "
            f"data): loss {loss[0]:.4f} -> {loss[-1]:.4f} in 10 epochs ({seconds * 1e3:.0f} ms), "
            f"training accuracy {accuracy:.2f}")


def run(args) -> int:
    from .. import activations as A
    from .compare import run_comparison

    print("1.", tutorial())
    acts = [a for a in ACTIVATIONS if a in A.REGISTRY]
    missing = [a for a in ACTIVATIONS if a not in A.REGISTRY]
    if missing:
        print(f"   (not in this catalog yet, left out: {', '.join(missing)})")
    print(f"\n2. Comparing {', '.join(acts)} on digits (categorical cross-entropy, Adam 1e-3, "
          f"hidden 64,64, {args.epochs} epochs, 3 seeds, {args.jobs} processes)")
    # the comparison is this compare command, parsed by compare's own parser: every option
    # compare has gets its default (a namespace filled by hand missed --drop-missing)
    from . import build_parser

    grid = build_parser().parse_args([
        "compare", "--dataset", "digits", "--activations", ",".join(acts),
        "--losses", "categorical_crossentropy", "--optimizers", "adam", "--learning-rates",
        "1e-3", "--hidden", "64,64", "--batch-size", "32", "--seeds", "3",
        "--epochs", str(args.epochs), "--jobs", str(args.jobs), "--out", args.out])
    start = time.perf_counter()
    try:
        result = run_comparison(grid)
    except ImportError as exc:
        raise require_extra(exc) from None
    from ._text import ranking_table

    print()
    print(ranking_table(result.ranking))
    print(f"\n{len(result.cells)} cells in {time.perf_counter() - start:.0f}s. "
          f"Report: {result.report}")
    return 0
