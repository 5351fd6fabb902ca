"""The training loop: per batch a few dozen NumPy calls on preallocated buffers, no checks.

Everything that can be decided once (dtype conversion, target validation, weights, metric
targets, buffers) is decided before the first batch. Per batch: forward through the layers
(in place), the loss and its gradient at the output (at the logits for sigmoid/softmax +
cross-entropy), backward through the layers into the flat gradient vector, one optimizer update
of the flat parameter vector.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import warnings

import numpy as np

from .. import metrics as _metrics
from ..callbacks import CallbackList, History, Progbar, ProgressLogger
from ..optimizers import kernels_enabled
from . import _checks, _data, _fused


def _arrays(model, x, y, sample_weight, class_weight, name="x"):
    """x in the model's dtype (memmaps left as they are), targets, weights; all checked once."""
    if y is None:
        raise ValueError(f"y is required with array inputs: fit({name}, y, ...)")
    memmap = isinstance(x, np.memmap)
    x = x if memmap else np.asarray(x)
    _checks.check_lengths(len(x), y, "y", name)
    if not memmap:
        x = model._prepare_x(x, name)
        x = np.ascontiguousarray(x, model.dtype)
        _checks.check_finite(x, name)
    else:
        model._build_for(x.shape)
        _checks.check_width(x.shape, model._input_shape, name)
    n = len(x)
    y = np.asarray(y)
    T = _data.prepare_targets(model, y, n)
    W = _data.sample_weights(y, sample_weight, class_weight, n, model.dtype)
    return x, y, T, W


def _units(model) -> int:
    return int(math.prod(model._engine.layers[-1].output_shape))


def _resolve_metrics(model, y):
    units = _units(model)
    y = np.asarray(y)
    sparse = units > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))
    return [_metrics.resolve(m, model.loss, units, sparse) for m in model._metric_ids], units


def _output_probs(model, h):
    """Predictions from the output of a forward pass made with training != False."""
    if model._fused:
        return model._engine.layers[-1].activation.forward(h, out=h)
    return h


def _train_step(model, xb, tb, wb, mt, metrics):
    """One batch: returns ``(loss, applied)``; ``applied`` is False when the loss, the gradient
    or the updated weights are not finite, and then the weights are left as they were before
    the batch (and the running state, BatchNormalization's statistics, is not advanced). Runs
    under the caller's error state (fit's loop and train_on_batch hold one for all batches): the
    executors inside hold none of their own."""
    engine = model._engine
    layers = engine.layers
    ws = engine.workspace(xb.shape[0])
    h = xb
    for layer, w in zip(layers, ws):
        h = layer.forward(h, w, True)
    loss, g = engine.kernel(h, tb, wb)  # the loss and its one reduction (losses.reduce)
    for layer in engine.reg_layers:
        loss += layer.regularization_loss()
    if not math.isfinite(loss):
        return loss, False
    if metrics:
        p = _output_probs(model, h)
        for metric, t in zip(metrics, mt):
            metric.update_state(t, p)
    for i in range(len(layers) - 1, -1, -1):
        g = layers[i].backward(g, ws[i], i > 0)
    for layer in engine.reg_layers:
        layer.add_regularization_grads()
    grads = engine.grads
    if not math.isfinite(float(np.dot(grads, grads))) or \
            not engine.apply_update(model.optimizer):
        return loss, False
    if engine.stateful:
        engine.commit(ws)
    return loss, True


