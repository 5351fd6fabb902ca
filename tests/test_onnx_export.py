"""ONNX export, checked by onnxruntime itself."""

import numpy as np
import pytest

from actloss import activations as A
from actloss import set_floatx
from actloss.layers import Activation, Dense, Dropout, Flatten, Input
from actloss.models import Sequential

pytestmark = pytest.mark.needs("onnx")

CANONICAL = sorted({A.get(n).name for n in A.names()})
# Special values join the random inputs: ONNX kernels must agree at the edges too.
EDGES = np.array([0.0, -0.0, 1e-30, -1e-30, 3.0, -3.0, 6.0, -6.0, 20.0, -20.0, 80.0, -80.0,
                  1e4, -1e4, np.inf, -np.inf, np.nan], "float32")
# softmax of a row holding +inf: NaN in ONNX Runtime (inf - inf), the limit in actloss
# (documented in actloss.models._onnx).
ROWWISE = {"softmax", "log_softmax"}


def _run(path, x):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.shape[0] for i in session.get_inputs()] == ["batch"]
    return session.run(["output"], {"input": x})[0]


def _check(model, x, tmp_path, rtol=1e-5, atol=1e-6):
    path = tmp_path / "m.onnx"
    model.export(path, format="onnx")
    for rows in (x, x[:1]):  # the batch axis is dynamic
        np.testing.assert_allclose(_run(path, rows), model.predict(rows), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", CANONICAL)
def test_every_activation_matches_onnxruntime(name, tmp_path, rng):
    """Alone on special values (0, -0, tiny, large, +-inf, NaN), then in a network."""
    edges = EDGES[EDGES != np.inf] if name in ROWWISE else EDGES
    edges = np.column_stack([edges, rng.normal(size=(edges.size, 3))]).astype("float32")
    _check(Sequential([Input((4,)), Activation(name)]), edges, tmp_path)
    x = (rng.normal(size=(20, 4)) * 3).astype("float32")
    _check(Sequential([Input((4,)), Dense(6, activation=name), Dense(3, activation=name)]), x,
           tmp_path)


@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_softmax_of_inf_is_nan_in_onnxruntime(name, tmp_path):
    model = Sequential([Input((2,)), Activation(name)])
    model.export(tmp_path / "m.onnx")
    x = np.array([[np.inf, 0.0]], "float32")
    assert np.isnan(_run(tmp_path / "m.onnx", x)).any()
    assert not np.isnan(model.predict(x)).any()


@pytest.mark.parametrize("act", [A.get("leaky_relu", alpha=0.3), A.get("elu", alpha=0.5),
                                 A.get("celu", alpha=2.0), A.get("gelu", approximate=True),
                                 A.get("softmax", axis=0), A.get("log_softmax", axis=0)])
def test_activation_parameters(act, tmp_path, rng):
    model = Sequential([Input((5,)), Dense(4, activation=act)])
    _check(model, rng.normal(size=(7, 5)).astype("float32"), tmp_path)


def test_mlp_with_dropout_flatten_and_no_bias(tmp_path, rng):
    model = Sequential([Input((2, 3)), Flatten(), Dense(16, activation="relu"), Dropout(0.5),
                        Dense(8, activation="tanh", use_bias=False),
                        Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(64, 2, 3)).astype("float32")
    model.fit(x, rng.integers(0, 3, 64), epochs=2, verbose=0)
    _check(model, x, tmp_path)


def test_float64_model(tmp_path, rng):
    set_floatx("float64")
    try:
        model = Sequential([Input((3,)), Dense(4, activation="sigmoid"), Dense(2)])
    finally:
        set_floatx("float32")
    _check(model, rng.normal(size=(5, 3)), tmp_path, rtol=1e-12, atol=1e-12)


def test_graph_is_valid_onnx_with_dynamic_batch():
    onnx = pytest.importorskip("onnx")
    from actloss.models import _onnx
    proto = _onnx.to_onnx(Sequential([Input((3,)), Dense(2, activation="relu")]))
    onnx.checker.check_model(proto, full_check=True)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3
    assert [n.op_type for n in proto.graph.node] == ["MatMul", "Add", "Relu", "Identity"]


def test_user_activation_and_bad_format_are_refused(tmp_path):
    try:
        cube = A.register("cube_onnx_test", lambda x: x ** 3, lambda x: 3 * x ** 2)
    except ValueError:  # registered by an earlier run in this process
        cube = A.get("cube_onnx_test")
    model = Sequential([Input((2,)), Dense(2, activation=cube, name="odd")])
    with pytest.raises(ValueError, match="'odd'.*'cube_onnx_test' has no ONNX form"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
    with pytest.raises(ValueError, match="format='tflite'"):
        model.export(tmp_path / "m.tflite", format="tflite")


def test_without_onnx_the_error_names_the_extra(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"actloss\[onnx\]"):
        Sequential([Input((2,)), Dense(2)]).export(tmp_path / "m.onnx")


def test_normalization_and_activation_layers(tmp_path, rng):
    import actloss.layers as L
    if not hasattr(L, "BatchNormalization"):
        pytest.skip("this actloss has no BatchNormalization/LayerNormalization/ReLU layers yet")
    x = rng.normal(size=(32, 4)).astype("float32")
    model = Sequential([Input((4,)), Dense(6), L.BatchNormalization(momentum=0.5),
                        L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5), Dense(5),
                        L.LayerNormalization(epsilon=1e-4), L.LeakyReLU(negative_slope=0.2),
                        Dense(4), L.ELU(alpha=0.7), Dense(3), L.Softmax()])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, np.eye(3)[rng.integers(0, 3, 32)], epochs=3, batch_size=8, verbose=0)
    _check(model, x, tmp_path)
    finite = EDGES[~np.isinf(EDGES)]  # the ReLU layer warns on inf (0 * inf), not ours
    edges = np.column_stack([finite, rng.normal(size=(finite.size, 3))]).astype("float32")
    _check(Sequential([Input((4,)), L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5)]),
           edges, tmp_path)
