"""ONNX export: ``model.export("m.onnx", format="onnx")`` (Keras 3's method name).

The graph (opset 20, IR version 10, built with the ``onnx`` package and checked by its checker)
has one input ``input`` of shape ``(batch, *input_shape)`` with a dynamic batch axis and one
output ``output``; inference semantics (Dropout is the identity). Each Dense is
``MatMul`` + ``Add`` (``Gemm`` would also do, but MatMul keeps one code path for any batch
shape); each activation is ONNX operators, in the model's float type:

===============  ==========================================================================
actloss          ONNX
===============  ==========================================================================
relu, sigmoid,   Relu, Sigmoid, Tanh, Softplus, Softsign, Exp, Mish (opset 18), Selu (alpha
tanh, ...        and gamma given to full float precision)
leaky_relu, elu  LeakyRelu(alpha), Elu(alpha), Celu(alpha)
celu
softmax,         Softmax(axis), LogSoftmax(axis)
log_softmax
gelu             Gelu(approximate='none' | 'tanh') (opset 20)
hard_sigmoid     HardSigmoid(alpha=1/6, beta=1/2) (Keras 3's relu6(x + 3) / 6)
hard_silu        HardSwish
relu6, hard_tanh Clip(0, 6), Clip(-1, 1)
silu             x * Sigmoid(x)
log_sigmoid      -Softplus(-x)
step             Where(IsNaN(x), x, Cast(x >= 0)) (NaN propagates, as actloss's step)
===============  ==========================================================================

Where ONNX Runtime's kernels give NaN at +-inf (gelu, silu, mish, hard_silu, softsign: inf * 0
or inf / inf), ``Where(IsInf(x), limit, f(x))`` restores actloss's limits. Softmax and
log_softmax of a row holding +inf stay NaN in ONNX (inf - inf; actloss gives the limit).
A user-registered activation (its formula is Python code) has no ONNX form and raises
``ValueError`` naming it.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

OPSET = 20
IR_VERSION = 10


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'actloss[onnx]'") \
            from None
    return onnx


class _Graph:
    """Nodes and initializers, with fresh tensor names."""

    def __init__(self, onnx, dtype):
        self.onnx, self.dtype = onnx, np.dtype(dtype)
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, value, base="const"):
        name = self.name(base)
        self.inits.append(self.onnx.numpy_helper.from_array(
            np.asarray(value, self.dtype), name))
        return name

    def op(self, op_type, *inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


def _unary(op_type, **attrs):
    return lambda g, x, p: g.op(op_type, x, **attrs)


def _clip(lo, hi):
    return lambda g, x, p: g.op("Clip", x, g.const(lo, "min"), g.const(hi, "max"))


def _step(g, x, p):
    ge = g.op("Cast", g.op("GreaterOrEqual", x, g.const(0.0, "zero")),
              to=g.onnx.helper.np_dtype_to_tensor_dtype(g.dtype))
    return g.op("Where", g.op("IsNaN", x), x, ge)


def _limits(fn, neg, pos):
    """``fn`` with its limits at -inf and +inf set explicitly: ONNX Runtime's kernels give NaN
    there (inf * 0, inf / inf) where actloss returns the limit."""
    def build(g, x, p):
        y = fn(g, x, p)
        for value, positive in ((pos, 1), (neg, 0)):
            if value is not None:
                y = g.op("Where", g.op("IsInf", x, detect_positive=positive,
                                       detect_negative=1 - positive), g.const(value, "limit"), y)
        return y
    return build


def _nan_kept(fn):
    """``fn`` with NaN passed through (ONNX's Shrink maps NaN to 0)."""
    return lambda g, x, p: g.op("Where", g.op("IsNaN", x), x, fn(g, x, p))


def _shrink(bias):
    return _nan_kept(lambda g, x, p: g.op("Shrink", x, lambd=float(p["threshold"]),
                                          bias=float(p["threshold"]) if bias else 0.0))


def _threshold(g, x, p):
    kept = g.op("Where", g.op("IsNaN", x), x, g.const(p["default_value"], "default_value"))
    return g.op("Where", g.op("Greater", x, g.const(p["threshold"], "threshold")), x, kept)


def _sparse_plus(g, x, p):
    one = g.const(1.0, "one")
    xp1 = g.op("Add", x, one)
    mid = g.op("Mul", g.op("Mul", xp1, xp1), g.const(0.25, "quarter"))
    low = g.op("Where", g.op("LessOrEqual", x, g.const(-1.0, "minus_one")),
               g.const(0.0, "zero"), mid)
    return g.op("Where", g.op("GreaterOrEqual", x, one), x, low)


def _squareplus(g, x, p):
    """(x + s) / 2 with s = sqrt(x^2 + b); for x < 0 as b / (2 (s - x)), without cancellation
    (and 0, not inf - inf, at -inf)."""
    b = g.const(p["b"], "b")
    s = g.op("Sqrt", g.op("Add", g.op("Mul", x, x), b))
    half = g.const(0.5, "half")
    neg = g.op("Div", g.op("Mul", b, half), g.op("Sub", s, x))
    pos = g.op("Mul", g.op("Add", x, s), half)
    return g.op("Where", g.op("Less", x, g.const(0.0, "zero")), neg, pos)


# actloss activation name -> function(graph, input, params) -> output name. One entry per
# activation; `linear` adds nothing.
ACTIVATIONS = {
    "linear": lambda g, x, p: x,
    "relu": lambda g, x, p: _relu(g, x, p["threshold"], p["negative_slope"], p["max_value"]), "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"),
    "softplus": _unary("Softplus"), "softsign": _limits(_unary("Softsign"), -1.0, 1.0),
    "exponential": _unary("Exp"), "mish": _limits(_unary("Mish"), 0.0, None),
    "selu": _unary("Selu", alpha=1.6732632423543772848170429916717,
                   gamma=1.0507009873554804934193349852946),
    "leaky_relu": lambda g, x, p: g.op("LeakyRelu", x, alpha=float(p["negative_slope"])),
    "elu": lambda g, x, p: g.op("Elu", x, alpha=float(p["alpha"])),
    "celu": lambda g, x, p: g.op("Celu", x, alpha=float(p["alpha"])),
    "softmax": lambda g, x, p: g.op("Softmax", x, axis=int(p["axis"])),
    "log_softmax": lambda g, x, p: g.op("LogSoftmax", x, axis=int(p["axis"])),
    "gelu": _limits(lambda g, x, p: g.op("Gelu", x, approximate="tanh" if p["approximate"]
                                         else "none"), 0.0, None),
    "hard_sigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "hard_silu": _limits(_unary("HardSwish"), 0.0, None),
    "relu6": _clip(0.0, 6.0), "hard_tanh": _clip(-1.0, 1.0),
    "silu": _limits(lambda g, x, p: g.op("Mul", x, g.op("Sigmoid", x)), 0.0, None),
    "log_sigmoid": lambda g, x, p: g.op("Neg", g.op("Softplus", g.op("Neg", x))),
    "step": _step,
    "sparse_sigmoid": lambda g, x, p: g.op("Clip", g.op("Mul", g.op("Add", x, g.const(1.0, "one")),
                                                        g.const(0.5, "half")),
                                           g.const(0.0, "min"), g.const(1.0, "max")),
    "sparse_plus": _sparse_plus, "squareplus": _squareplus, "threshold": _threshold,
    "soft_shrink": _shrink(bias=True), "hard_shrink": _shrink(bias=False),
    "tanh_shrink": lambda g, x, p: g.op("Sub", x, g.op("Tanh", x)),
}


