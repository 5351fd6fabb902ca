"""Keras 3 ``.keras`` archives on disk: :func:`keras_archive` (the members to write) and
:func:`load_keras`; the layer and compile mappings live in :mod:`._keras_format`.

Bounds on reading (a file may come from anyone) are those of the ``.actloss`` reader
(:mod:`._archive`: the zip directory checked before anything is read, member caps and
decompression-bomb ratio, ``config.json`` at most 16 MiB and 64 levels deep, no NaN tokens or
duplicate keys); ``model.weights.h5`` is read into memory (never extracted to disk) and h5py
sees only hard links to datasets stored inside it (no external or virtual datasets, whose data
would come from other files), floating point, of exactly the shapes the configuration implies,
and nothing else in the layer groups.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile

import numpy as np

from .. import __version__
from .._config import floatx, set_floatx
from ..layers import Input
from . import _archive
from . import _keras_format as kf
from ._classes import MODEL_CLASSES

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def _snake(name: str) -> str:  # Keras's naming.to_snake_case, which names the h5 groups
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique(name: str, used: dict) -> str:  # Keras's saving_lib._get_unique_name
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# --------------------------------------------------------------------------- writing
def _trained(model) -> list:
    """Per weight of ``model.weights``: does Keras's optimizer keep slots for it (trainable
    weights only: not BatchNormalization's moving statistics, nor a frozen layer's)?"""
    flags = []
    for layer in model._layers:
        own = getattr(layer, "trainable_flags", None)
        flags += own() if own is not None else [bool(layer.trainable)] * len(layer.weights)
    return flags


def _optimizer_state(model):
    """Keras's optimizer variables, in order, from the actloss optimizer (a fresh state when
    it has not trained yet, so Keras finds as many variables as it builds)."""
    opt = model.optimizer
    if opt._n is None:
        opt.build(model._params.size, model.dtype, model._segments)
    state = opt.get_state()
    out = [np.asarray(state["iterations"], np.int64)]
    if not callable(opt._lr):
        out.append(np.asarray(opt.learning_rate, model.dtype))
    bounds = np.cumsum([0, *model._segments])
    shapes = [w.shape for w in model.weights]
    trained = [i for i, t in enumerate(_trained(model)) if t]
    for group in kf._slot_names(opt):
        for i in trained:
            out += [state[k][bounds[i]:bounds[i + 1]].reshape(shapes[i]) for k in group]
    if opt.get_config()["name"] == "nadam":
        out.append(np.asarray(state["u_product"], model.dtype))
    return out


def keras_archive(model) -> dict:
    """``{member name: bytes}`` of the ``.keras`` archive for ``model`` (see the module docs)."""
    h5py = kf._h5py()
    model._ensure_built()
    if not model.built:
        raise ValueError("Cannot save a model whose weights do not exist yet: give the first "
                         "layer input_shape=(d,) or fit it first")
    dtype = np.dtype(model.dtype).name
    shape = [None, *model._input_shape]
    layers = [kf._obj("keras.layers", "InputLayer", {
        "batch_shape": shape, "dtype": dtype, "sparse": False, "ragged": False,
        "name": "input_layer", "optional": False})]
    groups, used = [], {}
    for layer in model._layers:
        convert = kf.TO_KERAS.get(type(layer).__name__)
        if convert is None:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no Keras "
                             f"counterpart in actloss's .keras writer; {kf.ADVICE}")
        in_shape = [None, *layer.input_shape]
        for cls, config, weights in convert(layer, dtype):
            entry = kf._obj("keras.layers", cls, config)
            if weights:
                entry["build_config"] = {"input_shape": in_shape}
            layers.append(entry)
            groups.append((_unique(_snake(cls), used), weights))
    root = kf._obj("keras", "Sequential", {
        "name": model.name, "trainable": True, "dtype": kf._dtype_policy(dtype),
        "layers": layers, "build_input_shape": shape})
    root["build_config"] = {"input_shape": shape}
    if getattr(model, "_compiled", False):
        root["compile_config"] = {
            "optimizer": kf._optimizer_to_keras(model.optimizer),
            "loss": kf._loss_to_keras(model.loss), "loss_weights": None,
            "metrics": [m if isinstance(m, str) else m.name for m in model._metric_ids] or None,
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for key, weights in groups:
            g = f.create_group(f"layers/{key}").create_group("vars")
            g.attrs["name"] = key
            for i, w in enumerate(weights):
                g[str(i)] = np.asarray(w)
        f.create_group("vars").attrs["name"] = model.name
        if getattr(model, "_compiled", False):
            g = f.create_group("optimizer").create_group("vars")
            g.attrs["name"] = model.optimizer.get_config()["name"]
            for i, v in enumerate(_optimizer_state(model)):
                g[str(i)] = v
    metadata = {"keras_version": kf.KERAS_VERSION, "actloss_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    return {METADATA: json.dumps(metadata).encode(), CONFIG: json.dumps(root).encode(),
            WEIGHTS: buf.getvalue()}


# --------------------------------------------------------------------------- reading
def is_keras_archive(path) -> bool:
    """True for a zip with Keras's ``config.json`` (an older actloss file named ``*.keras``
    holds ``model.json`` instead and goes to the ``.actloss`` reader)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return CONFIG in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _model_from_config(root, path):
    """The actloss model and, per Keras layer with an h5 group, (group key, [actloss layers])."""
    if not isinstance(root, dict) or root.get("class_name") != "Sequential" \
            or root.get("module") not in ("keras", "keras.models", "keras.src.models") \
            or not isinstance(root.get("config"), dict):
        found = root.get("class_name") if isinstance(root, dict) else type(root).__name__
        raise ValueError(f"{path!r}: actloss reads Keras Sequential models; found {found!r}")
    config = root["config"]
    specs = config.get("layers")
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"{path!r}: config.json has no layers")
    shape = (root.get("build_config") or {}).get("input_shape") or config.get("build_input_shape")
    layers, groups, used = [], [], {}
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
            raise ValueError(f"{path!r}: layer {i} of config.json is not a Keras layer object")
        cls = spec.get("class_name")
        where = f"{path!r}: layer {spec['config'].get('name', i)!r} ({cls})"
        kf._check_builtin(spec, "keras.layers", where)
        if cls == "InputLayer":
            shape = spec["config"].get("batch_shape") or spec["config"].get("batch_input_shape")
            continue
        build = kf.FROM_KERAS.get(cls)
        if build is None:
            raise ValueError(f"{where}: actloss reads only {sorted(kf.FROM_KERAS)} (and "
                             f"InputLayer); never Lambda or custom layers, whose code would "
                             f"run on loading")
        try:
            made = build(spec["config"], where)
        except (TypeError, ValueError, NotImplementedError) as err:
            raise ValueError(f"{where}: {err}") from None
        layers += made
        groups.append((_unique(_snake(cls), used), made, where))
    if not isinstance(shape, list) or len(shape) < 2 or shape[0] is not None \
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                       for s in shape[1:]):
        raise ValueError(f"{path!r}: the model's input shape {shape!r} is not (None, d, ...)")
    policy = config.get("dtype")
    dtype = policy.get("config", {}).get("name") if isinstance(policy, dict) else policy
    dtype = dtype or "float32"
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"{path!r}: dtype policy {dtype!r} is not one actloss computes in "
                         f"(float16, float32, float64)")
    old = floatx()
    set_floatx(dtype)
    try:
        model = MODEL_CLASSES["Sequential"]([Input(shape=tuple(shape[1:])), *layers],
                           name=str(config.get("name", "sequential")))
    finally:
        set_floatx(old)
    return model, groups


