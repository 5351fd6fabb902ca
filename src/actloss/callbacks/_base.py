"""The Callback protocol (Keras's), ``History`` and the progress display."""

from __future__ import annotations

import sys
import time


class Callback:
    """Base class for users' callbacks; override any ``on_*`` method (Keras names).

    ``self.model`` is the model being trained and ``self.params`` holds ``epochs``, ``steps``
    and ``verbose``. Set ``self.model.stop_training = True`` to stop after the current epoch.
    ``logs`` is a dict of floats: ``loss``, the metrics, and their ``val_`` versions.
    Batch hooks are only called for callbacks that override them, so they cost nothing otherwise.

    >>> class Count(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, sorted(logs))
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass


def _overrides(cb, method: str) -> bool:
    return getattr(type(cb), method) is not getattr(Callback, method)


class CallbackList:
    """Dispatches hooks to a list of callbacks; batch hooks only to those that define them."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        wants = [cb for cb in self.callbacks if getattr(cb, "batch_hooks", True)]
        self.batch_begin = [cb for cb in wants if _overrides(cb, "on_train_batch_begin")]
        self.batch_end = [cb for cb in wants if _overrides(cb, "on_train_batch_end")]

    def call(self, hook: str, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of epoch losses.

    ``fit`` returns it; ``history.epoch`` lists the epoch indices, ``history.params`` the fit
    parameters, ``history.model`` the model.
    """

    def __init__(self):
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []  # Keras keeps history across fits on the same object; we start afresh

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgressLogger(Callback):
    """Keras-like progress: ``verbose=1`` a tqdm bar per epoch (loss and metrics updated each
    batch), ``2`` one line per epoch, ``0`` nothing. tqdm is the optional extra ``progress``;
    without it ``verbose=1`` falls back to one line per epoch."""

    def __init__(self, verbose: int, stream=None):
        super().__init__()
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self._tqdm = None
        if verbose == 1:
            try:
                from tqdm.auto import tqdm  # lazy: only when a bar is asked for
                self._tqdm = tqdm
            except ImportError:
                print("actloss: tqdm is not installed (pip install 'actloss[progress]'); "
                      "showing one line per epoch", file=sys.stderr)
                self.verbose = 2
        self._bar = None
        self.batch_hooks = self._tqdm is not None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.stream)
        if self._tqdm is not None:
            self._bar = self._tqdm(total=self.params.get("steps"), file=self.stream,
                                   leave=True, unit="step", dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(_format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        steps = self.params.get("steps") or 1
        if self._bar is not None:
            self._bar.set_postfix_str(_format_logs(logs or {}), refresh=True)
            self._bar.close()
            self._bar = None
        else:
            print(f"{steps}/{steps} - {elapsed:.0f}s - {1000 * elapsed / steps:.0f}ms/step - "
                  f"{_format_logs(logs or {})}", file=self.stream)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
