"""Layers: shapes, configs, the in-place fast path, Dropout, Flatten, Input."""

import numpy as np
import pytest

from actloss import activations
from actloss.layers import Activation, Dense, Dropout, Flatten, Input, deserialize, serialize
from actloss.models import Sequential
from actloss.regularizers import l1_l2


def test_dense_shapes_and_attributes():
    d = Dense(5, activation="tanh", use_bias=False, input_dim=3)
    assert d.input_shape == (3,) and d.activation is activations.get("tanh")
    m = Sequential([d])
    assert d.kernel.shape == (3, 5) and d.bias is None and len(d.get_weights()) == 1
    assert m.output_shape == (None, 5)
    m = Sequential([Dense(2, input_shape=(3, 4))])  # Keras: the last axis, others kept
    assert m.output_shape == (None, 3, 2) and m.layers[0].kernel.shape == (4, 2)


@pytest.mark.parametrize("act", sorted({a.name for a in activations.REGISTRY}))
def test_in_place_backward_equals_input_based(act, rng):
    """The fused forward (activation in place on z) and backward from the output agree with the
    activation's own vjp computed from the input."""
    a = activations.get(act)
    x = rng.standard_normal((6, 4))
    d = Dense(4, activation=act, input_shape=(4,))
    m = Sequential([d])
    ws = m._engine.workspace(6)[0]
    y = d.forward(x, ws, True).copy()
    z = x @ d.kernel + d.bias
    np.testing.assert_allclose(y, a(z.astype(np.float32)), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal((6, 4)).astype(np.float32)
    gin = d.backward(g.copy(), ws, True)
    dz = a.vjp(z, g)
    np.testing.assert_allclose(d.kernel_grad, x.T @ dz, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gin, dz @ d.kernel.T, rtol=1e-4, atol=1e-5)


def test_config_round_trip():
    layers = [Dense(4, activation=activations.get("softmax"), kernel_regularizer=l1_l2(0.1, 0.2),
                    kernel_initializer="he_uniform", name="d1", input_shape=(3,)),
              Activation("relu"), Dropout(0.25, seed=3), Flatten()]
    for layer in layers:
        again = deserialize(serialize(layer))
        assert type(again) is type(layer) and again.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="Unknown layer class"):
        deserialize({"class_name": "Conv2D", "config": {}})


def test_flatten_and_input(rng):
    m = Sequential([Input(shape=(2, 3)), Flatten(), Dense(1, kernel_initializer="ones")])
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(m.predict(x)[:, 0], x.reshape(4, -1).sum(1), rtol=1e-5)
    assert m.input_shape == (None, 2, 3) and len(m.layers) == 2
    with pytest.raises(ValueError, match="Input"):
        Sequential([Dense(1, input_shape=(2,)), Input(shape=(2,))])


def test_dropout_inverted_scaling_statistics(rng):
    d = Dropout(0.2, seed=0)
    m = Sequential([d], name="drop")
    m.build((10000,))
    x = np.ones((2, 10000), np.float32)
    ws = m._engine.workspace(2)[0]
    y = d.forward(x, ws, True)
    assert abs((y == 0).mean() - 0.2) < 0.02 and np.allclose(y[y > 0], 1.25)
    assert d.forward(x, ws, False) is x


def test_layer_call_and_names():
    d = Dense(2, input_shape=(3,), kernel_initializer="ones")
    Sequential([d])
    np.testing.assert_allclose(d(np.ones((1, 3), np.float32)), [[3.0, 3.0]])
    assert Dense(1).name != Dense(1).name


# ------------------------------------------------------------------ Keras's layer API
def test_layer_called_on_an_array_builds_itself():
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    d = Dense(3, kernel_initializer="ones")
    y = d(x)  # Keras: the first call builds the layer from x.shape and creates its weights
    assert d.built and d.kernel.shape == (4, 3) and d.input_shape == (4,)
    np.testing.assert_allclose(y, np.repeat(x.sum(1, keepdims=True), 3, axis=1))
    with pytest.raises(ValueError, match="incompatible with the layer"):
        d(np.ones((2, 5)))
    assert Dense(3).compute_output_shape((None, 4)) == (None, 3)
    assert Flatten().compute_output_shape((7, 2, 3)) == (7, 6)
    e = Dense(2)
    e.build((None, 5))  # Keras's batch shape
    assert e.input_shape == (5,) and e.output_shape == (2,)
    e.build((16, 5))
    assert e.input_shape == (5,)


