"""Keras 3 ``.keras`` archives, both ways: files ``keras.saving.load_model`` opens, and Keras's
own files read back without Keras. This module maps layers and compile settings; the archive
itself (zip, h5, bounds) is :mod:`._keras_archive`.

An archive is a zip of three members (Keras 3's ``saving_lib``)::

    metadata.json       {"keras_version": ..., "date_saved": ...}
    config.json         the model, serialized as Keras does: {"module", "class_name", "config",
                        "registered_name", "build_config", "compile_config"}
    model.weights.h5    HDF5 (h5py): layers/<snake_case class name>[_k]/vars/<i>, one dataset per
                        weight in Keras's order (Dense: kernel, bias); optimizer/vars/<i>:
                        iteration, learning_rate, then the slots (Adam: momentum and velocity per
                        weight, interleaved)

The h5 group of a layer is named after its class, not after the layer (``dense``, ``dense_1``
... in order), as Keras does so that auto-generated names do not matter.

Writing: a Dense whose activation has parameters Keras's function lacks (``leaky_relu(alpha=0.1)``,
``elu(alpha=2)``) becomes Dense + the matching Keras layer (``LeakyReLU(negative_slope=0.1)``,
``ELU``), the same function; one Keras cannot express (``step``, a user-registered activation,
``celu(alpha != 1)``, ``gelu(approximate=True)``) or a loss Keras lacks raises ``ValueError``
naming the part and pointing to the ``.actloss`` format.

Reading never runs code from the file: only the classes in :data:`FROM_KERAS` are accepted, by
name, with their known arguments (Keras's ``safe_mode`` refuses ``Lambda``; so do we, along
with every custom or registered object); the archive bounds are in :mod:`._keras_archive`.
"""

from __future__ import annotations

from .. import activations as _activations
from .. import initializers as _initializers
from .. import layers as _layers
from .. import losses as _losses
from .. import optimizers as _optimizers
from .. import regularizers as _regularizers

KERAS_VERSION = "3.15.1"  # the Keras release whose format this module writes and was tested on
ADVICE = "save it under another name (e.g. 'model.actloss') to use actloss's own format"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras .keras files store their weights in HDF5, which needs h5py: "
                          "pip install 'actloss[keras]'") from None
    return h5py


def _obj(module, class_name, config):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# --------------------------------------------------------------------------- activations
# actloss activation -> Keras: the function name when the parameters are Keras's function
# defaults (Keras's Dense takes only a bare function), else the layer that carries them.
_KERAS_FUNCTION_DEFAULTS = {
    "linear": {}, "sigmoid": {}, "tanh": {}, "relu6": {}, "selu": {}, "silu": {},
    "softplus": {}, "softsign": {}, "mish": {}, "hard_sigmoid": {}, "hard_tanh": {},
    "hard_silu": {}, "log_sigmoid": {}, "exponential": {}, "sparse_sigmoid": {},
    "sparse_plus": {}, "tanh_shrink": {}, "squareplus": {"b": 4.0},
    "soft_shrink": {"threshold": 0.5}, "hard_shrink": {"threshold": 0.5},
    "relu": {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    "elu": {"alpha": 1.0}, "celu": {"alpha": 1.0}, "gelu": {"approximate": False},
    "leaky_relu": {"negative_slope": 0.2}, "softmax": {"axis": -1}, "log_softmax": {"axis": -1}}
# Keras's `threshold(x, threshold, default_value)` has no defaults, so no string names it.
_ACTIVATION_LAYERS = {  # name -> (Keras layer class, {actloss param: Keras layer argument})
    "leaky_relu": ("LeakyReLU", {"negative_slope": "negative_slope"}),
    "relu": ("ReLU", {k: k for k in ("negative_slope", "max_value", "threshold")}),
    "elu": ("ELU", {"alpha": "alpha"}),
    "softmax": ("Softmax", {"axis": "axis"})}


def _activation_to_keras(act, where):
    """``(function name, None)`` or ``(None, (layer class, layer config))``."""
    config = act.get_config()
    name = config.pop("name")
    defaults = _KERAS_FUNCTION_DEFAULTS.get(name)
    if defaults is None or _activations.REGISTRY.canonical(name) != name:
        raise ValueError(f"{where}: Keras has no activation {name!r}, so a .keras file cannot "
                         f"hold this model; {ADVICE}")
    if all(config.get(k) == v for k, v in defaults.items()):
        return name, None
    if name in _ACTIVATION_LAYERS:
        cls, arg = _ACTIVATION_LAYERS[name]
        return None, (cls, {arg[k]: v for k, v in config.items()})
    raise ValueError(f"{where}: Keras's {name!r} takes no {config} (its defaults are "
                     f"{defaults}), so a .keras file cannot hold this model; {ADVICE}")


def _activation_from_keras(spec, where):
    if isinstance(spec, dict):  # {"class_name": "function", "config": "relu", ...}
        if spec.get("class_name") != "function" or not isinstance(spec.get("config"), str) \
                or spec.get("module") not in ("keras.activations", "keras.src.activations"):
            raise ValueError(f"{where}: activation {spec.get('config', spec)!r} is not a Keras "
                             f"built-in; actloss never loads custom code from a file")
        spec = spec["config"]
    if spec is None:
        spec = "linear"
    if not isinstance(spec, str) or spec not in _KERAS_FUNCTION_DEFAULTS \
            and spec not in ("swish", "hard_swish"):
        raise ValueError(f"{where}: activation {spec!r} is not one actloss reads from Keras; "
                         f"known: {sorted(_KERAS_FUNCTION_DEFAULTS)}")
    name = {"swish": "silu", "hard_swish": "hard_silu"}.get(spec, spec)
    return _activations.get(name, **_KERAS_FUNCTION_DEFAULTS[name])


# --------------------------------------------------------------------------- initializers etc.
_VS_NAMED = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
             "lecun_normal"}


