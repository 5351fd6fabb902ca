"""Compare activations, losses, optimizers and learning rates on a data set: the lab.

:func:`compare` trains every cell of the grid activation x loss x optimizer x learning rate x
seed, on this process, on local processes (``jobs``) or on a Dask cluster (``scheduler``), and
writes into ``out``:

* ``cells/<key>.json``: each cell as soon as it finishes (a rerun skips those; a changed
  configuration has another key);
* ``results.csv``, ``results.json``: one row per cell (configuration, final train/val/test loss
  and metric, epochs run, time, dead-unit fraction, first/last layer gradient ratio);
* SVG figures and ``report.html``, a self-contained page that says in words what the numbers
  show, then the ranked table and the figures.

>>> from actloss.experiments import build_grid
>>> from actloss.datasets import load
>>> cells = build_grid(load("xor", n_samples=40), ["relu", "tanh"], seeds=2)
>>> len(cells), cells[0]["loss"], cells[0]["init"]
(4, 'binary_crossentropy', 'he_normal')
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ._cell import clean as json_ready, encode_targets, metric, predicted_labels, run_cell
from ._executors import describe, execute, prepare
from ._grid import (DEFAULT_LOSS, build_grid, cell_key, group_key, initializer_for,
                    output_spec)
from ._report import figures, ranking_rows, write_report
from ._results import clean_stale_tmp, format_table, rank, write_json, write_results


@dataclass
class Comparison:
    """What :func:`compare` produced: every cell with its result, the ranking, the files."""

    cells: list = field(default_factory=list)       # [(cell, result)] in grid order
    ranking: list = field(default_factory=list)
    table: str = ""
    out: Path | None = None
    skipped: int = 0
    report: Path | None = None


_NUMBERS = ("train_loss", "val_loss", "test_loss", "train_metric", "val_metric", "test_metric",
            "dead_fraction", "grad_ratio")


def _number(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _problem(saved, cell: dict):
    """Why a saved cell cannot be used (None: it can): anything but the structure
    :func:`run_cell` writes, for this very cell, is unfinished work."""
    if not isinstance(saved, dict):
        return f"holds a JSON {type(saved).__name__}, not a cell"
    if saved.get("config") != cell:
        return "was written for another configuration"
    r = saved.get("result")
    if not isinstance(r, dict) or r.get("status") not in ("ok", "failed"):
        return "has no finished result"
    if not _number(r.get("time_s")) or not isinstance(r.get("warnings", []), list):
        return "has a malformed result"
    if r["status"] == "failed":
        return None if isinstance(r.get("error"), str) else "has a failed result without error"
    curves = r.get("curves")
    if not (isinstance(r.get("label"), str) and isinstance(r.get("metric"), str)
            and isinstance(r.get("epochs_run"), int) and isinstance(curves, dict)
            and all(isinstance(c, list) and all(map(_number, c)) for c in curves.values())
            and all(_number(r.get(k)) for k in _NUMBERS)
            and isinstance(r.get("diagnostics", {}), (dict, type(None)))):
        return "has a malformed result"
    return None


def _load_finished(path: Path, cell: dict, echo=None):
    """The saved result of ``cell``, or None (absent, half-written, or not a cell of this
    configuration: run it again; ``echo`` says so in one line when the file was there)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        problem = f"cannot be read ({type(err).__name__})"
    else:
        try:
            saved = json.loads(text)
        except (ValueError, RecursionError):
            problem = "is not valid JSON (half-written?)"
        else:
            problem = _problem(saved, cell)
            if problem is None:
                return saved["result"]
    if echo is not None:
        echo(f"{path.parent.name}/{path.name} {problem}; running that cell again")
    return None


def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, unit="cell", desc="compare", file=sys.stderr,
                dynamic_ncols=True)


def compare(dataset, *, target=None, activations=("relu",), losses=None, optimizers=("adam",),
            learning_rates=(1e-3,), hidden=(64, 64), epochs=20, batch_size=32, seeds=1,
            jobs=1, scheduler=None, out="runs/compare", progress=True, report=True,
            command="", title="", echo=print, drop_missing=False) -> Comparison:
    """Run the grid (see the module docstring) and write the results into ``out``.

    ``jobs > 1`` starts worker processes with the ``spawn`` method, so a script that calls
    ``compare`` with jobs must do so under ``if __name__ == "__main__":`` (as with any
    ``multiprocessing`` code); this process trains cells too. ``scheduler="local"`` starts a
    Dask ``LocalCluster`` of ``jobs`` workers (0: all cores) in a helper process, this process
    training cells while it starts; ``"tcp://HOST:PORT"`` uses a running cluster, whose
    workers need actloss installed. Returns a :class:`Comparison`; ``echo`` prints the progress lines;
    ``title`` heads the report (default: from ``command``, else "actloss compare").

    Everything a user can get wrong is checked before any training, as a ``ValueError``: the
    data (see :func:`actloss.datasets.load`; ``drop_missing`` drops rows with empty cells),
    the grid, and ``out`` (a folder, created if missing). Without matplotlib the results and
    the report's table are written and the figures skipped, with one line naming the extra.
    """
    from .. import datasets

    prepare(scheduler)  # a LocalCluster's fork server gets ready while the data load
    out = Path(out)
    for folder in (out, out / "cells"):
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"--out: {str(folder)!r} is a file; expected a folder (it is "
                             f"created if missing)")
    ds = datasets.load(dataset, target=target, drop_missing=drop_missing)
    cells = build_grid(ds, activations, losses, optimizers, learning_rates, hidden, epochs,
                       batch_size, seeds)
    cell_dir = out / "cells"
    try:
        cell_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out: cannot create {str(cell_dir)!r} ({err.strerror})") from None
    for folder in (out, cell_dir):  # a killed run's half-written files
        clean_stale_tmp(folder)
    for note in ds.notes:
        echo(note)
    results = {}
    for cell in cells:
        found = _load_finished(cell_dir / f"{cell_key(cell)}.json", cell, echo)
        if found is not None:
            results[cell_key(cell)] = found
    todo = [c for c in cells if cell_key(c) not in results]
    skipped = len(cells) - len(todo)
    echo(f"{ds.describe()}")
    echo(f"{len(cells)} cells" + (f" ({skipped} already finished in {cell_dir})" if skipped
                                  else "") + f"; running {len(todo)} on {describe(jobs, scheduler)}")
    bar = _progress(len(cells), skipped, progress and bool(todo))
    try:
        for cell, result in execute(todo, ds, jobs=jobs, scheduler=scheduler):
            key = cell_key(cell)
            write_json(cell_dir / f"{key}.json", {"key": key, "config": cell, "result": result})
            results[key] = result
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{cell['activation']} seed {cell['seed']}: "
                                    f"{result['status']}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    done = [(c, results[cell_key(c)]) for c in cells]
    ranking = rank(done)
    comparison = Comparison(done, ranking, format_table(ranking), out, skipped)
    write_results(out, ds, done, ranking)
    if report:
        try:
            images = figures(out, done, ranking)
        except ImportError as err:  # the plot extra is missing: the table is the report
            echo(f"figures skipped: {err}".splitlines()[0])
            images = {}
        comparison.report = write_report(out, ds, done, ranking, images, command, title)
    return comparison


__all__ = ["compare", "Comparison", "json_ready", "build_grid", "cell_key", "group_key", "output_spec",
           "run_cell", "execute", "rank", "format_table", "ranking_rows", "DEFAULT_LOSS",
           "encode_targets", "metric", "predicted_labels", "initializer_for"]