def _activation(g, x, act, where):
    config = act.get_config()
    name = config.pop("name")
    fn = ACTIVATIONS.get(name)
    if fn is None:
        raise ValueError(f"{where}: activation {name!r} has no ONNX form (a user-registered "
                         f"activation is Python code); ONNX export covers "
                         f"{sorted(ACTIVATIONS)}")
    return fn(g, x, config)


def _dense(g, x, layer):
    y = g.op("MatMul", x, g.const(layer.kernel, "kernel"))
    if layer.use_bias:
        y = g.op("Add", y, g.const(layer.bias, "bias"))
    return _activation(g, y, layer.activation, f"layer {layer.name!r} (Dense)")


def _activation_layer(g, x, layer):
    return _activation(g, x, layer.activation, f"layer {layer.name!r} ({type(layer).__name__})")


def _relu(g, x, t, s, m):
    """Keras's relu(negative_slope s, max_value m, threshold t), as actloss computes it."""
    if t == 0 and s == 0 and m is None:
        return g.op("Relu", x)
    zero_or_nan = g.op("Where", g.op("IsNaN", x), x, g.const(0.0, "zero"))  # -inf gives 0
    y = g.op("Where", g.op("Greater", x, g.const(t, "threshold")), x, zero_or_nan)
    if m is not None:
        y = g.op("Min", y, g.const(m, "max_value"))
    if s:
        y = g.op("Sub", y, g.op("Mul", g.const(s, "slope"),
                                g.op("Relu", g.op("Sub", g.const(t, "threshold"), x))))
    return y