def _initializer_to_keras(init, where):
    if not hasattr(init, "get_config"):
        raise ValueError(f"{where}: a plain-function initializer cannot go into a .keras file; "
                         f"{ADVICE}")
    config = init.get_config()
    name = config.pop("name")
    if name in _VS_NAMED:
        config = {"seed": config.get("seed")}
    return _obj("keras.initializers", _camel(name), config)


def _initializer_from_keras(spec, where):
    if isinstance(spec, str):
        return _initializers.get(spec)
    _check_builtin(spec, "keras.initializers", where)
    config = {k: v for k, v in spec["config"].items()
              if not (k in ("input_axes", "output_axes") and v is None)}
    try:
        return _initializers.get(spec["class_name"], **config)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: unsupported initializer {spec['class_name']!r} ({err})") \
            from None


def _regularizer_to_keras(reg):
    if reg is None:
        return None
    l1, l2 = float(reg.l1), float(reg.l2)
    if l1 and l2 or not (l1 or l2):
        return _obj("keras.regularizers", "L1L2", {"l1": l1, "l2": l2})
    return _obj("keras.regularizers", "L1", {"l1": l1}) if l1 else \
        _obj("keras.regularizers", "L2", {"l2": l2})


def _regularizer_from_keras(spec, where):
    if spec is None:
        return None
    _check_builtin(spec, "keras.regularizers", where)
    if spec["class_name"] not in ("L1", "L2", "L1L2"):
        raise ValueError(f"{where}: unsupported regularizer {spec['class_name']!r}; actloss "
                         f"reads L1, L2 and L1L2")
    return _regularizers.get({"l1": 0.0, "l2": 0.0, **spec["config"]})


def _check_builtin(spec, module, where):
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) \
            or not isinstance(spec.get("config"), dict):
        raise ValueError(f"{where}: expected a Keras object {{'class_name': ..., 'config': "
                         f"{{...}}}}; found {type(spec).__name__}")
    if spec.get("module") not in (module, module.replace("keras.", "keras.src.", 1)) \
            or spec.get("registered_name") not in (None, spec["class_name"]):
        raise ValueError(f"{where}: {spec.get('registered_name') or spec['class_name']!r} is "
                         f"a custom object (module {spec.get('module')!r}); actloss never loads "
                         f"code from a file, as Keras's safe_mode")


# --------------------------------------------------------------------------- layers
def _dtype_policy(dtype):
    return _obj("keras", "DTypePolicy", {"name": dtype})


def _dense_to_keras(layer, dtype):
    where = f"layer {layer.name!r} (Dense)"
    fn, extra = _activation_to_keras(layer.activation, where)
    config = {**_base(layer, dtype), "units": layer.units, "activation": fn or "linear", "use_bias": layer.use_bias,
              "kernel_initializer": _initializer_to_keras(layer.kernel_initializer, where),
              "bias_initializer": _initializer_to_keras(layer.bias_initializer, where),
              "kernel_regularizer": _regularizer_to_keras(layer.kernel_regularizer),
              "bias_regularizer": _regularizer_to_keras(layer.bias_regularizer),
              "kernel_constraint": None, "bias_constraint": None}
    out = [("Dense", config, layer.get_weights())]
    if extra:
        cls, args = extra
        out.append((cls, {"name": f"{layer.name}_{cls.lower()}", "trainable": True,
                          "dtype": _dtype_policy(dtype), **args}, []))
    return out


