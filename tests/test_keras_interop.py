"""``.keras`` files both ways, checked by Keras 3 itself (numpy backend, which imports jax)."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from actloss import activations as A
from actloss import regularizers as R
from actloss.layers import Activation, Dense, Dropout, Flatten, Input
from actloss.models import Sequential, load_model
from actloss.optimizers import SGD, Adagrad, Adam, AdamW, Nadam, RMSprop

# Keras's numpy backend calls np.array(variable, copy=False): a NumPy 2 DeprecationWarning raised
# inside Keras (saving, get_config, predict), not by actloss.
pytestmark = [pytest.mark.needs("keras"), pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]

# Every registered activation under its canonical name; Keras has all of them but `step`.
CANONICAL = sorted({A.get(n).name for n in A.names()})
KERAS_LACKS = {"step", "threshold"}  # Keras: no step; threshold has no defaults


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("jax", reason="Keras's numpy backend imports jax")
    pytest.importorskip("h5py")
    os.environ["KERAS_BACKEND"] = "numpy"
    import keras
    if keras.backend.backend() != "numpy":
        pytest.skip(f"keras was imported with the {keras.backend.backend()!r} backend")
    return keras


def _keras_roundtrip(keras, model, tmp_path, x):
    path = tmp_path / "m.keras"
    model.save(path)
    k = keras.saving.load_model(path)
    np.testing.assert_allclose(k.predict(x, verbose=0), model.predict(x),
                               rtol=1e-5, atol=1e-6)
    return k


@pytest.mark.parametrize("name", [n for n in CANONICAL if n not in KERAS_LACKS])
def test_every_activation_keras_loads(keras, name, tmp_path, rng):
    x = rng.normal(size=(16, 4)).astype("float32")
    model = Sequential([Input((4,)), Dense(5, activation=name), Dense(3, activation=name)])
    k = _keras_roundtrip(keras, model, tmp_path, x)
    back = load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    if len(k.layers) == 2:  # Keras's function with its defaults: Dense(activation=name)
        assert k.layers[0].get_config()["activation"] == name
        assert [layer.activation.name for layer in back.layers] == [name, name]
    else:  # parameters Keras's function lacks: Dense + the Keras layer that carries them
        assert [type(layer).__name__ for layer in k.layers][:2] == ["Dense", "LeakyReLU"]
        assert name == "leaky_relu" and A.get(name).params["alpha"] != 0.2


@pytest.mark.parametrize("act, layer", [(A.get("leaky_relu", alpha=0.1), "LeakyReLU"),
                                        (A.get("elu", alpha=0.5), "ELU"),
                                        (A.get("softmax", axis=1), "Softmax")])
def test_activation_parameters_become_keras_layers(keras, act, layer, tmp_path, rng):
    x = rng.normal(size=(8, 3)).astype("float32")
    model = Sequential([Input((3,)), Dense(4, activation=act), Activation(act)])
    k = _keras_roundtrip(keras, model, tmp_path, x)
    assert [type(lay).__name__ for lay in k.layers] == ["Dense", layer, layer]
    back = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back.predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize("act", [A.get("step"), A.get("celu", alpha=2.0),
                                 A.get("gelu", approximate=True)])
def test_activation_keras_cannot_hold_is_refused(act, tmp_path):
    model = Sequential([Input((3,)), Dense(2, activation=act, name="out")])
    with pytest.raises(ValueError, match=r"'out'.*\.actloss"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    model.save(tmp_path / "m.actloss")  # the advice works


def test_user_registered_activation_is_refused(tmp_path):
    try:
        sq = A.register("square_keras_test", lambda x: x * x, lambda x: 2 * x)
    except ValueError:  # registered by an earlier run in this process
        sq = A.get("square_keras_test")
    model = Sequential([Input((2,)), Dense(2, activation=sq)])
    with pytest.raises(ValueError, match="square_keras_test"):
        model.save(tmp_path / "m.keras")


def test_layers_regularizers_initializers(keras, tmp_path, rng):
    x = rng.normal(size=(8, 2, 3)).astype("float32")
    model = Sequential([Input((2, 3)), Flatten(),
                        Dense(6, activation="relu", kernel_regularizer=R.l2(0.01),
                              bias_regularizer=R.l1_l2(0.1, 0.2), kernel_initializer="he_normal",
                              bias_initializer="ones"),
                        Dropout(0.3, seed=4), Activation("tanh"),
                        Dense(2, use_bias=False, kernel_regularizer="l1",
                              kernel_initializer="random_normal")])
    k = _keras_roundtrip(keras, model, tmp_path, x)
    dense = k.layers[1].get_config()
    assert dense["kernel_regularizer"]["config"] == {"l2": pytest.approx(0.01)}
    assert dense["bias_regularizer"]["class_name"] == "L1L2"
    assert dense["kernel_initializer"]["class_name"] == "HeNormal"
    assert dense["bias_initializer"]["class_name"] == "Ones"
    assert k.layers[2].get_config()["rate"] == pytest.approx(0.3)
    assert k.layers[4].get_config()["use_bias"] is False
    back = load_model(tmp_path / "m.keras")
    assert back.layers[1].kernel_regularizer == model.layers[1].kernel_regularizer
    assert back.layers[1].kernel_initializer.name == "he_normal"
    assert back.layers[2].seed == 4 and not back.layers[4].use_bias
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


OPTIMIZERS = [SGD(0.05), SGD(0.05, momentum=0.9, nesterov=True), RMSprop(momentum=0.5),
              RMSprop(centered=True), Adagrad(), Adam(amsgrad=True), AdamW(), Nadam()]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: repr(o)[:40])
def test_compile_and_optimizer_state_keras_reads(keras, opt, tmp_path, rng):
    """Keras gets the optimizer (class and hyper-parameters), the loss and the metrics, and the
    optimizer's variables hold actloss's state after training."""
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.integers(0, 2, 32)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    k = _keras_roundtrip(keras, model, tmp_path, x)
    name = type(opt).__name__
    assert type(k.optimizer).__name__ == name
    for key, value in opt.get_config().items():
        if key != "name" and value is not None:
            assert k.optimizer.get_config()[key] == pytest.approx(value), key
    assert type(k.loss).__name__ == "BinaryCrossentropy"
    assert k.get_compile_config()["metrics"] == ["accuracy"]
    state = model.optimizer.get_state()
    assert int(k.optimizer.iterations.value) == 8
    if name == "Nadam":
        assert float(k.optimizer._u_product.value) == pytest.approx(float(state["u_product"]))
    for slot in ("momentum", "velocity", "velocity_hat", "accumulator", "average_gradient"):
        if slot in state:  # Keras keeps one list per slot, one variable per weight, in order
            plural = {"velocity": "velocities", "velocity_hat": "velocity_hats"}.get(slot, slot + "s")
            values = getattr(k.optimizer, "_" + plural, None) or getattr(k.optimizer, plural)
            np.testing.assert_allclose(
                np.concatenate([np.asarray(v.value).ravel() for v in values]), state[slot],
                rtol=1e-6)
    back = load_model(tmp_path / "m.keras")
    for key, value in state.items():
        np.testing.assert_allclose(back.optimizer.get_state()[key], value, rtol=1e-6)
    # and training goes on from there exactly as it would have
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    back.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(back.get_weights()[0], model.get_weights()[0], rtol=1e-5)


def test_learning_rate_schedule(keras, tmp_path, rng):
    from actloss.optimizers.schedules import ExponentialDecay
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=16)
    model = Sequential([Input((3,)), Dense(2, activation="relu"), Dense(1)])
    model.compile(optimizer=Adam(ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)),
                  loss="mse")
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    k = _keras_roundtrip(keras, model, tmp_path, x)
    schedule = k.optimizer._learning_rate
    assert type(schedule).__name__ == "ExponentialDecay"
    assert schedule.get_config()["decay_steps"] == 10 and int(k.optimizer.iterations.value) == 12
    back = load_model(tmp_path / "m.keras")
    assert back.optimizer.iterations == 12
    assert back.optimizer.get_config()["learning_rate"] == model.optimizer.get_config()[
        "learning_rate"]


@pytest.mark.parametrize("loss, keras_cls", [
    ("mse", "MeanSquaredError"), ("huber", "Huber"), ("categorical_crossentropy",
                                                      "CategoricalCrossentropy"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
    ("kl_divergence", "KLDivergence")])
def test_losses_keras_reads(keras, loss, keras_cls, tmp_path):
    model = Sequential([Input((3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss)
    path = tmp_path / "m.keras"
    model.save(path)
    assert type(keras.saving.load_model(path).loss).__name__ == keras_cls
    assert load_model(path).loss.name == model.loss.name


def test_float64_model_and_metric_objects(keras, tmp_path, rng):
    from actloss import set_floatx
    set_floatx("float64")
    try:
        model = Sequential([Input((3,)), Dense(4, activation="selu"), Dense(1)])
    finally:
        set_floatx("float32")
    x = rng.normal(size=(6, 3))
    k = _keras_roundtrip(keras, model, tmp_path, x)
    assert k.layers[0].dtype == "float64"
    assert load_model(tmp_path / "m.keras").dtype == np.float64
    km = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    km.compile(optimizer="sgd", loss="binary_crossentropy",
               metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.AUC()])
    km.save(tmp_path / "k.keras")
    back = load_model(tmp_path / "k.keras")
    assert back.optimizer.get_config()["name"] == "sgd" and back.loss.name == "binary_crossentropy"
    back.fit(x, (x[:, 0] > 0).astype(int), epochs=1, verbose=0)
    assert {"binary_accuracy", "auc"} <= set(back.history.history)


def test_loss_keras_lacks_is_refused(tmp_path):
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="adam", loss="smooth_l1")
    with pytest.raises(ValueError, match=r"smooth_l1.*\.actloss"):
        model.save(tmp_path / "m.keras")


# ------------------------------------------------------------------ files written by Keras
KERAS_ACTIVATIONS = sorted(A.get(n).name for n in CANONICAL if n not in KERAS_LACKS)


def test_reads_keras_files_every_activation(keras, tmp_path, rng):
    layers = keras.layers
    x = rng.normal(size=(16, 6)).astype("float32")
    for name in KERAS_ACTIVATIONS + ["swish", "hard_swish"]:
        k = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation=name),
                              layers.Dense(2, activation=name)])
        path = tmp_path / f"{name}.keras"
        k.save(path)
        model = load_model(path)
        np.testing.assert_allclose(model.predict(x), k.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6, err_msg=name)


def test_reads_keras_layers_compile_and_state(keras, tmp_path, rng):
    layers = keras.layers
    k = keras.Sequential([keras.Input((2, 3)), layers.Flatten(), layers.Dense(8),
                          layers.LeakyReLU(negative_slope=0.3), layers.Dropout(0.1),
                          layers.Dense(8, kernel_regularizer="l2"), layers.ELU(alpha=0.7),
                          layers.Dense(6, use_bias=False), layers.ReLU(),
                          layers.Dense(3), layers.Softmax()])
    k.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="categorical_crossentropy",
              metrics=["accuracy"])
    k.optimizer.build(k.trainable_variables)
    for v in k.optimizer.variables:  # a state as if Keras had trained: every value distinct
        if v.path.endswith(("momentum", "velocity")):
            v.assign(rng.uniform(0.1, 1, v.shape).astype("float32"))
    k.optimizer.iterations.assign(7)
    path = tmp_path / "k.keras"
    k.save(path)
    x = rng.normal(size=(9, 2, 3)).astype("float32")
    model = load_model(path)
    np.testing.assert_allclose(model.predict(x), k.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)
    assert model.optimizer.iterations == 7 and model.optimizer.learning_rate == pytest.approx(0.02)
    assert model.loss.name == "categorical_crossentropy"
    assert model.layers[4].kernel_regularizer.l2 == pytest.approx(0.01)
    state = model.optimizer.get_state()
    for slot, values in (("momentum", k.optimizer._momentums),
                         ("velocity", k.optimizer._velocities)):
        np.testing.assert_array_equal(
            state[slot], np.concatenate([np.asarray(v.value).ravel() for v in values]))
    assert load_model(path, compile=False).optimizer is None


def _archive(tmp_path, config, weights=None, name="x.keras"):
    """A hand-made archive: Keras's members with the config given."""
    import h5py
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        (weights or (lambda f: None))(f)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", buf.getvalue())
    return path


