"""Keras 3's ``keras/src/layers/core/dense_test.py``, ported to actloss.

Kept: Keras's inputs, expected numbers and tolerances (assertAllClose: rtol = atol = 1e-6).
Changed: imports; ``self.assert*`` -> plain asserts; ``run_layer_test`` -> the NumPy version in
``_keras_models_util`` (config round trip, output shape, weight and regularizer counts).
Left out, needing a tensor backend: quantization (int8/int4/float8/ternary/GPTQ/AWQ and their
serialization), LoRA, sparse tensors, symbolic ``KerasTensor`` calls, ``load_own_variables``.
Diverging on purpose: ``kernel_constraint`` / ``bias_constraint`` (actloss has no constraints;
the argument raises NotImplementedError instead of being silently ignored).
"""

import numpy as np
import pytest

from actloss import layers

from keras_compat._keras_models_util import run_layer_test

ATOL = RTOL = 1e-6


def assert_all_close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)


def test_dense_basics():
    # 2D case, no bias.
    run_layer_test(layers.Dense,
                   init_kwargs={"units": 4, "activation": "relu",
                                "kernel_initializer": "random_uniform",
                                "bias_initializer": "ones", "use_bias": False},
                   input_shape=(2, 3), expected_output_shape=(2, 4),
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=0,
                   supports_masking=True)
    # 3D case, some regularizers.
    run_layer_test(layers.Dense,
                   init_kwargs={"units": 5, "activation": "sigmoid",
                                "kernel_regularizer": "l2", "bias_regularizer": "l2"},
                   input_shape=(2, 3, 4), expected_output_shape=(2, 3, 5),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=2,
                   supports_masking=True)


@pytest.mark.parametrize("units", [0, -3, 2.5, None, "64"],
                         ids=["zero", "negative", "float", "none", "string"])
def test_dense_invalid_units_raises(units):
    with pytest.raises(ValueError, match="positive integer"):
        layers.Dense(units)


def test_dense_correctness():
    # With bias and activation.
    layer = layers.Dense(units=2, activation="relu")
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]]), np.array([5.0, -6.0])])
    inputs = np.array([[-1.0, 2.0]])
    assert_all_close(layer(inputs), [[10.0, 0.0]])

    # Just a kernel matmul.
    layer = layers.Dense(units=2, use_bias=False)
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]])])
    inputs = np.array([[-1.0, 2.0]])
    assert layer.bias is None
    assert_all_close(layer(inputs), [[5.0, -6.0]])


def test_dense_errors():
    # Keras: calling with a last axis of 3 after building for 2
    with pytest.raises(ValueError, match="incompatible with the layer"):
        layer = layers.Dense(units=2, activation="relu")
        layer(np.zeros((1, 2)))
        layer(np.zeros((1, 3)))


def test_dense_no_activation():
    layer = layers.Dense(units=2, use_bias=False, activation=None)
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]])])
    inputs = np.array([[-1.0, 2.0]])
    assert layer.bias is None
    assert_all_close(layer(inputs), [[5.0, -6.0]])


def test_dense_without_activation_set():
    from actloss import activations
    layer = layers.Dense(units=2, use_bias=False)
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]])])
    # Keras sets `layer.activation = None`; an actloss layer holds an Activation object, and
    # the linear one is what None means
    layer.activation = activations.get(None)
    inputs = np.array([[-1.0, 2.0]])
    assert layer.bias is None
    assert_all_close(layer(inputs), [[5.0, -6.0]])


def test_dense_with_activation():
    layer = layers.Dense(units=2, use_bias=False, activation="relu")
    layer.build((1, 2))
    layer.set_weights([np.array([[1.0, -2.0], [3.0, -4.0]])])
    inputs = np.array([[-1.0, 2.0]])
    output = layer(inputs)
    expected_output = np.array([[5.0, 0.0]])
    assert_all_close(output, expected_output)


@pytest.mark.xfail(strict=True, raises=NotImplementedError,
                   reason="actloss has no weight constraints; kernel_constraint raises "
                          "NotImplementedError instead of being accepted")
def test_dense_constraints():
    layer = layers.Dense(units=2, kernel_constraint="non_neg")
    layer.build((None, 2))
    layer = layers.Dense(units=2, bias_constraint="non_neg")
    layer.build((None, 2))
