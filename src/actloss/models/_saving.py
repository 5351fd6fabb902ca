"""One-file model saving: a zip of ``model.json`` and ``.npy`` arrays, written atomically and
read back without trusting a byte of it.

Layout (format version 1)::

    model.json            {"format": "actloss-model", "format_version": 1, "kind": "model",
                           "dtype": ..., "model": config, "compile": {...},
                           "optimizer_state": [keys], "rng": state}
    params.npy            the flat parameter vector (every layer's weights, in order)
    optimizer/<key>.npy   the optimizer state (moments, iterations ...) so fit resumes exactly

Loading never unpickles and never runs code from the file. In order, before anything of the
declared sizes is allocated: the zip directory is checked (:mod:`._archive`: member count and
names, encryption, compression, declared sizes against the real file and the caps),
``model.json`` is read bounded and parsed with size and depth limits, the whole of it is checked
against one schema (:mod:`._schema`: every key, type, range, and every catalog name), the layers
are created and their weight shapes computed, their total checked against
``MAX_PARAMS`` (2**27 values), and each array's header checked (float16/32/64 only, exactly the
model's dtype and shape, declared bytes == stored bytes). Only then are the weights read, in
chunks. Every failure is a ``ValueError`` naming the file, the key or member, what was found and
what was expected; ``OSError`` is left for the file system (missing file, a directory ...).

Writing goes through :func:`._atomic.write_atomic`: a locked temporary file in the same folder,
fsynced, renamed over the target, folder fsynced; a killed save leaves the previous file intact
and the next save or load removes its temporary file.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
import zipfile

import numpy as np

from . import _archive
from ._classes import MODEL_CLASSES
from ._atomic import clean_stale, write_atomic
from ._schema import VERSION, header_schema

FORMAT = "actloss-model"
_SCALARS = {"iterations": ((), ("int64",)), "u_product": ((), ("float64",))}


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def _write_atomic(path, entries: dict) -> None:
    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
    write_atomic(path, write)


def _header(model, kind: str) -> dict:
    from .. import __version__
    return {"format": FORMAT, "format_version": VERSION, "kind": kind,
            "actloss_version": __version__, "dtype": np.dtype(model.dtype).name,
            "model": model.get_config()}


def save_model(model, path) -> None:
    if os.fspath(path).endswith(".keras"):  # Keras 3's own format, which Keras loads
        from ._keras_archive import keras_archive
        _write_atomic(path, keras_archive(model))
        return
    model._ensure_built()
    if not model.built:
        raise ValueError("Cannot save a model whose weights do not exist yet: give the first "
                         "layer input_shape=(d,) or fit it first")
    header = _header(model, "model")
    entries = {"params.npy": _npy_bytes(model._params)}
    if getattr(model, "_compiled", False):
        opt = model.optimizer
        header["compile"] = {"optimizer": opt.get_config(), "loss": model.loss.get_config(),
                             "metrics": [m if isinstance(m, str) else m.name
                                         for m in model._metric_ids]}
        if opt._n is not None:
            state = opt.get_state()
            header["optimizer_state"] = sorted(state)
            entries.update({f"optimizer/{k}.npy": _npy_bytes(v) for k, v in state.items()})
    if model._rng is not None:
        header["rng"] = model._rng.bit_generator.state
    entries = {"model.json": json.dumps(header, indent=1).encode(), **entries}
    _write_atomic(path, entries)


def save_weights(model, path) -> None:
    model._ensure_built()
    _write_atomic(path, {"model.json": json.dumps(_header(model, "weights")).encode(),
                         "params.npy": _npy_bytes(model._params)})


# ---------------------------------------------------------------------------------- reading
def _guard(path, what, make):
    """Build something from checked values; a constructor's complaint becomes a ValueError
    naming the file and the key (the schema caught the types, this catches the ranges)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a file must not make a warning-as-error crash
            return make()
    except (MemoryError, RecursionError):
        raise
    except Exception as err:
        raise ValueError(f"{path!r} has an invalid model.json: {what}: "
                         f"{type(err).__name__}: {err}".splitlines()[0]) from None


def _open(path):
    """The checked archive and its checked header."""
    path = os.fspath(path)
    clean_stale(os.path.dirname(os.path.abspath(path)))
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder; expected a model file saved by "
                                f"model.save")
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ValueError(f"{path!r} is not an actloss model file (not a zip archive; it may "
                             f"be corrupted or another program's file)")
    zf = _archive.open_archive(path)
    try:
        if "model.json" not in zf.NameToInfo:
            raise ValueError(f"{path!r} is not an actloss model file (no model.json inside)")
        header = _archive.read_json(zf, "model.json")
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            found = header.get("format") if isinstance(header, dict) else type(header).__name__
            raise ValueError(f"{path!r} is not an actloss model file (format {found!r}; "
                             f"expected {FORMAT!r})")
        version = header.get("format_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise ValueError(f"{path!r} has format_version {version}; this actloss reads "
                             f"versions up to {VERSION}. Upgrade actloss to load it.")
        try:
            header_schema().check(header, "")
        except ValueError as err:
            raise ValueError(f"{path!r} has an invalid model.json: {err}") from None
        expected = {"model.json", "params.npy",
                    *(f"optimizer/{k}.npy" for k in header.get("optimizer_state") or ())}
        extra = sorted(set(zf.namelist()) - expected)
        if extra:
            raise ValueError(f"{path!r} holds unexpected members {extra[:5]}; an actloss model "
                             f"file has only {sorted(expected)}")
    except BaseException:
        zf.close()
        raise
    return zf, header


