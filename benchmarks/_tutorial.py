"""W1 and W2, the two tutorial examples: 100 x 10 random data, a tiny network, 10 epochs.

Each repetition is a fresh process that imports its framework, builds the data and the model and
fits once: ``fit_s`` is that first fit (the import and the model's construction excluded) and
``process_s`` (taken by the parent) the whole process from its start to its exit, interpreter
start-up included. Every implementation gets float32 data.
"""

from _worker import timer

SPECS = {
    # Tutorial A: Dense(10, relu) -> Dense(1, sigmoid), binary cross-entropy, Adam(0.01).
    "W1": {"inputs": 10, "layers": [[10, "relu"], [1, "sigmoid"]], "loss": "bce", "lr": 0.01,
           "epochs": 10, "batch": 32, "seed": 0},
    # Tutorial B: Dense(64, relu) -> Dense(64, relu) -> Dense(1), MSE, Adam (lr 1e-3).
    "W2": {"inputs": 10, "layers": [[64, "relu"], [64, "relu"], [1, "linear"]], "loss": "mse",
           "lr": 0.001, "epochs": 10, "batch": 32, "seed": 0},
}


def data(workload):
    """The tutorials' data: ``np.random.seed(0)``, ``rand(100, 10)``; W1 labels
    ``randint(0, 2, 100)``, W2 targets ``rand(100)`` drawn next. Float32 features."""
    import numpy as np
    np.random.seed(0)
    X = np.random.rand(100, 10).astype(np.float32)
    if workload == "W1":
        y = np.random.randint(0, 2, 100)
    else:
        y = np.random.rand(100).astype(np.float32)
    return X, y


def worker(workload, impl, params):
    from _impls import BUILDERS
    spec = dict(SPECS[workload], **params.get("spec", {}))
    t0 = timer()
    X, y = data(workload)
    fit, predict = BUILDERS[impl](spec)
    t1 = timer()
    loss = fit(X, y, spec["epochs"])
    t2 = timer()
    return {"fit_s": t2 - t1, "setup_s": t1 - t0, "loss": loss}


def workers(workload):
    from _impls import BUILDERS
    return {impl: (lambda params, impl=impl: worker(workload, impl, params)) for impl in BUILDERS}


def run(workload, script, args, title):
    import math

    import _common as C
    reps = C.reps_of(args, 5)
    notes = [f"{workload} ({title}): {C.check_dtype_note()}; {C.STAT} of {reps} fresh "
             "process(es) per implementation"]
    if workload == "W2":
        notes.append("W2: scikit-learn's reported loss is half the MSE (its squared_error loss); "
                     "the others report the MSE")
    results = C.measure_all(script, C.impls_of(args), {}, reps, notes)
    for impl, r in results.items():
        if "loss" in r and not (isinstance(r["loss"], float) and math.isfinite(r["loss"])):
            notes.append(f"{C.LABELS[impl]}: final training loss is not finite ({r['loss']})")
    rows = [
        C.row(workload, "fit, first in process", "s", C.values(results, "fit_s"),
              {"vs": "sklearn", "hi": 0.25}),
        C.row(workload, "whole process", "s", C.values(results, "process_s"),
              {"vs": "sklearn", "hi": 1 / 3}),
        C.row(workload, "final training loss", "", C.values(results, "loss"), ratios=False),
    ]
    return {"workload": workload, "rows": rows, "notes": notes, "raw": results}

