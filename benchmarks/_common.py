"""Parent-side plumbing shared by the benchmark scripts.

Every measurement runs in a fresh child process (``script.py --worker IMPL --params JSON``, see
``_worker.py``) with 2 threads for every library, and the parent keeps the median of several
children. Rows carry the values of each implementation and, where the issue sets one, a target on
the ratio actloss / reference; ``run.py`` prints all rows as one table.
"""

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time

from _worker import MARKER

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "src")
THREADS = 2

#: Column order of the table: actloss, the peers, then the NumPy floor.
IMPLS = ("actloss", "sklearn", "torch", "keras")
LABELS = {"actloss": "actloss", "sklearn": "scikit-learn", "torch": "PyTorch", "keras": "Keras/TF",
          "floor": "floor"}
INSTALL_HINT = {"sklearn": "pip install scikit-learn", "torch": "pip install torch==2.13.0",
                "keras": "pip install tensorflow-cpu; deliberately not installed by make bench"}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "BLIS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def child_env() -> dict:
    """Environment of every child: 2 threads everywhere, the worktree's ``src`` importable
    (after any ``PYTHONPATH`` already set, so an installed or given actloss wins)."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(THREADS)
    env["TF_NUM_INTEROP_THREADS"] = "1"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["KERAS_BACKEND"] = "tensorflow"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), SRC) if p)
    return env


def _find(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


MODEL_MODULES = ("actloss.models", "actloss.layers", "actloss.optimizers")


def installed(impl: str, needs=MODEL_MODULES) -> bool:
    """Whether ``impl`` can run here. actloss needs the modules ``needs`` (by default its
    Keras-style models, layers and optimizers)."""
    if impl == "actloss":
        if SRC not in sys.path:
            sys.path.append(SRC)
        return all(_find(m) for m in needs)
    if impl == "keras":
        return _find("tensorflow") and _find("keras")
    return _find({"sklearn": "sklearn", "torch": "torch"}.get(impl, impl))


def skip_reason(impl: str, needs=MODEL_MODULES) -> str:
    if impl == "actloss":
        return f"{', '.join(needs)} not importable yet"
    return f"{LABELS[impl]} not installed ({INSTALL_HINT[impl]})"


def run_child(script: str, impl: str, params: dict, timeout: float = 900) -> dict:
    """Run ``script --worker impl`` once in a fresh process; its dict plus ``process_s`` (the
    whole child's wall time, interpreter start included), or ``{"error": ...}``."""
    cmd = [sys.executable, script, "--worker", impl, "--params", json.dumps(params)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER):])
            result["process_s"] = wall
            return result
    tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return {"error": (tail[-1] if tail else f"exit code {proc.returncode}, no result")[:300]}


#: Which statistic over the repetitions the tables show: "median" (default) or "min" (the least
#: disturbed repetition, for a machine shared with other jobs); set by ``--stat``.
STAT = "median"