def _evaluate_prepared(model, kernel, X, T, W, MT, metrics, chunk=None, progress=None,
                       outputs=None):
    """Loss and metrics (training=False) on prepared arrays; returns a logs dict. ``kernel``:
    the loss kernel for these targets (or None); ``progress``: a Progbar, updated per chunk;
    ``outputs``: a list that receives the predictions when given: into its one array, created
    at the first call (fit passes the same list every epoch)."""
    engine = model._engine
    n = len(T)
    chunk = chunk or engine.eval_chunk()
    for metric in metrics:
        metric.reset_state()
    values = np.empty(n, model.dtype)
    for step, a in enumerate(range(0, n, chunk)):
        xb = X[a:a + chunk]
        if xb.dtype != model.dtype:
            xb = np.asarray(xb, model.dtype)
        h, _ = engine.forward(xb, None)  # None: inference, logits kept at a fused output
        with np.errstate(all="ignore"):
            values[a:a + chunk] = kernel(h, T[a:a + chunk], None, "none", grad=False)[0]
            p = _output_probs(model, h) if metrics or outputs is not None else None
        if metrics:
            for metric, t in zip(metrics, MT):
                metric.update_state(t[a:a + chunk], p)
        if outputs is not None:
            if not outputs:
                outputs.append(np.empty((n, *p.shape[1:]), p.dtype))
            outputs[0][a:a + chunk] = p
        if progress is not None:
            seen = min(a + chunk, n)
            progress.update(step + 1, _eval_logs(engine, kernel, T, values, W, seen, metrics))
    return _eval_logs(engine, kernel, T, values, W, n, metrics)


def _eval_logs(engine, kernel, T, values, W, n, metrics) -> dict:
    """Logs of the first ``n`` rows: the compiled reduction of their loss values (losses.reduce)
    plus the penalties, and the metrics."""
    with np.errstate(all="ignore"):
        loss = kernel.loss.reduce(T[:n], values[:n], None if W is None else W[:n])[0]
    loss += sum(layer.regularization_loss() for layer in engine.reg_layers)
    return {"loss": loss, **{metric.name: metric.result() for metric in metrics}}


def _display(verbose) -> int:
    """evaluate/predict ``verbose``: 'auto' is 1 on a terminal, else 0 (silent in scripts,
    logs and doctests; Keras prints there too)."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 0
    if verbose not in (0, 1, 2):
        raise ValueError(f"Expected verbose to be 0, 1, 2 or 'auto'; received verbose={verbose!r}")
    return verbose


def evaluate_arrays(model, x, y, sample_weight, batch_size, verbose=0, callbacks=None):
    verbose = _display(verbose)
    X, y, T, W = _arrays(model, x, y, sample_weight, None)
    engine = model._engine
    engine.prepare(model.loss)
    kernel = _fused.select(model.loss, T, model._fused, _units(model))
    metrics, units = _resolve_metrics(model, y)
    MT = [_data.metric_targets(y, metric.kind, units, model.dtype) for metric in metrics]
    chunk = batch_size or (32 if verbose else None)  # Keras's steps when they are shown
    progress = None
    if verbose:
        progress = Progbar(-(-len(T) // chunk), verbose)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        logs = _evaluate_prepared(model, kernel, X, T, W, MT, metrics, chunk, progress)
    if progress is not None:
        progress.update(-(-len(T) // chunk), logs, final=True)
    return logs


def logs_result(logs: dict, return_dict: bool):
    """Keras's return value: the dict, the loss alone, or ``[loss, *metrics]``."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict_arrays(model, x, batch_size, verbose, callbacks):
    verbose = _display(verbose)
    x = model._prepare_x(x)
    engine = model._engine
    n = x.shape[0]
    chunk = min(n, batch_size or (32 if verbose else engine.eval_chunk())) or 1
    out = np.empty((n, *engine.layers[-1].output_shape), model.dtype)
    steps = -(-n // chunk)
    progress = Progbar(steps, verbose) if verbose else None
    for step, a in enumerate(range(0, n, chunk)):
        xb = np.asarray(x[a:a + chunk], model.dtype)
        y, _ = engine.forward(xb, False)
        out[a:a + chunk] = y
        if progress is not None:
            progress.update(step + 1, None, final=step + 1 == steps)
    return out


def forward_training(model, x):
    """``model(x, training=True)``: one forward pass in training mode (dropout on, batch
    statistics, which stateful layers then commit), outside fit."""
    x = np.ascontiguousarray(model._prepare_x(x), model.dtype)
    engine = model._engine
    with np.errstate(all="ignore"):
        y, ws = engine.forward(x, True)
        if model._fused:
            y = engine.layers[-1].activation.forward(y, out=y)
        y = y.copy()
    engine.commit(ws)
    return y


def train_on_batch(model, x, y, sample_weight, class_weight):
    """One update on ``(x, y)`` (Keras's ``train_on_batch``): the batch's logs."""
    X, y, T, W = _arrays(model, x, y, sample_weight, class_weight)
    _start_training(model, _fused.select(model.loss, T, model._fused, _units(model)))
    metrics, units = _resolve_metrics(model, y)
    MT = [_data.metric_targets(y, metric.kind, units, model.dtype) for metric in metrics]
    with np.errstate(all="ignore"):
        loss, applied = _train_step(model, X, T, W, MT, metrics)
    if not applied:
        warnings.warn(f"train_on_batch: the loss, its gradient or the updated weights are NaN "
                      f"or infinite (loss {loss}); the update was not applied and the weights "
                      f"are unchanged", RuntimeWarning, stacklevel=3)
    return {"loss": loss, **{metric.name: metric.result() for metric in metrics}}


def _check_args(epochs, batch_size, validation_split, verbose, initial_epoch, validation_freq):
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1),
                             ("initial_epoch", initial_epoch, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"Expected {name} to be an integer >= {low}; received {name}={value!r}")
    if not (isinstance(validation_split, (int, float)) and 0 <= validation_split < 1):
        raise ValueError(f"Expected validation_split in [0, 1); received "
                         f"validation_split={validation_split!r}")
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(f"Expected verbose to be 0, 1, 2 or 'auto'; received verbose={verbose!r}")
    if isinstance(validation_freq, (int, np.integer)) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"Expected validation_freq to be an integer >= 1 or a list of "
                             f"epochs; received validation_freq={validation_freq!r}")
    elif not (isinstance(validation_freq, (list, tuple, set, range))
              and all(isinstance(e, (int, np.integer)) for e in validation_freq)):
        raise ValueError(f"Expected validation_freq to be an integer >= 1 or a list of epochs "
                         f"(1-based); received validation_freq={validation_freq!r}")


