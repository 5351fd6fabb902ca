"""Glue for the ported Keras layer/model/callback tests: Keras's ``run_layer_test`` and
``test_utils.get_test_data``, written for actloss (no tensor backend: NumPy arrays, weights as
views, regularizers counted as Keras counts its losses)."""

from __future__ import annotations

import numpy as np

from actloss.layers import deserialize, serialize


def get_test_data(train_samples, test_samples, input_shape, num_classes, random_seed=None):
    """Keras's ``keras.src.testing.test_utils.get_test_data``, line for line."""
    np.random.seed(random_seed)
    total_samples = train_samples + test_samples
    samples_per_class = total_samples // num_classes
    y = np.array([i for i in range(num_classes) for _ in range(samples_per_class)],
                 dtype=np.int32)
    extra_samples = total_samples - len(y)
    y_extra = np.array([i % num_classes for i in range(extra_samples)], dtype=np.int64)
    y = np.concatenate([y, y_extra])
    templates = 2 * num_classes * np.random.random((num_classes,) + input_shape)
    x = np.zeros((total_samples,) + input_shape, dtype=np.float32)
    for i in range(total_samples):
        x[i] = templates[y[i]] + np.random.normal(loc=0, scale=1.0, size=input_shape)
    indices = np.arange(total_samples)
    np.random.shuffle(indices)
    x, y = x[indices], y[indices]
    x_train, y_train, x_test, y_test = [], [], [], []
    for cls in range(num_classes):
        cls_indices = np.where(y == cls)[0]
        np.random.shuffle(cls_indices)
        train_count = int(train_samples / num_classes)
        x_train.extend(x[cls_indices[:train_count]])
        y_train.extend(y[cls_indices[:train_count]])
        x_test.extend(x[cls_indices[train_count:]])
        y_test.extend(y[cls_indices[train_count:]])
    x_train, y_train = np.array(x_train), np.array(y_train)
    x_test, y_test = np.array(x_test), np.array(y_test)
    train_indices = np.arange(len(x_train))
    test_indices = np.arange(len(x_test))
    np.random.shuffle(train_indices)
    np.random.shuffle(test_indices)
    return ((x_train[train_indices], y_train[train_indices]),
            (x_test[test_indices], y_test[test_indices]))


def num_losses(layer) -> int:
    """Keras's ``len(layer.losses)`` after a call: one per regularizer that applies."""
    pairs = (("kernel_regularizer", "kernel"), ("bias_regularizer", "bias"),
             ("gamma_regularizer", "gamma"), ("beta_regularizer", "beta"))
    return sum(getattr(layer, r, None) is not None and getattr(layer, w, None) is not None
               for r, w in pairs)


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   expected_num_losses=None, call_kwargs=None, **_backend_only):
    """What Keras's ``run_layer_test`` checks that a NumPy layer has: the config round trip,
    the output shape of a call on random data, the weight counts and the regularizer count.
    (Masking, seed generators, symbolic calls and mixed precision are backend features.)"""
    layer = layer_cls(**init_kwargs)
    again = deserialize(serialize(layer))
    assert type(again) is layer_cls and again.get_config() == layer.get_config()
    x = np.random.standard_normal(input_shape).astype(np.float32)
    y = layer(x, **(call_kwargs or {}))
    assert y.shape == tuple(expected_output_shape), (y.shape, expected_output_shape)
    assert layer.compute_output_shape(input_shape) == tuple(expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    if expected_num_losses is not None:
        assert num_losses(layer) == expected_num_losses
    return layer