def _activation_layer_to_keras(layer, dtype):
    fn, extra = _activation_to_keras(layer.activation, f"layer {layer.name!r} (Activation)")
    base = _base(layer, dtype)
    if extra:
        return [(extra[0], {**base, **extra[1]}, [])]
    return [("Activation", {**base, "activation": fn}, [])]


def _dropout_to_keras(layer, dtype):
    return [("Dropout", {**_base(layer, dtype), "rate": layer.rate, "seed": layer.seed,
                         "noise_shape": None}, [])]


def _flatten_to_keras(layer, dtype):
    return [("Flatten", {**_base(layer, dtype), "data_format": None}, [])]


def _base(layer, dtype):
    return {"name": layer.name, "trainable": bool(layer.trainable),
            "dtype": _dtype_policy(dtype)}


def _plain(cls, *attrs):
    """A layer whose Keras config is its own attributes of the same names."""
    return lambda layer, dtype: [(cls, {**_base(layer, dtype),
                                        **{a: getattr(layer, a) for a in attrs}}, [])]


def _normalization_to_keras(cls, *extra):
    def convert(layer, dtype):
        where = f"layer {layer.name!r} ({cls})"
        config = {**_base(layer, dtype), "axis": layer.axis, "epsilon": layer.epsilon,
                  "center": layer.center, "scale": layer.scale,
                  "beta_regularizer": _regularizer_to_keras(layer.beta_regularizer),
                  "gamma_regularizer": _regularizer_to_keras(layer.gamma_regularizer),
                  "beta_constraint": None, "gamma_constraint": None}
        for key in ("beta_initializer", "gamma_initializer", *extra):
            value = getattr(layer, key)
            config[key] = _initializer_to_keras(value, where) if key.endswith("initializer") \
                else value
        return [(cls, config, layer.get_weights())]
    return convert


# actloss layer class -> function(layer, dtype) -> [(Keras class, Keras config, weights)].
# Adding a layer: one entry here and one in FROM_KERAS.
TO_KERAS = {"Dense": _dense_to_keras, "Activation": _activation_layer_to_keras,
            "Dropout": _dropout_to_keras, "Flatten": _flatten_to_keras,
            "ReLU": _plain("ReLU", "max_value", "negative_slope", "threshold"),
            "LeakyReLU": _plain("LeakyReLU", "negative_slope"),
            "Softmax": _plain("Softmax", "axis"), "ELU": _plain("ELU", "alpha"),
            "BatchNormalization": _normalization_to_keras(
                "BatchNormalization", "momentum", "moving_mean_initializer",
                "moving_variance_initializer"),
            "LayerNormalization": _normalization_to_keras("LayerNormalization")}


def _dense_from_keras(c, where):
    for key in ("kernel_constraint", "bias_constraint", "activity_regularizer", "lora_rank",
                "quantization_config"):
        if c.get(key) is not None:
            raise ValueError(f"{where}: {key}={c[key]!r} is not supported by actloss")
    return [_layers.Dense(
        _int(c.get("units"), "units", where), activation=_activation_from_keras(
            c.get("activation"), where), use_bias=bool(c.get("use_bias", True)),
        kernel_initializer=_initializer_from_keras(
            c.get("kernel_initializer", "glorot_uniform"), where),
        bias_initializer=_initializer_from_keras(c.get("bias_initializer", "zeros"), where),
        kernel_regularizer=_regularizer_from_keras(c.get("kernel_regularizer"), where),
        bias_regularizer=_regularizer_from_keras(c.get("bias_regularizer"), where),
        name=c.get("name"))]


def _dropout_from_keras(c, where):
    if c.get("noise_shape") is not None:
        raise ValueError(f"{where}: noise_shape is not supported by actloss")
    seed = c.get("seed")
    return [_layers.Dropout(float(c.get("rate")), seed=None if seed is None else
                            _int(seed, "seed", where, low=0), name=c.get("name"))]


def _act(name, **params):
    def build(c, where):
        args = {k: c[key] for k, key in params.items() if key in c}
        return [_layers.Activation(_activations.get(name, **args), name=c.get("name"))]
    return build


