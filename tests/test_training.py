"""Every bad-input error of issue 4, and the compile-time checks of output layer vs loss."""

import warnings

import numpy as np
import pytest

from actloss import losses
from actloss.layers import Activation, Dense, Dropout
from actloss.models import Sequential


def _clf(units=1, act="sigmoid", loss="binary_crossentropy", **kw):
    m = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(units, activation=act)])
    m.compile(optimizer="adam", loss=loss, **kw)
    return m


@pytest.fixture
def x(rng):
    return rng.standard_normal((10, 3))


def test_fit_before_compile(x):
    m = Sequential([Dense(1, input_shape=(3,))])
    for call in (lambda: m.fit(x, x[:, 0]), lambda: m.evaluate(x, x[:, 0])):
        with pytest.raises(RuntimeError, match=r"compile\(\) before"):
            call()


def test_lengths_differ(x):
    with pytest.raises(ValueError, match="x with 10 rows and y with 9 rows"):
        _clf().fit(x, np.zeros(9), verbose=0)


def test_wrong_input_width_names_both_numbers(rng):
    with pytest.raises(ValueError, match=r"expects inputs with 3 features.*received x with 5"):
        _clf().fit(rng.standard_normal((10, 5)), np.zeros(10), verbose=0)
    with pytest.raises(ValueError, match="with 3 features"):
        _clf().predict(rng.standard_normal((2, 4)))


def test_nan_rows_counted(x):
    bad = x.copy()
    bad[[2, 5], 1] = np.nan
    bad[7, 0] = np.inf
    with pytest.raises(ValueError, match=r"x has 3 rows with NaN or inf values \(first at row 2\)"):
        _clf().fit(bad, np.zeros(10), verbose=0)
    y = np.zeros(10)
    y[4] = np.nan
    with pytest.raises(ValueError, match="1 row with NaN"):
        _clf().fit(x, y, verbose=0)


def test_labels_that_do_not_fit_the_loss(x, rng):
    labels = rng.integers(0, 3, 10)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        _clf(3, "softmax", "categorical_crossentropy").fit(x, labels, verbose=0)
    with pytest.raises(ValueError, match="3 classes.*5 output units"):
        _clf(5, "softmax", "categorical_crossentropy").fit(x, np.eye(3)[labels], verbose=0)
    with pytest.raises(ValueError, match=r"y \(shape \(10, 2\)\) does not fit the loss"):
        _clf(1, "linear", "mse").fit(x, np.zeros((10, 2)), verbose=0)
    with pytest.raises(ValueError, match="binary_crossentropy"):
        _clf().fit(x, labels * 3.0, verbose=0)
    if "sparse_categorical_crossentropy" in losses.REGISTRY:
        with pytest.raises(ValueError, match="looks one-hot"):
            _clf(3, "softmax", "sparse_categorical_crossentropy").fit(x, np.eye(3)[labels],
                                                                      verbose=0)
        with pytest.raises(ValueError, match=r"\[0, 1\].*2 output units"):
            _clf(2, "softmax", "sparse_categorical_crossentropy").fit(x, labels + 1, verbose=0)