def _validate_now(epoch: int, freq) -> bool:
    """Keras's rule: after epoch ``epoch + 1`` when it is a multiple of ``freq``, or listed."""
    if isinstance(freq, (int, np.integer)):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def fit(model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split,
        validation_data, shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch,
        validation_freq=1):
    batch_size = 32 if batch_size is None else batch_size
    _check_args(epochs, batch_size, validation_split, verbose, initial_epoch, validation_freq)
    if x is None:
        raise ValueError("fit needs training data: fit(x, y, ...)")
    is_iter = y is None and not isinstance(x, np.ndarray) and hasattr(x, "__iter__")
    if is_iter and validation_split:
        raise ValueError("validation_split cannot be used with a batch generator; pass "
                         "validation_data=(x_val, y_val)")
    if not model.built and not is_iter:
        model._prepare_x(x if isinstance(x, np.ndarray) else np.asarray(x))
    val = None
    if is_iter:
        if not model.built:
            raise ValueError("With a batch generator the model must know its input shape: give "
                             "input_shape=(d,) to the first layer or start with Input(shape=...)")
        # the batches are not seen yet: 'accuracy' follows the loss (sparse labels only with
        # the sparse loss)
        sparse_like = np.zeros(1 if model.loss.targets == "class_index" else (1, 2))
        metrics, units = _resolve_metrics(model, sparse_like)
        source = _data.IterSource(model, x, steps_per_epoch, [m.kind for m in metrics], units)
        kernel = _fused.select(model.loss, None, model._fused, _units(model))
    else:
        X, y, T, W = _arrays(model, x, y, sample_weight, class_weight)
        kernel = _fused.select(model.loss, T, model._fused, _units(model))
        metrics, units = _resolve_metrics(model, y)
        MT = [_data.metric_targets(y, metric.kind, units, model.dtype) for metric in metrics]
        if validation_split and validation_data is None:
            split = int(len(T) * (1 - validation_split))
            if split == 0 or split == len(T):
                raise ValueError(f"validation_split={validation_split} leaves "
                                 f"{'no training' if split == 0 else 'no validation'} samples "
                                 f"out of {len(T)}")
            val = (kernel, X[split:], T[split:], None if W is None else W[split:],
                   [t[split:] for t in MT])
            X, T, W, MT = X[:split], T[:split], None if W is None else W[:split], \
                [t[:split] for t in MT]
        source = _data.ArraySource(X, T, W, MT, batch_size, shuffle, model._rng, model.dtype)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             "(x_val, y_val, sample_weight_val)")
        vx, vy, vw = (*validation_data, None)[:3]
        VX, vy, VT, VW = _arrays(model, vx, vy, vw, None, name="x_val")
        val = (_fused.select(model.loss, VT, model._fused, units), VX, VT, VW,
               [_data.metric_targets(vy, metric.kind, units, model.dtype) for metric in metrics])
    val_metrics = [metric.fresh() for metric in metrics]
    for metric, fresh in zip(metrics, val_metrics):
        fresh.name = metric.name
    model.metrics = metrics  # Keras's model.metrics: what callbacks look up by name
    _start_training(model, kernel)
    return _loop(model, source, val, metrics, val_metrics, epochs, initial_epoch, verbose,
                 callbacks, validation_freq)


