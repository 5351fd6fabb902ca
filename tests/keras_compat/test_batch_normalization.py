"""Keras 3's ``keras/src/layers/normalization/batch_normalization_test.py``, ported to actloss.

Kept: Keras's inputs, expected numbers and tolerances (assertAllClose: 1e-6 unless given).
Changed: imports; ``backend.convert_to_numpy`` / ``ops`` -> NumPy; ``run_layer_test`` ->
``_keras_models_util``.
Left out (tensor backend): masking (``test_input_fully_masked``,
``test_bachnorm_ignore_masked_values``, ``test_masked_broadcast_normalization`` and the two
Masking steps of ``test_correctness``), ``test_large_value_within_autocast_scope`` (float16
autocast), ``synchronized``.
Diverging on purpose: batch renormalization (``renorm=True``: ``test_renorm_basics``,
``test_renorm_invalid_clipping_keys``, ``test_renorm_stddev_initializer``,
``test_renorm_inference``, ``test_renorm_correctness``, ``test_serialization``, which all
construct a renorm layer): actloss raises NotImplementedError for ``renorm`` instead of
accepting it (dense networks rarely use it); asserted in ``test_renorm_is_refused``.
"""

import itertools

import numpy as np
import pytest

from actloss import layers

from keras_compat._keras_models_util import run_layer_test


def assert_all_close(a, b, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def assert_not_all_close(a, b, atol=1e-6, rtol=1e-6):
    assert not np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def test_bn_basics():
    # vector case
    run_layer_test(layers.BatchNormalization, init_kwargs={"center": True, "scale": True},
                   call_kwargs={"training": True}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=2, expected_num_seed_generators=0,
                   expected_num_losses=0, supports_masking=True)
    run_layer_test(layers.BatchNormalization, init_kwargs={"center": False, "scale": False},
                   call_kwargs={"training": True}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=2, expected_num_seed_generators=0,
                   expected_num_losses=0, supports_masking=True)
    # image case, with regularizers
    run_layer_test(layers.BatchNormalization,
                   init_kwargs={"center": True, "scale": True, "beta_regularizer": "l2",
                                "gamma_regularizer": "l2"},
                   call_kwargs={"training": True}, input_shape=(2, 4, 4, 3),
                   expected_output_shape=(2, 4, 4, 3), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=2, expected_num_seed_generators=0,
                   expected_num_losses=2, supports_masking=True)


@pytest.mark.parametrize("axis,input_shape,moving_mean_initializer,moving_variance_initializer",
                         list(itertools.product((-1, 1), ((5, 2, 3), (5, 3, 3, 2)),
                                                ("zeros", "ones"), ("zeros", "ones"))))
def test_correctness(axis, input_shape, moving_mean_initializer, moving_variance_initializer):
    # Training
    layer = layers.BatchNormalization(axis=axis, momentum=0,
                                      moving_mean_initializer=moving_mean_initializer,
                                      moving_variance_initializer=moving_variance_initializer)
    # Random data centered on 5.0, variance 10.0
    x = np.random.normal(loc=5.0, scale=10.0, size=input_shape)
    out = x
    for _ in range(3):
        out = layer(out, training=True)

    # Assert the normalization is correct.
    broadcast_shape = [1] * len(input_shape)
    broadcast_shape[axis] = input_shape[axis]
    out = out - np.reshape(layer.beta, broadcast_shape)
    out = out / np.reshape(layer.gamma, broadcast_shape)

    reduction_axes = list(range(len(input_shape)))
    del reduction_axes[axis]
    reduction_axes = tuple(reduction_axes)
    assert_all_close(np.mean(out, axis=reduction_axes), 0.0, atol=1e-3)
    assert_all_close(np.std(out, axis=reduction_axes), 1.0, atol=1e-3)
    assert_all_close(layer.moving_mean, 0.0, atol=1e-3)
    assert_all_close(layer.moving_variance, 1.0, atol=1e-3)

    # Inference done before training shouldn't match.
    inference_out = layer(x, training=False)
    training_out = layer(x, training=True)
    assert_not_all_close(inference_out, training_out)

    # Since momentum is zero, inference after training should match.
    training_out = layer(x, training=True)
    inference_out = layer(x, training=False)
    assert_all_close(inference_out, training_out)
    # (Keras goes on with layers.Masking(): masking needs a tensor backend, left out)


def test_trainable_behavior():
    layer = layers.BatchNormalization(axis=-1, momentum=0.8, epsilon=1e-7)
    layer.build((1, 4, 4, 3))
    layer.trainable = False
    assert len(layer.weights) == 4
    assert len(layer.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == 4

    # Random data centered on 5.0, variance 10.0
    x = np.random.normal(loc=5.0, scale=10.0, size=(200, 4, 4, 3))

    out = layer(x, training=True)
    assert_all_close(out, x)

    layer.trainable = True
    assert len(layer.weights) == 4
    assert len(layer.trainable_weights) == 2
    assert len(layer.non_trainable_weights) == 2

    for _ in range(10):
        out = layer(x, training=True)

    out = out - np.reshape(layer.beta, (1, 1, 1, 3))
    out = out / np.reshape(layer.gamma, (1, 1, 1, 3))

    assert_all_close(np.mean(out, axis=(0, 1, 2)), 0.0, atol=1e-3)
    assert_all_close(np.std(out, axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_renorm_is_refused():
    """Diverges on purpose: Keras's six renorm tests construct BatchNormalization(renorm=True),
    which actloss refuses."""
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 3.0, "rmin": 0.3,
                                                                 "dmax": 5.0})


def test_serialization_without_renorm():
    """Keras's test_serialization, on the arguments actloss has (config round trip)."""
    layer = layers.BatchNormalization(momentum=0.95, epsilon=1e-5, center=False)
    config = layer.get_config()
    new_layer = layers.BatchNormalization.from_config(config)
    assert new_layer.get_config() == config