def test_unknown_identifiers_did_you_mean():
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        _clf(optimizer="adamm") if False else Sequential([Dense(1, input_shape=(2,))]).compile(
            optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        Dense(2, activation="rleu")
    with pytest.raises(ValueError, match="Did you mean"):
        Dense(2, kernel_initializer="he_normall")
    with pytest.raises(ValueError, match="Did you mean"):
        Dense(2, kernel_regularizer="l22")
    with pytest.raises(ValueError, match="Did you mean 'accuracy'|Did you mean"):
        _clf(metrics=["acuracy"]) if False else Sequential([Dense(1, input_shape=(2,))]).compile(
            loss="mse", metrics=["binary_acuracy"])
    with pytest.raises(ValueError, match="Did you mean"):
        Sequential([Dense(1, input_shape=(2,))]).compile(loss="mean_squared_eror")


def test_compile_errors_where_training_cannot_work():
    with pytest.raises(ValueError, match="always 1.0"):
        _clf(1, "softmax", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"not probabilities.*activation='sigmoid'"):
        _clf(1, "linear", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"activation='softmax'.*from_logits=True"):
        _clf(3, "relu", "categorical_crossentropy")
    with pytest.raises(ValueError, match="cannot be minimized"):
        _clf(1, "linear", losses.get("mse", reduction="none"))
    with pytest.raises(ValueError, match="needs a loss"):
        Sequential([Dense(1, input_shape=(2,))]).compile(optimizer="sgd")


def test_compile_warnings_say_what_to_write():
    with pytest.warns(UserWarning, match="categorical_crossentropy"):
        _clf(3, "softmax", "binary_crossentropy")
    with pytest.warns(UserWarning, match="activation='softmax'"):
        _clf(3, "sigmoid", "categorical_crossentropy")
    with pytest.warns(UserWarning, match="applied twice"):
        _clf(1, "sigmoid", losses.get("binary_crossentropy", from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _clf(1, "sigmoid", "binary_crossentropy")
        _clf(3, "softmax", "categorical_crossentropy")
        _clf(1, "linear", losses.get("binary_crossentropy", from_logits=True))
        m = Sequential([Dense(3, input_shape=(2,)), Activation("softmax"), Dropout(0.1)])
        m.compile(loss="categorical_crossentropy")
        assert not m._fused  # Dropout after the softmax: no logits path, still correct


def test_output_checks_read_properties_not_names():
    """A user's activation is judged by its properties, as a built-in one."""
    from actloss.activations import Activation as Act

    def squash(x):
        return 0.5 + 0.5 * np.tanh(x)   # outputs in (0, 1), not named sigmoid

    def squash_grad(x):
        return 0.5 / np.cosh(x) ** 2

    prob = Act("squash_demo", squash, squash_grad, user=True, outputs_probabilities=True)
    plain = Act("squash_demo", squash, squash_grad, user=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = _clf(1, prob, "binary_crossentropy")
    assert not m._fused   # not declared a logits pair: trained through its probabilities
    with pytest.raises(ValueError, match="not probabilities"):
        _clf(1, plain, "binary_crossentropy")
    with pytest.warns(UserWarning, match="reads probabilities as logits"):
        _clf(1, prob, losses.get("binary_crossentropy", from_logits=True))


def test_bad_arguments(x):
    m = _clf()
    with pytest.raises(ValueError, match="epochs"):
        m.fit(x, np.zeros(10), epochs=-1)
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(x, np.zeros(10), batch_size=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(x, np.zeros(10), validation_split=1.5)
    with pytest.raises(ValueError, match="verbose"):
        m.fit(x, np.zeros(10), verbose=3)
    with pytest.raises(ValueError, match="sample_weight"):
        m.fit(x, np.zeros(10), sample_weight=np.ones(3), verbose=0)
    with pytest.raises(TypeError, match="unexpected"):
        m.fit(x, np.zeros(10), epoch=3)
    with pytest.raises(ValueError, match="no training samples"):
        m.fit(x, np.zeros(10), validation_split=0.95, verbose=0)
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)
    with pytest.raises(ValueError, match=r"Only instances of .* \(such as Dense"):
        Sequential().add("dense")
    with pytest.raises(TypeError, match="Only instances of"):  # what actloss raised before
        Sequential().add("dense")
    with pytest.raises(ValueError, match="input shape"):
        Sequential([Dense(1)]).summary() or Sequential([Dense(1)]).build()


def test_class_weight_type_error(x):
    with pytest.raises(TypeError, match="class_weight"):
        _clf().fit(x, np.zeros(10), class_weight=[1, 2], verbose=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_kernels_train_bit_identically(dtype, monkeypatch, rng):
    """Large models train with the compiled kernels (fused Adam, bias + relu forward, relu
    backward + bias gradient; Numba, when installed): bit-identical to NumPy's passes, float32
    and float64."""
    pytest.importorskip("numba")
    from actloss import _config as config
    from actloss.utils import set_random_seed
    from actloss.optimizers import Adam, _kernels

    x = rng.standard_normal((200, 256)).astype(dtype)
    x[:, :8] = 0.0  # columns of exact zeros: signed-zero products
    y = rng.integers(0, 10, 200)

    def train(numba):
        monkeypatch.setenv("ACTLOSS_NUMBA", "1" if numba else "0")
        old = config.floatx()
        config.set_floatx(dtype)
        try:
            set_random_seed(7)
            model = Sequential([Dense(512, activation="relu", input_shape=(256,)),
                                Dense(16, activation="relu"), Dense(10, activation="softmax")])
            model.compile(optimizer=Adam(1e-3), loss="sparse_categorical_crossentropy")
            assert model.count_params() >= _kernels.MIN_PARAMS
            model.fit(x, y, batch_size=64, epochs=2, verbose=0)
            assert (model.layers[0]._fast is not None) == numba
            assert model.layers[-1]._fast is None  # the output layer trains through logits
            return model.get_weights(), model.predict(x, verbose=0)
        finally:
            config.set_floatx(old)

    (wa, pa), (wb, pb) = train(True), train(False)
    for a, b in zip(wa, wb):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pa, pb)


# ------------------------------------------------------------------ Keras's training API
def test_text_class_labels_say_how_to_encode_them(x):
    labels = np.array(["cat", "dog"] * 5)
    for loss, units, act in (("binary_crossentropy", 1, "sigmoid"),
                             ("sparse_categorical_crossentropy", 2, "softmax"),
                             ("categorical_crossentropy", 2, "softmax")):
        with pytest.raises(ValueError, match=r"text class labels \('cat', 'dog'\).*np\.unique"
                                             r".*return_inverse=True.*to_categorical"):
            _clf(units, act, loss).fit(x, labels, verbose=0)
    m = Sequential([Dense(1, input_shape=(3,))])
    m.compile(loss="mse")
    with pytest.raises(ValueError, match="numeric targets"):
        m.fit(x, labels, verbose=0)


def test_to_categorical_as_keras():
    from actloss.utils import to_categorical
    out = to_categorical(np.array([[1], [0], [2]]))
    assert out.shape == (3, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(3)[[1, 0, 2]])
    assert to_categorical([0, 1], num_classes=4).shape == (2, 4)
    assert to_categorical(np.zeros((2, 3), int), 2).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="integer class labels"):
        to_categorical([0.5, 1.0])


def test_train_test_predict_on_batch(x):
    from actloss.optimizers import SGD
    y = (x[:, 0] > 0).astype(int)
    m = _clf(metrics=["accuracy"])
    m.compile(optimizer=SGD(learning_rate=0.1), loss="binary_crossentropy",
              metrics=["accuracy"])
    before = m.get_weights()
    expected = m.evaluate(x, y, verbose=0, return_dict=True)
    logs = m.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and m.optimizer.iterations == 1
    np.testing.assert_allclose(logs["loss"], expected["loss"], rtol=1e-5)  # before the update
    assert not all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    loss, acc = m.test_on_batch(x, y)
    np.testing.assert_allclose([loss, acc], m.evaluate(x, y, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(m.predict_on_batch(x), m.predict(x, verbose=0))


def test_validation_freq(x):
    y = x[:, 0]
    m = Sequential([Dense(1, input_shape=(3,))])
    m.compile(optimizer="sgd", loss="mse")
    from actloss.callbacks import Callback

    class Keys(Callback):
        seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append("val_loss" in logs)

    m.fit(x, y, epochs=6, verbose=0, validation_data=(x, y), validation_freq=2,
          callbacks=[Keys()])
    assert Keys.seen == [False, True] * 3
    Keys.seen.clear()
    m.fit(x, y, epochs=4, verbose=0, validation_split=0.3, validation_freq=[1, 4],
          callbacks=[Keys()])
    assert Keys.seen == [True, False, False, True]
    with pytest.raises(ValueError, match="validation_freq"):
        m.fit(x, y, validation_data=(x, y), validation_freq=0)


def test_history_keeps_the_epoch_where_the_loss_became_nan(rng):
    """Keras's TerminateOnNaN test: a model whose loss overflows in the first batch; History
    holds that epoch (its loss NaN or inf), not an empty dict."""
    from actloss import callbacks, initializers
    xt = rng.random((10, 3))
    yt = np.eye(2)[rng.integers(0, 2, 10)]
    m = Sequential()
    for _ in range(5):
        m.add(Dense(2, activation="relu", kernel_initializer=initializers.Constant(value=1e5)))
    m.add(Dense(2))
    m.compile(loss="mean_squared_error", optimizer="sgd")
    with pytest.warns(RuntimeWarning, match="diverged"):
        h = m.fit(xt, yt, batch_size=4, validation_data=(xt, yt),
                  callbacks=[callbacks.TerminateOnNaN()], epochs=20, verbose=0)
    loss = h.history["loss"]
    assert len(loss) == 1 and not np.isfinite(loss[0])
    assert all(len(v) == 1 for v in h.history.values()) and h.epoch == [0]


CTRL_C_SCRIPT = """
import os, signal, sys
import numpy as np
from actloss.callbacks import Callback
from actloss.layers import Dense
from actloss.models import Sequential

class Interrupt(Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.model.history.epoch == [0] and batch == 2:
            self.weights = self.model.get_weights()
            os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C, as the terminal sends it

x = np.random.default_rng(0).standard_normal((64, 3))
m = Sequential([Dense(1, input_shape=(3,))])
m.compile(optimizer="sgd", loss="mse")
cb = Interrupt()
try:
    m.fit(x, x[:, 0], epochs=5, batch_size=8, verbose=0, callbacks=[cb])
except KeyboardInterrupt:
    same = all(np.array_equal(a, b) for a, b in zip(cb.weights, m.get_weights()))
    print("interrupted", m.history.epoch, len(m.history.history["loss"]),
          m.optimizer.iterations, same)
    sys.exit(0)
print("not interrupted")
"""


def test_ctrl_c_during_fit_reraises_after_the_batch(tmp_path):
    """SIGINT from a callback in a subprocess: fit ends the current batch, keeps History and
    the weights consistent, then raises KeyboardInterrupt (Keras) instead of carrying on."""
    import os
    import subprocess
    import sys
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["interrupted", "[0]", "1", str(8 + 3), "True"]
    assert "interrupted (Ctrl-C) at epoch 2, batch 3" in out.stderr


def test_fit_ends_with_the_moving_averages_when_use_ema():
    """Keras's optimizer_test.test_ema_with_model_fit numbers: the weights are the moving
    averages after fit (0.891), not the last SGD iterate (0.81)."""
    from actloss import optimizers

    def fitted(use_ema):
        m = Sequential([Dense(2, kernel_initializer="ones", use_bias=False)])
        m.compile(loss="mse", optimizer=optimizers.SGD(learning_rate=0.1, use_ema=use_ema,
                                                       ema_momentum=0.9))
        m.fit(np.ones((1, 1), "float32"), np.zeros((1, 2), "float32"), batch_size=1, epochs=2,
              verbose=0)
        return m.get_weights()[0]

    np.testing.assert_allclose(fitted(True), [[0.891, 0.891]], atol=1e-5)
    np.testing.assert_allclose(fitted(False), [[0.81, 0.81]], atol=1e-6)


def test_label_checks_read_the_losses_target_form():
    """Target-form errors follow the loss's ``targets`` property, so a user's loss declaring
    one-hot targets gets the same message as categorical cross-entropy."""
    from actloss.losses import Loss

    def kernel(t, p):
        return np.add.reduce((p - t) ** 2, axis=-1), 2 * (p - t)

    onehot = Loss("onehot_demo", kernel, validate=lambda t, p: (np.asarray(t, p.dtype), p),
                  elementwise=False, task="multiclass", targets="one_hot")
    x = np.zeros((4, 3), np.float32)
    for loss in (onehot, "categorical_crossentropy", "categorical_hinge"):
        m = Sequential([Dense(3, input_dim=3, activation="softmax")])
        m.compile(optimizer="sgd", loss=loss)
        with pytest.raises(ValueError, match="expects one-hot targets of shape"):
            m.fit(x, np.array([0, 1, 2, 1]), verbose=0)
    m = Sequential([Dense(3, input_dim=3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="looks one-hot"):
        m.fit(x, np.eye(3)[[0, 1, 2, 1]], verbose=0)
