"""Where actloss's training time goes, for W1 (many small batches) and W4 (wide GEMMs).

    python benchmarks/profile_actloss.py W1            # cProfile + py-spy buckets
    python benchmarks/profile_actloss.py W4 --rows 30000
    python benchmarks/profile_actloss.py W4 --mode cprofile

``cprofile``: the Python functions by own time (``tottime``; NumPy ufuncs and ``@`` are counted
in their caller's own time) and the calls per batch. ``pyspy`` (needs ``py-spy``; run as a
child under ``py-spy record --native --idle``): every sample of the main thread is put in one
bucket by its native frames (BLAS matmul, elementwise ufunc loops and reductions, copies and
casts, fancy indexing, allocation, else the Python interpreter) and charged to the innermost
Python function, so the table reads "Dense.backward: 31% of samples, 25% in BLAS".
W1 repeats the fit ``--fits`` times with fresh models; W4 trains one epoch after warm-up.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BUCKETS = (  # first match wins, tested on each sample's frames from the leaf up
    ("BLAS matmul", re.compile(r"gemm|gemv|openblas|blas_thread|exec_blas|matmul", re.I)),
    ("fancy indexing / take", re.compile(r"mapiter|take|fancy|subscript|PyArray_Take|npy_fasttake", re.I)),
    ("copies and casts", re.compile(r"memcpy|memmove|copy|_strided_to|cast|AssignArray|__memset", re.I)),
    ("allocation", re.compile(r"malloc|calloc|realloc|PyDataMem|npy_alloc|mmap|munmap|free\b", re.I)),
    ("elementwise ufuncs / reductions",
     re.compile(r"ufunc|_loop|FLOAT_|DOUBLE_|reduce|simd|AVX|_exp|_log|expf|logf|tanh", re.I)),
)


def _w1(fits):
    from _impls import build_actloss
    from _tutorial import SPECS, data
    X, y = data("W1")
    for _ in range(fits):
        fit, _ = build_actloss(SPECS["W1"])
        fit(X, y, SPECS["W1"]["epochs"])
    n_batches = fits * SPECS["W1"]["epochs"] * -(-len(X) // SPECS["W1"]["batch"])
    return n_batches


def _w4(rows):
    from _impls import build_actloss
    from w4_wide import SPEC, make_data
    X, y = make_data(rows)
    fit, _ = build_actloss(SPEC)
    fit(X[:5 * 256], y[:5 * 256], 1)
    fit(X, y, 1)
    return -(-rows // SPEC["batch"]) + 5


def workload(args):
    return _w1(args.fits) if args.workload == "W1" else _w4(args.rows)


def cprofile(args):
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    batches = workload(args)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())
    print(f"\ncProfile, {args.workload}: {batches} batches, {total:.3f} s of own time in all functions "
          f"({total / batches * 1e6:.0f} us per batch)")
    print(f"{'own %':>6} {'own us/batch':>12} {'calls/batch':>11}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:args.top]
    for (path, line, name), (cc, nc, tt, ct, callers) in rows:
        short = "/".join(path.split("/")[-2:])
        print(f"{tt / total * 100:6.1f} {tt / batches * 1e6:12.1f} {nc / batches:11.2f}  "
              f"{name} ({short}:{line})")


def _bucket(frames):
    for frame in reversed(frames):
        if ".py:" in frame:
            continue
        for name, rx in BUCKETS:
            if rx.search(frame):
                return name
    return "Python interpreter / other"


def _py_frame(frames):
    for frame in reversed(frames):
        if ".py:" in frame:
            return re.sub(r":\d+\)$", ")", frame)
    return "(native only)"


def pyspy(args):
    if not shutil.which("py-spy"):
        print("py-spy not installed (pip install py-spy): skipped")
        return
    out = os.path.join(tempfile.mkdtemp(prefix="actloss-pyspy-"), "raw.txt")
    child = [sys.executable, os.path.abspath(__file__), args.workload, "--mode", "run",
             "--fits", str(args.fits), "--rows", str(args.rows)]
    cmd = ["py-spy", "record", "--native", "--idle", "--format", "raw", "-r", str(args.rate),
           "-o", out, "--", *child]
    subprocess.run(cmd, check=True, capture_output=True)
    samples = []
    with open(out) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if any("actloss/" in fr for fr in frames):   # only time inside actloss
                samples.append((frames, int(count)))
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    total = sum(c for _, c in samples)
    if not total:
        print("py-spy: no samples inside actloss")
        return
    by_bucket = collections.Counter()
    by_func = collections.defaultdict(collections.Counter)
    for frames, c in samples:
        b = _bucket(frames)
        by_bucket[b] += c
        by_func[_py_frame(frames)][b] += c
    print(f"\npy-spy --native --idle, {args.workload}: {total} samples inside actloss "
          f"({args.rate} Hz, main thread)")
    for b, c in by_bucket.most_common():
        print(f"{c / total * 100:6.1f}%  {b}")
    print("\nby innermost Python function (share of samples; its biggest buckets)")
    ranked = sorted(by_func.items(), key=lambda kv: -sum(kv[1].values()))[:args.top]
    for func, counter in ranked:
        n = sum(counter.values())
        parts = ", ".join(f"{b} {c / total * 100:.1f}%" for b, c in counter.most_common(3))
        print(f"{n / total * 100:6.1f}%  {func}: {parts}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=("W1", "W4"))
    p.add_argument("--mode", choices=("both", "cprofile", "pyspy", "run"), default="both")
    p.add_argument("--fits", type=int, default=200, help="W1: fits (fresh model each)")
    p.add_argument("--rows", type=int, default=30000, help="W4: rows of the profiled epoch")
    p.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    p.add_argument("--top", type=int, default=20)
    args = p.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "2")
    if args.mode == "run":
        workload(args)
        return
    if args.mode in ("both", "cprofile"):
        cprofile(args)
    if args.mode in ("both", "pyspy"):
        pyspy(args)


if __name__ == "__main__":
    main()