def _sequential(*layers):
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "s", "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                 "config": {"batch_shape": [None, 2]}}, *layers]}}


def _layer(cls, module="keras.layers", registered=None, **config):
    return {"module": module, "class_name": cls, "config": config, "registered_name": registered}


@pytest.mark.parametrize("layer, match", [
    (_layer("Lambda", name="lam", function={"class_name": "__lambda__"}), "'lam' \\(Lambda\\)"),
    (_layer("Conv2D", name="conv", filters=2), "'conv' \\(Conv2D\\).*reads only"),
    (_layer("MyDense", module="my_package", registered="Custom>MyDense", name="mine"),
     "custom object"),
    (_layer("Dense", name="d", units=2, activation={"module": "my_mod", "class_name": "function",
                                                    "config": "evil"}), "not a Keras built-in"),
    (_layer("Dense", name="d", units=2, activation="sparsemax"), "sparsemax"),
])
def test_refuses_what_is_outside_the_dense_subset(layer, match, tmp_path):
    pytest.importorskip("h5py")
    with pytest.raises(ValueError, match=match):
        load_model(_archive(tmp_path, _sequential(layer)))


def test_refuses_bad_weights(tmp_path):
    h5py = pytest.importorskip("h5py")
    config = _sequential(_layer("Dense", name="d", units=3))

    def wrong_shape(f):
        g = f.create_group("layers/dense/vars")
        g["0"], g["1"] = np.zeros((3, 2), "f4"), np.zeros(3, "f4")

    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        load_model(_archive(tmp_path, config, wrong_shape))

    def external(f):
        g = f.create_group("layers/dense/vars")
        g["0"] = h5py.ExternalLink("/etc/passwd", "/data")
        g["1"] = np.zeros(3, "f4")

    with pytest.raises(ValueError, match="ExternalLink"):
        load_model(_archive(tmp_path, config, external))

    def text(f):
        g = f.create_group("layers/dense/vars")
        g["0"], g["1"] = np.zeros((2, 3), "i4"), np.zeros(3, "f4")

    with pytest.raises(ValueError, match="floating-point"):
        load_model(_archive(tmp_path, config, text))

    with pytest.raises(ValueError, match=r"holds \[\]; the layer needs 2"):
        load_model(_archive(tmp_path, config))


