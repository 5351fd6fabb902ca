"""Keras's list form of the optimizer API on NumPy arrays, over the flat core.

``opt.apply_gradients(zip(grads, variables))`` (or ``opt.apply(grads, variables)``): the
optimizer is built on the first list of variables it sees (``opt.build(variables)`` does it
explicitly); each call packs the arrays into one vector, makes one flat update and writes the
results back into the arrays, in place. A variable's name (``getattr(v, 'name', None)``) is used
by ``exclude_from_weight_decay(var_names=...)``. A ``None`` gradient skips its variable, with
Keras's warning.
"""

from __future__ import annotations

import warnings

import numpy as np

COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
          "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps", "name")


def _check_arrays(variables):
    for i, v in enumerate(variables):
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f" or not v.flags.writeable:
            raise TypeError(f"optimizer variables must be writable float NumPy arrays (updated "
                            f"in place); variable {i} is {type(v).__name__}"
                            f"{'' if not isinstance(v, np.ndarray) else ' of dtype ' + str(v.dtype)}")


def _name(v):
    return getattr(v, "name", None) or getattr(v, "path", None)


def build(opt, variables: list) -> None:
    """Build the state for Keras's list of arrays (the flat core over their concatenation)."""
    _check_arrays(variables)
    dtype = np.result_type(np.float32, *[v.dtype for v in variables])
    sizes = [int(v.size) for v in variables]
    opt._vars = list(variables)
    starts = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)[:-1])).astype(int)
    opt._slices = {id(v): slice(int(a), int(a) + n) for v, a, n in zip(variables, starts, sizes)}
    opt._n = None  # force the flat build
    opt.build(sum(sizes), dtype, sizes, [_name(v) for v in variables])


def apply(opt, grads: list, variables) -> None:
    if variables is None:
        if opt._vars is None:
            raise ValueError("When passing `grads` without `variables`, the optimizer must "
                             "already be built on a list of variables. Call "
                             "`optimizer.build(trainable_variables)` first.")
        variables = opt._vars
    if len(grads) != len(variables):
        raise ValueError(f"Expected one gradient per variable; received {len(grads)} gradients "
                         f"for {len(variables)} variables")
    if not variables:
        return
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if not pairs:
        raise ValueError(f"No gradients provided for any variable. Received: "
                         f"{[_name(v) for v in variables]}")
    if len(pairs) < len(variables):
        missing = [_name(v) for g, v in zip(grads, variables) if g is None]
        warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                      f"loss. If using `model.compile()`, did you forget to provide a `loss` "
                      f"argument?", stacklevel=3)
    _check_arrays([v for _, v in pairs])
    if opt._vars is None:
        build(opt, list(variables))
    unknown = [i for i, (_, v) in enumerate(pairs) if id(v) not in opt._slices]
    if unknown:
        raise ValueError(f"Unknown variable(s) at position(s) {unknown}: this optimizer was "
                         f"built on {len(opt._vars)} other arrays; use one optimizer per set "
                         f"of variables")
    dtype = opt._state["_tmp"].dtype
    if opt._mask_pending:  # on the full state, before a subset is gathered
        make_decay_mask(opt, opt._state["_tmp"])
    p = np.concatenate([np.asarray(v, dtype).reshape(-1) for _, v in pairs])
    g = np.concatenate([np.broadcast_to(np.asarray(gr, dtype), v.shape).reshape(-1)
                        for gr, v in pairs])
    slices = [opt._slices[id(v)] for _, v in pairs]
    if [s.start for s in slices] == [opt._slices[id(v)].start for v in opt._vars] \
            and len(slices) == len(opt._vars):
        opt._apply_flat(p, g)
    else:  # a subset: gather the state of those variables, update, scatter it back
        idx = np.concatenate([np.arange(s.start, s.stop) for s in slices])
        state, segments, n = opt._state, opt._segments, opt._n
        opt._state = {k: v[idx] for k, v in state.items()}
        opt._segments, opt._n = np.array([s.stop - s.start for s in slices]), idx.size
        try:
            opt._apply_flat(p, g)
        finally:
            for k, v in opt._state.items():
                state[k][idx] = v
            opt._state, opt._segments, opt._n = state, segments, n
    offset = 0
    for _, v in pairs:
        v[...] = p[offset:offset + v.size].reshape(v.shape)
        offset += v.size


