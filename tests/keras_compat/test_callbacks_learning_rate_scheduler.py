"""Keras 3's ``keras/src/callbacks/learning_rate_scheduler_test.py``, ported to actloss.

Kept: Keras's data, model, schedules and expected rates. Changed: imports;
``optimizer.learning_rate.value`` -> ``np.float32(optimizer.learning_rate)`` (Keras's variable
is float32); ``assertLogs`` -> the printed line. Nothing left out; nothing diverges.
"""

import numpy as np
import pytest

from actloss import callbacks, layers, optimizers
from actloss.models import Sequential
from actloss.utils import to_categorical

from keras_compat._keras_models_util import get_test_data


@pytest.fixture
def setup():
    (x_train, y_train), _ = get_test_data(train_samples=10, test_samples=10, input_shape=(3,),
                                          num_classes=2)
    y_train = to_categorical(y_train)
    model = Sequential([layers.Dense(5), layers.Dense(2)])
    model.compile(loss="mse", optimizer="sgd")
    return model, x_train, y_train


def test_updates_learning_rate(setup):
    model, x_train, y_train = setup
    lr_scheduler = callbacks.LearningRateScheduler(lambda step: 1.0 / (2.0 + step), verbose=1)
    model.fit(x_train, y_train, callbacks=[lr_scheduler], epochs=1)
    assert np.float32(model.optimizer.learning_rate) == np.float32(0.5)


def test_verbose_logging(setup, capsys):
    model, x_train, y_train = setup
    lr_scheduler = callbacks.LearningRateScheduler(lambda step: 1.0 / (1.0 + step), verbose=1)
    model.fit(x_train, y_train, callbacks=[lr_scheduler], epochs=1)
    expected_log = "LearningRateScheduler setting learning rate to 1.0"
    assert any(expected_log in line for line in capsys.readouterr().out.splitlines())


def test_schedule_dependent_on_previous_learning_rate(setup):
    model, x_train, y_train = setup
    lr_scheduler = callbacks.LearningRateScheduler(lambda step, lr: lr / 2)
    initial_lr = 0.03
    model.compile(loss="mse", optimizer=optimizers.Adam(initial_lr))
    model.fit(x_train, y_train, callbacks=[lr_scheduler], epochs=2)
    assert np.float32(model.optimizer.learning_rate) == np.float32(initial_lr / 4.0)


def test_throws_when_optimizer_has_schedule(setup):
    model, x_train, y_train = setup
    lr_scheduler = callbacks.LearningRateScheduler(lambda step, lr: lr / 2)
    model.compile(loss="mse", optimizer=optimizers.Adam(
        optimizers.schedules.PolynomialDecay(initial_learning_rate=0.1, decay_steps=10)))
    with pytest.raises(TypeError, match="This optimizer was created with a `LearningRateSchedule`"):
        model.fit(x_train, y_train, callbacks=[lr_scheduler], epochs=2)


def test_learning_rate_in_history(setup):
    model, x_train, y_train = setup
    lr_scheduler = callbacks.LearningRateScheduler(lambda step, lr: 0.5)
    history = model.fit(x_train, y_train, callbacks=[lr_scheduler], epochs=1)
    assert "learning_rate" in history.history
    assert type(history.history["learning_rate"][0]) is float
    assert history.history["learning_rate"][0] == 0.5
