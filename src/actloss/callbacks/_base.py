"""The Callback protocol (Keras's), ``History`` and the progress display."""

from __future__ import annotations

import sys

from ._progress import Progbar


class Callback:
    """Base class for users' callbacks; override any ``on_*`` method (Keras names).

    ``self.model`` is the model being trained and ``self.params`` holds ``epochs``, ``steps``
    and ``verbose``. Set ``self.model.stop_training = True`` to stop after the current epoch.
    ``logs`` is a dict of floats: ``loss``, the metrics, and their ``val_`` versions.
    Batch hooks are only called for callbacks that override them, so they cost nothing otherwise.

    An actloss extension, for a callback that wants a metric Keras does not have on the
    validation data: ``on_validation_outputs(epoch, y_pred)``, if defined, receives the model's
    predictions on the validation data from fit's own validation pass (what ``predict`` would
    give), before ``on_epoch_end``; the array is reused, so copy what is kept. Keras has no such
    hook (a Keras callback calls ``predict`` again: a second pass over the data).

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
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    # Keras: the train batch hooks call the older on_batch_* names by default
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

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
        self.batch_begin = [cb for cb in wants if _overrides(cb, "on_train_batch_begin")
                            or _overrides(cb, "on_batch_begin")]
        self.batch_end = [cb for cb in wants if _overrides(cb, "on_train_batch_end")
                          or _overrides(cb, "on_batch_end")]
        self.validation_outputs = [cb for cb in self.callbacks
                                   if callable(getattr(cb, "on_validation_outputs", None))]

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


_HINTED = []


def _hint_missing_rich() -> None:
    """Once per process: say that the bar is plain text because the extra is missing."""
    if _HINTED:
        return
    try:
        import rich  # noqa: F401  (only checks that the extra is there)
    except ImportError:
        _HINTED.append(True)
        print("actloss: rich is not installed (pip install 'actloss[progress]'); the progress "
              "bar is drawn as plain text", file=sys.stderr)


class ProgressLogger(Callback):
    """Keras's progress display for fit (see :mod:`actloss.callbacks._progress`): ``verbose=1``
    a bar per epoch redrawn after each batch (``rich``, the ``progress`` extra; plain text
    without it), ``2`` one line per epoch, ``0`` nothing."""

    def __init__(self, verbose: int, stream=None, width=None):
        super().__init__()
        self.stream = stream
        self.verbose = verbose
        self.width = width
        self._bar = None
        self.batch_hooks = verbose == 1
        if verbose == 1:
            _hint_missing_rich()

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.stream or sys.stdout)
        self._bar = Progbar(self.params.get("steps"), self.verbose, self.stream, self.width)
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self._seen or self.params.get("steps") or 1, logs, final=True)
            self._bar = None

    def on_train_end(self, logs=None):
        self.close()

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
