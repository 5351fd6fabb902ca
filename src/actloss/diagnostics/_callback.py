"""A callback that records the diagnostics once per epoch into the training History."""

from __future__ import annotations

import numpy as np

from ..callbacks import Callback
from ._network import network_report

SCALAR_KEYS = ("grad_ratio_first_last", "dead_fraction", "saturation_fraction")
LAYER_KEYS = ("grad_norm_per_layer", "signal_norm_per_layer", "dead_fraction_per_layer",
              "saturation_per_layer")


class DiagnosticsCallback(Callback):
    """Record :func:`gradient_flow`, :func:`dead_units` and :func:`saturation` after every
    ``every``-th epoch (epochs 0, every, 2 every, ...) and after the last epoch of ``fit``, on
    ``(x, y)`` (the first ``max_samples`` rows).

    Scalars go into the epoch's ``logs`` (so History, CSVLogger and progress bars see them):
    ``grad_ratio_first_last``, ``dead_fraction``, ``saturation_fraction``. Per-layer lists
    (``grad_norm_per_layer`` ...) are kept in ``self.history`` and copied into the model's
    ``History.history`` when training ends, one entry per recorded epoch; ``self.epochs`` lists
    which epochs were recorded. The three come from one traced pass (:func:`network_report`),
    whose predictions on ``x`` stay in ``self.outputs`` for a metric that wants them.

    >>> cb = DiagnosticsCallback(np.zeros((4, 2)), np.zeros(4))
    >>> cb.history["grad_norm_per_layer"]
    []
    """

    def __init__(self, x, y, every: int = 1, max_samples: int = 256, saturation_threshold=0.05):
        super().__init__()
        self.x = np.asarray(x)[:max_samples]
        self.y = np.asarray(y)[:max_samples]
        self.every = max(1, int(every))
        self.saturation_threshold = saturation_threshold
        self.epochs: list[int] = []
        self.history: dict[str, list] = {k: [] for k in (*SCALAR_KEYS, *LAYER_KEYS)}
        self.layers: list[str] = []
        self.outputs = None  # the model's predictions on x at the last recorded epoch

    def record(self, epoch: int) -> dict:
        report = network_report(self.model, self.x, self.y, threshold=self.saturation_threshold)
        flow, dead, sat = report["flow"], report["dead"], report["saturation"]
        self.outputs = report["outputs"]  # the predictions on x, for a metric callback
        self.layers = flow["layers"]
        values = {
            "grad_ratio_first_last": flow["ratio_first_last"],
            "dead_fraction": dead["overall"],
            "saturation_fraction": sat["overall"],
            "grad_norm_per_layer": flow["weight_grad_rms"],
            "signal_norm_per_layer": flow["signal_norm"],
            "dead_fraction_per_layer": dict(zip(dead["layers"], dead["fraction"])),
            "saturation_per_layer": dict(zip(sat["layers"], sat["fraction"])),
        }
        self.epochs.append(int(epoch))
        for key, value in values.items():
            self.history[key].append(value)
        return values

    def on_epoch_end(self, epoch, logs=None):
        last = epoch == (self.params or {}).get("epochs", 0) - 1
        if epoch % self.every and not last:  # the end of training is always recorded
            return
        values = self.record(epoch)
        if logs is not None:
            for key in SCALAR_KEYS:
                logs[key] = float(values[key])

    def on_train_end(self, logs=None):
        history = getattr(getattr(self.model, "history", None), "history", None)
        if not isinstance(history, dict):
            return
        for key, values in self.history.items():
            if key in LAYER_KEYS or key not in history:
                history[key] = list(values)
        history["diagnostics_epochs"] = list(self.epochs)
        history["diagnostics_layers"] = list(self.layers)
