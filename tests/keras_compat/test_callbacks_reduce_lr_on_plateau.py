"""Keras 3's ``keras/src/callbacks/reduce_lr_on_plateau_test.py``, ported to actloss.

Kept: Keras's data (``get_test_data``), model, arguments and expected rates. Changed: imports;
``optimizer.learning_rate.value`` (a float32 Keras variable) -> ``np.float32(optimizer.
learning_rate)``, so the comparison is made in float32 as Keras's; ``assertLogs`` -> the
printed line (actloss prints where Keras logs). Nothing left out; nothing diverges.
"""

import numpy as np
import pytest

from actloss import callbacks, layers, optimizers
from actloss.models import Sequential
from actloss.utils import to_categorical

from keras_compat._keras_models_util import get_test_data


@pytest.fixture
def setup():
    (x_train, y_train), (x_test, y_test) = get_test_data(train_samples=10, test_samples=10,
                                                         input_shape=(3,), num_classes=2)
    y_test = to_categorical(y_test)
    y_train = to_categorical(y_train)
    model = Sequential([layers.Dense(5), layers.Dense(2)])
    model.compile(loss="mse", optimizer=optimizers.Adam(0.1))
    return model, x_train, x_test, y_train, y_test


def lr_value(model):
    return np.float32(model.optimizer.learning_rate)


def test_reduces_lr_with_model_fit(setup):
    model, x_train, x_test, y_train, y_test = setup
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss",
                                            min_delta=100)
    model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[reduce_lr],
              epochs=2)
    assert lr_value(model) == np.float32(0.01)


def test_throws_when_optimizer_has_schedule(setup):
    model, x_train, x_test, y_train, y_test = setup
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss",
                                            min_delta=100)
    model.compile(loss="mse", optimizer=optimizers.Adam(
        optimizers.schedules.PolynomialDecay(initial_learning_rate=0.1, decay_steps=10)))
    with pytest.raises(TypeError, match="This optimizer was created with a `LearningRateSchedule`"):
        model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[reduce_lr],
                  epochs=2)


def test_verbose_logging(setup, capsys):
    model, x_train, x_test, y_train, y_test = setup
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss",
                                            min_delta=100, verbose=1)
    model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[reduce_lr],
              epochs=2)
    expected_log = "ReduceLROnPlateau reducing learning rate to 0.01"
    assert any(expected_log in line for line in capsys.readouterr().out.splitlines())


def test_honors_min_lr(setup):
    model, x_train, x_test, y_train, y_test = setup
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss",
                                            min_delta=10, min_lr=0.005)
    model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[reduce_lr],
              epochs=4)
    assert lr_value(model) == np.float32(0.005)


def test_cooldown(setup):
    model, x_train, x_test, y_train, y_test = setup
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss",
                                            min_delta=100, cooldown=2)
    model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[reduce_lr],
              epochs=4)
    # With a cooldown of 2 epochs, we should only reduce the LR every other
    # epoch, so after 4 epochs we will have reduced 2 times.
    np.testing.assert_allclose(lr_value(model), 0.001, rtol=1e-6, atol=1e-6)


def test_state_reset_across_fit_calls(setup):
    model = setup[0]
    reduce_lr = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="loss",
                                            min_delta=0, cooldown=2)
    reduce_lr.set_model(model)
    reduce_lr.on_train_begin()
    reduce_lr.best = 0.5
    reduce_lr.wait = 3
    reduce_lr.cooldown_counter = 2
    reduce_lr.on_train_begin()
    assert reduce_lr.best is None
    assert reduce_lr.wait == 0
    assert reduce_lr.cooldown_counter == 0
