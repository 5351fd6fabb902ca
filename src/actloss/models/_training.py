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
from ..callbacks import CallbackList, History, ProgressLogger
from ..optimizers import _kernels
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
    return int(math.prod(model._layers[-1].output_shape))


def _resolve_metrics(model, y):
    units = _units(model)
    y = np.asarray(y)
    sparse = units > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))
    return [_metrics.resolve(m, model.loss.name, units, sparse) for m in model._metric_ids], units


def _output_probs(model, h):
    """Predictions from the output of a forward pass made with training != False."""
    if model._fused:
        return model._layers[-1].activation.forward(h, out=h)
    return h


def _train_step(model, xb, tb, wb, mt, metrics):
    """One batch: returns the batch loss, or None when it (or the gradient) is not finite, in
    which case the weights are left untouched."""
    layers = model._layers
    ws = model._workspace(xb.shape[0])
    h = xb
    for layer, w in zip(layers, ws):
        h = layer.forward(h, w, True)
    loss, g = model._kernel(h, tb, wb)  # the loss and its one reduction (losses.reduce)
    for layer in model._reg_layers:
        loss += layer.regularization_loss()
    if not math.isfinite(loss):
        return None
    if metrics:
        p = _output_probs(model, h)
        for metric, t in zip(metrics, mt):
            metric.update_state(t, p)
    for i in range(len(layers) - 1, -1, -1):
        g = layers[i].backward(g, ws[i], i > 0)
    for layer in model._reg_layers:
        layer.add_regularization_grads()
    grads = model._grads
    if not math.isfinite(float(np.dot(grads, grads))):
        return None
    model.optimizer.apply(model._params, grads)
    if model._frozen:
        for dst, src in model._frozen:
            dst[...] = src
    return loss


def eval_chunk(model) -> int:
    """Rows per forward pass in evaluate/predict: the training buffers' size, at least 1024
    (larger chunks would only grow the reused buffers)."""
    return max(getattr(model, "_capacity", 0), 1024)


def _evaluate_prepared(model, X, T, W, MT, metrics):
    """Loss and metrics (training=False) on prepared arrays; returns a logs dict."""
    n, chunk = len(T), eval_chunk(model)
    for metric in metrics:
        metric.reset_state()
    values = np.empty(n, model.dtype)
    for a in range(0, n, chunk):
        xb = X[a:a + chunk]
        if xb.dtype != model.dtype:
            xb = np.asarray(xb, model.dtype)
        ws = model._workspace(xb.shape[0])
        h = xb
        for layer, w in zip(model._layers, ws):
            h = layer.forward(h, w, None)  # None: inference, logits kept at a fused output
        values[a:a + chunk] = model._kernel(h, T[a:a + chunk], None, "none", grad=False)[0]
        if metrics:
            p = _output_probs(model, h)
            for metric, t in zip(metrics, MT):
                metric.update_state(t[a:a + chunk], p)
    loss = model._kernel.loss.reduce(T, values, W)[0]
    loss += sum(layer.regularization_loss() for layer in model._reg_layers)
    return {"loss": loss, **{metric.name: metric.result() for metric in metrics}}


def evaluate_arrays(model, x, y, sample_weight, batch_size):
    _setup(model)
    model.__dict__.setdefault("_frozen", [])
    X, y, T, W = _arrays(model, x, y, sample_weight, None)
    model._kernel = _fused.select(model.loss, T, model._fused, _units(model))
    metrics, units = _resolve_metrics(model, y)
    MT = [_data.metric_targets(y, metric.kind, units, model.dtype) for metric in metrics]
    return _evaluate_prepared(model, X, T, W, MT, metrics)


def _setup(model):
    """Settings that depend on the compiled model (cheap; fit, evaluate and trace call it, so
    it must not reset anything a fit in progress relies on)."""
    model._mean = model.loss.reduction == "mean"
    model._reg_layers = [layer for layer in model._layers if layer.regularization_loss is not
                         type(layer).regularization_loss and _has_regularizer(layer)]


def _has_regularizer(layer):
    return getattr(layer, "kernel_regularizer", None) is not None or \
        getattr(layer, "bias_regularizer", None) is not None