def _start_training(model, kernel) -> None:
    """The training state for this fit (or train_on_batch): loss kernel, reduction, penalised
    layers, fixed weights, optimizer buffers, the layers' compiled kernels."""
    engine = model._engine
    engine.prepare(model.loss)
    engine.kernel = kernel
    engine.fix_weights()
    model.optimizer.build(engine.params.size, model.dtype, engine.sizes)
    big = kernels_enabled(engine.params.size)
    for layer in engine.layers:
        if hasattr(layer, "use_kernels"):
            layer.use_kernels(big, model.dtype)


def _loop(model, source, val, metrics, val_metrics, epochs, initial_epoch, verbose, callbacks,
          validation_freq=1):
    """The epochs. History records every epoch run, the one where training diverged included
    (its loss NaN or inf, as Keras). Ctrl-C: the current batch ends, History keeps the epochs
    completed, the progress display closes, then KeyboardInterrupt is raised (Keras)."""
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history = History()
    # Keras's order: the progress display first, History last (it records what others add)
    progress = ProgressLogger(verbose) if verbose else None
    cbs = [progress] if progress else []
    cbs += [*(callbacks or []), history]
    params = {"epochs": epochs, "steps": getattr(source, "steps", None), "verbose": verbose}
    cbl = CallbackList(cbs, model, params)
    history.params, model.history = params, history
    state = {"interrupted": False}
    previous = _install_sigint(state)
    model.stop_training = False
    outputs = [] if cbl.validation_outputs else None  # the validation predictions' array
    errstate = np.errstate(all="ignore")
    errstate.__enter__()  # divergence is detected and reported below, without NumPy's warnings
    blas = _small_gemm_limit(model, source, epochs - initial_epoch)
    finished = False
    try:
        cbl.call("on_train_begin", {})
        epoch = batch = -1
        for epoch in range(initial_epoch, epochs):
            cbl.call("on_epoch_begin", epoch, {})
            for metric in metrics:
                metric.reset_state()
            total, seen, batch, diverged = 0.0, 0, -1, False
            for batch, (xb, tb, wb, mt) in enumerate(source.batches()):
                for cb in cbl.batch_begin:
                    cb.on_train_batch_begin(batch, {})
                loss, applied = _train_step(model, xb, tb, wb, mt, metrics)
                m = len(xb)
                total += loss * m
                seen += m
                if not applied:
                    diverged = True
                    _diverged(model, epoch, epochs, batch)
                if cbl.batch_end:
                    logs = {"loss": total / seen, **{mt_.name: mt_.result() for mt_ in metrics}}
                    for cb in cbl.batch_end:
                        cb.on_train_batch_end(batch, logs)
                if diverged or state["interrupted"] or model.stop_training:
                    break
            if state["interrupted"]:
                break
            if seen == 0:
                warnings.warn(f"Epoch {epoch + 1}: the data gave no batches (a generator that "
                              f"ran out?); training stopped. Pass steps_per_epoch, or an "
                              f"iterable that can be iterated once per epoch.", RuntimeWarning,
                              stacklevel=4)
                break
            logs = {"loss": total / seen, **{metric.name: metric.result() for metric in metrics}}
            if val is not None and _validate_now(epoch, validation_freq):
                vlogs = _evaluate_prepared(model, *val, val_metrics, outputs=outputs)
                logs.update({"val_" + k: v for k, v in vlogs.items()})
                for cb in cbl.validation_outputs:
                    cb.on_validation_outputs(epoch, outputs[0])
            cbl.call("on_epoch_end", epoch, logs)
            if diverged or model.stop_training:
                break
        if not state["interrupted"]:
            if getattr(model.optimizer, "use_ema", False) and epochs > initial_epoch:
                # Keras: the moving averages replace the weights at the end of fit
                model.optimizer.finalize_variable_values(model._engine.params)
            cbl.call("on_train_end", {})
        finished = True
    finally:
        if progress is not None and not finished:
            progress.close()
        if blas is not None:
            blas.__exit__(None, None, None)
        errstate.__exit__(None, None, None)
        _restore_sigint(previous)
        if hasattr(source, "release"):
            source.release()
    if state["interrupted"]:
        if progress is not None:
            progress.close()
        print(f"Training interrupted (Ctrl-C) at epoch {epoch + 1}, batch {batch + 1}; the "
              f"model keeps the weights after that batch and model.history the "
              f"{len(history.epoch)} completed epochs.", file=sys.stderr)
        raise KeyboardInterrupt
    return history


