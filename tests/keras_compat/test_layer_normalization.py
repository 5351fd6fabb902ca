"""Keras 3's ``keras/src/layers/normalization/layer_normalization_test.py``, ported to actloss.

Kept: Keras's inputs, expected numbers and tolerances (assertAllClose: 1e-6 unless given).
Changed: imports; ``ops.*`` on outputs -> NumPy; ``run_layer_test`` -> ``_keras_models_util``.
Left out (tensor backend): ``test_large_value_within_autocast_scope`` (float16 autocast).
Diverging on purpose (asserted below, with the reason): ``rms_scaling=True`` (deprecated in
Keras, where it scales by the variance; actloss raises NotImplementedError and points to RMS
normalization) and a zero-sized input axis (actloss shapes are positive).
"""

import numpy as np
import pytest

from actloss import layers, regularizers

from keras_compat._keras_models_util import run_layer_test


def assert_all_close(a, b, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def test_ln_basics():
    run_layer_test(layers.LayerNormalization,
                   init_kwargs={"gamma_regularizer": regularizers.L2(0.01),
                                "beta_regularizer": regularizers.L2(0.01)},
                   input_shape=(3, 4, 2), expected_output_shape=(3, 4, 2),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=2, supports_masking=True)
    run_layer_test(layers.LayerNormalization,
                   init_kwargs={"gamma_initializer": "ones", "beta_initializer": "ones"},
                   input_shape=(3, 4, 2), expected_output_shape=(3, 4, 2),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=0, supports_masking=True)
    run_layer_test(layers.LayerNormalization, init_kwargs={"scale": False, "center": False},
                   input_shape=(3, 3), expected_output_shape=(3, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=0, supports_masking=True)
    # diverges on purpose: rms_scaling (deprecated by Keras) is refused
    with pytest.raises(NotImplementedError, match="rms_scaling"):
        layers.LayerNormalization(rms_scaling=True)
    run_layer_test(layers.LayerNormalization, init_kwargs={"axis": (-3, -2, -1)},
                   input_shape=(2, 8, 8, 3), expected_output_shape=(2, 8, 8, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
                   expected_num_seed_generators=0, expected_num_losses=0, supports_masking=True)
    # diverges on purpose: a zero-sized axis, input_shape=(1, 0, 10), is not a valid shape
    with pytest.raises(ValueError, match="positive ints"):
        layers.LayerNormalization()(np.zeros((1, 0, 10)))


def test_invalid_axis():
    with pytest.raises(TypeError,
                       match="Expected an int or a list/tuple of ints for the argument 'axis'"):
        layers.LayerNormalization(axis={"axis": -1})


def test_out_of_bounds_axis():
    x = np.zeros((2, 4), dtype="float32")
    for axis in (2, 99, -3, -99):
        with pytest.raises(ValueError, match="is out of bounds"):
            layers.LayerNormalization(axis=axis)(x)
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=[0, 99])(x)
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=99).build((2, 4))
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=99).compute_output_shape((2, 4))


def test_duplicate_axis():
    x = np.zeros((2, 4), dtype="float32")
    with pytest.raises(ValueError, match="Duplicate axes"):
        layers.LayerNormalization(axis=[-1, 1])(x)
    with pytest.raises(ValueError, match="Duplicate axes"):
        layers.LayerNormalization(axis=[1, 1])(x)


def test_axis_is_canonicalized():
    layer = layers.LayerNormalization(axis=-1)
    layer.build((2, 4))
    assert layer.axis == [1]


@pytest.mark.xfail(strict=True, raises=ValueError,
                   reason="an actloss layer keeps the sample shape it was built for; Keras's "
                          "LayerNormalization built for (2, 2, 2) still accepts (1000, 2, 2, 2)")
def test_correctness():
    layer = layers.LayerNormalization(dtype="float32")
    layer.build(input_shape=(2, 2, 2))
    _check_correctness(layer)


def test_correctness_built_on_call():
    """The same check with the layer built by its first call (no build of another rank)."""
    _check_correctness(layers.LayerNormalization(dtype="float32"))


def _check_correctness(layer):
    inputs = np.random.normal(loc=5.0, scale=10.0, size=(1000, 2, 2, 2)).astype("float32")
    out = layer(inputs)
    out = np.subtract(out, layer.beta)
    out = np.divide(out, layer.gamma)
    assert_all_close(np.mean(out), 0.0, atol=1e-1)
    assert_all_close(np.std(out), 1.0, atol=1e-1)


def test_output():
    layer = layers.LayerNormalization(dtype="float32", beta_initializer="ones",
                                      gamma_initializer="ones")
    inputs = np.arange(5).astype("float32")[None, :]
    out = layer(inputs)
    assert_all_close(out, [[-0.41386, 0.29307, 1.0, 1.70693, 2.41386]], atol=1e-5, rtol=1e-5)


def test_unsorted_axis():
    x = np.random.randn(2, 3, 4).astype("float32")
    layer_sorted = layers.LayerNormalization(axis=[-2, -1])
    layer_unsorted = layers.LayerNormalization(axis=[-1, -2])
    out_sorted = layer_sorted(x)
    out_unsorted = layer_unsorted(x)
    assert out_sorted.shape == (2, 3, 4)
    assert out_unsorted.shape == (2, 3, 4)
    assert_all_close(out_sorted, out_unsorted)
