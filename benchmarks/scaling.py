"""Scaling: the W4 network on 25k, 50k, 100k and 200k rows (epoch time should grow linearly, within
10%, and peak RSS minus the data set stay flat), then one epoch on a float32 NumPy memmap of
``--memmap-gb`` GiB (default 4) in a temporary folder, which must train with peak RSS under 1 GiB.

Linearity is checked on the time per row against the reference size's (medians over processes
that go round-robin over the sizes). The ratio epoch / GEMM floor measured in the same process
(see ``w4_wide.py``), against the reference size's, is printed beside it: it should be 1 too,
but in practice the paired floor moved more than the epoch did on a loaded machine, so it is
information, not the check. The memmap run trains a narrower network by default
(``--memmap-model small``: 256 -> 64 relu -> 10, batch 1024), since what it tests is memory, and
the W4 network over 4 GiB would take minutes; ``--memmap-model w4`` trains the W4 one.

The memmap file is written chunk by chunk (never whole in memory), its labels kept in RAM; free
disk is checked first (the run is skipped with a note when short) and the folder is deleted
afterwards. Peak RSS is ``VmHWM`` of the training process, which counts the memmap's pages
that are resident while mapped; the peak of anonymous memory (``RssAnon``, sampled every 20 ms) is
printed beside it.

``python benchmarks/scaling.py [--quick] [--sizes 25000,50000,...] [--memmap-gb 4]``
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
from _worker import peak_rss_mib, timer  # noqa: E402

SCRIPT = os.path.abspath(__file__)
W4_SCRIPT = os.path.join(os.path.dirname(SCRIPT), "w4_wide.py")
FEATURES = 256
GIB = 2**30


class _AnonPeak:
    """Samples RssAnon of this process in a thread (the kernel keeps no peak of it)."""

    def __init__(self, every=0.02):
        import threading
        self.peak, self.every = 0.0, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self):
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        self.peak = max(self.peak, int(line.split()[1]) / 1024.0)
        except OSError:
            pass

    def _loop(self):
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


def write_memmap(folder, gib):
    """A raw float32 file of ``gib`` GiB, rows of N(0, 1), and W4's teacher labels (int64)."""
    import numpy as np

    from w4_wide import WIDTHS
    rows = int(gib * GIB) // (FEATURES * 4)
    path, labels = os.path.join(folder, "X.f32"), os.path.join(folder, "y.npy")
    rng = np.random.default_rng(0)
    teacher = np.random.default_rng(1).standard_normal((FEATURES, WIDTHS[-1]), dtype=np.float32)
    y = np.empty(rows, dtype=np.int64)
    with open(path, "wb") as f:
        for s in range(0, rows, 65536):
            chunk = rng.standard_normal((min(65536, rows - s), FEATURES), dtype=np.float32)
            y[s:s + len(chunk)] = np.argmax(chunk @ teacher, axis=1)
            chunk.tofile(f)
    np.save(labels, y)
    return path, labels, rows


MEMMAP_SMALL = {"inputs": FEATURES, "layers": [[64, "relu"], [10, "softmax"]], "loss": "scce",
                "lr": 1e-3, "epochs": 1, "batch": 1024, "seed": 0}


def memmap_worker(params):
    import numpy as np

    from _impls import BUILDERS
    from w4_wide import SPEC as W4_SPEC
    SPEC = W4_SPEC if params.get("model") == "w4" else MEMMAP_SMALL
    X = np.memmap(params["path"], dtype=np.float32, mode="r", shape=(params["rows"], FEATURES))
    y = np.load(params["labels"])
    fit, _ = BUILDERS["actloss"](SPEC)
    with _AnonPeak() as anon:
        t0 = timer()
        loss = fit(X, y, 1)
        fit_s = timer() - t0
    return {"fit_s": fit_s, "loss": loss, "peak_rss_mib": peak_rss_mib(),
            "peak_anon_mib": anon.peak, "labels_mib": y.nbytes / 2**20}


WORKERS = {"actloss": memmap_worker}


def build_parser():
    import _common as C
    p = C.parser("Scaling of W4 with the number of rows, and training from a memmap", 3)
    p.add_argument("--sizes", default=None,
                   help="comma-separated row counts (25000,50000,100000,200000; "
                        "2048,4096,8192,16384 with --quick); the third is the reference")
    p.add_argument("--memmap-model", choices=("small", "w4"), default="small",
                   help="network trained from the memmap (small: 256 -> 64 -> 10, batch 1024)")
    p.add_argument("--memmap-gb", type=float, default=None,
                   help="size of the memmap in GiB (4; 0.01 with --quick; 0 skips it)")
    return p


