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