def median_of(results: list) -> dict:
    """Median of every numeric key over the children (and its minimum as ``key_min``); with
    ``STAT == "min"`` the key itself holds the minimum. The first error wins."""
    for r in results:
        if "error" in r:
            return r
    keys = [k for k, v in results[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    out = {}
    for k in keys:
        vals = [r[k] for r in results if k in r]
        out[k + "_median"], out[k + "_min"] = statistics.median(vals), min(vals)
        out[k] = out[k + "_min"] if STAT == "min" else out[k + "_median"]
    out["n"] = len(results)
    for k, v in results[0].items():
        out.setdefault(k, v)
    return out


def repeat(script: str, impl: str, params: dict, reps: int, timeout: float = 900) -> dict:
    return median_of([run_child(script, impl, params, timeout) for _ in range(max(1, reps))])


def parser(description: str, reps: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="tiny size, one repetition: seconds")
    p.add_argument("--reps", type=int, default=None,
                   help=f"fresh processes per implementation (median; default {reps}, 1 with --quick)")
    p.add_argument("--impls", default=",".join(IMPLS),
                   help="comma-separated subset of " + ",".join(IMPLS))
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    p.add_argument("--stat", choices=("median", "min"), default="median",
                   help="statistic over the repetitions (median; min = least disturbed, for a "
                        "shared machine)")
    return p


def reps_of(args, default: int) -> int:
    global STAT
    STAT = getattr(args, "stat", "median")
    return args.reps if args.reps else (1 if args.quick else default)


def impls_of(args) -> list:
    wanted = [s.strip() for s in args.impls.split(",") if s.strip()]
    bad = sorted(set(wanted) - set(IMPLS))
    if bad:
        raise SystemExit(f"--impls: unknown {bad}; choose from {list(IMPLS)}")
    return wanted


def measure_all(script: str, impls: list, params, reps: int, notes: list, timeout=900,
                always=(), needs=MODEL_MODULES) -> dict:
    """{impl: median dict | {"skip": reason} | {"error": message}} for every impl asked for, plus
    the ``always`` ones (e.g. the NumPy floor), which need no peer installed. ``params`` is a dict
    or a function (impl, repetition) -> dict. Repetitions go round-robin over the implementations, so that a
    burst of load from elsewhere on the machine hits them all alike."""
    out, runs = {}, {}
    for impl in impls:
        if not installed(impl, needs):
            out[impl] = {"skip": skip_reason(impl, needs)}
            notes.append(f"{LABELS[impl]}: skipped, {skip_reason(impl, needs)}")
        else:
            runs[impl] = []
    for impl in always:
        runs[impl] = []
    for rep in range(max(1, reps)):
        for impl in runs:
            if runs[impl] and "error" in runs[impl][-1]:
                continue
            p = params(impl, rep) if callable(params) else params
            runs[impl].append(run_child(script, impl, p, timeout))
    for impl, results in runs.items():
        out[impl] = median_of(results)
        if "error" in out[impl]:
            notes.append(f"{LABELS.get(impl, impl)} failed: {out[impl]['error']}")
    return out


def values(results: dict, key: str, scale: float = 1.0) -> dict:
    """{impl: number | "skip" | "error"} from :func:`measure_all` output."""
    out = {}
    for impl, r in results.items():
        if "skip" in r:
            out[impl] = "skipped"
        elif "error" in r:
            out[impl] = "error"
        elif r.get(key) is None:
            out[impl] = None
        else:
            out[impl] = r[key] * scale
    return out


# ------------------------------------------------------------------ rows, ratios, targets
def row(workload: str, metric: str, unit: str, vals: dict, target=None, ratios=True) -> dict:
    """One table row. ``target``: ``{"vs": "sklearn"|"torch"|"floor"|..., "hi": 0.25}`` bounds the
    ratio actloss / vals[vs]; ``{"vs": "abs", "lo": 0.97}`` bounds actloss's own value;
    ``{"vs": "custom", "ratio": r, "lo": .., "hi": .., "label": ..}`` a ratio computed by the script."""
    return {"workload": workload, "metric": metric, "unit": unit, "values": vals,
            "target": target, "ratios": ratios}


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def ratio(a, b):
    return a / b if _num(a) and _num(b) and b != 0 else None


def evaluate(r: dict) -> dict:
    """Add ``ratio_vs`` ({ref: actloss/ref}) and ``result`` (PASS, FAIL, n/a or '') to a row."""
    vals = r["values"]
    a = vals.get("actloss")
    r["ratio_vs"] = {k: ratio(a, v) for k, v in vals.items()
                     if k != "actloss" and r["ratios"]} if r["ratios"] else {}
    t = r.get("target")
    if not t:
        r["result"] = ""
        return r
    if t["vs"] == "abs":
        value = a if _num(a) else None
    elif t["vs"] == "custom":
        value = t.get("ratio") if _num(t.get("ratio")) else None
    else:
        value = r["ratio_vs"].get(t["vs"]) if r["ratios"] else ratio(a, vals.get(t["vs"]))
    r["checked"] = value
    if value is None:
        r["result"] = "n/a"
    else:
        ok = (t.get("lo") is None or value >= t["lo"]) and (t.get("hi") is None or value <= t["hi"])
        r["result"] = "PASS" if ok else "FAIL"
    return r


def target_text(t) -> str:
    if not t:
        return ""
    if t["vs"] == "abs":
        what = t.get("label", "value")
    elif t["vs"] == "custom":
        what = t.get("label", "ratio")
    else:
        what = f"x {LABELS.get(t['vs'], t['vs'])}"
    lo, hi = t.get("lo"), t.get("hi")
    if lo is not None and hi is not None:
        return f"{what} in [{lo:.3g}, {hi:.3g}]"
    return f"{what} {'<=' if hi is not None else '>='} {(hi if hi is not None else lo):.3g}"


def fmt_value(v, unit: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if unit == "s":
        return f"{v * 1e3:.3g} ms" if v < 1 else f"{v:.3g} s"
    if unit == "%":
        return f"{v * 100:.1f}%"
    return f"{v:.3g} {unit}"


def fmt_ratio(x) -> str:
    return "-" if x is None else f"{x:.3g}"


COLUMNS = ("workload", "metric", "actloss", "scikit-learn", "PyTorch", "Keras/TF", "floor",
           "a/skl", "a/torch", "a/keras", "a/floor", "target", "result")


def table(rows: list) -> str:
    """A Markdown table: values, actloss's ratio to each peer and to the floor, target, verdict."""
    lines = []
    for r in rows:
        evaluate(r)
        v, rv, t = r["values"], r["ratio_vs"], r.get("target")
        cells = [r["workload"], r["metric"]]
        cells += [fmt_value(v.get(k), r["unit"]) for k in ("actloss", "sklearn", "torch", "keras", "floor")]
        cells += [fmt_ratio(rv.get(k)) for k in ("sklearn", "torch", "keras", "floor")]
        if t and t["vs"] in ("custom", "abs"):
            shown = r.get("checked")
            cells.append(target_text(t) + ("" if shown is None or t["vs"] == "abs"
                                           else f" (= {shown:.3g})"))
        else:
            cells.append(target_text(t))
        cells.append(r["result"])
        lines.append(cells)
    widths = [max(len(str(c)) for c in col) for col in zip(COLUMNS, *lines)]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |" for cells in lines]
    return "\n".join(out)


def report(result: dict, args) -> None:
    """Print one script's rows and notes (and write JSON when asked)."""
    print(table(result["rows"]))
    for note in result.get("notes", []):
        print("note:", note)
    if getattr(args, "json", None):
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


def check_dtype_note() -> str:
    what = "minima" if STAT == "min" else "medians"
    return f"float32, {THREADS} threads per library, {what} over fresh processes"