def make_decay_mask(opt, p) -> None:
    """0 where ``exclude_from_weight_decay`` names a weight, 1 elsewhere (None if no weight
    is excluded). Arrays in ``var_list`` are found by identity (list form) or as views into
    the flat parameter vector ``p`` (the model's form)."""
    opt._mask_pending = False
    arrays, pattern = opt._exclude
    mask = np.ones(opt._n, p.dtype)
    if opt._vars is not None:  # list form: names and identities of the built arrays
        excluded = {id(a) for a in arrays}
        for v in opt._vars:
            name = _name(v)
            if id(v) in excluded or (pattern is not None and name and pattern.search(name)):
                mask[opt._slices[id(v)]] = 0
    else:
        if pattern is not None:
            if opt._names is None:
                raise ValueError("exclude_from_weight_decay(var_names=...) needs the weights' "
                                 "names, which were not given to build(); pass the arrays "
                                 "instead: var_list=[layer.bias, ...]")
            sizes = opt._segments if opt._segments is not None else [opt._n]
            start = 0
            for name, size in zip(opt._names, sizes):
                if name and pattern.search(name):
                    mask[start:start + int(size)] = 0
                start += int(size)
        base = p.__array_interface__["data"][0]
        for a in arrays:  # a contiguous view into p (a layer's weight) is found by address
            a = np.asarray(a)
            first, rem = divmod(a.__array_interface__["data"][0] - base, p.itemsize)
            if a.dtype == p.dtype and a.flags.c_contiguous and rem == 0 \
                    and 0 <= first and first + a.size <= p.size:
                mask[first:first + a.size] = 0
    if not mask.all():
        opt._state["_decay_mask"] = mask


def clip_list(opt, grads) -> list:
    """Keras's ``_clip_gradients`` on a list of arrays (copies)."""
    grads = [None if g is None else np.array(g, dtype=np.result_type(np.asarray(g), np.float32))
             for g in grads]
    if opt.clipnorm:
        return [g if g is None else g * (opt.clipnorm / max(float(np.linalg.norm(g)), opt.clipnorm))
                for g in grads]
    if opt.global_clipnorm:
        norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64))
                                 for g in grads if g is not None)))
        factor = opt.global_clipnorm / max(norm, opt.global_clipnorm)
        return [g if g is None else g * factor for g in grads]
    if opt.clipvalue:
        return [g if g is None else np.clip(g, -opt.clipvalue, opt.clipvalue) for g in grads]
    return grads


def views(opt, key) -> list:
    """Per-variable views of a flat state array (Keras keeps one array per variable)."""
    if opt._vars is None or key not in opt._state:
        return []
    return [opt._state[key][opt._slices[id(v)]].reshape(v.shape) for v in opt._vars]


def write_average(opt, var_list) -> None:
    avg = opt._state["moving_average"]
    if isinstance(var_list, np.ndarray) and var_list.ndim == 1 and var_list.size == avg.size:
        var_list[...] = avg
        return
    for v in var_list:
        if opt._vars is None or id(v) not in opt._slices:
            raise ValueError("finalize_variable_values: a variable the optimizer was not built "
                             "on")
        v[...] = avg[opt._slices[id(v)]].reshape(v.shape)


def set_weights(opt, weights: list) -> None:
    if not opt.built:
        raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been "
                         "built. Please call `optimizer.build(trainable_variables)` to create "
                         "the optimizer weights before calling `set_weights()`.")
    current = opt.variables
    if len(weights) != len(current):
        raise ValueError(f"set_weights expects {len(current)} arrays (see `variables`); "
                         f"received {len(weights)}")
    calls = int(np.asarray(weights[0]))
    opt._iterations = calls
    steps = opt.gradient_accumulation_steps
    opt.iterations = calls // steps if steps else calls
    rest = weights[1:]
    if not callable(opt._lr):
        opt.learning_rate = float(np.asarray(rest[0]))
        rest = rest[1:]
    for key, w in zip([k for k in opt._state if not k.startswith("_")], rest):
        opt._state[key][...] = np.asarray(w)