def _relu_layer(g, x, layer):
    """Keras's ReLU layer (max_value, negative_slope, threshold)."""
    return _relu(g, x, layer.threshold, layer.negative_slope, layer.max_value)


def _batch_normalization(g, x, layer):
    """Inference: ``x * a + b`` with ``a = gamma / sqrt(var + eps)``, ``b = beta - mean * a``."""
    ndim = len(layer.input_shape) + 1
    shape = [1] * ndim
    shape[layer.axis % ndim] = layer.moving_mean.size
    mean = layer.moving_mean.astype(np.float64).reshape(shape)
    a = 1.0 / np.sqrt(layer.moving_variance.astype(np.float64).reshape(shape) + layer.epsilon)
    if layer.scale:
        a = a * layer.gamma.astype(np.float64).reshape(shape)
    b = -mean * a + (layer.beta.astype(np.float64).reshape(shape) if layer.center else 0.0)
    return g.op("Add", g.op("Mul", x, g.const(a, "bn_scale")), g.const(b, "bn_shift"))


def _layer_normalization(g, x, layer):
    ndim = len(layer.input_shape) + 1
    axes = sorted(a % ndim for a in np.atleast_1d(layer.axis))
    if axes != list(range(axes[0], ndim)):
        raise ValueError(f"layer {layer.name!r} (LayerNormalization): axis={layer.axis} is not "
                         f"the trailing axes, which is all ONNX's LayerNormalization covers")
    shape = tuple(layer.input_shape[axes[0] - 1:])
    gamma = layer.gamma if layer.scale else np.ones(shape)
    beta = layer.beta if layer.center else np.zeros(shape)
    return g.op("LayerNormalization", x, g.const(np.reshape(gamma, shape), "ln_scale"),
                g.const(np.reshape(beta, shape), "ln_bias"), axis=axes[0],
                epsilon=float(layer.epsilon))


# actloss layer class -> function(graph, input name, layer) -> output name. Adding a layer is
# one entry here.
LAYERS = {
    "Dense": _dense,
    "Activation": _activation_layer,
    "LeakyReLU": _activation_layer, "Softmax": _activation_layer, "ELU": _activation_layer,
    "ReLU": _relu_layer,
    "Dropout": lambda g, x, layer: x,  # inference: the identity
    "Flatten": lambda g, x, layer: g.op("Flatten", x, axis=1),
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
}


def to_onnx(model):
    """The ``onnx.ModelProto`` of ``model`` (built, checked by ``onnx.checker``)."""
    onnx = _onnx()
    helper = onnx.helper
    model._ensure_built()
    if not model.built:
        raise ValueError("Cannot export a model whose weights do not exist yet: give the first "
                         "layer input_shape=(d,) or fit it first")
    g = _Graph(onnx, model.dtype)
    x = "input"
    for layer in model._layers:
        convert = LAYERS.get(type(layer).__name__)
        if convert is None:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no ONNX form "
                             f"in actloss's exporter; it covers {sorted(LAYERS)}")
        x = convert(g, x, layer)
    if x == "input":  # an output must be produced by a node
        x = g.op("Identity", x)
    g.nodes.append(helper.make_node("Identity", [x], ["output"]))
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    graph = helper.make_graph(
        g.nodes, model.name,
        [helper.make_tensor_value_info("input", elem, ["batch", *model._input_shape])],
        [helper.make_tensor_value_info("output", elem,
                                       ["batch", *model._layers[-1].output_shape])],
        initializer=g.inits)
    proto = helper.make_model(graph, producer_name="actloss", ir_version=IR_VERSION,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model, filepath) -> None:
    """Write ``to_onnx(model)`` to ``filepath`` atomically (temporary file, then rename)."""
    data = to_onnx(model).SerializeToString()
    path = os.fspath(filepath)
    fd, tmp = tempfile.mkstemp(prefix=".actloss-", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
