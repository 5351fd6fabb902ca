"""actloss.experiments: the grid, executors giving identical numbers, resume, failures."""

import json

import numpy as np
import pytest

from actloss import datasets
from actloss.experiments import build_grid, compare, output_spec

TINY = dict(activations=["relu", "tanh"], hidden=[8], epochs=3, batch_size=64, seeds=2,
            progress=False, report=False, echo=lambda *a: None)


def _numbers(comparison):
    """Everything a cell measured except its wall-clock time."""
    return [(cell, {k: v for k, v in r.items() if k != "time_s"})
            for cell, r in comparison.cells]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return compare("moons", out=tmp_path_factory.mktemp("serial"), **TINY)


def test_serial_run_writes_every_cell_and_results(serial):
    out = serial.out
    assert len(serial.cells) == 4 and all(r["status"] == "ok" for _, r in serial.cells)
    assert len(list((out / "cells").glob("*.json"))) == 4
    rows = json.loads((out / "results.json").read_text())["cells"]
    assert {r["activation"] for r in rows} == {"relu", "tanh"}
    for r in rows:
        for k in ("train_loss", "val_loss", "test_loss", "train_metric", "val_metric",
                  "test_metric", "epochs_run", "time_s", "grad_ratio"):
            assert r[k] is not None, k
        assert r["epochs_run"] == 3 and 0 <= r["val_metric"] <= 1
    assert (out / "results.csv").read_text().count("\n") == 5
    assert serial.table.splitlines()[0].startswith("rank")
    assert [e["rank"] for e in serial.ranking] == [1, 2]
    assert serial.ranking[0]["val_metric"] >= serial.ranking[1]["val_metric"]


def test_processes_give_identical_numbers(serial, tmp_path):
    parallel = compare("moons", out=tmp_path, jobs=2, **TINY)
    assert _numbers(parallel) == _numbers(serial)


def test_rerun_skips_finished_cells_and_a_change_is_a_new_cell(serial, tmp_path, monkeypatch):
    import actloss.experiments._executors as ex

    first = compare("moons", out=tmp_path, **{**TINY, "seeds": 1})
    ran = []
    real = ex.run_cell
    monkeypatch.setattr(ex, "run_cell", lambda cell, ds: ran.append(cell) or real(cell, ds))
    again = compare("moons", out=tmp_path, **{**TINY, "seeds": 1})
    assert ran == [] and again.skipped == 2 and _numbers(again) == _numbers(first)
    more = compare("moons", out=tmp_path, **TINY)  # seed 1 is new; seed 0 is done
    assert len(ran) == 2 and {c["seed"] for c in ran} == {1} and more.skipped == 2
    assert _numbers(more) == _numbers(serial)
    compare("moons", out=tmp_path, **{**TINY, "seeds": 1, "epochs": 2})  # changed: new cells
    assert len(ran) == 4 and len(list((tmp_path / "cells").glob("*.json"))) == 6


def test_raising_cell_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import actloss.experiments._cell as cellmod

    real = cellmod._train

    def flaky(cell, ds):
        if cell["activation"] == "tanh":
            raise RuntimeError("boom in the cell")
        return real(cell, ds)

    monkeypatch.setattr(cellmod, "_train", flaky)
    result = compare("moons", out=tmp_path, **TINY)
    status = {(c["activation"], r["status"]) for c, r in result.cells}
    assert status == {("relu", "ok"), ("tanh", "failed")}
    failed = [r for c, r in result.cells if r["status"] == "failed"]
    assert all(r["error"] == "RuntimeError: boom in the cell" for r in failed)
    assert result.ranking[-1]["ok"] == 0 and "boom in the cell" in result.table
    saved = [json.loads(p.read_text()) for p in (tmp_path / "cells").glob("*.json")]
    assert sum(s["result"]["status"] == "failed" for s in saved) == 2


@pytest.mark.needs("data")
def test_diverging_cell_is_recorded_as_failed(tmp_path):
    result = compare("diabetes", out=tmp_path, **{**TINY, "activations": ["linear"],
                                                   "optimizers": ["sgd"], "seeds": 1,
                                                   "learning_rates": [1e6], "epochs": 4})
    (cell, r), = result.cells
    assert r["status"] == "failed" and r["error"].startswith("FloatingPointError: diverged")


