"""W3, digits: scikit-learn's ``load_digits``, standardized, 80/20 split (random_state=0);
64 -> 128 relu -> 64 relu -> 10 softmax; categorical cross-entropy; Adam(1e-3); batch 64;
30 epochs. Time per epoch (the first fit's time / 30) and test accuracy, each the median over
3 seeds (one fresh process per seed and implementation).

The parent prepares the data once (scikit-learn needed) and hands every child the same file, so
no implementation's process imports scikit-learn unless it is the scikit-learn one. actloss and
Keras get one-hot targets (categorical cross-entropy), scikit-learn and PyTorch the labels
(their softmax + cross-entropy is the same function).

``python benchmarks/w3_digits.py [--quick] [--seeds N] [--epochs N]``
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
from _worker import timer  # noqa: E402

SCRIPT = os.path.abspath(__file__)
SPEC = {"inputs": 64, "layers": [[128, "relu"], [64, "relu"], [10, "softmax"]], "loss": "cce",
        "lr": 1e-3, "epochs": 30, "batch": 64, "seed": 0}


def prepare(path):
    """Standardized digits, 80/20 split with random_state=0, float32, saved to ``path``."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    np.savez(path, Xtr=scaler.transform(Xtr).astype(np.float32), ytr=ytr,
             Xte=scaler.transform(Xte).astype(np.float32), yte=yte)


def worker(impl, params):
    import numpy as np

    from _impls import BUILDERS
    d = np.load(params["data"])
    Xtr, ytr, Xte, yte = d["Xtr"], d["ytr"], d["Xte"], d["yte"]
    if impl in ("actloss", "keras"):
        ytr = np.eye(10, dtype=np.float32)[ytr]
    spec = dict(SPEC, seed=params["seed"], epochs=params["epochs"])
    fit, predict = BUILDERS[impl](spec)
    t0 = timer()
    loss = fit(Xtr, ytr, spec["epochs"])
    fit_s = timer() - t0
    acc = float(np.mean(np.asarray(predict(Xte)).argmax(axis=1) == yte))
    return {"epoch_s": fit_s / spec["epochs"], "fit_s": fit_s, "accuracy": acc, "loss": loss}


WORKERS = {impl: (lambda p, impl=impl: worker(impl, p))
           for impl in ("actloss", "sklearn", "torch", "keras")}


def build_parser():
    import _common as C
    p = C.parser("W3: digits, 64 -> 128 -> 64 -> 10, 30 epochs", 3)
    p.add_argument("--seeds", type=int, default=None, help="seeds, one process each (3; 1 with --quick)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (30; 2 with --quick)")
    return p


def run(args):
    import shutil
    import tempfile

    import _common as C
    seeds = args.seeds or C.reps_of(args, 3)
    epochs = args.epochs or (2 if args.quick else SPEC["epochs"])
    notes = [f"W3: {epochs} epochs, batch 64, {C.check_dtype_note()}; {C.STAT} over {seeds} "
             "seed(s), one process per seed"]
    if not C.installed("sklearn"):
        notes.append("W3 skipped: load_digits needs scikit-learn (pip install scikit-learn)")
        return {"workload": "W3", "rows": [], "notes": notes, "raw": {}}
    tmp = tempfile.mkdtemp(prefix="actloss-bench-w3-")
    try:
        path = os.path.join(tmp, "digits.npz")
        prepare(path)
        results = C.measure_all(SCRIPT, C.impls_of(args),
                                lambda impl, rep: {"data": path, "seed": rep, "epochs": epochs},
                                seeds, notes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        C.row("W3", "time per epoch", "s", C.values(results, "epoch_s"), {"vs": "sklearn", "hi": 0.5}),
        C.row("W3", "test accuracy (median)", "%", C.values(results, "accuracy"),
              {"vs": "abs", "lo": 0.97, "label": "accuracy"} if epochs >= SPEC["epochs"] else None, ratios=False),
    ]
    if epochs < SPEC["epochs"]:
        notes.append(f"W3: accuracy target (>= 97%) not checked at {epochs} epochs")
    return {"workload": "W3", "rows": rows, "notes": notes, "raw": results}


if __name__ == "__main__":
    _entry.script_main(WORKERS, build_parser, run)
