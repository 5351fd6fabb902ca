"""Where actloss's training time goes, for W1 (many small batches) and W4 (wide GEMMs).

    python benchmarks/profile_actloss.py W1            # cProfile + py-spy buckets
    python benchmarks/profile_actloss.py W4 --rows 30000
    python benchmarks/profile_actloss.py W4 --mode cprofile

``cprofile``: the Python functions by own time (``tottime``; NumPy ufuncs and ``@`` are counted
in their caller's own time) and the calls per batch. ``pyspy`` (needs ``py-spy``; run as a
child under ``py-spy record --native --idle``): every sample of the main thread inside actloss
is put in one bucket (BLAS anywhere in its stack, else by its innermost frame: ufunc inner loops,
fancy indexing, copies and casts, allocation, random numbers, NumPy's per-call overhead, the
Python interpreter) and charged to the innermost Python function, so the table reads
"Dense.backward: 31% of samples, BLAS matmul 25%".
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

_RULES = (  # tested on the innermost (leaf) native frame, in this order
    ("elementwise compute (ufunc inner loops)",
     re.compile(r"FLOAT_|DOUBLE_|HALF_|LONG_|BOOL_|simd|AVX|_loop|_contig|expf?\b|logf?\b|tanhf?\b|"
                r"erf|sleef|svml|fma", re.I)),
    ("fancy indexing / take", re.compile(r"mapiter|take|fancy|subscript|npy_fasttake|index", re.I)),
    ("copies and casts", re.compile(r"memcpy|memmove|memset|copy|_strided_to|cast|assign", re.I)),
    ("allocation (new arrays)",
     re.compile(r"malloc|calloc|realloc|free|PyDataMem|npy_alloc|NewFromDescr|mmap|munmap", re.I)),
    ("random numbers (shuffle)", re.compile(r"random|mtrand|_common_double|pcg|philox", re.I)),
)
BUCKET_NAMES = ("BLAS matmul", *(name for name, _ in _RULES),
                "NumPy per-call overhead (dispatch, type resolution, fp-error checks)",
                "libc (unresolved: memcpy/memset/malloc)", "Python interpreter")


class _Off:
    def enable(self):
        pass

    def disable(self):
        pass


def _w1(fits, prof):
    from _impls import build_actloss
    from _tutorial import SPECS, data
    X, y = data("W1")
    for _ in range(fits):
        fit, _ = build_actloss(SPECS["W1"])
        prof.enable()
        fit(X, y, SPECS["W1"]["epochs"])
        prof.disable()
    return fits * SPECS["W1"]["epochs"] * -(-len(X) // SPECS["W1"]["batch"])


def _w4(rows, prof):
    from _impls import build_actloss
    from w4_wide import SPEC, make_data
    X, y = make_data(rows)
    fit, _ = build_actloss(SPEC)
    fit(X[:5 * 256], y[:5 * 256], 1)
    prof.enable()
    fit(X, y, 1)
    prof.disable()
    return -(-rows // SPEC["batch"])


def workload(args, prof=None):
    prof = prof or _Off()
    return _w1(args.fits, prof) if args.workload == "W1" else _w4(args.rows, prof)


def cprofile(args):
    import cProfile
    import pstats
    prof = cProfile.Profile()
    batches = workload(args, prof)   # profiles the fit calls only
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
    """One sample's bucket: BLAS anywhere in the stack, else by its innermost frame."""
    if any(re.search(r"openblas|gemm|gemv|blas_thread|exec_blas|mkl_", f, re.I) for f in frames):
        return "BLAS matmul"
    leaf = frames[-1]
    if ".py:" in leaf:
        return "Python interpreter"
    for name, rx in _RULES:
        if rx.search(leaf.split(" (")[0]):
            return name
    if "numpy" in leaf:
        return "NumPy per-call overhead (dispatch, type resolution, fp-error checks)"
    if "libc" in leaf:
        return "libc (unresolved: memcpy/memset/malloc)"
    if "libm" in leaf:
        return "NumPy per-call overhead (dispatch, type resolution, fp-error checks)"
    return "Python interpreter"


def _py_frame(frames, line=False):
    for frame in reversed(frames):
        if ".py:" in frame:
            return frame if line else re.sub(r":\d+\)$", ")", frame)
    return "(native only)"


_IN_FIT = re.compile(r"\bfit \(actloss/")


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
            if any(_IN_FIT.search(fr) for fr in frames):   # only time inside actloss's fit
                samples.append((frames, int(count)))
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    total = sum(c for _, c in samples)
    if not total:
        print("py-spy: no samples inside actloss's fit")
        return
    by_bucket = collections.Counter()
    by_func = collections.defaultdict(collections.Counter)
    by_line = collections.defaultdict(collections.Counter)
    for frames, c in samples:
        b = _bucket(frames)
        by_bucket[b] += c
        by_func[_py_frame(frames)][b] += c
        by_line[_py_frame(frames, line=True)][b] += c
    print(f"\npy-spy --native --idle, {args.workload}: {total} samples inside actloss's fit "
          f"({args.rate} Hz, main thread)")
    for b, c in by_bucket.most_common():
        print(f"{c / total * 100:6.1f}%  {b}")
    print("\nby innermost Python function (share of samples; its biggest buckets)")
    _ranked(by_func, total, args.top)
    print("\nby innermost Python line")
    _ranked(by_line, total, args.top)


def _ranked(table, total, top):
    for func, counter in sorted(table.items(), key=lambda kv: -sum(kv[1].values()))[:top]:
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