def _dataset(group, key, where, shape):
    h5py = kf._h5py()
    link = group.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"{where}: weight {key} is a {type(link).__name__}; actloss reads only "
                         f"data stored in the file itself")
    ds = group[key]
    if not isinstance(ds, h5py.Dataset) or ds.external or ds.is_virtual \
            or ds.dtype.kind != "f":
        raise ValueError(f"{where}: weight {key} is not a floating-point array stored in the file")
    if ds.shape != tuple(shape):
        raise ValueError(f"{where}: weight {key} has shape {ds.shape}; the layer needs "
                         f"{tuple(shape)}")
    return ds[()]


def _vars(f, name, where):
    h5py = kf._h5py()
    if name not in f:
        return None
    group = f[name]
    if not isinstance(group, h5py.Group) or "vars" not in group \
            or not isinstance(group["vars"], h5py.Group):
        raise ValueError(f"{where}: the h5 entry {name} is not a Keras variables group")
    return group["vars"]


def _load_weights(f, model, groups, path):
    for key, made, where in groups:
        weights = [w for layer in made for w in layer.weights]
        group = _vars(f, f"layers/{key}", where)
        keys = sorted(group.keys()) if group is not None else []
        if keys != sorted(str(i) for i in range(len(weights))):
            raise ValueError(f"{where}: the h5 group layers/{key}/vars holds {keys}; the layer "
                             f"needs {len(weights)} weights")
        values = [_dataset(group, str(i), where, w.shape) for i, w in enumerate(weights)]
        k = 0
        for layer in made:
            n = len(layer.weights)
            layer.set_weights(values[k:k + n])
            k += n


