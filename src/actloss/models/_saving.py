"""One-file model saving: a zip of ``model.json`` and ``.npy`` arrays, written atomically.

Layout (format version 1)::

    model.json            {"format": "actloss-model", "format_version": 1, "model": config,
                           "compile": {...}, "optimizer_state": [keys], "rng": state}
    params.npy            the flat parameter vector (every layer's weights, in order)
    optimizer/<key>.npy   the optimizer state (moments, iterations ...) so fit resumes exactly

Loading never unpickles (``np.load(allow_pickle=False)``); a file that is not a zip, lacks
``model.json``, has another ``format``, a newer ``format_version``, or arrays that do not match
the configuration is rejected with a ``ValueError`` saying which. Writing goes to a temporary
file in the same folder, flushed and fsynced, then renamed over the target, so an interrupted
or failed save leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np

FORMAT = "actloss-model"
VERSION = 1


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def _write_atomic(path, entries: dict) -> None:
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".actloss-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
                for name, data in entries.items():
                    zf.writestr(name, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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


def _open(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(f"{path!r} is not an actloss model file (not a zip archive; it may be "
                         f"corrupted or another program's file)") from None
    try:
        header = json.loads(zf.read("model.json"))
    except KeyError:
        zf.close()
        raise ValueError(f"{path!r} is not an actloss model file (no model.json inside)") from None
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError) as err:
        zf.close()
        raise ValueError(f"{path!r} is corrupted: cannot read model.json ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        zf.close()
        raise ValueError(f"{path!r} is not an actloss model file (format "
                         f"{header.get('format') if isinstance(header, dict) else None!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or version > VERSION:
        zf.close()
        raise ValueError(f"{path!r} has format_version {version!r}; this actloss reads versions "
                         f"up to {VERSION}. Upgrade actloss to load it.")
    return zf, header


def _array(zf, name, path) -> np.ndarray:
    try:
        return np.load(io.BytesIO(zf.read(name)), allow_pickle=False)
    except KeyError:
        raise ValueError(f"{path!r} is corrupted: {name} is missing") from None
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise ValueError(f"{path!r} is corrupted: cannot read {name} ({err})") from None


def _build_from(header, path):
    from ..layers import deserialize
    from ._sequential import Sequential
    from .._config import floatx, set_floatx
    config = header["model"]
    try:
        model = Sequential([deserialize(c) for c in config["layers"]], name=config["name"])
        if config.get("input_shape") is not None:
            model._input_shape = tuple(config["input_shape"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path!r} has an invalid model configuration: {err}") from None
    old = floatx()
    set_floatx(header.get("dtype", old))
    try:
        model.build()
    finally:
        set_floatx(old)
    return model


def _set_params(model, params, path):
    if params.shape != model._params.shape:
        raise ValueError(f"{path!r} is corrupted: params.npy holds {params.shape} values; the "
                         f"model's configuration needs {model._params.shape}")
    model._params[...] = params


def load_model(path, compile=True):
    """Load a model saved by ``model.save(path)``: same layers, weights, compile settings and
    optimizer state (so ``fit`` continues exactly as it would have).

    >>> import os, tempfile, numpy as np
    >>> from actloss.models import Sequential, load_model
    >>> from actloss.layers import Dense
    >>> m = Sequential([Dense(2, input_shape=(3,))]); m.compile(loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.actloss"); m.save(path)
    >>> np.array_equal(load_model(path).get_weights()[0], m.get_weights()[0])
    True
    """
    if os.fspath(path).endswith(".keras"):  # a Keras 3 file (an older actloss one goes on)
        from ._keras_archive import is_keras_archive, load_keras
        if is_keras_archive(path):
            return load_keras(path, compile=compile)
    zf, header = _open(path)
    with zf:
        model = _build_from(header, path)
        _set_params(model, _array(zf, "params.npy", path), path)
        if header.get("rng") is not None:
            model._rng.bit_generator.state = header["rng"]
        comp = header.get("compile")
        if compile and comp:
            from .. import losses
            loss = dict(comp["loss"])
            model.compile(optimizer=comp["optimizer"],
                          loss=losses.get(loss.pop("name"), **loss), metrics=comp["metrics"])
            keys = header.get("optimizer_state")
            if keys:
                opt = model.optimizer
                opt.build(model._params.size, model.dtype, model._segments)
                opt.set_state({k: _array(zf, f"optimizer/{k}.npy", path) for k in keys})
    return model


def load_weights(model, path) -> None:
    zf, header = _open(path)
    with zf:
        model._ensure_built()
        _set_params(model, _array(zf, "params.npy", path), path)
