"""One cell: build, train and measure one network. Runs in any process (serial, a process pool,
a Dask worker); everything random is seeded inside, so the numbers do not depend on where it ran.
"""

from __future__ import annotations

import io
import math
import random
import time
import warnings
from contextlib import nullcontext, redirect_stdout

import numpy as np

from ._grid import OPTIMIZERS, output_spec

TRAIN_SAMPLE = 256     # rows the per-epoch diagnostics and train metric look at
DIAGNOSED_EPOCHS = 10  # about this many epochs get the diagnostics (and always the last one)


def clean(value):
    """JSON-ready: NumPy scalars to Python, NaN and inf to None, recursively."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def encode_targets(y: np.ndarray, spec, n_classes: int) -> np.ndarray:
    """Targets ``y`` (class labels 0..k-1, or values) in the form ``spec``'s loss wants (see
    :func:`output_spec`): ``(n, 1)`` floats for 'value' and 'binary', -1/1 for 'signed',
    integer labels for 'sparse', one-hot rows for 'onehot'.

    >>> spec = output_spec("multiclass", "categorical_crossentropy", 3)
    >>> encode_targets(np.array([0, 2]), spec, 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    if spec.target == "value":
        return y.astype(np.float64).reshape(-1, 1)
    if spec.target == "binary":
        return y.astype(np.float64).reshape(-1, 1)
    if spec.target == "signed":
        return (2.0 * y - 1.0).reshape(-1, 1)
    if spec.target == "sparse":
        return y.astype(np.int64)
    return np.eye(max(n_classes, spec.units))[y]


def predicted_labels(spec, pred: np.ndarray) -> np.ndarray:
    """Class labels from a classifier's outputs: one output above ``spec.threshold`` is class 1,
    several outputs give the largest one's index."""
    pred = np.asarray(pred)
    return (pred.reshape(-1) > spec.threshold).astype(np.int64) if spec.units == 1 \
        else np.argmax(pred, axis=1)


def metric(spec, y: np.ndarray, pred: np.ndarray) -> float:
    """Accuracy for classification, R^2 for regression (both: higher is better); NaN when a
    prediction is not finite.

    >>> metric(output_spec("binary", "binary_crossentropy", 2), np.array([0, 1, 1]),
    ...        np.array([[.2], [.9], [.4]]))
    0.6666666666666666
    """
    pred = np.asarray(pred, np.float64)
    if not np.all(np.isfinite(pred)):
        return float("nan")
    if spec.target == "value":
        y = y.astype(np.float64)
        ss = np.sum((y - y.mean()) ** 2)
        return float(1 - np.sum((pred.reshape(-1) - y) ** 2) / ss) if ss > 0 else float("nan")
    return float(np.mean(predicted_labels(spec, pred) == y))


def predict(model, x):
    """``model.predict(x)`` without a progress display."""
    try:
        return model.predict(x, verbose=0)
    except TypeError:
        return model.predict(x)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    from ..utils import set_random_seed

    set_random_seed(seed)


def build_model(cell: dict, spec, n_features: int):
    from ..layers import Dense
    from ..models import Sequential

    # explicit names: automatic ones count layers per process and would differ by executor
    layers = [Dense(width, activation=cell["activation"], kernel_initializer=cell["init"],
                    name=f"hidden_{i + 1}", **({"input_shape": (n_features,)} if i == 0 else {}))
              for i, width in enumerate(cell["hidden"])]
    first = {} if layers else {"input_shape": (n_features,)}
    layers.append(Dense(spec.units, activation=spec.activation, name="output", **first))
    return Sequential(layers)


def _make_callbacks(spec, y_val, x_sample, y_sample, y_sample_enc, epochs: int):
    """The diagnostics callback, then the metric callback, in the order fit must call them:
    the metric on the training sample reuses the predictions the diagnostics' pass made on
    that same sample when that epoch was diagnosed (one pass instead of two).

    The diagnostics (a forward and backward pass) run on about :data:`DIAGNOSED_EPOCHS`
    evenly spaced epochs and the last: every epoch of a 30-epoch cell cost a fifth of its
    time, and the report's curves of them read the same with ten points."""
    from ..callbacks import Callback
    from ..diagnostics import DiagnosticsCallback

    every = -(-epochs // DIAGNOSED_EPOCHS)  # ceil
    diagnostics = DiagnosticsCallback(x_sample, y_sample_enc, every=every)

    class MetricCallback(Callback):
        """The task's metric on the training sample and on the validation set, every epoch;
        the validation predictions are those of fit's own validation pass."""

        def __init__(self):
            super().__init__()
            self.values = {"metric": [], "val_metric": []}

        def on_validation_outputs(self, epoch, y_pred):
            self.values["val_metric"].append(metric(spec, y_val, y_pred))

        def on_epoch_end(self, epoch, logs=None):
            # predict: inference mode, leaves the training state alone, as fit's own
            # validation pass at this point does (and half the time of a trace, which keeps
            # every layer's values)
            recorded = diagnostics.epochs and diagnostics.epochs[-1] == epoch
            out = diagnostics.outputs if recorded else predict(self.model, x_sample)
            self.values["metric"].append(metric(spec, y_sample, out))

    return diagnostics, MetricCallback()


def one_blas_thread():
    """Limit BLAS to one thread inside a cell (threadpoolctl, which scikit-learn brings).

    Cells are small matrix products: threads cost more than they save, several cells side by
    side oversubscribe the cores (100x slower measured on 2 busy cores), and one thread gives
    the same rounding wherever the cell runs.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_cell(cell: dict, ds) -> dict:
    """Train the network ``cell`` describes on ``ds``; return its measurements (plain data).

    A cell that raises, or whose loss stops being finite, comes back with ``status='failed'``
    and the ``error``; it never raises itself.
    """
    start = time.perf_counter()
    out = {"status": "ok", "error": None}
    printed = io.StringIO()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stdout(printed), \
                one_blas_thread():
            warnings.simplefilter("always")
            out.update(_train(cell, ds))
    except Exception as exc:  # the sweep goes on; the error is recorded
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        said = [str(w.message) for w in caught] + printed.getvalue().splitlines()
        said.sort(key=lambda text: "diverg" not in text.lower())  # the model's own word first
        if isinstance(exc, FloatingPointError) and said:
            error += f" ({said[0].splitlines()[0].strip()})"
        out.update(status="failed", error=error)
    out["warnings"] = sorted({str(w.message).splitlines()[0] for w in caught})[:5]
    out["time_s"] = time.perf_counter() - start
    return clean(out)


def _train(cell: dict, ds) -> dict:
    from .. import losses as L, optimizers

    spec = output_spec(ds.task, cell["loss"], ds.n_classes)
    k = ds.n_classes
    y_train = encode_targets(ds.y_train, spec, k)
    y_val = encode_targets(ds.y_val, spec, k)
    _seed_everything(cell["seed"])
    model = build_model(cell, spec, ds.n_features)
    optimizer = getattr(optimizers, OPTIMIZERS[cell["optimizer"]])(
        learning_rate=cell["learning_rate"])
    loss = L.get(cell["loss"])
    model.compile(optimizer=optimizer, loss=loss)
    n = min(TRAIN_SAMPLE, len(ds.x_train))
    diag_cb, metric_cb = _make_callbacks(spec, ds.y_val, ds.x_train[:n], ds.y_train[:n],
                                         y_train[:n], cell["epochs"])
    history = model.fit(ds.x_train, y_train, epochs=cell["epochs"],
                        batch_size=cell["batch_size"], verbose=0,
                        validation_data=(ds.x_val, y_val), callbacks=[diag_cb, metric_cb])
    h = history.history
    curves = {"loss": list(h.get("loss", [])), "val_loss": list(h.get("val_loss", [])),
              **metric_cb.values}
    epochs_run = len(curves["loss"])
    bad = [i for i, v in enumerate(curves["loss"]) if not np.isfinite(v)]
    if bad or epochs_run == 0:
        where = f"epoch {bad[0] + 1}" if bad else "the first epoch"
        raise FloatingPointError(f"diverged: the training loss stopped being finite at {where}")
    if epochs_run < cell["epochs"]:  # no early stopping here: fit stopped because it diverged
        raise FloatingPointError(f"diverged: training stopped after {epochs_run} of "
                                 f"{cell['epochs']} epochs")
    result = {"label": spec.label, "metric": "r2" if spec.target == "value" else "accuracy",
              "epochs_run": epochs_run, "curves": curves}
    for split, x, y in (("train", ds.x_train, ds.y_train), ("val", ds.x_val, ds.y_val),
                        ("test", ds.x_test, ds.y_test)):
        pred = predict(model, x)
        if not np.all(np.isfinite(pred)):
            raise FloatingPointError(f"diverged: non-finite predictions on the {split} split")
        result[f"{split}_loss"] = float(loss(encode_targets(y, spec, k), pred))
        result[f"{split}_metric"] = metric(spec, y, pred)
    d = diag_cb.history
    result["dead_fraction"] = d["dead_fraction"][-1] if d["dead_fraction"] else None
    result["grad_ratio"] = d["grad_ratio_first_last"][-1] if d["grad_ratio_first_last"] else None
    result["diagnostics"] = {"epochs": diag_cb.epochs, "layers": diag_cb.layers,
                             "grad_norm_per_layer": d["grad_norm_per_layer"],
                             "dead_fraction_per_layer": d["dead_fraction_per_layer"],
                             "dead_fraction": d["dead_fraction"],
                             "grad_ratio": d["grad_ratio_first_last"],
                             "saturation_fraction": d["saturation_fraction"]}
    return result
