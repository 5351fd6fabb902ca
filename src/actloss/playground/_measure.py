"""Plain functions behind the session: activation curves, uploaded-CSV inspection and the
trimming of unit reports. NumPy and actloss only; the target encoding, metrics, default losses
and initializers are the lab's (:mod:`actloss.experiments`), so both train alike.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from .. import activations as A
from ..experiments import json_ready  # noqa: F401 - the session's JSON, as the lab's
from ..plots import split_jumps


def activation_curve(name: str, lo: float = -5.0, hi: float = 5.0, n: int = 201) -> dict:
    """``f`` and ``f'`` of activation ``name`` on ``n`` points of ``[lo, hi]``, from actloss.

    A softmax-like (not elementwise) activation is shown as its first output for the input
    ``(x, 0)``, with the derivative of that output in ``x`` from ``vjp``.

    >>> c = activation_curve("relu", n=3)
    >>> c["x"], c["f"], c["df"]
    ([-5.0, 0.0, 5.0], [0.0, 0.0, 5.0], [0.0, 0.0, 1.0])
    >>> c = activation_curve("relu", n=5)  # relu' jumps between 0 and 2.5: the line breaks
    >>> c["dx"], c["df"]
    ([-5.0, -2.5, 0.0, 1.25, 2.5, 5.0], [0.0, 0.0, 0.0, None, 1.0, 1.0])
    """
    act = A.get(name)
    x = np.linspace(lo, hi, n)
    note = ""
    with np.errstate(all="ignore"):
        if act.elementwise:
            f, df = act(x), act.grad(x)
        else:
            pair = np.stack([x, np.zeros_like(x)], axis=1)
            f = act(pair)[:, 0]
            df = act.vjp(pair, np.tile([1.0, 0.0], (n, 1)))[:, 0]
            note = f"{act.name} is not elementwise: its first output for the input (x, 0)"
    # a jump (step', relu' at 0) breaks the line, as in actloss's own plots: the x of each
    # curve gets a point whose value is null there
    fx, f = split_jumps(x, f)
    dx, df = split_jumps(x, df)
    return json_ready({"name": act.name, "x": fx, "f": f, "dx": dx, "df": df, "note": note,
                       "formula": act.formula_text,
                       "derivative_formula": act.derivative_formula_text})


def _csv_columns(data: bytes) -> list[str]:
    text = data[:65536].decode("utf-8-sig", errors="replace")
    header = next(csv.reader(io.StringIO(text)), [])
    return [h.strip() for h in header]


def inspect_upload(data: bytes) -> dict:
    """The columns and row count of an uploaded CSV (``ValueError`` if it is not one)."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("upload: expected a UTF-8 text CSV file") from None
    columns = _csv_columns(data)
    rows = sum(1 for line in data.splitlines()[1:] if line.strip())
    if len(columns) < 2 or rows < 2:
        raise ValueError(f"upload: expected a header row with at least two columns and data rows; "
                         f"found {len(columns)} column(s) and {rows} row(s)")
    return {"columns": columns, "rows": rows}


def hidden_only(report: dict) -> dict:
    """A dead-unit or saturation report without the output layer, whose squashing (sigmoid or
    softmax before a cross-entropy) is its job, not a problem. ``overall``: the mean of the
    hidden layers' fractions."""
    keep = [i for i, name in enumerate(report["layers"]) if name != "output"]
    fractions = [report["fraction"][i] for i in keep]
    return {"layers": [report["layers"][i] for i in keep], "fraction": fractions,
            "overall": float(np.mean(fractions)) if fractions else None}
