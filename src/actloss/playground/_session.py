"""One page's training session: its data, its network, and the thread that trains it.

The web layer calls :meth:`Session.configure`, :meth:`~Session.run`, :meth:`~Session.pause`,
:meth:`~Session.step`, :meth:`~Session.reset` and :meth:`~Session.close` from its event loop,
and collects what to send with :meth:`~Session.messages`. Training runs in one background thread
per session, one epoch at a time, with the real library (``Sequential.fit``); the model is only
touched under ``self.lock``, so a snapshot or a download never sees a half-made update.

After every epoch the train and test loss (the data loss, without the L1/L2 penalty) and metric
(accuracy, or R^2 for regression) are measured on the whole splits (at most
:data:`EVAL_ROWS` rows each). A few times a second a *snapshot* adds what the page draws: the
prediction over a grid of the plane for two-feature data, otherwise a confusion matrix or the
predicted against the true values of the test split; per-layer gradient norms
(:func:`actloss.diagnostics.gradient_flow`); dead (:func:`~actloss.diagnostics.dead_units`) and
saturated (:func:`~actloss.diagnostics.saturation`) fractions, all three from one traced pass
(:func:`~actloss.diagnostics.network_report`). Targets are encoded, scored and given a default
loss by the lab's own functions (:mod:`actloss.experiments`).
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import threading
import time
import zipfile

import numpy as np

from .. import losses as L, optimizers as O, regularizers as R
from ..datasets import load
from ..diagnostics import network_report
from ..experiments import (DEFAULT_LOSS, encode_targets, initializer_for, json_ready, metric,
                           output_spec, predicted_labels)
from ..layers import Dense
from ..models import Sequential
from ._measure import activation_curve, hidden_only
from ._options import LIVE, losses_for, validate

GRID = 60             # the decision-boundary grid is GRID x GRID predictions
EVAL_ROWS = 2000      # rows of each split the per-epoch loss and metric look at
DIAG_ROWS = 256       # rows the gradient and unit diagnostics look at
POINTS = 1000         # points of each split drawn on the plane / the scatter plot
SNAPSHOT_EVERY = 0.2  # seconds between snapshots while training


class Session:
    """One page's data, network and training thread. ``uploads`` maps upload ids to CSV bytes."""

    def __init__(self, uploads=None):
        self.uploads = uploads if uploads is not None else {}
        self.lock = threading.RLock()      # the model and data: held for a whole epoch
        self._out = threading.Lock()        # what goes to the page: held only briefly
        self._wake = threading.Event()
        self._closed = False
        self._running = self._pausing = False
        self._steps = 0
        self._outbox: list = []
        self._history: list = []
        self._sent = 0
        self._last_snapshot = 0.0
        self._snapshot = None
        self.config = self._requested = None
        self.model = None
        self.formats: list = []
        self._thread = threading.Thread(target=self._loop, name="actloss-playground",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ control (event loop)
    def configure(self, config) -> None:
        """Validate ``config``; apply a live change (learning rate, batch size) in place, or
        build the data and a new network (paused at epoch 0). Raises ``ValueError``."""
        cfg = validate(config)
        old = self._requested  # as asked: a loss left to the default stays None there
        if old is not None and all(cfg[k] == old[k] for k in cfg if k not in LIVE):
            with self.lock:
                self._requested = cfg
                self.config = {**self.config, **{k: cfg[k] for k in LIVE}}
                self.model.optimizer.learning_rate = cfg["learning_rate"]
            return
        requested = dict(cfg)
        ds, label = self._load(cfg)
        task_losses = losses_for(ds.task, ds.n_classes)
        if cfg["loss"] is None:
            cfg["loss"] = DEFAULT_LOSS[ds.task]
        elif cfg["loss"] not in task_losses:
            raise ValueError(f"loss: {cfg['loss']} does not fit this {ds.task} task; expected "
                             f"one of {', '.join(task_losses)}")
        with self.lock:
            self._running, self._steps = False, 0
            self.config, self.ds, self.label, self._requested = cfg, ds, label, requested
            self._build()
            self._post({"type": "dataset", **self._describe_data(task_losses)})
            self._post({"type": "model", "formats": self.formats,
                        "params": self.model.count_params(),
                        "activations": [activation_curve(a) for a in
                                        dict.fromkeys(l["activation"] for l in cfg["layers"])]})
            self._snapshot_now()

    def run(self) -> None:
        self._require_model()
        self._running = True
        self._wake.set()

    def pause(self) -> None:
        self._running, self._pausing = False, True  # the thread sends a 'paused' snapshot
        self._wake.set()

    def step(self) -> None:
        self._require_model()
        self._running = False
        self._steps += 1
        self._wake.set()

    def reset(self) -> None:
        """New weights (same seed, so the same start), empty history, paused."""
        self._require_model()
        with self.lock:
            self._running, self._steps = False, 0
            self._build()
            self._snapshot_now()

    def close(self) -> None:
        """Stop training and end the thread (the page closed)."""
        self._closed, self._running = True, False
        self._wake.set()
        self._thread.join(timeout=10)

    def messages(self) -> list:
        """What to send now: queued messages, then the latest snapshot with the history rows
        not sent yet."""
        with self._out:
            out, self._outbox = self._outbox, []
            snap, self._snapshot = self._snapshot, None
            if snap is not None:
                rows = self._history[self._sent:]
                snap["history"] = {"from": self._sent,
                                   **{k: [r[k] for r in rows] for k in
                                      ("epoch", "loss", "test_loss", "metric", "test_metric")}}
                self._sent = len(self._history)
                out.append(json_ready(snap))
        return out

    # ------------------------------------------------------------------ downloads
    def model_file(self, fmt: str) -> bytes:
        """The trained model as the bytes of a ``.actloss`` or ``.keras`` file."""
        self._require_model()
        if fmt not in self.formats:
            raise ValueError(f"format: expected one of {', '.join(self.formats)}; "
                             f"received {fmt!r}")
        with self.lock, tempfile.TemporaryDirectory(prefix="actloss-playground-") as tmp:
            path = os.path.join(tmp, f"model.{fmt}")
            self.model.save(path)
            with open(path, "rb") as fh:
                return fh.read()

    def history_csv(self) -> str:
        self._require_model()
        name = self.metric_name
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["epoch", "loss", "test_loss", name, f"test_{name}"])
        with self._out:
            for r in self._history:
                writer.writerow([r["epoch"], *(repr(r[k]) for k in
                                               ("loss", "test_loss", "metric", "test_metric"))])
        return out.getvalue()

    # ------------------------------------------------------------------ building
    def _require_model(self):
        if self.model is None:
            raise ValueError("no network yet: send a configuration first")

    def _load(self, cfg):
        if cfg["data"] != "csv":
            ds = load(cfg["data"], seed=cfg["seed"], val_fraction=0.0,
                      test_fraction=cfg["test_fraction"], n_samples=cfg["n_samples"],
                      noise=cfg["noise"])  # None (a bundled set, or the set's own) or a value
            return ds, cfg["data"]
        upload = self.uploads.get(cfg["upload"])
        if upload is None:
            raise ValueError(f"upload: no uploaded file with id {cfg['upload']!r:.40}; "
                             f"upload the CSV again")
        # the bytes go to a file whose name the server chose, in a folder removed at once
        with tempfile.TemporaryDirectory(prefix="actloss-playground-") as tmp:
            path = os.path.join(tmp, "upload.csv")
            with open(path, "wb") as fh:
                fh.write(upload["data"])
            ds = load(path, target=cfg["target"], seed=cfg["seed"], val_fraction=0.0,
                      test_fraction=cfg["test_fraction"])
        return ds, upload["name"]

    def _build(self) -> None:
        from ..utils import set_random_seed

        cfg, ds = self.config, self.ds
        self.spec = spec = output_spec(ds.task, cfg["loss"], ds.n_classes)
        self.metric_name = "r2" if spec.target == "value" else "accuracy"
        k = ds.n_classes
        self.y_train = encode_targets(ds.y_train, spec, k)
        self.y_test = encode_targets(ds.y_test, spec, k)
        set_random_seed(cfg["seed"])
        reg = R.L1L2(l1=cfg["l1"], l2=cfg["l2"]) if cfg["l1"] or cfg["l2"] else None
        layers = [Dense(l["units"], activation=l["activation"],
                        kernel_initializer=initializer_for(l["activation"]), kernel_regularizer=reg,
                        name=f"hidden_{i + 1}") for i, l in enumerate(cfg["layers"])]
        layers.append(Dense(spec.units, activation=spec.activation, kernel_regularizer=reg,
                            name="output"))
        model = Sequential(layers)
        model.build((None, ds.n_features))
        model.compile(optimizer=O.get(cfg["optimizer"], learning_rate=cfg["learning_rate"]),
                      loss=L.get(cfg["loss"]))
        self.model, self.loss = model, L.get(cfg["loss"])
        with self._out:
            self._history, self._sent, self._snapshot = [], 0, None
        self._epoch = 0
        self.formats = ["actloss"] + (["keras"] if _writes_keras(model) else [])
        self._post({"type": "reset"})
        self._record()

    def _describe_data(self, task_losses) -> dict:
        ds = self.ds
        out = {"name": self.label, "task": ds.task, "features": ds.n_features,
               "feature_names": ds.feature_names, "classes": ds.classes,
               "n_train": len(ds.x_train), "n_test": len(ds.x_test), "losses": task_losses,
               "loss": self.config["loss"], "metric": self.metric_name}
        if ds.n_features == 2:
            lo = np.minimum(ds.x_train.min(0), ds.x_test.min(0)) - 0.3
            hi = np.maximum(ds.x_train.max(0), ds.x_test.max(0)) + 0.3
            self.extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
            out["extent"] = self.extent
            out["train"] = {"x": ds.x_train[:POINTS], "y": ds.y_train[:POINTS]}
            out["test"] = {"x": ds.x_test[:POINTS], "y": ds.y_test[:POINTS]}
        return out

    # ------------------------------------------------------------------ training (thread)
    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            if self._pausing and not self._running:
                with self.lock:
                    self._pausing = False
                    if self.model is not None:
                        self._snapshot_now()
            while not self._closed and (self._running or self._steps):
                with self.lock:
                    if self.model is None or not (self._running or self._steps):
                        break
                    stepping = not self._running
                    try:
                        self._epoch_once()
                    except Exception as exc:  # a diverged or broken run pauses, with the reason
                        self._running, self._steps = False, 0
                        self._post({"type": "error", "message": _one_line(exc)})
                        self._snapshot_now()
                        break
                    if stepping:
                        self._steps = max(0, self._steps - 1)
                    if stepping or time.monotonic() - self._last_snapshot >= SNAPSHOT_EVERY:
                        self._snapshot_now()
                time.sleep(0)  # let the event loop take the lock for messages

    def _epoch_once(self) -> None:
        n = len(self.ds.x_train)
        batch = n if self.config["batch_size"] == "all" else min(self.config["batch_size"], n)
        with np.errstate(all="ignore"):
            h = self.model.fit(self.ds.x_train, self.y_train, epochs=1, batch_size=batch,
                               verbose=0)
        if not h.history.get("loss"):  # fit stopped inside the epoch: it diverged
            raise FloatingPointError(
                f"training diverged in epoch {self._epoch + 1}: the loss or its gradient became "
                f"NaN or infinite (the weights are those before that batch); try a smaller "
                f"learning rate")
        self._epoch += 1
        row = self._record()
        if not math.isfinite(row["loss"]):
            raise FloatingPointError(f"the loss stopped being finite at epoch {self._epoch}: "
                                     f"try a smaller learning rate")

    def _predict(self, x):
        with np.errstate(all="ignore"):
            return np.asarray(self.model.predict(x), np.float64)

    def _record(self) -> dict:
        ds, row = self.ds, {"epoch": self._epoch}
        for split, x, y, yt in (("", ds.x_train, ds.y_train, self.y_train),
                                ("test_", ds.x_test, ds.y_test, self.y_test)):
            x, y, yt = x[:EVAL_ROWS], y[:EVAL_ROWS], yt[:EVAL_ROWS]
            pred = self._predict(x)
            with np.errstate(all="ignore"):
                loss = float(self.loss(yt, pred)) if np.all(np.isfinite(pred)) else float("nan")
            row[f"{split}loss"], row[f"{split}metric"] = loss, metric(self.spec, y, pred)
        with self._out:
            self._history.append(row)
        return row

    def _post(self, message) -> None:
        message = json_ready(message)
        with self._out:
            self._outbox.append(message)

    def _snapshot_now(self) -> None:
        ds, spec, model = self.ds, self.spec, self.model
        self._last_snapshot = time.monotonic()
        snap = {"type": "snapshot", "state": "running" if self._running else "paused",
                "epoch": self._epoch, "metric_name": self.metric_name,
                "last": self._history[-1]}
        x, y = ds.x_train[:DIAG_ROWS], self.y_train[:DIAG_ROWS]
        with np.errstate(all="ignore"):
            report = network_report(model, x, y)  # one traced pass for the three
        flow, dead, sat = report["flow"], report["dead"], report["saturation"]
        snap["gradients"] = {"layers": flow["layers"], "norm": flow["weight_grad_norm"],
                             "rms": flow["weight_grad_rms"], "ratio": flow["ratio_first_last"]}
        snap["dead"], snap["saturation"] = hidden_only(dead), hidden_only(sat)
        if ds.n_features == 2:
            snap["boundary"] = self._boundary()
        pred = self._predict(ds.x_test[:POINTS])
        if spec.target == "value":
            scale = ds.y_std
            snap["scatter"] = {"true": ds.y_test[:POINTS] * scale + ds.y_mean,
                               "pred": pred.reshape(-1) * scale + ds.y_mean}
        elif np.all(np.isfinite(pred)):
            k = ds.n_classes
            cm = np.zeros((k, k), np.int64)
            guess = np.clip(predicted_labels(spec, pred), 0, k - 1)
            np.add.at(cm, (ds.y_test[:POINTS], guess), 1)
            snap["confusion"] = cm
        with self._out:
            self._snapshot = snap

    def _boundary(self) -> dict:
        """Predictions over the plane: for two classes the score in [0, 1] of class 1; for more,
        the class and its probability; for regression the prediction."""
        x0, x1, y0, y1 = self.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y1, y0, GRID))
        pred = self._predict(np.stack([gx.ravel(), gy.ravel()], axis=1))
        spec = self.spec
        if spec.target == "value":
            return {"kind": "regression", "n": GRID, "value": np.round(pred.reshape(-1), 4)}
        if spec.units == 1:
            score = pred.reshape(-1)
            if spec.target == "signed":  # tanh output in [-1, 1]
                score = (score + 1) / 2
            return {"kind": "binary", "n": GRID, "value": np.round(np.clip(score, 0, 1), 3)}
        return {"kind": "multiclass", "n": GRID, "class": np.argmax(pred, axis=1),
                "value": np.round(np.clip(np.max(pred, axis=1), 0, 1), 3)}


def _writes_keras(model) -> bool:
    """Whether ``model.save("x.keras")`` writes a Keras 3 archive (config.json and
    model.weights.h5 in a zip), tried on this very model in a temporary folder."""
    try:
        with tempfile.TemporaryDirectory(prefix="actloss-playground-") as tmp:
            path = os.path.join(tmp, "probe.keras")
            model.save(path)
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
    except Exception:  # noqa: BLE001 - any failure means: do not offer the format
        return False
    return {"config.json", "model.weights.h5"} <= names


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