def run(args):
    import shutil
    import tempfile

    import _common as C
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else [2048, 4096, 8192, 16384] if args.quick else [25_000, 50_000, 100_000, 200_000])
    ref = sizes[2] if len(sizes) > 2 else sizes[-1]
    gib = args.memmap_gb if args.memmap_gb is not None else (0.01 if args.quick else 4.0)
    reps = C.reps_of(args, 3)
    notes = [f"scaling: actloss W4 epoch at {sizes} rows, {C.STAT} of {reps} process(es) per size; "
             f"reference {ref} rows"]
    rows, raw = [], {}
    if "actloss" not in C.impls_of(args) or not C.installed("actloss"):
        notes.append("scaling: skipped, " + C.skip_reason("actloss"))
        return {"workload": "scaling", "rows": rows, "notes": notes, "raw": raw}

    runs = {n: [] for n in sizes}
    for _ in range(reps):
        for n in sizes:
            runs[n].append(C.run_child(W4_SCRIPT, "actloss", {"rows": n, "warm": 5}))
    res = {n: C.median_of(r) for n, r in runs.items()}
    raw["sizes"] = res
    base = res[ref]
    for n in sizes:
        r = res[n]
        if "error" in r:
            notes.append(f"scaling {n} rows failed: {r['error']}")
        t_ratio = C.ratio(C.ratio(r.get("epoch_s"), n), C.ratio(base.get("epoch_s"), ref))
        if C.STAT == "min":
            f_ratio = C.ratio(C.ratio(r.get("epoch_s_min"), r.get("floor_s_min")),
                              C.ratio(base.get("epoch_s_min"), base.get("floor_s_min")))
        else:
            f_ratio = C.ratio(r.get("per_floor"), base.get("per_floor"))
        m_ratio = C.ratio(r.get("peak_minus_data_mib"), base.get("peak_minus_data_mib"))
        rows.append(C.row("scaling", f"{n} rows: epoch time ((epoch/floor) = {C.fmt_ratio(f_ratio)}"
                          f" x {ref // 1000}k's)", "s", {"actloss": r.get("epoch_s")},
                          {"vs": "custom", "ratio": t_ratio, "lo": 0.9, "hi": 1.1,
                           "label": f"time/row vs {ref // 1000}k's"}, ratios=False))
        rows.append(C.row("scaling", f"{n} rows: peak RSS - data", "MiB",
                          {"actloss": r.get("peak_minus_data_mib")},
                          {"vs": "custom", "ratio": m_ratio, "lo": 0.9, "hi": 1.1,
                           "label": f"vs {ref // 1000}k"}, ratios=False))

    if gib <= 0:
        notes.append("memmap: skipped (--memmap-gb 0)")
        return {"workload": "scaling", "rows": rows, "notes": notes, "raw": raw}
    tmp = tempfile.mkdtemp(prefix="actloss-bench-memmap-")
    try:
        free = shutil.disk_usage(tmp).free
        need = gib * GIB + 512 * 2**20
        if free < need:
            notes.append(f"memmap: skipped, {free / GIB:.1f} GiB free in {tmp}, "
                         f"{need / GIB:.1f} GiB needed (--memmap-gb)")
            return {"workload": "scaling", "rows": rows, "notes": notes, "raw": raw}
        t0 = timer()
        path, labels, n = write_memmap(tmp, gib)
        notes.append(f"memmap: {gib:g} GiB float32 file, {n} x {FEATURES}, written in "
                     f"{timer() - t0:.0f} s to {tmp} (deleted afterwards); one epoch of the "
                     + ("W4 network, batch 256" if args.memmap_model == "w4"
                        else "small network 256 -> 64 relu -> 10, batch 1024"))
        r = C.run_child(SCRIPT, "actloss", {"path": path, "labels": labels, "rows": n,
                                            "model": args.memmap_model}, timeout=1800)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    raw["memmap"] = r
    if "error" in r:
        notes.append(f"memmap failed: {r['error']}")
    label = f"memmap {gib:g} GiB"
    rows.append(C.row("memmap", f"{label}: peak RSS", "MiB", {"actloss": r.get("peak_rss_mib")},
                      {"vs": "custom", "ratio": C.ratio(r.get("peak_rss_mib"), 1024.0),
                       "hi": 1.0, "label": "peak RSS / 1 GiB"}, ratios=False))
    rows.append(C.row("memmap", f"{label}: peak anonymous RSS", "MiB",
                      {"actloss": r.get("peak_anon_mib")}, ratios=False))
    rows.append(C.row("memmap", f"{label}: epoch time ({n} rows)", "s",
                      {"actloss": r.get("fit_s")}, ratios=False))
    return {"workload": "scaling", "rows": rows, "notes": notes, "raw": raw}


if __name__ == "__main__":
    _entry.script_main(WORKERS, build_parser, run)
