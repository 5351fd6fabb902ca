"""W4, wide: 100,000 x 256 float32 standard normal, 10 classes from a fixed random linear teacher;
256 -> 512 relu -> 512 relu -> 10 softmax; softmax cross-entropy (integer labels); Adam(1e-3);
batch 256; one shuffled epoch timed after a few warm-up batches.

Also the GEMM floor: the same epoch with NumPy doing only the matrix products (per batch and Dense
layer X@W, X.T@dY, and dY@W.T except for the first layer), ``out=`` into preallocated buffers.
Each implementation's child times the floor
too, right after its own epoch, and the target is checked on that paired ratio (median over the
processes), which sees the same machine load on both sides; the floor's own processes give the
floor's time and memory columns. Memory is the child's peak RSS (``VmHWM``), data set included; the data set's own size is
printed too (``X.nbytes + y.nbytes``). The training working set is the peak RSS during the timed
fit (warm-up batches included) minus the RSS just before it, after a throwaway two-batch run has
paid the fixed per-process costs (imports, Numba's compiler); the floor's is measured alike
around its epoch. Every child generates the same data itself, directly in
float32, so no copy of it is made on the way in.

``python benchmarks/w4_wide.py [--quick] [--rows N] [--reps N]``
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
from _worker import peak_rss_mib, start_working_set, timer  # noqa: E402

SCRIPT = os.path.abspath(__file__)
WIDTHS = (256, 512, 512, 10)
SPEC = {"inputs": 256, "layers": [[512, "relu"], [512, "relu"], [10, "softmax"]],
        "loss": "scce", "lr": 1e-3, "epochs": 1, "batch": 256, "seed": 0}


def make_data(n, d=WIDTHS[0], classes=WIDTHS[-1]):
    """Rows of N(0, 1) in float32 (a prefix of a larger set is the smaller set) and labels from a
    fixed random linear teacher: ``argmax(X @ T)``."""
    import numpy as np
    X = np.random.default_rng(0).standard_normal((n, d), dtype=np.float32)
    teacher = np.random.default_rng(1).standard_normal((d, classes), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for s in range(0, n, 65536):
        y[s:s + 65536] = np.argmax(X[s:s + 65536] @ teacher, axis=1)
    return X, y


def gemm_floor(X, batch, warm):
    """Seconds for the matrix products of one epoch (and nothing else)."""
    import numpy as np
    f32 = np.float32
    rng = np.random.default_rng(2)
    d = WIDTHS
    W = [rng.standard_normal((d[i], d[i + 1]), dtype=f32) * f32(0.05) for i in range(3)]
    gW = [np.empty_like(w) for w in W]
    H = [np.empty((batch, d[i + 1]), f32) for i in range(3)]
    dY = [rng.standard_normal((batch, d[i + 1]), dtype=f32) for i in range(3)]
    dX = [None] + [np.empty((batch, d[i]), f32) for i in range(1, 3)]

    def one(xb):
        m = xb.shape[0]
        inp = xb
        for i in range(3):
            np.matmul(inp, W[i], out=H[i][:m])
            inp = H[i][:m]
        for i in (2, 1, 0):
            a = xb if i == 0 else H[i - 1][:m]
            np.matmul(a.T, dY[i][:m], out=gW[i])
            if i > 0:
                np.matmul(dY[i][:m], W[i].T, out=dX[i][:m])

    n = X.shape[0]
    for b in range(warm):
        one(X[(b * batch) % n:(b * batch) % n + batch])
    t0 = timer()
    for s in range(0, n, batch):
        one(X[s:s + batch])
    return timer() - t0


def epoch(impl, X, y, spec, warm):
    """(seconds for one shuffled epoch after ``warm`` warm-up batches, that epoch's loss)."""
    from _impls import BUILDERS
    fit, _ = BUILDERS[impl](spec)
    k = min(warm * spec["batch"], X.shape[0])
    if impl == "sklearn":
        fit.partial(X[:k], y[:k], n_classes=WIDTHS[-1])
        t0 = timer()
        loss = fit.partial(X, y)
    elif impl == "torch":
        Xt, yt = fit.tensors(X, y)
        fit.run_batches(Xt, yt, max_batches=warm)
        t0 = timer()
        loss = fit.run_batches(Xt, yt)
    else:  # actloss, keras: a first short fit builds everything, the second is timed
        fit(X[:k], y[:k], 1)
        t0 = timer()
        loss = fit(X, y, 1)
    return timer() - t0, loss


def _release_free_heap():
    """glibc's ``malloc_trim(0)``: give freed heap pages back to the system, so that the timed
    fit's allocations show in its RSS instead of landing in pages the process already holds."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def worker(impl, params):
    import gc
    X, y = make_data(params["rows"])
    result = {"data_mib": (X.nbytes + y.nbytes) / 2**20, "rss_with_data_mib": peak_rss_mib()}
    if impl != "floor":
        # the fixed per-process costs (imports, Numba's compiler and kernels, thread pools) are
        # paid by a throwaway run on two batches: not working memory (issue 10's definition)
        epoch(impl, X[:2 * SPEC["batch"]], y[:2 * SPEC["batch"]], SPEC, 1)
        gc.collect()
        _release_free_heap()   # what the throwaway run freed must not be reused unseen
    peak_before = peak_rss_mib()
    start = start_working_set()
    if impl == "floor":
        result["epoch_s"] = gemm_floor(X, SPEC["batch"], params["warm"])
    else:
        result["epoch_s"], result["loss"] = epoch(impl, X, y, SPEC, params["warm"])
    # training working set: peak RSS during the fit minus the RSS just before it (data loaded)
    result["working_set_mib"] = peak_rss_mib() - start
    result["peak_rss_mib"] = max(peak_before, peak_rss_mib())
    result["peak_minus_data_mib"] = result["peak_rss_mib"] - result["data_mib"]
    if impl != "floor" and params.get("paired_floor", True):
        # The same process times the GEMM floor right after its epoch (its memory is already
        # taken above): the ratio of the two sees the same load on a shared machine.
        result["floor_s"] = gemm_floor(X, SPEC["batch"], params["warm"])
        result["per_floor"] = result["epoch_s"] / result["floor_s"]
    return result


WORKERS = {impl: (lambda p, impl=impl: worker(impl, p))
           for impl in ("actloss", "sklearn", "torch", "keras", "floor")}


def build_parser():
    import _common as C
    p = C.parser("W4: wide 256 -> 512 -> 512 -> 10 network, one epoch vs the GEMM floor", 3)
    p.add_argument("--rows", type=int, default=None, help="rows of data (100000; 2048 with --quick)")
    p.add_argument("--warm", type=int, default=None, help="warm-up batches before the timed epoch (5)")
    return p


def params_of(args):
    return {"rows": args.rows or (2048 if args.quick else 100_000),
            "warm": args.warm or (2 if args.quick else 5)}


def measure(args, notes):
    import _common as C
    params, reps = params_of(args), C.reps_of(args, 3)
    results = C.measure_all(SCRIPT, C.impls_of(args), params, reps, notes, always=("floor",))
    return params, reps, results


def run(args):
    import _common as C
    notes = []
    params, reps, results = measure(args, notes)
    notes.insert(0, f"W4: {params['rows']} rows, batch 256, {params['warm']} warm-up batches, "
                    f"{C.check_dtype_note()}; {C.STAT} of {reps} process(es); the data set is "
                    f"{_data_mib(results):.0f} MiB of every peak RSS")
    paired = C.values(results, "per_floor")
    if C.STAT == "min":  # the least disturbed epoch over the least disturbed floor
        paired = {k: C.ratio(r.get("epoch_s_min"), r.get("floor_s_min")) if isinstance(v, float)
                  else v for (k, v), r in zip(paired.items(), results.values())}
    paired["floor"] = 1.0 if "epoch_s" in results["floor"] else None
    rows = [
        C.row("W4", "epoch time (after warm-up)", "s", C.values(results, "epoch_s")),
        C.row("W4", "epoch / GEMM floor, same process", "x", paired,
              {"vs": "custom", "ratio": paired.get("actloss"), "hi": 1.15,
               "label": "actloss's ratio"}, ratios=False),
        C.row("W4", "peak RSS, whole process (data included)", "MiB",
              C.values(results, "peak_rss_mib")),
        C.row("W4", "peak RSS minus data", "MiB", C.values(results, "peak_minus_data_mib")),
        C.row("W4", "training working set (peak during fit - RSS before)", "MiB",
              C.values(results, "working_set_mib"), {"vs": "floor", "hi": 1.25}),
        C.row("W4", "epoch loss (ln 10 = 2.30 at chance)", "", C.values(results, "loss"),
              ratios=False),
    ]
    return {"workload": "W4", "rows": rows, "notes": notes, "raw": results}


def _data_mib(results):
    for r in results.values():
        if "data_mib" in r:
            return r["data_mib"]
    return float("nan")


if __name__ == "__main__":
    _entry.script_main(WORKERS, build_parser, run)