def _relu_layer_from_keras(c, where):
    args = (c.get("max_value"), c.get("negative_slope", 0.0) or 0.0, c.get("threshold", 0.0) or 0.0)
    if args == (None, 0.0, 0.0):
        name = "relu"
    elif args == (6.0, 0.0, 0.0):
        name = "relu6"
    else:
        raise ValueError(f"{where}: ReLU(max_value, negative_slope, threshold)={args} has no "
                         f"actloss equivalent; actloss reads ReLU() and ReLU(max_value=6)")
    return [_layers.Activation(name, name=c.get("name"))]


def _flatten_from_keras(c, where):
    if c.get("data_format") not in (None, "channels_last"):
        raise ValueError(f"{where}: data_format={c['data_format']!r} is not supported")
    return [_layers.Flatten(name=c.get("name"))]


def _layer_or(cls, args, fallback):
    """actloss's layer of the same name when this actloss has it, else ``fallback``."""
    def build(c, where):
        layer = getattr(_layers, cls, None)
        if layer is None:
            return fallback(c, where)
        return [layer(**{k: c[k] for k in args if k in c}, name=c.get("name"),
                      trainable=bool(c.get("trainable", True)))]
    return build


def _normalization_from_keras(cls, *extra):
    def build(c, where):
        layer = getattr(_layers, cls, None)
        if layer is None:
            raise ValueError(f"{where}: this actloss has no {cls} layer")
        for key in ("beta_constraint", "gamma_constraint", "renorm", "synchronized",
                    "rms_scaling"):
            if c.get(key):
                raise ValueError(f"{where}: {key}={c[key]!r} is not supported by actloss")
        args = {k: c[k] for k in ("axis", "epsilon", "center", "scale", *extra) if k in c}
        for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                    "moving_variance_initializer"):
            if key in c and (key in extra or not key.startswith("moving")):
                args[key] = _initializer_from_keras(c[key], where)
        for key in ("beta_regularizer", "gamma_regularizer"):
            args[key] = _regularizer_from_keras(c.get(key), where)
        return [layer(**args, name=c.get("name"), trainable=bool(c.get("trainable", True)))]
    return build


# Keras layer class -> function(config, where) -> [actloss layers]. The weights follow in the
# h5 order, which is the actloss order for every layer listed. Adding a layer: one entry.
FROM_KERAS = {
    "Dense": _dense_from_keras, "Dropout": _dropout_from_keras, "Flatten": _flatten_from_keras,
    "Activation": lambda c, where: [_layers.Activation(
        _activation_from_keras(c.get("activation"), where), name=c.get("name"))],
    "ReLU": _layer_or("ReLU", ("max_value", "negative_slope", "threshold"),
                      _relu_layer_from_keras),
    "LeakyReLU": _layer_or("LeakyReLU", ("negative_slope",),
                           _act("leaky_relu", alpha="negative_slope")),
    "ELU": _layer_or("ELU", ("alpha",), _act("elu", alpha="alpha")),
    "Softmax": _layer_or("Softmax", ("axis",), _act("softmax", axis="axis")),
    "BatchNormalization": _normalization_from_keras(
        "BatchNormalization", "momentum", "moving_mean_initializer",
        "moving_variance_initializer"),
    "LayerNormalization": _normalization_from_keras("LayerNormalization")}


def _int(value, name, where, low=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{where}: expected {name} to be an int >= {low}; found {value!r}")
    return value


# --------------------------------------------------------------------------- compile settings
# actloss loss -> (Keras class, {actloss param: Keras argument}); the reverse map reads Keras.
_LOSSES = {
    "mean_squared_error": ("MeanSquaredError", {}),
    "mean_absolute_error": ("MeanAbsoluteError", {}),
    "mean_absolute_percentage_error": ("MeanAbsolutePercentageError", {}),
    "mean_squared_logarithmic_error": ("MeanSquaredLogarithmicError", {}),
    "cosine_similarity": ("CosineSimilarity", {"axis": "axis"}),
    "huber": ("Huber", {"delta": "delta"}),
    "log_cosh": ("LogCosh", {}), "hinge": ("Hinge", {}), "squared_hinge": ("SquaredHinge", {}),
    "categorical_hinge": ("CategoricalHinge", {}), "kl_divergence": ("KLDivergence", {}),
    "poisson": ("Poisson", {}),
    "binary_crossentropy": ("BinaryCrossentropy", {"from_logits": "from_logits",
                                                   "label_smoothing": "label_smoothing"}),
    "categorical_crossentropy": ("CategoricalCrossentropy", {
        "from_logits": "from_logits", "label_smoothing": "label_smoothing", "axis": "axis"}),
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy", {
        "from_logits": "from_logits", "ignore_index": "ignore_class"}),
    "binary_focal_crossentropy": ("BinaryFocalCrossentropy", {
        "gamma": "gamma", "alpha": "alpha", "from_logits": "from_logits",
        "label_smoothing": "label_smoothing"})}