def _check_args(epochs, batch_size, validation_split, verbose, initial_epoch):
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1),
                             ("initial_epoch", initial_epoch, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"Expected {name} to be an integer >= {low}; received {name}={value!r}")
    if not (isinstance(validation_split, (int, float)) and 0 <= validation_split < 1):
        raise ValueError(f"Expected validation_split in [0, 1); received "
                         f"validation_split={validation_split!r}")
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(f"Expected verbose to be 0, 1, 2 or 'auto'; received verbose={verbose!r}")


def fit(model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split,
        validation_data, shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch):
    batch_size = 32 if batch_size is None else batch_size
    _check_args(epochs, batch_size, validation_split, verbose, initial_epoch)
    if x is None:
        raise ValueError("fit needs training data: fit(x, y, ...)")
    is_iter = y is None and not isinstance(x, np.ndarray) and hasattr(x, "__iter__")
    if is_iter and validation_split:
        raise ValueError("validation_split cannot be used with a batch generator; pass "
                         "validation_data=(x_val, y_val)")
    if not model.built and not is_iter:
        model._prepare_x(x if isinstance(x, np.ndarray) else np.asarray(x))
    _setup(model)
    model._kernel, model._frozen = _fused.select(model.loss, None, model._fused, 0), []
    if is_iter:
        if not model.built:
            raise ValueError("With a batch generator the model must know its input shape: give "
                             "input_shape=(d,) to the first layer or start with Input(shape=...)")
        # the batches are not seen yet: 'accuracy' follows the loss (sparse labels only with
        # the sparse loss)
        sparse_like = np.zeros(1 if model.loss.name == "sparse_categorical_crossentropy" else
                               (1, 2))
        metrics, units = _resolve_metrics(model, sparse_like)
        source = _data.IterSource(model, x, steps_per_epoch, [m.kind for m in metrics], units)
    else:
        X, y, T, W = _arrays(model, x, y, sample_weight, class_weight)
        model._kernel = _fused.select(model.loss, T, model._fused, _units(model))
        metrics, units = _resolve_metrics(model, y)
        MT = [_data.metric_targets(y, metric.kind, units, model.dtype) for metric in metrics]
        val = None
        if validation_split and validation_data is None:
            split = int(len(T) * (1 - validation_split))
            if split == 0 or split == len(T):
                raise ValueError(f"validation_split={validation_split} leaves "
                                 f"{'no training' if split == 0 else 'no validation'} samples "
                                 f"out of {len(T)}")
            val = (X[split:], T[split:], None if W is None else W[split:],
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
        val = (VX, VT, VW, [_data.metric_targets(vy, metric.kind, units, model.dtype)
                            for metric in metrics])
    elif is_iter:
        val = None
    val_metrics = [metric.fresh() for metric in metrics]
    for metric, fresh in zip(metrics, val_metrics):
        fresh.name = metric.name
    model.optimizer.build(model._params.size, model.dtype, model._segments)
    big = _kernels.enabled(model._params.size)
    for layer in model._layers:
        if hasattr(layer, "use_kernels"):
            layer.use_kernels(big, model.dtype)
    model._frozen = [(w, w.copy()) for layer in model._layers if not layer.trainable
                     for w in layer.weights]
    return _loop(model, source, val, metrics, val_metrics, epochs, initial_epoch, verbose,
                 callbacks)


def _loop(model, source, val, metrics, val_metrics, epochs, initial_epoch, verbose, callbacks):
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history = History()
    # Keras's order: the progress display first, History last (it records what others add)
    cbs = [ProgressLogger(verbose)] if verbose else []
    cbs += [*(callbacks or []), history]
    params = {"epochs": epochs, "steps": getattr(source, "steps", None), "verbose": verbose}
    cbl = CallbackList(cbs, model, params)
    history.params, model.history = params, history
    state = {"interrupted": False}
    previous = _install_sigint(state)
    model.stop_training = False
    errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    errstate.__enter__()  # divergence is detected and reported below, without NumPy's warnings
    blas = _small_gemm_limit(model, source, epochs - initial_epoch)
    try:
        cbl.call("on_train_begin", {})
        for epoch in range(initial_epoch, epochs):
            cbl.call("on_epoch_begin", epoch, {})
            for metric in metrics:
                metric.reset_state()
            total, seen, batch = 0.0, 0, -1
            for batch, (xb, tb, wb, mt) in enumerate(source.batches()):
                for cb in cbl.batch_begin:
                    cb.on_train_batch_begin(batch, {})
                loss = _train_step(model, xb, tb, wb, mt, metrics)
                if loss is None:
                    _diverged(model, epoch, epochs, batch)
                    state["diverged"] = True
                    break
                m = len(xb)
                total += loss * m
                seen += m
                if cbl.batch_end:
                    logs = {"loss": total / seen, **{mt_.name: mt_.result() for mt_ in metrics}}
                    for cb in cbl.batch_end:
                        cb.on_train_batch_end(batch, logs)
                if state["interrupted"] or model.stop_training:
                    break
            if state.get("diverged") or state["interrupted"]:
                break
            if seen == 0:
                warnings.warn(f"Epoch {epoch + 1}: the data gave no batches (a generator that "
                              f"ran out?); training stopped. Pass steps_per_epoch, or an "
                              f"iterable that can be iterated once per epoch.", RuntimeWarning,
                              stacklevel=4)
                break
            logs = {"loss": total / seen, **{metric.name: metric.result() for metric in metrics}}
            if val is not None:
                vlogs = _evaluate_prepared(model, *val, val_metrics)
                logs.update({"val_" + k: v for k, v in vlogs.items()})
            cbl.call("on_epoch_end", epoch, logs)
            if model.stop_training:
                break
        if state["interrupted"]:
            print(f"Training interrupted (Ctrl-C) at epoch {epoch + 1}, batch {batch + 1}; the "
                  f"model keeps the weights after that batch and History the completed epochs.",
                  file=sys.stderr)
        cbl.call("on_train_end", {})
    finally:
        if blas is not None:
            blas.__exit__(None, None, None)
        errstate.__exit__(None, None, None)
        _restore_sigint(previous)
        if hasattr(source, "release"):
            source.release()
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
             for layer in model._layers if hasattr(layer, "units")]
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
    warnings.warn(f"Training diverged: the loss (or its gradient) became NaN or infinite at "
                  f"epoch {epoch + 1}/{epochs}, batch {batch + 1}. Training stopped; the model "
                  f"keeps its last finite weights (from before that batch). Try a smaller "
                  f"learning rate, clipnorm=1.0 in the optimizer, or check the data scale.",
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


def trace(model, x, y, sample_weight):
    x = np.ascontiguousarray(model._prepare_x(x), model.dtype)
    n, layers = len(x), model._layers
    ws = [layer.workspace(n, model.dtype) for layer in layers]
    pre, outs, h = [], [], x
    for layer, w in zip(layers, ws):
        if hasattr(layer, "kernel"):
            z = h @ layer.kernel
            pre.append(z + layer.bias if layer.use_bias else z)
        else:
            pre.append(h.copy() if hasattr(layer, "activation") else None)
        h = layer.forward(h, w, False)
        outs.append(h.copy())
    if y is None:
        return _Trace(pre_activations=pre, outputs=outs)
    model._require_compiled("trace")
    _setup(model)
    yv = np.asarray(y)
    _checks.check_lengths(n, yv)
    T = _data.prepare_targets(model, yv, n)
    W = _data.sample_weights(yv, sample_weight, None, n, model.dtype)
    at = pre[-1] if model._fused else outs[-1]
    vals, g = model._train_loss.value_and_grad_unchecked(T, at)
    loss, g = model._train_loss.reduce(T, vals, W, g)
    loss += sum(layer.regularization_loss() for layer in model._reg_layers)
    out_grads = [None] * len(layers)
    vals, g_out = model.loss.value_and_grad_unchecked(T, outs[-1])
    out_grads[-1] = model.loss.reduce(T, vals, W, g_out)[1]
    for i in range(len(layers) - 1, -1, -1):
        if i < len(layers) - 1 or not model._fused:
            out_grads[i] = g.copy()
        g = layers[i].backward(g, ws[i], i > 0)
    for layer in model._reg_layers:
        layer.add_regularization_grads()
    wgrads = [[gr.copy() for gr in layer._grads] for layer in layers]
    return _Trace(pre_activations=pre, outputs=outs, loss=loss, output_grads=out_grads,
                  weight_grads=wgrads)


def _Trace(**fields):
    from ._sequential import Trace
    return Trace(**fields)
