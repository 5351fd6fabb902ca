"""Run every benchmark (W1-W6, scaling, memmap) and print ONE table: actloss, each installed peer,
the NumPy floors, actloss's ratio to each, the issue's target for each ratio and PASS/FAIL.

    python benchmarks/run.py              # the full comparison (what `make bench` runs)
    python benchmarks/run.py --quick      # tiny sizes, one process each: seconds
    python benchmarks/run.py --only W1,W4 --reps 3 --json results.json

Every measurement runs in fresh child processes with 2 threads per library; see README.md.
"""

import os
import platform
import sys
import time
from importlib import metadata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402
import scaling  # noqa: E402
import w1_tutorial_a  # noqa: E402
import w2_tutorial_b  # noqa: E402
import w3_digits  # noqa: E402
import w4_wide  # noqa: E402
import w5_elementwise  # noqa: E402
import w6_lab_grid  # noqa: E402

MODULES = {"W1": w1_tutorial_a, "W2": w2_tutorial_b, "W3": w3_digits, "W4": w4_wide,
           "W5": w5_elementwise, "W6": w6_lab_grid, "scaling": scaling}


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def header() -> str:
    libs = ", ".join(f"{d} {_version(d)}" for d in
                     ("numpy", "scipy", "scikit-learn", "torch", "tensorflow", "keras"))
    return (f"actloss benchmarks, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n"
            f"machine: {os.cpu_count()} CPUs ({_cpu()}), Python {platform.python_version()}\n"
            f"libraries: {libs}\n"
            f"every implementation: float32, {C.THREADS} threads "
            f"({', '.join(C.THREAD_VARS[:3])}={C.THREADS}, torch.set_num_threads({C.THREADS})), "
            f"fresh child processes, {C.STAT} over the repetitions")


def main(argv=None):
    p = C.parser("Run every actloss benchmark and print one table", 0)
    p.add_argument("--only", default=",".join(MODULES),
                   help="comma-separated subset of " + ",".join(MODULES))
    p.add_argument("--memmap-gb", type=float, default=None,
                   help="memmap size for the scaling run in GiB (4; 0 skips it)")
    args = p.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(MODULES))
    if unknown:
        p.error(f"--only: unknown {unknown}; choose from {list(MODULES)}")
    forward = (["--quick"] if args.quick else []) + (["--reps", str(args.reps)] if args.reps else [])
    forward += ["--impls", args.impls, "--stat", args.stat]
    C.reps_of(args, 1)  # sets C.STAT for the header
    print(header(), flush=True)
    rows, notes, raw = [], [], {}
    start = time.perf_counter()
    for name in chosen:
        mod = MODULES[name]
        extra = ["--memmap-gb", str(args.memmap_gb)] if name == "scaling" and args.memmap_gb is not None else []
        t0 = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = mod.run(mod.build_parser().parse_args(forward + extra))
        rows += result["rows"]
        notes += result["notes"]
        raw[name] = result.get("raw", {})
        print(f"  {name} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    print()
    print(C.table(rows))
    print()
    for note in notes:
        print("note:", note)
    verdicts = [r["result"] for r in rows if r["result"]]
    print(f"\n{verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, "
          f"{verdicts.count('n/a')} n/a; total {time.perf_counter() - start:.0f} s. Ratios are "
          "actloss / reference in this one run; the machine may be shared, so rerun what is close.")
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"header": header(), "rows": rows, "notes": notes, "raw": raw}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
