"""The numbers behind the plots (no matplotlib here): loss curves and History access."""

from __future__ import annotations

import numpy as np

CLASSIFICATION_TASKS = ("binary", "multiclass")


def history_dict(hist) -> dict:
    """The ``.history`` dict of a History, a DiagnosticsCallback, or a dict itself."""
    h = getattr(hist, "history", hist)
    if not isinstance(h, dict):
        raise TypeError(f"expected a History or its .history dict; received {type(hist).__name__}")
    return h


def loss_curve(loss, n: int = 400) -> dict:
    """``{"name", "kind", "x", "y"}``: a regression loss against the error
    :math:`e = \\hat y - y` for :math:`y = 1` (where the loss accepts :math:`\\hat y = 1 + e`);
    a classification loss against the predicted probability of the true class.

    >>> from actloss import losses as L
    >>> c = loss_curve(L.mse, n=5)
    >>> c["kind"], c["x"].tolist(), c["y"].tolist()
    ('error', [-3.0, -1.5, 0.0, 1.5, 3.0], [9.0, 2.25, 0.0, 2.25, 9.0])
    """
    task = getattr(loss, "task", "regression")
    if task in CLASSIFICATION_TASKS:
        p = np.linspace(1e-3, 1 - 1e-3, n)
        tries = ([(np.ones((n, 1)), p[:, None])] if task == "binary" else []) + [
            (np.tile([1.0, 0.0], (n, 1)), np.stack([p, 1 - p], axis=1)),
            (np.ones((n, 1)), p[:, None])]
        kind, x = "predicted probability of the true class", p
    else:
        e = np.linspace(-3.0, 3.0, n)
        tries = [(np.ones((n, 1)), 1 + e[:, None])]
        keep = e > -0.99  # positive predictions, for poisson / msle
        tries.append((np.ones((keep.sum(), 1)), 1 + e[keep, None]))
        kind, x = "error", e
    last = None
    for t, pred in tries:
        try:
            y = np.asarray(loss.per_sample(t, pred), np.float64)
        except (ValueError, TypeError) as exc:
            last = exc
            continue
        return {"name": loss.name, "kind": kind, "x": x[-len(y):] if len(y) < n else x, "y": y}
    raise ValueError(f"cannot draw loss {loss.name!r}: {last}")
