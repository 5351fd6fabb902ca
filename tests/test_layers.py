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
    with pytest.raises(ValueError, match="Flatten"):
        Sequential([Dense(2, input_shape=(3, 4))]).build()


@pytest.mark.parametrize("act", sorted({a.name for a in activations.REGISTRY}))
def test_in_place_backward_equals_input_based(act, rng):
    """The fused forward (activation in place on z) and backward from the output agree with the
    activation's own vjp computed from the input."""
    a = activations.get(act)
    x = rng.standard_normal((6, 4))
    d = Dense(4, activation=act, input_shape=(4,))
    m = Sequential([d])
    ws = m._workspace(6)[0]
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
    ws = m._workspace(2)[0]
    y = d.forward(x, ws, True)
    assert abs((y == 0).mean() - 0.2) < 0.02 and np.allclose(y[y > 0], 1.25)
    assert d.forward(x, ws, False) is x


def test_layer_call_and_names():
    d = Dense(2, input_shape=(3,), kernel_initializer="ones")
    Sequential([d])
    np.testing.assert_allclose(d(np.ones((1, 3), np.float32)), [[3.0, 3.0]])
    assert Dense(1).name != Dense(1).name