def test_dask_local_cluster_gives_identical_numbers(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert len(cluster.workers) == 2
        result = compare("moons", out=tmp_path, scheduler=cluster.scheduler_address, **TINY)
    assert _numbers(result) == _numbers(serial)


@pytest.mark.needs("dask")
@pytest.mark.parametrize("start", ["forkserver", "spawn"])
def test_local_cluster_shares_the_cells_with_this_process_and_none_runs_twice(serial, tmp_path,
                                                                             monkeypatch, start):
    """--scheduler local: this process trains cells from before the LocalCluster is up, and
    the cluster's workers share the rest with it; each cell runs once, with the serial run's
    numbers. Also where there is no fork server (the helper is spawned)."""
    import multiprocessing
    import threading

    import actloss.experiments._executors as ex
    from actloss.experiments import _dask, _procs, cell_key

    if start == "spawn":
        monkeypatch.setattr(_dask, "_start_fork_server",
                            lambda: multiprocessing.get_context("spawn"))

    here, handed, cluster_took_one = [], [], threading.Event()
    take, real = _procs.Cells.take, ex.run_cell

    def hand_over(queue):  # the relay thread's takes go to the cluster
        cell = take(queue)
        if cell is not None and threading.current_thread() is not threading.main_thread():
            handed.append(cell)
            cluster_took_one.set()
        return cell

    def run_here(cell, ds):  # this process's cells (the workers run _cell.run_cell)
        here.append(cell)
        if not cluster_took_one.wait(120):  # so that the cluster gets some for certain
            raise RuntimeError("the cluster never took a cell")
        return real(cell, ds)

    monkeypatch.setattr(_procs.Cells, "take", hand_over)
    monkeypatch.setattr(ex, "run_cell", run_here)
    result = compare("moons", out=tmp_path, scheduler="local", jobs=2, **TINY)
    assert here and handed and len(here) + len(handed) == 4
    ran = sorted(cell_key(c) for c in here + handed)  # four distinct cells: each ran once
    assert ran == sorted(cell_key(c) for c, _ in result.cells)
    assert _numbers(result) == _numbers(serial)


def test_cells_run_costliest_first_so_the_last_ones_are_short(monkeypatch):
    from actloss.experiments import _procs

    monkeypatch.setattr(_procs, "activation_costs",
                        lambda cells: {"tanh": 3.0, "sigmoid": 2.0, "relu": 1.0})
    cells = [{"activation": a, "seed": s} for a in ("sigmoid", "relu", "tanh") for s in range(3)]
    order = [(c["activation"], c["seed"]) for c in _procs.costliest_first(cells)]
    assert order == [(a, s) for a in ("tanh", "sigmoid", "relu") for s in range(3)]
    assert _procs.costliest_first(cells[:2]) == cells[:2]  # nothing to order


def test_an_activation_that_fails_is_timed_as_free_not_raised(monkeypatch):
    from actloss import activations
    from actloss.experiments import _procs

    class Broken:
        def __call__(self, x):
            raise RuntimeError("a user's activation that cannot run on this input")

    real = activations.get
    monkeypatch.setattr(activations, "get", lambda name: Broken() if name == "mine" else real(name))
    costs = _procs.activation_costs([{"activation": "mine"}, {"activation": "relu"}])
    assert costs["mine"] == 0.0 and costs["relu"] > 0.0


@pytest.mark.skipif("forkserver" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="no fork server on this platform")
@pytest.mark.parametrize("preload_exit", [True, False])
def test_the_fork_server_leaves_without_tearing_down_its_imports(tmp_path, preload_exit):
    """The lab's fork server imports _forkserver_exit last: when the command has gone it exits
    at once, so the atexit handlers of what it imported before (distributed's, NumPy's) never
    run. Without it (the control) they do."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import actloss

    (tmp_path / "marker_at_exit.py").write_text(
        "import atexit, pathlib\n"
        f"atexit.register(pathlib.Path({str(tmp_path / 'ran')!r}).write_text, 'x')\n")
    preload = ["marker_at_exit"] + (["actloss.experiments._forkserver_exit"] if preload_exit
                                    else [])
    script = f"""
import multiprocessing, os
if __name__ == "__main__":
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload({preload!r})
    from multiprocessing import forkserver
    forkserver.ensure_running()
    server = forkserver._forkserver
    pid = server._forkserver_pid
    p = ctx.Process(target=print)   # a child: the server has done its imports
    p.start(); p.join()
    os.close(server._forkserver_alive_fd)  # what the command's exit does
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""
    (tmp_path / "main.py").write_text(script)
    # the server is a new interpreter: it finds modules through PYTHONPATH (its preload
    # skips what it cannot import), so both folders go there, actloss's checkout too
    path = os.pathsep.join([str(tmp_path), str(Path(actloss.__file__).parents[1])])
    done = subprocess.run([sys.executable, str(tmp_path / "main.py")], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": path})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"
    assert (tmp_path / "ran").exists() is not preload_exit


@pytest.mark.needs("data")
def test_grid_validates_names_and_tasks():
    ds = datasets.load("moons", n_samples=40)
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        build_grid(ds, ["rellu"])
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        build_grid(ds, ["relu"], optimizers=["adm"])
    with pytest.raises(ValueError, match="learning-rates"):
        build_grid(ds, ["relu"], learning_rates=[0])
    reg = datasets.load("diabetes")
    with pytest.raises(ValueError, match="regression task"):
        build_grid(reg, ["relu"], losses=["categorical_crossentropy"])
    with pytest.raises(ValueError, match="binary task"):
        build_grid(datasets.load("iris"), ["relu"], losses=["binary_crossentropy"])
    assert build_grid(reg, ["relu"])[0]["loss"] == "mean_squared_error"
    assert output_spec("binary", "mean_squared_error", 2).label.endswith("on classes")
    assert np.isclose(build_grid(ds, ["relu"], learning_rates=["1e-2"])[0]["learning_rate"], 0.01)


def test_unreadable_cells_are_recomputed_with_one_line_each(serial, tmp_path):
    import shutil
    shutil.copytree(serial.out / "cells", tmp_path / "cells")
    files = sorted((tmp_path / "cells").glob("*.json"))
    own = json.loads(files[2].read_text())
    files[0].write_text("[1, 2, 3]")                                   # valid JSON, wrong shape
    files[1].write_text(files[1].read_text()[:100])                     # half-written
    files[2].write_text(json.dumps({**own, "result": {"status": "ok"}}))  # fields missing
    (tmp_path / "cells" / ".x.json.999999999.tmp").write_text("{")      # a killed writer's
    said = []
    again = compare("moons", out=tmp_path, **{**TINY, "echo": said.append})
    problems = sorted(line for line in said if "running that cell again" in line)
    assert problems == sorted([f"cells/{files[0].name} holds a JSON list, not a cell; running "
                               f"that cell again",
                               f"cells/{files[1].name} is not valid JSON (half-written?); "
                               f"running that cell again",
                               f"cells/{files[2].name} has a malformed result; running that "
                               f"cell again"])
    assert again.skipped == 1 and _numbers(again) == _numbers(serial)
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == [f.name for f in files]


def test_a_cell_diagnoses_about_ten_epochs_and_the_last(tmp_path):
    """Diagnostics (a forward and backward pass) on epochs 0, k, 2k, ... and the last; the
    curves of loss and metric keep every epoch."""
    from actloss.experiments import run_cell

    ds = datasets.load("moons", n_samples=120)
    cell = build_grid(ds, ["relu"], hidden=[4], epochs=25, batch_size=64)[0]
    r = run_cell(cell, ds)
    d = r["diagnostics"]
    assert d["epochs"] == [0, 3, 6, 9, 12, 15, 18, 21, 24]
    assert len(d["grad_ratio"]) == len(d["dead_fraction"]) == len(d["grad_norm_per_layer"]) == 9
    assert len(r["curves"]["metric"]) == len(r["curves"]["val_metric"]) == 25
    assert r["grad_ratio"] == d["grad_ratio"][-1]