def _numeric_layer_grads(layer, x, g, training, h=1e-6):
    """Central differences of sum(g * layer(x)) with respect to x and to each weight."""
    def f():
        ws = layer.workspace(len(x), x.dtype)
        return float(np.sum(g * layer.forward(x, ws, training)))
    out = []
    for arr in [x, *layer.weights]:
        num = np.zeros(arr.shape)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            up = f()
            arr[i] = old - h
            down = f()
            arr[i] = old
            num[i] = (up - down) / (2 * h)
        out.append(num)
    return out


@pytest.mark.parametrize("make", [
    lambda: __import__("actloss.layers", fromlist=["x"]).BatchNormalization(momentum=0.5),
    lambda: __import__("actloss.layers", fromlist=["x"]).BatchNormalization(axis=1, center=False),
    lambda: __import__("actloss.layers", fromlist=["x"]).LayerNormalization(),
    lambda: __import__("actloss.layers", fromlist=["x"]).LayerNormalization(axis=[1, 2]),
    lambda: __import__("actloss.layers", fromlist=["x"]).ReLU(max_value=1.0, negative_slope=0.1,
                                                               threshold=0.2),
    lambda: __import__("actloss.layers", fromlist=["x"]).LeakyReLU(),
    lambda: __import__("actloss.layers", fromlist=["x"]).ELU(alpha=0.7),
    lambda: __import__("actloss.layers", fromlist=["x"]).Softmax(axis=1),
])
@pytest.mark.parametrize("training", [True, False])
def test_new_layers_exact_backward(make, training, rng):
    """Backward of each new layer (input and weight gradients, training and inference mode)
    against central differences, in float64 on 3-D inputs (off the kinks)."""
    from actloss.layers import allocate_weights
    layer = make()
    x = rng.standard_normal((5, 3, 4)) * 2 + 0.5
    x[np.abs(x - 0.2) < 0.05] += 0.2  # away from ReLU's threshold and max
    x[np.abs(x - 1.0) < 0.05] += 0.2
    x[np.abs(x) < 0.05] += 0.2
    layer.build((None, 3, 4))
    allocate_weights([layer], np.float64, rng)
    for w in layer.weights:  # not the initial ones/zeros: every term matters
        w[...] = rng.uniform(0.5, 1.5, w.shape)
    g = rng.standard_normal(x.shape)
    ws = layer.workspace(len(x), x.dtype)
    layer.forward(x, ws, training)
    gin = layer.backward(g.copy(), ws, True)
    numeric = _numeric_layer_grads(layer, x, g, training)
    np.testing.assert_allclose(gin, numeric[0], rtol=1e-6, atol=1e-7)
    for analytic, num in zip(layer._grads, numeric[1:]):
        np.testing.assert_allclose(analytic, num, rtol=1e-6, atol=1e-7)


def test_models_with_new_layers_pass_gradcheck(rng):
    """actloss.diagnostics.gradcheck on whole models: every weight (BatchNormalization's moving
    statistics included, whose derivative is exact in inference) and a random direction."""
    import actloss
    from actloss import diagnostics
    from actloss.layers import ELU, BatchNormalization, LayerNormalization, LeakyReLU, ReLU, Softmax
    old = actloss.floatx()
    actloss.set_floatx("float64")
    try:
        x = rng.standard_normal((16, 4))
        y = rng.integers(0, 3, 16)
        m = Sequential([Dense(6, input_shape=(4,)), BatchNormalization(), ReLU(negative_slope=0.1),
                        Dense(5), LayerNormalization(), LeakyReLU(), Dense(4), ELU(),
                        Dense(3), Softmax()])
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        bn = m.layers[1]
        bn.moving_mean[...] = rng.standard_normal(6) * 0.1
        bn.moving_variance[...] = rng.uniform(0.5, 2, 6)
        report = diagnostics.gradcheck(m, x, y)
        assert report["max_rel_error"] < 1e-5, report["worst_check"]
    finally:
        actloss.set_floatx(old)