def test_bounds_and_corrupt_members(tmp_path):
    """The .actloss reader's bounds (models._archive) apply to Keras files too."""
    pytest.importorskip("h5py")
    deep = _sequential(_layer("Dense", name="d", units=2))
    deep["config"]["extra"] = json.loads("[" * 80 + "]" * 80)
    with pytest.raises(ValueError, match="deeper than 64"):
        load_model(_archive(tmp_path, deep))
    big = tmp_path / "big.keras"
    with zipfile.ZipFile(big, "w") as zf:
        zf.writestr("config.json", " " * (17 << 20))
    with pytest.raises(ValueError, match="config.json.*limit is 16,777,216"):
        load_model(big)
    path = tmp_path / "npz.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(deep))
        zf.writestr("model.weights.npz", b"")
    with pytest.raises(ValueError, match="never unpickles"):
        load_model(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(path)
    with pytest.raises(ValueError, match="Sequential models; found 'Functional'"):
        load_model(_archive(tmp_path, {"module": "keras", "class_name": "Functional",
                                       "config": {}}))


def test_older_actloss_file_named_keras_still_loads(tmp_path):
    pytest.importorskip("h5py")
    model = Sequential([Input((2,)), Dense(2)])
    model.save(tmp_path / "m.actloss")
    os.replace(tmp_path / "m.actloss", tmp_path / "m.keras")
    np.testing.assert_array_equal(load_model(tmp_path / "m.keras").get_weights()[0],
                                  model.get_weights()[0])


def test_without_h5py_the_error_names_the_extra(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"actloss\[keras\]"):
        Sequential([Input((2,)), Dense(2)]).save(tmp_path / "m.keras")


def _new_layers():
    import actloss.layers as L
    if not hasattr(L, "BatchNormalization"):
        pytest.skip("this actloss has no BatchNormalization/LayerNormalization/ReLU layers yet")
    return L


def test_normalization_and_activation_layers_both_ways(keras, tmp_path, rng):
    L = _new_layers()
    x = rng.normal(size=(32, 4)).astype("float32")
    model = Sequential([Input((4,)), Dense(6), L.BatchNormalization(momentum=0.9),
                        L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5), Dense(5),
                        L.LayerNormalization(epsilon=1e-4), L.LeakyReLU(negative_slope=0.2),
                        Dense(4), L.ELU(alpha=0.7), Dense(3), L.Softmax()])
    model.compile(optimizer=Adam(), loss="categorical_crossentropy")
    model.fit(x, np.eye(3)[rng.integers(0, 3, 32)], epochs=2, batch_size=8, verbose=0)
    k = _keras_roundtrip(keras, model, tmp_path, x)
    assert [type(layer).__name__ for layer in k.layers] == [
        type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(np.asarray(k.layers[1].moving_mean.value),
                               model.layers[1].moving_mean, rtol=1e-6)
    back = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back.predict(x), model.predict(x), rtol=1e-6, atol=1e-7)
    for key, value in model.optimizer.get_state().items():
        np.testing.assert_allclose(back.optimizer.get_state()[key], value, rtol=1e-6)
    kb = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5),
                           keras.layers.BatchNormalization(center=False),
                           keras.layers.LayerNormalization(scale=False), keras.layers.ReLU()])
    for v in kb.layers[1].non_trainable_variables:  # moving statistics as if trained
        v.assign(rng.uniform(0.5, 1.5, v.shape).astype("float32"))
    kb.save(tmp_path / "kb.keras")
    np.testing.assert_allclose(load_model(tmp_path / "kb.keras").predict(x),
                               kb.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