SMALL_GEMM = 2**21    # multiply-adds of one layer's product below which BLAS threads cost more
LONG_FIT = 5 * 10**8  # multiply-adds of a whole fit above which 8 ms of set-up is negligible


def _small_gemm_limit(model, source, epochs):
    """Run BLAS on one thread during a long fit of a model whose matrix products are all small
    (the digits network: 64x128 layers, batch 64): OpenBLAS's thread start-up and
    synchronisation then cost more than the products themselves, badly so on a busy machine.
    Uses threadpoolctl when it is installed (it comes with scikit-learn); otherwise nothing."""
    batch = getattr(source, "B", None)
    if batch is None or not source.steps:
        return None
    sizes = [batch * int(math.prod(layer.input_shape)) * layer.units
             for layer in model._engine.layers if hasattr(layer, "units")]
    if not sizes or max(sizes) > SMALL_GEMM or 3 * sum(sizes) * source.steps * epochs < LONG_FIT:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return None
    limit = threadpool_limits(limits=1, user_api="blas")
    limit.__enter__()
    return limit


def _diverged(model, epoch, epochs, batch):
    warnings.warn(f"Training diverged: the loss, its gradient or the updated weights became NaN "
                  f"or infinite at epoch {epoch + 1}/{epochs}, batch {batch + 1}. Training "
                  f"stopped; the model keeps its last finite weights (from before that batch). "
                  f"Try a smaller learning rate, clipnorm=1.0 in the optimizer, or check the "
                  f"data scale.",
                  RuntimeWarning, stacklevel=4)
    model.stop_training = True


def _install_sigint(state):
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if state["interrupted"]:  # a second Ctrl-C: stop now
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        state["interrupted"] = True

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - not the main interpreter
        return None
    return previous


def _restore_sigint(previous):
    if previous is not None:
        signal.signal(signal.SIGINT, previous)
