"""From finished cells to rows, a ranked table, ``results.csv`` and ``results.json``."""

from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from ._grid import cell_key, group_key

COLUMNS = ("key", "dataset", "task", "activation", "init", "loss", "label", "optimizer",
           "learning_rate", "hidden", "epochs", "batch_size", "seed", "status", "error",
           "metric", "train_loss", "val_loss", "test_loss", "train_metric", "val_metric",
           "test_metric", "epochs_run", "time_s", "dead_fraction", "grad_ratio")


_TMP = re.compile(r"\.(.+)\.(\d+)\.tmp\Z")


def write_json(path: Path, data) -> None:
    """Atomically: a temporary file ``.NAME.PID.tmp`` in the same folder, then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False))
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale_tmp(folder: Path) -> int:
    """Remove the temporary files :func:`write_json` left when its process was killed (ours
    by name, and their writer's pid is not alive); return how many."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        match = _TMP.match(name)
        if match and int(match.group(2)) != os.getpid() and not _alive(int(match.group(2))):
            try:
                os.unlink(folder / name)
                removed += 1
            except OSError:
                pass
    return removed


def row(cell: dict, result: dict) -> dict:
    """One flat row per cell (the curves and per-layer diagnostics stay in ``result``)."""
    out = {"key": cell_key(cell), **{k: cell.get(k) for k in COLUMNS if k in cell}}
    out["hidden"] = ",".join(map(str, cell["hidden"]))
    for k in COLUMNS:
        if k not in out:
            out[k] = result.get(k)
    out["label"] = out["label"] or cell["loss"]
    return out


def _stats(values):
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], np.float64)
    if not v.size:
        return None, None
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def rank(cells_results) -> list[dict]:
    """Configurations (cells without their seed), best first by mean validation metric.

    Mean and standard deviation (sample, ddof=1; 0 for one seed) over the seeds that finished;
    configurations where every seed failed come last.
    """
    groups: dict[tuple, list] = {}
    for cell, result in cells_results:
        groups.setdefault(group_key(cell), []).append((cell, result))
    ranking = []
    for key, members in groups.items():
        ok = [r for _, r in members if r["status"] == "ok"]
        entry = {"activation": key[0], "loss": key[1], "optimizer": key[2],
                 "learning_rate": key[3], "label": (ok[0].get("label") if ok else None) or key[1],
                 "metric": ok[0]["metric"] if ok else None, "seeds": len(members),
                 "ok": len(ok), "errors": sorted({r["error"] for _, r in members if r["error"]})}
        for name in ("val_metric", "test_metric", "val_loss", "dead_fraction", "grad_ratio",
                     "time_s", "epochs_run"):
            entry[name], entry[name + "_std"] = _stats([r.get(name) for r in ok])
        ranking.append(entry)
    ranking.sort(key=lambda e: (e["val_metric"] is None, -(e["val_metric"] or 0.0)))
    for i, entry in enumerate(ranking, 1):
        entry["rank"] = i
    return ranking


def _fmt(value, std=None, digits=3):
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return text if std is None else f"{text} ± {std:.{digits}f}"


def _sci(value):
    return "-" if value is None else f"{value:.1e}"


def table_rows(ranking) -> tuple[list[str], list[list[str]]]:
    metric = next((e["metric"] for e in ranking if e["metric"]), "metric")
    header = ["rank", "activation", "loss", "optimizer", "lr", f"val {metric}",
              f"test {metric}", "dead", "grad 1st/last", "time", "ok"]
    rows = []
    for e in ranking:
        rows.append([str(e["rank"]), e["activation"], e["label"], e["optimizer"],
                     f"{e['learning_rate']:g}", _fmt(e["val_metric"], e["val_metric_std"]),
                     _fmt(e["test_metric"], e["test_metric_std"]), _fmt(e["dead_fraction"], None, 2),
                     _sci(e["grad_ratio"]), "-" if e["time_s"] is None else f"{e['time_s']:.1f}s",
                     f"{e['ok']}/{e['seeds']}"])
    return header, rows


def format_table(ranking) -> str:
    """The ranked table as aligned text for the terminal."""
    header, rows = table_rows(ranking)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    for e in ranking:
        for err in e["errors"]:
            lines.append(f"  failed: {e['activation']} / {e['label']} / {e['optimizer']} "
                         f"lr={e['learning_rate']:g}: {err}")
    return "\n".join(lines)


def write_results(out: Path, ds, cells_results, ranking) -> tuple[Path, Path]:
    rows = [row(c, r) for c, r in cells_results]
    csv_path, json_path = out / "results.csv", out / "results.json"
    tmp = csv_path.with_name(f".results.csv.{os.getpid()}.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    os.replace(tmp, csv_path)
    write_json(json_path, {"dataset": ds.describe(), "task": ds.task, "ranking": ranking,
                           "cells": [{**row(c, r), "curves": r.get("curves"),
                                      "diagnostics": r.get("diagnostics")}
                                     for c, r in cells_results]})
    return csv_path, json_path
