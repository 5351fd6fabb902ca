"""Callbacks: EarlyStopping, ModelCheckpoint, schedulers, CSVLogger, TerminateOnNaN, progress."""

import csv
import io
import re
import sys

import numpy as np
import pytest

from actloss import callbacks as C
from actloss.layers import Dense
from actloss.models import Sequential, load_model
from actloss.optimizers import SGD
from actloss.utils import set_random_seed


def _model(lr=0.05):
    set_random_seed(31)
    m = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])
    m.compile(optimizer=SGD(learning_rate=lr), loss="mse", metrics=["mae"])
    return m


@pytest.fixture
def xy(rng):
    x = rng.standard_normal((40, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(40)


class Scripted(C.Callback):
    """Overwrites the monitored value with a scripted sequence (the loss really is logged)."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def test_early_stopping_patience_and_restore(xy):
    m = _model()
    seen = []

    class Snap(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.model.get_weights())
    values = [5, 3, 4, 4, 4, 4, 4, 4, 4, 4]
    es = C.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    h = m.fit(*xy, epochs=10, verbose=0, callbacks=[Scripted(values), Snap(), es])
    assert h.epoch == [0, 1, 2, 3] and es.stopped_epoch == 3 and es.best == 3
    for a, b in zip(m.get_weights(), seen[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_min_delta_and_mode(xy):
    es = C.EarlyStopping(monitor="val_loss", min_delta=0.5, patience=1)
    h = _model().fit(*xy, epochs=10, verbose=0, callbacks=[Scripted([5, 4.8, 4.6, 1, 1]), es])
    assert len(h.epoch) == 2  # 4.8 is not an improvement of more than 0.5
    es = C.EarlyStopping(monitor="val_accuracy", patience=1)
    m = _model()
    m.compile(optimizer="sgd", loss="mse", metrics=["mae", "accuracy"])
    h = m.fit(*xy, epochs=10, verbose=0,
              callbacks=[Scripted([0.5, 0.6, 0.55, 0.5], "val_accuracy"), es])
    assert len(h.epoch) == 3 and es.monitor_op is np.greater  # accuracy: larger is better
    es = C.EarlyStopping(monitor="mae", patience=1)
    m.fit(*xy, epochs=1, verbose=0, callbacks=[es])
    assert es.monitor_op is np.less
    with pytest.raises(ValueError, match="maximized or minimized"):  # Keras: unknown name
        m.fit(*xy, epochs=1, verbose=0, callbacks=[C.EarlyStopping(monitor="unknown")])


def test_early_stopping_missing_monitor_warns(xy):
    with pytest.warns(RuntimeWarning, match="val_loss"):
        _model().fit(*xy, epochs=1, verbose=0, callbacks=[C.EarlyStopping()])


def test_model_checkpoint_best_only(tmp_path, xy):
    path = str(tmp_path / "best.actloss")
    saves = []

    class Spy(C.ModelCheckpoint):
        def on_epoch_end(self, epoch, logs=None):
            before = len(saves)
            m = self.model
            orig = m.save
            m.save = lambda p: (saves.append(epoch), orig(p))
            super().on_epoch_end(epoch, logs)
            m.save = orig
            assert len(saves) in (before, before + 1)
    ck = Spy(path, monitor="val_loss", save_best_only=True)
    m = _model()
    m.fit(*xy, epochs=5, verbose=0, callbacks=[Scripted([3, 2, 2.5, 1, 4]), ck])
    assert saves == [0, 1, 3]
    loaded = load_model(path)
    assert loaded.optimizer.iterations == 4 * 2  # saved after epoch 4 (2 batches/epoch)
    every = tmp_path / "m-{epoch:02d}.actloss"
    _model().fit(*xy, epochs=2, verbose=0, callbacks=[C.ModelCheckpoint(str(every), monitor="loss")])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("m-")) == \
        ["m-01.actloss", "m-02.actloss"]


def test_learning_rate_scheduler_and_reduce_on_plateau(xy):
    m = _model()
    h = m.fit(*xy, epochs=3, verbose=0,
              callbacks=[C.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    m = _model(lr=1.0)
    rl = C.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, cooldown=1, min_lr=0.1)
    h = m.fit(*xy, epochs=8, verbose=0, callbacks=[Scripted([1] * 8), rl])
    # Keras: reduce after 2 flat epochs, 1 epoch of cooldown, then count again
    assert h.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=2)


def test_csv_logger(tmp_path, xy):
    path = tmp_path / "log.csv"
    _model().fit(*xy, epochs=3, verbose=0, callbacks=[C.CSVLogger(path)])
    rows = list(csv.reader(path.read_text().splitlines()))
    # Keras's columns: val_ ones from the first row, "NA" without validation data
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"] and len(rows) == 4
    assert rows[1][3:] == ["NA", "NA"]
    _model().fit(*xy, epochs=2, verbose=0, callbacks=[C.CSVLogger(path, append=True)])
    assert len(path.read_text().splitlines()) == 6


def test_terminate_on_nan(xy, capsys):
    class Poison(C.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                logs["loss"] = float("nan")
    h = _model().fit(*xy, epochs=5, batch_size=10, verbose=0,
                     callbacks=[Poison(), C.TerminateOnNaN()])
    assert len(h.epoch) == 1 and "Invalid loss" in capsys.readouterr().err


def test_custom_callback_hooks_order(xy):
    calls = []

    class Rec(C.Callback):
        def on_train_begin(self, logs=None): calls.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): calls.append(f"epoch_begin{epoch}")
        def on_train_batch_end(self, batch, logs=None): calls.append(f"batch{batch}")
        def on_epoch_end(self, epoch, logs=None): calls.append(f"epoch_end{epoch}:{sorted(logs)}")
        def on_train_end(self, logs=None): calls.append("train_end")
    _model().fit(*xy, epochs=1, batch_size=20, verbose=0, validation_split=0.5, callbacks=[Rec()])
    assert calls == ["train_begin", "epoch_begin0", "batch0",
                     "epoch_end0:['loss', 'mae', 'val_loss', 'val_mae']", "train_end"]


def test_progress_verbose_modes(xy, capsys, monkeypatch):
    _model().fit(*xy, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "2/2 - " in out and "loss: " in out and "mae: " in out
    _model().fit(*xy, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    _model().fit(*xy, epochs=1, verbose=1)  # not a terminal: the final line, plain text
    out = capsys.readouterr().out
    assert re.search(r"^2/2 ━{20} \d+s \d+[mu]?s/step - loss: \d\.\d{4} - mae: \d\.\d{4}$",
                     out, re.M), out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    _model().fit(*xy, epochs=1)  # 'auto' -> 2 when not a terminal
    assert re.search(r"2/2 - \d+s - \d+[mu]?s/step - loss: ", capsys.readouterr().out)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _long_logs():
    return {"loss": 0.08, "accuracy": 0.97, "val_loss": 0.1234, "val_accuracy": 0.95,
            "precision": 0.9, "val_precision": 0.875}


def test_progbar_keras_layout_wraps_at_80_columns_without_cutting():
    """Keras's layout; a line longer than 80 columns continues on an indented second line,
    broken between two metrics, each metric whole."""
    pytest.importorskip("rich", reason="the 'progress' extra draws with rich")
    from actloss.callbacks import Progbar
    stream = _Terminal()
    bar = Progbar(12, verbose=1, stream=stream, width=80)
    bar.update(6, _long_logs())
    bar.update(12, _long_logs(), final=True)
    last_draw = stream.getvalue().split("\x1b[2K")[-1]  # after rich's last erase-line code
    final = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", last_draw).rstrip("\n").split("\n")
    assert re.match(r"12/12 ━{20} \d+s \d+[mu]?s/step - ", final[0]), final[0]
    assert re.search(r"\d+[mu]?s/step - accuracy: 0\.9700 - loss: 0\.0800", final[0]), final[0]
    joined = " - ".join(line.strip() for line in final)
    for key, value in sorted(_long_logs().items()):
        assert f"{key}: {value:.4f}" in joined
    assert all(len(line) <= 80 for line in final)
    assert final[1].startswith("    ") and len(final) >= 2


def test_progbar_plain_text_without_rich(monkeypatch):
    from actloss.callbacks import Progbar
    monkeypatch.setitem(sys.modules, "rich.console", None)  # the progress extra missing
    stream = _Terminal()
    bar = Progbar(12, verbose=1, stream=stream, width=80)
    bar.update(3, _long_logs())
    bar.update(12, _long_logs(), final=True)
    out = stream.getvalue()
    assert "\x1b" not in out and out.startswith("\r 3/12 ━━━━━" + "─" * 15)
    last = out.split("\r")[-1].rstrip("\n").split("\n")
    assert last[0].startswith("12/12 " + "━" * 20) and all(len(line) <= 80 for line in last)
    assert "val_precision: 0.8750" in last[-1]


@pytest.mark.parametrize("verbose", [1, 2])
def test_evaluate_and_predict_show_progress(xy, capsys, verbose):
    m = _model()
    m.evaluate(*xy, verbose=verbose)
    out = capsys.readouterr().out
    assert re.search(r"2/2 .*\d+s.* - loss: \d+\.\d{4} - mae: ", out), out  # 40 rows / 32
    m.predict(xy[0], verbose=verbose)
    assert "2/2" in capsys.readouterr().out
    m.evaluate(*xy, verbose=0)
    m.predict(xy[0], verbose=0)
    assert capsys.readouterr().out == ""


def test_early_stopping_restores_best_weights_without_stopping_early(xy):
    """Keras 3: restore_best_weights=True restores the best epoch's weights at the end of
    training, also when patience never ran out."""
    seen = []

    class Record(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.model.get_weights())

    es = C.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    m = _model()
    h = m.fit(*xy, epochs=4, verbose=0,
              callbacks=[Scripted([3.0, 1.0, 2.0, 2.5]), Record(), es])
    assert len(h.epoch) == 4 and es.stopped_epoch == 0 and es.best_epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), seen[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(seen[3], seen[1]))


def test_terminate_on_nan_raise_error(xy):
    from actloss.optimizers import SGD

    class Track(C.Callback):
        ended = False

        def on_train_end(self, logs=None):
            Track.ended = True

    m = _model()
    m.compile(optimizer=SGD(learning_rate=1e30), loss="mse")
    with pytest.warns(RuntimeWarning, match="diverged"):
        with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch"):
            m.fit(*xy, epochs=3, batch_size=8, verbose=0,
                  callbacks=[Track(), C.TerminateOnNaN(raise_error=True)])
    assert not Track.ended  # Keras: no on_train_end after the error
    with pytest.warns(RuntimeWarning, match="diverged"):
        h = m.fit(*xy, epochs=3, batch_size=8, verbose=0,
                  callbacks=[Track(), C.TerminateOnNaN(raise_error=False)])
    assert Track.ended and len(h.epoch) == 1


@pytest.mark.parametrize("make", [lambda: C.ReduceLROnPlateau(monitor="loss", patience=1),
                                  lambda: C.LearningRateScheduler(lambda e, lr: lr / 2)])
def test_lr_callbacks_refuse_a_schedule(xy, make):
    from actloss.optimizers import Adam, schedules
    m = _model()
    m.compile(optimizer=Adam(schedules.ExponentialDecay(0.1, 10, 0.5)), loss="mse")
    with pytest.raises(TypeError, match="created with a `LearningRateSchedule`"):
        m.fit(*xy, epochs=2, verbose=0, callbacks=[make()])


@pytest.mark.parametrize("output, loss", [("softmax", "categorical_crossentropy"),
                                          ("sigmoid", "binary_crossentropy"), ("linear", "mse")])
def test_validation_outputs_are_what_predict_gives_before_epoch_end(rng, output, loss):
    """actloss's on_validation_outputs: fit's own validation pass hands over its predictions,
    bit for bit what model.predict returns for the same weights (at a fused softmax/sigmoid
    output too, where the pass works on logits), before on_epoch_end."""
    units = 3 if output == "softmax" else 1
    x, xv = rng.standard_normal((50, 4)), rng.standard_normal((37, 4))
    y = np.eye(3)[rng.integers(0, 3, 50)] if units == 3 else rng.integers(0, 2, (50, 1)) * 1.0
    yv = np.eye(3)[rng.integers(0, 3, 37)] if units == 3 else rng.integers(0, 2, (37, 1)) * 1.0
    set_random_seed(5)
    m = Sequential([Dense(6, activation="tanh", input_shape=(4,)), Dense(units, activation=output)])
    m.compile(optimizer="adam", loss=loss)
    seen = []

    class Watch(C.Callback):
        def on_validation_outputs(self, epoch, y_pred):
            seen.append(("outputs", epoch, y_pred.copy(), m.predict(xv, verbose=0)))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("end", epoch))

    m.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(xv, yv),
          callbacks=[C.Callback(), Watch()])
    assert [s[:2] for s in seen] == [(k, e) for e in range(3) for k in ("outputs", "end")]
    for _, _, given, predicted in seen[::2]:
        assert given.shape == predicted.shape == (37, units) and given.dtype == predicted.dtype
        np.testing.assert_array_equal(given, predicted)