def test_batch_normalization_training_vs_inference_and_fit(rng):
    from actloss.layers import BatchNormalization
    x = (rng.standard_normal((256, 3)) * [1.0, 2.0, 3.0] + [5.0, -1.0, 0.0]).astype(np.float32)
    m = Sequential([BatchNormalization(input_shape=(3,)), Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    bn = m.layers[0]
    assert [w.shape for w in bn.weights] == [(3,)] * 4
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    np.testing.assert_array_equal(bn.moving_mean, 0)
    m.fit(x, x[:, 0], epochs=30, batch_size=256, verbose=0)
    # 30 updates with momentum 0.99: moving = (1 - 0.99**30) * batch statistics
    k = 1 - 0.99 ** 30
    np.testing.assert_allclose(bn.moving_mean, k * x.mean(0), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance, 0.99 ** 30 + k * x.var(0), rtol=1e-4)
    gamma = bn.gamma.copy()
    bn.trainable = False  # Keras: a frozen BatchNormalization runs in inference mode
    mm = bn.moving_mean.copy()
    m.fit(x, x[:, 0], epochs=2, batch_size=64, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean, mm)
    np.testing.assert_array_equal(bn.gamma, gamma)


def test_batch_normalization_saved_with_the_model(tmp_path, rng):
    from actloss.layers import BatchNormalization
    from actloss.models import load_model
    x = rng.standard_normal((64, 3)).astype(np.float32) * 4 + 2
    m = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(momentum=0.9, epsilon=1e-4),
                    Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, x[:, 0], epochs=3, verbose=0)
    path = tmp_path / "bn.actloss"
    m.save(path)
    again = load_model(path)
    bn, bn2 = m.layers[1], again.layers[1]
    assert bn2.momentum == 0.9 and bn2.epsilon == 1e-4
    np.testing.assert_array_equal(bn2.moving_mean, bn.moving_mean)
    np.testing.assert_array_equal(bn2.moving_variance, bn.moving_variance)
    assert not np.all(bn.moving_mean == 0)
    np.testing.assert_array_equal(again.predict(x), m.predict(x))


def test_activation_layers_values_and_configs():
    from actloss.layers import ELU, LeakyReLU, ReLU, Softmax
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0, np.nan]], np.float32)
    assert LeakyReLU().negative_slope == 0.3  # Keras's layer default (its function: 0.2)
    np.testing.assert_allclose(LeakyReLU()(x), [[-0.6, -0.15, 0, 0.5, 3, np.nan]], rtol=1e-6)
    np.testing.assert_allclose(ReLU()(x), [[0, 0, 0, 0.5, 3, np.nan]])
    np.testing.assert_allclose(ReLU(max_value=1.0, negative_slope=0.5, threshold=0.25)(x),
                               [[-1.125, -0.375, -0.125, 0.5, 1.0, np.nan]], rtol=1e-6)
    np.testing.assert_allclose(ELU(alpha=2.0)(x)[0, :2], 2 * np.expm1([-2.0, -0.5]), rtol=1e-6)
    np.testing.assert_allclose(Softmax()(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="max_value"):
        ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-0.1)
    for layer in (ReLU(max_value=6.0), LeakyReLU(0.1), Softmax(axis=1), ELU(0.5)):
        again = deserialize(serialize(layer))
        assert type(again) is type(layer) and again.get_config() == layer.get_config()


def test_layer_called_before_joining_a_model_keeps_its_weights():
    """Keras: a layer built by a call keeps its weights when a model takes it in."""
    d = Dense(2)
    d(np.ones((1, 3)))
    kernel = d.kernel.copy()
    m = Sequential([d])
    np.testing.assert_array_equal(m.layers[0].kernel, kernel)
    assert np.shares_memory(m.layers[0].kernel, m._params)
    drop = Dropout(0.5)  # outside a model, training=True draws from actloss's generator
    y = drop(np.ones((4, 100), np.float32), training=True)
    assert set(np.unique(y)) == {0.0, 2.0}