_LOSS_FROM_KERAS = {cls: (name, {v: k for k, v in args.items()})
                    for name, (cls, args) in _LOSSES.items()}
_REDUCTIONS = {"mean": "sum_over_batch_size", "sum": "sum"}
_OPTIMIZERS = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam",
               "adamw": "AdamW", "nadam": "Nadam"}


def _loss_to_keras(loss):
    config = loss.get_config()
    name = config.pop("name")
    if name not in _LOSSES or not hasattr(loss, "get_config"):
        raise ValueError(f"compile: Keras has no loss {name!r}, so a .keras file cannot hold "
                         f"this model's compile settings; {ADVICE}")
    cls, args = _LOSSES[name]
    out = {"reduction": _REDUCTIONS[config.pop("reduction", "mean")]}
    if name == "binary_focal_crossentropy":  # Keras: alpha is used only with class balancing
        alpha = config.pop("alpha")
        out.update(apply_class_balancing=alpha is not None,
                   alpha=0.25 if alpha is None else alpha)
    out.update({args[k]: v for k, v in config.items() if k in args})
    return _obj("keras.losses", cls, out)


def _loss_from_keras(spec):
    if isinstance(spec, str):
        return _losses.get(spec)
    _check_builtin(spec, "keras.losses", "compile_config.loss")
    cls = spec["class_name"]
    if cls not in _LOSS_FROM_KERAS:
        raise ValueError(f"compile_config.loss: actloss has no loss for Keras's {cls!r}")
    name, args = _LOSS_FROM_KERAS[cls]
    config = dict(spec["config"])
    reduction = {v: k for k, v in _REDUCTIONS.items()}.get(config.get("reduction"), None)
    if reduction is None:
        raise ValueError(f"compile_config.loss: reduction {config.get('reduction')!r} is not "
                         f"one of {sorted(_REDUCTIONS.values())}")
    params = {args[k]: v for k, v in config.items() if k in args}
    if name == "binary_focal_crossentropy" and not config.get("apply_class_balancing"):
        params["alpha"] = None
    return _losses.get(name, reduction=reduction, **params)


def _optimizer_to_keras(opt):
    config = opt.get_config()
    name = config["name"]
    if name not in _OPTIMIZERS:
        raise ValueError(f"compile: Keras has no optimizer {name!r}; {ADVICE}")
    lr = config["learning_rate"]
    if isinstance(lr, dict):  # a schedule: Keras's class of the same name and arguments
        lr = _obj("keras.optimizers.schedules", lr["class_name"], dict(lr["config"]))
    config["learning_rate"] = lr
    return _obj("keras.optimizers", _OPTIMIZERS[name], config)


def _optimizer_from_keras(spec):
    if isinstance(spec, str):
        return _optimizers.get(spec)
    _check_builtin(spec, "keras.optimizers", "compile_config.optimizer")
    names = {v: k for k, v in _OPTIMIZERS.items()}
    if spec["class_name"] not in names:
        raise ValueError(f"compile_config.optimizer: actloss has no optimizer for Keras's "
                         f"{spec['class_name']!r}; known: {sorted(names)}")
    config = dict(spec["config"])
    for key, default in (("use_ema", False), ("loss_scale_factor", None),
                         ("gradient_accumulation_steps", None)):
        if config.pop(key, default) not in (default,):
            raise ValueError(f"compile_config.optimizer: {key} is not supported by actloss")
    for key in ("name", "ema_momentum", "ema_overwrite_frequency"):
        config.pop(key, None)
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        _check_builtin(lr, "keras.optimizers.schedules", "compile_config.optimizer")
        config["learning_rate"] = {"name": lr["class_name"], **lr["config"]}
    return _optimizers.get({"name": names[spec["class_name"]], **config})


def _slot_names(opt):
    """The optimizer's per-weight slots in Keras's order (see the module docstring)."""
    h = opt.get_config()
    rule = {"adamw": "adam"}.get(h["name"], h["name"])
    if rule in ("adam", "nadam"):
        return [("momentum", "velocity")] + ([("velocity_hat",)] if h.get("amsgrad") else [])
    return {"sgd": [("momentum",)] if h.get("momentum") else [],
            "adagrad": [("accumulator",)],
            "rmsprop": [("velocity",)] + ([("momentum",)] if h.get("momentum") else [])
            + ([("average_gradient",)] if h.get("centered") else [])}[rule]
