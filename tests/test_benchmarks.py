"""Smoke tests of the benchmark harness: every script on a tiny size (--quick), actloss's side
and the installed peers, with the output parsed and checked (numbers finite and positive, ratios
equal to the values' quotient, verdicts consistent with the targets). Not a speed test."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

import _common as C  # noqa: E402

HAVE = {impl: C.installed(impl) for impl in C.IMPLS}
HAVE_ACTIVATIONS = C.installed("actloss", ("actloss.activations",))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT / "src")) if p)
    return env


def run_script(name, tmp_path, *extra):
    out = tmp_path / f"{name}.json"
    proc = subprocess.run([sys.executable, str(BENCH / name), "--quick", "--json", str(out), *extra],
                          capture_output=True, text=True, timeout=180, env=_env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| workload | metric" in proc.stdout          # the table was printed
    return json.loads(out.read_text()), proc.stdout


def finite_positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def check_rows(result, metric, impls, want=finite_positive):
    """The row named ``metric`` has a good number for each impl that can run, and a skip for the
    others; its ratios are the quotients of its values; its verdict follows its target."""
    rows = [r for r in result["rows"] if r["metric"] == metric]
    assert rows, f"no row {metric!r} in {[r['metric'] for r in result['rows']]}"
    row = rows[0]
    for impl in impls:
        value = row["values"].get(impl)
        if HAVE.get(impl, True):
            assert want(value), f"{metric}: {impl} gave {value!r}; notes: {result['notes']}"
        else:
            assert value == "skipped"
    a = row["values"].get("actloss")
    for ref, r in row.get("ratio_vs", {}).items():
        v = row["values"].get(ref)
        if finite_positive(a) and finite_positive(v):
            assert r == pytest.approx(a / v)
        else:
            assert r is None
    if row.get("target") and row.get("checked") is not None:
        t, x = row["target"], row["checked"]
        ok = (t.get("lo") is None or x >= t["lo"]) and (t.get("hi") is None or x <= t["hi"])
        assert row["result"] == ("PASS" if ok else "FAIL")
    return row


def test_ratio_and_verdict_logic():
    r = C.evaluate(C.row("W1", "fit", "s", {"actloss": 1.0, "sklearn": 5.0, "torch": "skipped"},
                         {"vs": "sklearn", "hi": 0.25}))
    assert r["ratio_vs"] == {"sklearn": 0.2, "torch": None} and r["result"] == "PASS"
    r = C.evaluate(C.row("W4", "epoch", "s", {"actloss": 2.0, "floor": 1.0}, {"vs": "floor", "hi": 1.15}))
    assert r["ratio_vs"]["floor"] == 2.0 and r["result"] == "FAIL"
    r = C.evaluate(C.row("W3", "acc", "%", {"actloss": 0.96}, {"vs": "abs", "lo": 0.97}, ratios=False))
    assert r["result"] == "FAIL" and r["ratio_vs"] == {}
    r = C.evaluate(C.row("s", "t", "s", {"actloss": "skipped"}, {"vs": "sklearn", "hi": 1}))
    assert r["result"] == "n/a"
    r = C.evaluate(C.row("s", "t", "s", {"actloss": 3.0},
                         {"vs": "custom", "ratio": 1.05, "lo": 0.9, "hi": 1.1}, ratios=False))
    assert r["result"] == "PASS"
    table = C.table([r])
    assert table.splitlines()[0].startswith("| workload | metric") and "PASS" in table
    assert C.median_of([{"a": 1.0}, {"a": 3.0}, {"a": 2.0}])["a"] == 2.0
    assert "error" in C.median_of([{"a": 1.0}, {"error": "boom"}])


def test_w1_tutorial_a(tmp_path):
    res, out = run_script("w1_tutorial_a.py", tmp_path, "--impls", "actloss,sklearn,torch")
    impls = ("actloss", "sklearn", "torch")
    fit = check_rows(res, "fit, first in process", impls)
    proc = check_rows(res, "whole process", impls)
    check_rows(res, "final training loss", impls, lambda v: isinstance(v, float) and 0 < v < 5)
    for impl in impls:
        if HAVE[impl]:  # the whole process contains the fit
            assert proc["values"][impl] > fit["values"][impl]
    assert fit["target"] == {"vs": "sklearn", "hi": 0.25}


def test_w2_tutorial_b(tmp_path):
    res, _ = run_script("w2_tutorial_b.py", tmp_path, "--impls", "actloss,sklearn")
    check_rows(res, "fit, first in process", ("actloss", "sklearn"))
    check_rows(res, "final training loss", ("actloss", "sklearn"), lambda v: math.isfinite(v))


@pytest.mark.skipif(not HAVE["sklearn"], reason="load_digits needs scikit-learn")
def test_w3_digits(tmp_path):
    res, _ = run_script("w3_digits.py", tmp_path, "--impls", "actloss,sklearn")
    check_rows(res, "time per epoch", ("actloss", "sklearn"))
    # 2 epochs on digits: far above chance (10%) for anything that learns
    check_rows(res, "test accuracy (median)", ("actloss", "sklearn"), lambda v: 0.5 < v <= 1.0)


def test_w4_wide(tmp_path):
    res, _ = run_script("w4_wide.py", tmp_path, "--impls", "actloss,sklearn,torch")
    impls = ("actloss", "sklearn", "torch", "floor")
    check_rows(res, "epoch time (after warm-up)", impls)
    check_rows(res, "peak RSS, whole process (data included)", impls,
               lambda v: finite_positive(v) and v > 10)
    working = check_rows(res, "training working set (peak during fit - RSS before)", impls,
                         finite_positive)
    assert working["target"] == {"vs": "floor", "hi": 1.25}
    paired = check_rows(res, "epoch / GEMM floor, same process", impls)
    assert paired["values"]["floor"] == pytest.approx(1.0)
    assert paired["target"]["hi"] == 1.15
    if HAVE["actloss"]:
        assert paired["checked"] == paired["values"]["actloss"]


def test_w5_elementwise(tmp_path):
    res, _ = run_script("w5_elementwise.py", tmp_path, "--impls", "actloss,torch")
    names = set()
    if HAVE_ACTIVATIONS:
        from actloss import activations as A
        names = set(A.names())
    for fn in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softmax"):
        for part in ("forward", "derivative"):
            row = [r for r in res["rows"] if r["metric"] == f"{fn} {part}"][0]
            assert finite_positive(row["values"]["floor"])
            if HAVE["torch"]:
                assert finite_positive(row["values"]["torch"])
            if fn in names:   # a function of the catalog must be measured, not fail
                assert finite_positive(row["values"]["actloss"]), res["notes"]
                if HAVE["torch"]:
                    assert finite_positive(row["ratio_vs"]["torch"]) and row["result"] in ("PASS", "FAIL")


def test_scaling_and_memmap(tmp_path):
    res, _ = run_script("scaling.py", tmp_path, "--memmap-gb", "0.005")
    if not HAVE["actloss"]:
        assert res["rows"] == [] and any("skipped" in n for n in res["notes"])
        return
    times = [r for r in res["rows"] if "epoch time" in r["metric"] and r["workload"] == "scaling"]
    assert len(times) == 4 and all(finite_positive(r["values"]["actloss"]) for r in times)
    assert all(finite_positive(r["checked"]) for r in times)
    peak = [r for r in res["rows"] if r["metric"].endswith("peak RSS") and r["workload"] == "memmap"][0]
    assert finite_positive(peak["values"]["actloss"]) and peak["result"] in ("PASS", "FAIL")
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("actloss-bench-memmap-*"))


@pytest.mark.skipif(not HAVE["sklearn"], reason="load_digits needs scikit-learn")
def test_w6_lab_grid(tmp_path):
    # the Dask run starts a LocalCluster: a minute on a busy 2-core machine, so only on request
    slow = os.environ.get("ACTLOSS_SLOW_TESTS") == "1" and C.installed("distributed")
    extra = [] if slow else ["--no-dask"]
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    before = set(tmp.glob("actloss-bench-w6-*"))
    res, _ = run_script("w6_lab_grid.py", tmp_path, "--impls", "actloss,sklearn", *extra)
    row = check_rows(res, "lab grid, whole command", ("actloss", "sklearn"))
    assert row["target"] == {"vs": "sklearn", "hi": 0.5}
    if not extra:
        dask = [r for r in res["rows"] if r["metric"].startswith("--scheduler local")][0]
        assert finite_positive(dask["values"]["actloss"])
        assert dask["checked"] == pytest.approx(dask["values"]["actloss"] /
                                                row["values"]["actloss"])
        assert dask["result"] in ("PASS", "FAIL") and dask["target"]["hi"] == 1.2
    assert set(tmp.glob("actloss-bench-w6-*")) <= before  # its output folder is removed