def _load_optimizer(f, model, path):
    group = _vars(f, "optimizer", f"{path!r}: optimizer")
    if group is None:
        return
    opt = model.optimizer
    shapes = [w.shape for w in model.weights]
    trained = _trained(model)
    slots = kf._slot_names(opt)
    nadam = opt.get_config()["name"] == "nadam"
    base = 1 if callable(opt._lr) else 2
    full = base + sum(len(g) for g in slots) * sum(trained) + nadam
    n = len(group.keys())
    if n not in (base, full):  # Keras writes `base` before the optimizer has been built
        raise ValueError(f"{path!r}: the optimizer state holds {n} variables; "
                         f"{opt.get_config()['name']} on this model has {full}")
    where = f"{path!r}: optimizer state"
    link = group.get("0", getlink=True)
    if not isinstance(link, kf._h5py().HardLink) or group["0"].shape != ():
        raise ValueError(f"{where}: variable 0 (iteration) is not a scalar in the file")
    iterations = int(group["0"][()])
    if base == 2:
        opt.learning_rate = float(_dataset(group, "1", where, ()))
    opt.build(model._params.size, model.dtype, model._segments)
    state = opt.get_state()
    state["iterations"] = np.array(iterations)
    if n == full:
        i = base
        bounds = np.cumsum([0, *model._segments])
        for g in slots:
            for j, (shape, t) in enumerate(zip(shapes, trained)):
                for k in g:  # a weight Keras does not train keeps actloss's fresh slot
                    if t:
                        state[k][bounds[j]:bounds[j + 1]] = \
                            _dataset(group, str(i), where, shape).ravel()
                        i += 1
        if nadam:
            state["u_product"] = np.array(float(_dataset(group, str(i), where, ())))
    opt.set_state(state)


def load_keras(path, compile=True):
    """Read a Keras 3 ``.keras`` file (Sequential, layers of :data:`FROM_KERAS`) into an actloss
    model: weights, and with ``compile=True`` the compile settings and optimizer state."""
    h5py = kf._h5py()
    with _archive.open_archive(path) as zf:
        if WEIGHTS not in zf.namelist() and "model.weights.npz" in zf.namelist():
            raise ValueError(f"{path!r} stores its weights as npz (pickled object arrays); "
                             f"actloss never unpickles: save it from Keras with the default h5 "
                             f"weights")
        root = _archive.read_json(zf, CONFIG)
        model, groups = _model_from_config(root, path)
        data = _archive.read_member(zf, WEIGHTS)
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError as err:
        raise ValueError(f"{path!r}: {WEIGHTS} is not an HDF5 file ({err})") from None
    with f:
        _load_weights(f, model, groups, path)
        comp = root.get("compile_config")
        if compile and comp:
            _compile(model, comp, path)
            _load_optimizer(f, model, path)
    return model


def _compile(model, comp, path):
    if not isinstance(comp, dict):
        raise ValueError(f"{path!r}: compile_config is not an object")
    for key in ("loss_weights", "weighted_metrics"):
        if comp.get(key) is not None:
            raise ValueError(f"{path!r}: compile_config.{key} is not supported by actloss; "
                             f"load with compile=False")
    metrics = comp.get("metrics") or []
    if not isinstance(metrics, list):
        raise ValueError(f"{path!r}: compile_config.metrics is not a list")
    for i, m in enumerate(metrics):  # Keras metric objects by their function name
        if isinstance(m, dict):
            kf._check_builtin(m, "keras.metrics", f"{path!r}: compile_config.metrics[{i}]")
            metrics[i] = _snake(m["class_name"])
        elif not isinstance(m, str):
            raise ValueError(f"{path!r}: compile_config.metrics[{i}] is not a metric name")
    try:
        model.compile(optimizer=kf._optimizer_from_keras(comp.get("optimizer")),
                      loss=kf._loss_from_keras(comp.get("loss")), metrics=metrics)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path!r}: compile_config: {err}; load with compile=False to skip "
                         f"the compile settings") from None
