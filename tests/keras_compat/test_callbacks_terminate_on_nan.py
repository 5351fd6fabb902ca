"""Keras 3's ``keras/src/callbacks/terminate_on_nan_test.py``, ported to actloss.

Kept: Keras's data, models and expected outcomes. Changed: imports; ``numerical_utils.
to_categorical`` -> ``actloss.utils.to_categorical``; ``self.assert*`` -> asserts.
Left out: ``test_raise_error_terminate_preserves_backup`` (BackupAndRestore, not in actloss).
Diverging on purpose: the cases whose NaN comes from infinite *targets* (``y = [[inf], ...]``):
actloss rejects NaN/inf in ``y`` before training with a ValueError naming the rows (a target
of inf is a data error, not a divergence). Each of those cases asserts that ValueError, then
runs Keras's check on the same model with finite targets whose float32 loss overflows
(1e20 squared is inf in float32), which is what TerminateOnNaN is for.
"""

import numpy as np
import pytest

from actloss import callbacks, initializers, layers, models
from actloss.callbacks import TerminateOnNaN
from actloss.models import Sequential
from actloss.utils import to_categorical


def test_TerminateOnNaN():
    TRAIN_SAMPLES = 10
    TEST_SAMPLES = 10
    INPUT_DIM = 3
    NUM_CLASSES = 2
    BATCH_SIZE = 4

    np.random.seed(1337)
    x_train = np.random.random((TRAIN_SAMPLES, INPUT_DIM))
    y_train = np.random.choice(np.arange(NUM_CLASSES), size=TRAIN_SAMPLES)
    x_test = np.random.random((TEST_SAMPLES, INPUT_DIM))
    y_test = np.random.choice(np.arange(NUM_CLASSES), size=TEST_SAMPLES)

    y_test = to_categorical(y_test)
    y_train = to_categorical(y_train)
    model = Sequential()
    initializer = initializers.Constant(value=1e5)
    for _ in range(5):
        model.add(layers.Dense(2, activation="relu", kernel_initializer=initializer))
    model.add(layers.Dense(NUM_CLASSES))
    model.compile(loss="mean_squared_error", optimizer="sgd")

    with pytest.warns(RuntimeWarning, match="diverged"):
        history = model.fit(x_train, y_train, batch_size=BATCH_SIZE,
                            validation_data=(x_test, y_test),
                            callbacks=[callbacks.TerminateOnNaN()], epochs=20)
    loss = history.history["loss"]
    assert len(loss) == 1
    assert np.isnan(loss[0]) or np.isinf(loss[0])


def _inf_targets_refused(model, x, y):
    with pytest.raises(ValueError, match="NaN or inf"):
        model.fit(x, y, epochs=1, batch_size=1, verbose=0)


def test_terminate_on_nan_graceful_stop():
    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [2.0]])
    y = np.array([[np.inf], [np.inf]])
    _inf_targets_refused(model, x, y)

    callback = TerminateOnNaN(raise_error=False)
    y = np.array([[1e20], [2e20]])
    with pytest.warns(RuntimeWarning, match="diverged"):
        history = model.fit(x, y, epochs=2, batch_size=1, callbacks=[callback],
                                        verbose=0)
    # Training should stop early
    assert len(history.history["loss"]) < 4


def test_terminate_on_nan_raise_error_raises_error():
    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [2.0]])
    _inf_targets_refused(model, x, np.array([[np.inf], [np.inf]]))

    callback = TerminateOnNaN(raise_error=True)
    y = np.array([[1e20], [2e20]])
    with pytest.warns(RuntimeWarning, match="diverged"):
        with pytest.raises(RuntimeError, match="NaN or Inf loss encountered"):
            model.fit(x, y, epochs=1, batch_size=1, callbacks=[callback],
                                  verbose=0)


def test_raise_error_terminate_does_not_trigger_on_train_end():
    class TrackingCallback(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.train_end_called = False

        def on_train_end(self, logs=None):
            self.train_end_called = True

    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    _inf_targets_refused(model, np.array([[1.0]]), np.array([[np.inf]]))

    x = np.array([[1.0], [2.0]])
    y = np.array([[1e20], [2e20]])
    tracking_callback = TrackingCallback()
    raise_error_terminate_callback = TerminateOnNaN(raise_error=True)
    with pytest.warns(RuntimeWarning, match="diverged"):
        with pytest.raises(RuntimeError):
            model.fit(x, y, epochs=1, batch_size=1,
                                  callbacks=[tracking_callback, raise_error_terminate_callback],
                                  verbose=0)
    assert not tracking_callback.train_end_called


@pytest.mark.parametrize("raise_error", [False, True])
def test_normal_training_does_not_raise(raise_error):
    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [2.0]])
    y = np.array([[1.0], [2.0]])
    callback = TerminateOnNaN(raise_error=raise_error)
    history = model.fit(x, y, epochs=2, callbacks=[callback], verbose=0)
    assert len(history.history["loss"]) == 2


def test_raise_error_terminate_stops_on_later_batch():
    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [2.0]])
    _inf_targets_refused(model, x, np.array([[1.0], [np.inf]]))

    y = np.array([[1.0], [2e20]])  # the loss overflows in the 2nd batch only
    callback = TerminateOnNaN(raise_error=True)
    with pytest.warns(RuntimeWarning, match="diverged"):
        with pytest.raises(RuntimeError) as exc:
            model.fit(x, y, epochs=1, batch_size=1, callbacks=[callback],
                                  verbose=0, shuffle=False)
    assert any(f"batch {i}" in str(exc.value) for i in [0, 1])
