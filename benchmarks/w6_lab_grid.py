"""W6, the lab grid: ``actloss compare`` on ``load_digits`` with activations sigmoid (logistic),
tanh and relu, 3 seeds, the W3 network (64 -> 128 -> 64 -> 10, Adam 1e-3, batch 64) and 30
epochs, on 2 local processes: the WHOLE command's wall time, as a user runs it (interpreter
start, imports, data, the 9 cells, results, report). Against the same 9 fits with
scikit-learn's ``MLPClassifier`` through ``joblib.Parallel(n_jobs=2)``, also a whole process
(imports, ``load_digits``, the split and the fits). Target: actloss <= 0.5x scikit-learn.

Then the same grid with ``--scheduler local`` (a Dask ``LocalCluster`` of 2 workers): at most
1.2x the local-process time (the ``dask`` column; the ratio is printed as its own row).

Each side trains on the same rows: actloss's digits split is 60/20/20 (train/val/test), so
scikit-learn fits the first 60% of a ``train_test_split(test_size=0.4, random_state=0)`` of the
standardized data (1078 rows). actloss does more per cell (validation metric and diagnostics
every epoch, the report); that is part of what the command costs.

``python benchmarks/w6_lab_grid.py [--quick] [--reps N] [--epochs N] [--seeds N]``
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
from _worker import timer  # noqa: E402

SCRIPT = os.path.abspath(__file__)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
SKLEARN_NAMES = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu"}
HIDDEN = (128, 64)


def command(params, scheduler=None):
    args = ["compare", "--dataset", "digits", "--activations", ",".join(ACTIVATIONS),
            "--hidden", ",".join(map(str, HIDDEN)), "--epochs", str(params["epochs"]),
            "--batch-size", "64", "--learning-rates", "1e-3", "--seeds", str(params["seeds"]),
            "--jobs", "2", "--quiet", "--out", params["out"]]
    return args + (["--scheduler", scheduler] if scheduler else [])


def actloss_worker(params, scheduler=None):
    """The command itself, in this fresh process (the parent times the whole process)."""
    import contextlib
    import io
    import shutil

    from actloss.cli import main

    shutil.rmtree(params["out"], ignore_errors=True)  # no cell may be skipped as finished
    t0 = timer()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(command(params, scheduler))
    wall = timer() - t0
    if code:
        raise SystemExit(f"actloss compare exited with {code}")
    shutil.rmtree(params["out"], ignore_errors=True)
    return {"command_s": wall}


def _sklearn_fit(X, y, activation, seed, epochs):
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    est = MLPClassifier(hidden_layer_sizes=HIDDEN, activation=activation, solver="adam",
                        alpha=0.0, batch_size=64, learning_rate_init=1e-3, max_iter=epochs,
                        shuffle=True, random_state=seed, tol=0.0, n_iter_no_change=10**9,
                        epsilon=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return float(np.mean(est.predict(X) == y))


def sklearn_worker(params):
    from joblib import Parallel, delayed, parallel_config
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    t0 = timer()
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.4, random_state=0)
    X_train = StandardScaler().fit_transform(X_train)
    jobs = [(SKLEARN_NAMES[a], seed) for a in ACTIVATIONS for seed in range(params["seeds"])]
    # one BLAS thread per worker, as actloss's cells get: two 2-thread workers on 2 cores
    # oversubscribe (OpenBLAS threads spin), which made this side 100x slower on a busy machine
    with parallel_config(backend="loky", inner_max_num_threads=1):
        Parallel(n_jobs=2)(delayed(_sklearn_fit)(X_train, y_train, act, seed, params["epochs"])
                           for act, seed in jobs)
    return {"command_s": timer() - t0}


WORKERS = {"actloss": actloss_worker, "sklearn": sklearn_worker,
           "dask": lambda p: actloss_worker(p, scheduler="local")}


def build_parser():
    import _common as C
    p = C.parser("W6: the lab grid (actloss compare vs scikit-learn + joblib), whole command", 3)
    p.add_argument("--seeds", type=int, default=None, help="seeds per activation (3; 1 with --quick)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (30; 1 with --quick)")
    p.add_argument("--no-dask", action="store_true", help="skip the --scheduler local run")
    return p


def run(args):
    import shutil
    import tempfile

    import _common as C
    reps = C.reps_of(args, 3)
    seeds = args.seeds or (1 if args.quick else 3)
    epochs = args.epochs or (1 if args.quick else 30)
    notes = [f"W6: {len(ACTIVATIONS)} activations x {seeds} seeds, {epochs} epochs, whole "
             f"process wall time, {C.STAT} over {reps} run(s)"]
    impls = [i for i in C.impls_of(args) if i in ("actloss", "sklearn")]
    if not C.installed("sklearn"):
        notes.append("W6 skipped: load_digits needs scikit-learn (pip install scikit-learn)")
        return {"workload": "W6", "rows": [], "notes": notes, "raw": {}}
    dask = not args.no_dask and C.installed("distributed")
    if not args.no_dask and not dask:
        notes.append("W6 --scheduler local skipped: Dask distributed not installed "
                     "(pip install 'actloss[dask]')")
    tmp = tempfile.mkdtemp(prefix="actloss-bench-w6-")
    try:
        results = C.measure_all(
            SCRIPT, impls,
            lambda impl, rep: {"seeds": seeds, "epochs": epochs,
                               "out": os.path.join(tmp, f"{impl}-{rep}")},
            reps, notes, always=("dask",) if dask else ())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    values = C.values(results, "process_s")
    rows = [C.row("W6", "lab grid, whole command", "s",
                  {k: v for k, v in values.items() if k != "dask"},
                  {"vs": "sklearn", "hi": 0.5})]
    if dask:
        ratio = C.ratio(values.get("dask"), values.get("actloss"))
        rows.append(C.row("W6", "--scheduler local / local processes", "s",
                          {"actloss": values.get("dask")},
                          {"vs": "custom", "ratio": ratio, "hi": 1.2,
                           "label": "x local processes"}, ratios=False))
    return {"workload": "W6", "rows": rows, "notes": notes, "raw": results}


if __name__ == "__main__":
    _entry.script_main(WORKERS, build_parser, run)