def _layers(header, path):
    """The layers, built to their shapes (no weights allocated), and their weight shapes."""
    from ..layers import deserialize
    config = header["model"]
    layers = [_guard(path, f"model.layers[{i}]", lambda c=c: deserialize(c))
              for i, c in enumerate(config["layers"])]
    shape = config.get("input_shape") or layers[0].input_shape
    if shape is None:
        raise ValueError(f"{path!r} has an invalid model.json: neither model.input_shape nor "
                         f"model.layers[0].config.input_shape gives the input shape")
    shape, shapes = tuple(shape), []
    for i, layer in enumerate(layers):
        _guard(path, f"model.layers[{i}] with input shape {shape}",
               lambda layer=layer, s=shape: layer.build_shapes(s))
        shape = layer.output_shape
        for _, s, _ in layer.weight_specs():
            shapes.append(tuple(int(d) for d in s))
    total = sum(math.prod(s) for s in shapes)
    if total > _archive.MAX_PARAMS:
        raise ValueError(f"{path!r} declares a model of {total:,} parameters; actloss loads at "
                         f"most {_archive.MAX_PARAMS:,} (models.MAX_PARAMS)")
    return layers, tuple(config["input_shape"]) if config.get("input_shape") else None, shapes


def _build(header, path, layers, input_shape, params):
    from .._config import floatx, set_floatx
    old = floatx()
    set_floatx(header["dtype"])
    try:
        def make():
            model = MODEL_CLASSES["Sequential"](name=header["model"]["name"])
            model._input_shape = input_shape
            for layer in layers:
                model.add(layer)
            model.build()
            return model
        model = _guard(path, "model", make)
    finally:
        set_floatx(old)
    model._params[...] = params
    if header.get("rng") is not None:
        _guard(path, "rng", lambda: setattr(model._rng.bit_generator, "state", header["rng"]))
    return model


def _compile(model, header, zf, path):
    from .. import losses, optimizers
    comp = header["compile"]
    opt = _guard(path, "compile.optimizer", lambda: optimizers.get(comp["optimizer"]))
    loss = dict(comp["loss"])
    loss = _guard(path, "compile.loss", lambda: losses.get(loss.pop("name"), **loss))
    _guard(path, "compile", lambda: model.compile(optimizer=opt, loss=loss,
                                                  metrics=comp["metrics"]))
    keys = header.get("optimizer_state")
    if not keys:
        return
    opt.build(model._params.size, model.dtype, model._segments)
    needed = sorted(opt.get_state())
    if sorted(keys) != needed:
        raise ValueError(f"{path!r} has an invalid model.json: key optimizer_state: found "
                         f"{sorted(keys)}; the optimizer {opt.name!r} needs {needed}")
    state = {}
    for k in keys:
        shape, dtypes = _SCALARS.get(k, ((model._params.size,), (model.dtype.name,)))
        state[k] = _archive.read_npy(zf, f"optimizer/{k}.npy", shape, dtypes)
    if state["iterations"] < 0 or not np.isfinite(state["u_product"]):
        raise ValueError(f"{path!r} is corrupted: optimizer iterations "
                         f"{int(state['iterations'])} / u_product {float(state['u_product'])}")
    opt.set_state(state)


def load_model(path, compile=True):
    """Load a model saved by ``model.save(path)``: same layers, weights, compile settings and
    optimizer state (so ``fit`` continues exactly as it would have).

    A file from anywhere is safe to load: nothing in it is executed or unpickled, no size it
    declares is trusted (see the module docstring and :mod:`actloss.models._archive` for the
    caps, e.g. at most ``MAX_PARAMS`` = 134,217,728 weights), and anything invalid raises a
    ``ValueError`` that names the file, the key or member, what was found and what was
    expected (``OSError`` for a missing or unreadable file).

    >>> import os, tempfile, numpy as np
    >>> from actloss.models import Sequential, load_model
    >>> from actloss.layers import Dense
    >>> m = Sequential([Dense(2, input_shape=(3,))]); m.compile(loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.actloss"); m.save(path)
    >>> np.array_equal(load_model(path).get_weights()[0], m.get_weights()[0])
    True
    """
    path = os.fspath(path)
    if path.endswith(".keras"):  # a Keras 3 file (an older actloss one goes on)
        from ._keras_archive import is_keras_archive, load_keras
        if is_keras_archive(path):
            return load_keras(path, compile=compile)
    zf, header = _open(path)
    with zf:
        layers, input_shape, shapes = _layers(header, path)
        total = sum(math.prod(s) for s in shapes)
        params = _archive.read_npy(zf, "params.npy", (total,), (header["dtype"],))
        model = _build(header, path, layers, input_shape, params)
        if compile and header.get("compile"):
            _compile(model, header, zf, path)
    return model


def load_weights(model, path) -> None:
    """Set ``model``'s weights from a file written by ``save_weights`` or ``save``. The file's
    layers must have the same weight shapes, in order; its float16/32/64 values are converted
    to the model's dtype (as Keras does)."""
    path = os.fspath(path)
    zf, header = _open(path)
    with zf:
        _, _, shapes = _layers(header, path)
        model._ensure_built()
        if not model.built:
            raise ValueError("load_weights: build the model first (give the first layer "
                             "input_shape=(d,))")
        mine = [tuple(w.shape) for w in model.weights]
        if mine != shapes:
            raise ValueError(f"{path!r} holds weights of shapes {shapes}; this model has "
                             f"{mine}")
        params = _archive.read_npy(zf, "params.npy", (sum(map(math.prod, shapes)),),
                                   (header["dtype"],))
    model._params[...] = params
