"""The Keras callbacks: EarlyStopping, ModelCheckpoint, TerminateOnNaN, LearningRateScheduler,
ReduceLROnPlateau and CSVLogger, with Keras's arguments and rules."""

from __future__ import annotations

import csv
import inspect
import math
import os
import sys
import warnings

import numpy as np

from ._base import Callback


_UP = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "correlation")


def _check_mode(mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Expected mode to be one of ['auto', 'max', 'min']; received mode={mode!r}")
    return mode


def _monitor_op(mode: str, monitor: str, model, owner: str):
    """``np.greater`` (larger is better) or ``np.less``, by Keras's rule: ``mode``, else
    'loss' is minimized, else the direction of the model's metric of that name (its
    ``direction`` attribute when it has one: 'up' or 'down'; accuracy, AUC, precision, recall
    and F-scores go up, errors down); a name that is neither raises ValueError (Keras)."""
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    name = monitor.removeprefix("val_")
    if name == "loss":
        return np.less
    for metric in getattr(model, "metrics", None) or ():
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "direction", getattr(metric, "_direction", None))
            if direction is None:
                direction = "up" if any(k in name.lower() for k in _UP) else "down"
            return np.greater if direction == "up" else np.less
    raise ValueError(f"{owner} callback received monitor={monitor}, but actloss isn't able to "
                     f"automatically determine whether that metric should be maximized or "
                     f"minimized. Pass `mode='max'` in order to monitor based on the highest "
                     f"metric value, or pass `mode='min'` in order to use the lowest value.")


def _settable_lr(opt, owner: str) -> None:
    """Keras's TypeError: a learning rate given as a schedule cannot be overwritten."""
    if isinstance(opt.get_config().get("learning_rate"), dict):
        raise TypeError(f"This optimizer was created with a `LearningRateSchedule` object as its "
                        f"`learning_rate` constructor argument, hence its learning rate is not "
                        f"settable ({owner} would replace the schedule). If you need the "
                        f"learning rate to be settable, you should instantiate the optimizer "
                        f"with a float `learning_rate` argument.")


def _monitored(logs, monitor, owner):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{owner} is conditioned on {monitor!r}, which is not in the logs "
                      f"(available: {', '.join(sorted(logs or {}))}). Pass monitor= one of "
                      f"those, or give validation data for 'val_' keys.", RuntimeWarning,
                      stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs (Keras). ``restore_best_weights=True`` puts back the weights of the best
    epoch at the end of training, whether it stopped early or not (Keras 3). ``mode='auto'``
    minimizes the loss and follows each metric's direction (accuracy up, errors down); an
    unknown name raises ValueError. ``baseline``: stop unless the monitor beats it within
    patience. ``start_from_epoch``: epochs of warm-up before it starts watching.
    ``monitor_op`` is ``np.greater`` or ``np.less`` once training started.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.mode = _check_mode(mode)
        self.monitor_op = None

    def _better(self, value, reference) -> bool:
        if reference is None:
            return True
        sign = 1 if self.monitor_op is np.greater else -1
        return sign * (value - reference) > self.min_delta

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self.monitor_op = _monitor_op(self.mode, self.monitor, self.model, "EarlyStopping")
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # until one is better: these
            self.best_epoch = epoch
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model after each epoch to ``filepath`` (which may hold ``{epoch:02d}`` or any
    log key, e.g. ``{val_loss:.3f}``). ``save_best_only=True``: only when ``monitor`` improved
    (the file then always holds the best model). ``save_weights_only=True`` writes only the
    weights (:meth:`~actloss.models.Sequential.save_weights`). Files are written atomically."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        super().__init__()
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _check_mode(mode)
        self.monitor_op = None
        self.best = initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            if self.monitor_op is None:
                self.monitor_op = _monitor_op(self.mode, self.monitor, self.model,
                                              "ModelCheckpoint")
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None or (self.best is not None
                                   and not self.monitor_op(current, self.best)):
                return
            if self.verbose:
                best = (np.inf if self.monitor_op is np.less else -np.inf) \
                    if self.best is None else self.best
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite (Keras). ``raise_error=False``
    (default): ``model.stop_training = True``, so the epoch's logs are recorded and
    ``on_train_end`` runs; ``raise_error=True``: raise RuntimeError at once (no
    ``on_train_end``). The training loop itself also stops on divergence and keeps the last
    finite weights."""

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                                   f"{loss}. Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training", file=sys.stderr)
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """At each epoch start, set the learning rate to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)`` for a one-argument function), as Keras. The rate is logged as
    ``learning_rate``."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose
        try:
            self._two = len(inspect.signature(schedule).parameters) >= 2
        except (TypeError, ValueError):
            self._two = True

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        _settable_lr(opt, "LearningRateScheduler")
        lr = self.schedule(epoch, opt.learning_rate) if self._two else self.schedule(epoch)
        if not isinstance(lr, (int, float)) or not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: the schedule must return a finite float; "
                             f"it returned {lr!r} for epoch {epoch}")
        opt.learning_rate = float(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by
    ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs; never below
    ``min_lr``. Keras defaults: ``factor=0.1, patience=10, min_delta=1e-4, cooldown=0``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0; "
                             f"received factor={factor}")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.verbose, self.min_delta, self.cooldown, self.min_lr = verbose, min_delta, cooldown, min_lr
        self.mode = _check_mode(mode)
        self.monitor_op = None

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        _settable_lr(opt, "ReduceLROnPlateau")
        if self.monitor_op is None:
            self.monitor_op = _monitor_op(self.mode, self.monitor, self.model,
                                          "ReduceLROnPlateau")
        logs["learning_rate"] = opt.learning_rate
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        sign = 1 if self.monitor_op is np.greater else -1
        if self.best is None or sign * (current - self.best) > self.min_delta:
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = opt.learning_rate
                if old > self.min_lr:
                    opt.learning_rate = max(old * self.factor, self.min_lr)
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {opt.learning_rate}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` then the log keys, sorted) to a CSV file (Keras).
    Keys missing in an epoch are written ``NA``; the ``val_`` columns exist from the first row
    even when validation runs only every few epochs (``validation_freq``), as Keras's."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) \
            and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self._header_written = exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._writer is None:
            self._keys = sorted(logs)
            if not any(k.startswith("val_") for k in self._keys):
                # validation_freq > 1: the first epoch has no val_ keys yet (Keras adds them)
                self._keys += ["val_" + k for k in self._keys]
            self._writer = csv.writer(self._file, delimiter=self.sep)
            if not self._header_written:
                self._writer.writerow(["epoch", *self._keys])
        self._writer.writerow([epoch, *(logs.get(k, "NA") for k in self._keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
