"""Sequential: the tutorials, gradients of whole models, the fused output path, fit options."""

import io
import os
import runpy
import signal
import sys
import warnings

import numpy as np
import pytest

import actloss
from actloss import activations, losses
from actloss.layers import Activation, Dense, Dropout, Flatten, Input
from actloss.models import Sequential
from actloss.optimizers import SGD, Adam
from actloss.regularizers import l1, l1_l2, l2
from actloss.utils import set_random_seed

from _model_util import flat_grads, floatx, model_gradcheck

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


@pytest.mark.parametrize("script", ["tutorial_binary.py", "tutorial_regression.py"])
def test_tutorial_scripts_run_unchanged_and_train(script, capsys):
    """The two Keras tutorial scripts of issue 4, exactly as written (only the imports changed),
    live in examples/; run them and check that the loss went down."""
    scope = runpy.run_path(os.path.join(EXAMPLES, script), run_name="__main__")
    loss = scope["model"].history.history["loss"]
    assert len(loss) == 10 and loss[-1] < loss[0]
    assert "Epoch 10/10" in capsys.readouterr().out
    if script == "tutorial_binary.py":
        assert set(scope["model"].history.history) == {"loss", "accuracy"}


# ---------------------------------------------------------------- gradients of whole models
def _data(rng, n=7, d=4, k=3):
    return rng.standard_normal((n, d)), rng.uniform(0.2, 2.0, n)


def _safe_names():
    return sorted({obj.name for obj in activations.REGISTRY})


@pytest.mark.parametrize("act", _safe_names())
def test_gradcheck_every_activation(act, rng):
    with floatx("float64"):
        set_random_seed(3)
        x, w = _data(rng)
        model = Sequential([Dense(5, activation=act, input_shape=(4,),
                                  kernel_regularizer=l2(0.01), bias_initializer="random_normal"),
                            Activation(act), Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        y = rng.standard_normal((7, 2))
        coord, direction = model_gradcheck(model, x, y, w, rng=rng)
    assert coord < 1e-6 and direction < 1e-6, (act, coord, direction)


LOSS_CASES = [
    ("sigmoid", "binary_crossentropy", "binary"),
    ("softmax", "categorical_crossentropy", "onehot"),
    ("linear", "mse", "real"),
    ("tanh", "mse", "real"),
    ("sigmoid", "mse", "unit"),
]
for _name, _act, _kind in [("sparse_categorical_crossentropy", "softmax", "labels"),
                           ("mae", "linear", "real"), ("huber", "linear", "real"),
                           ("log_cosh", "linear", "real")]:
    if _name in losses.REGISTRY:
        LOSS_CASES.append((_act, _name, _kind))


def _targets(kind, rng, n, k):
    if kind == "binary":
        return rng.integers(0, 2, (n, k)).astype(float)
    if kind == "onehot":
        return np.eye(k)[rng.integers(0, k, n)]
    if kind == "labels":
        return rng.integers(0, k, n)
    if kind == "unit":
        return rng.uniform(0, 1, (n, k))
    return rng.standard_normal((n, k))


@pytest.mark.parametrize("act,loss,kind", LOSS_CASES)
def test_gradcheck_losses_with_regularizers_and_weights(act, loss, kind, rng):
    with floatx("float64"):
        set_random_seed(4)
        x, w = _data(rng)
        model = Sequential([Input(shape=(4,)),
                            Dense(6, activation="tanh", kernel_regularizer=l1_l2(0.01, 0.02),
                                  bias_regularizer=l2(0.03)),
                            Dropout(0.3), Dense(5, activation="relu", kernel_regularizer=l1(0.01)),
                            Dense(3, activation=act)])
        model.compile(optimizer="adam", loss=loss)
        coord, direction = model_gradcheck(model, x, _targets(kind, rng, 7, 3), w, rng=rng)
    assert coord < 1e-6 and direction < 1e-6, (loss, coord, direction)


def test_gradcheck_largest_model(rng):
    """The largest model checked: 4 Dense layers, Flatten, Dropout, regularizers, weights."""
    with floatx("float64"):
        set_random_seed(5)
        x = rng.standard_normal((12, 2, 5))
        y = np.eye(4)[rng.integers(0, 4, 12)]
        model = Sequential([Flatten(input_shape=(2, 5)), Dense(16, activation="relu"),
                            Dense(16, activation="tanh", kernel_regularizer="l2"), Dropout(0.5),
                            Dense(8, activation="sigmoid"), Dense(4, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        coord, direction = model_gradcheck(model, x, y, rng.uniform(0.5, 1.5, 12), rng=rng,
                                           max_coords=200)
    print(f"largest model gradcheck ({model.count_params()} params): "
          f"coordinate {coord:.2e}, direction {direction:.2e}")
    assert coord < 1e-7 and direction < 1e-7


@pytest.mark.parametrize("act,loss,kind", [("sigmoid", "binary_crossentropy", "binary"),
                                           ("softmax", "categorical_crossentropy", "onehot")])
def test_fused_training_step_is_p_minus_y(act, loss, kind, rng):
    """One SGD(lr=1) step on the whole batch moves the weights by exactly minus the gradient of
    the unfused chain rule; the output pre-activation gradient is (p - y) / n."""
    with floatx("float64"):
        set_random_seed(6)
        x = rng.standard_normal((9, 3))
        y = _targets(kind, rng, 9, 2)
        model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2, activation=act)])
        model.compile(optimizer=SGD(learning_rate=1.0), loss=loss)
        assert model._fused
        tr = model.trace(x, y)
        p = model.predict(x)
        d = 2 if loss == "binary_crossentropy" else 1
        # the recorded pre-activation is x W + b of the last layer, from the weights alone
        k0, b0, k1, b1 = model.get_weights()
        np.testing.assert_allclose(tr.pre_activations[-1],
                                   np.maximum(x @ k0 + b0, 0) @ k1 + b1, rtol=1e-12)
        # unfused reference: dL/dp from the loss, then the activation's vjp
        dl_dp = losses.get(loss).grad(y, p)
        dz = activations.get(act).vjp(tr.pre_activations[-1], dl_dp)
        np.testing.assert_allclose(dz, (p - y) / 9 / d, atol=1e-12)
        np.testing.assert_allclose(tr.output_grads[-1], dl_dp, rtol=1e-10)
        before = model._params.copy()
        model.fit(x, y, batch_size=9, epochs=1, shuffle=False, verbose=0)
        np.testing.assert_allclose(before - model._params, flat_grads(tr), atol=1e-12)
        w = rng.uniform(0.1, 3.0, 9)  # the same with sample weights
        tr = model.trace(x, y, sample_weight=w)
        before = model._params.copy()
        model.fit(x, y, batch_size=9, epochs=1, shuffle=False, verbose=0, sample_weight=w)
        np.testing.assert_allclose(before - model._params, flat_grads(tr), atol=1e-12)


def test_fused_outputs_and_reported_loss_unchanged(rng):
    set_random_seed(7)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    onehot = np.eye(3)[y]
    p = model.predict(x)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    assert np.all(p > 0)
    reported = model.evaluate(x, onehot, verbose=0)
    direct = float(losses.categorical_crossentropy(onehot, p.astype(np.float64)))
    assert reported == pytest.approx(direct, rel=1e-5)


# ---------------------------------------------------------------- trace (the lab's contract)
def test_trace_contract(rng):
    set_random_seed(8)
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dropout(0.2),
                        Dense(2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = rng.integers(0, 2, (5, 2))
    t0 = model.trace(x)
    assert len(t0.outputs) == 3 and t0.pre_activations[1] is None
    np.testing.assert_allclose(np.tanh(t0.pre_activations[0]), t0.outputs[0], rtol=1e-6)
    np.testing.assert_allclose(t0.outputs[-1], model.predict(x), rtol=1e-6)
    opt_state = model.optimizer.iterations
    t = model.trace(x, y)
    assert isinstance(t.loss, float)
    assert t.loss == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
    assert [len(g) for g in t.weight_grads] == [2, 0, 2]
    assert [g.shape for g in t.weight_grads[0]] == [w.shape for w in model.layers[0].get_weights()]
    assert t.output_grads[0].shape == (5, 4)
    assert model.optimizer.iterations == opt_state
    layer = model.layers[0]
    assert layer.units == 4 and layer.activation.name == "tanh"
    assert layer.kernel.shape == (3, 4) and layer.bias.shape == (4,)


# ---------------------------------------------------------------- fit options
def test_validation_split_takes_the_end(rng):
    set_random_seed(9)
    x = np.arange(20, dtype=float).reshape(10, 2)
    y = np.arange(10, dtype=float)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0, shuffle=False)
    model2 = Sequential([Dense(1, input_shape=(2,))])
    model2.compile(optimizer="sgd", loss="mse")
    model2.set_weights([w for w in model.get_weights()])
    expected = model.evaluate(x[8:], y[8:], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    assert h.params["steps"] == 1


def test_sample_and_class_weight_change_the_gradient(rng):
    x = rng.standard_normal((6, 2)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 1, 0])

    def grads(**kw):
        set_random_seed(10)
        m = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
        m.compile(optimizer=SGD(1.0), loss="binary_crossentropy")
        before = m._params.copy()
        m.fit(x, y, batch_size=6, epochs=1, verbose=0, **kw)
        return before - m._params

    sw = np.array([1, 2, 1, 2, 2, 1.0])
    np.testing.assert_allclose(grads(class_weight={0: 1.0, 1: 2.0}), grads(sample_weight=sw),
                               rtol=1e-6)
    assert not np.allclose(grads(), grads(sample_weight=sw))


def test_set_random_seed_bit_identical():
    def run():
        set_random_seed(11)
        x = np.random.rand(50, 4)
        y = np.random.randint(0, 2, 50)
        m = Sequential([Dense(6, activation="relu", input_shape=(4,)), Dropout(0.3),
                        Dense(1, activation="sigmoid")])
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        h = m.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return m.get_weights(), h.history
    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_float32_default_and_float64_on_request(rng):
    x = rng.standard_normal((8, 3))
    m = Sequential([Dense(2, input_shape=(3,))])
    m.compile(loss="mse")
    assert m.predict(x).dtype == np.float32 and m.layers[0].kernel.dtype == np.float32
    with floatx("float64"):
        m64 = Sequential([Dense(2, input_shape=(3,))])
        m64.compile(loss="mse")
        m64.fit(x, x[:, :2], verbose=0)
        assert m64.predict(x).dtype == np.float64


def test_batch_sizes_and_partial_last_batch(rng):
    x = rng.standard_normal((10, 3))
    y = rng.standard_normal(10)
    for bs, steps in ((10, 1), (1, 10), (4, 3), (100, 1)):
        m = Sequential([Dense(2, activation="relu", input_shape=(3,)), Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        h = m.fit(x, y, batch_size=bs, epochs=2, verbose=0)
        assert h.params["steps"] == steps and len(h.history["loss"]) == 2


def test_memmap_and_generator_inputs(tmp_path, rng):
    x = rng.standard_normal((50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=x.shape)
    mm[:] = x
    mm.flush()
    ro = np.memmap(path, dtype=np.float64, mode="r", shape=x.shape)

    def make():
        set_random_seed(12)
        m = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1, activation="sigmoid")])
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return m
    a, b = make(), make()
    ha = a.fit(x, y, epochs=2, batch_size=8, verbose=0)
    hb = b.fit(ro, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    # a memmap's batches gather x, the targets and the weights by the same permutation
    w = rng.uniform(0.5, 2, 50)
    a, b = make(), make()
    ha = a.fit(x, y, sample_weight=w, epochs=2, batch_size=8, verbose=0)
    hb = b.fit(ro, y, sample_weight=w, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(ha.history["accuracy"], hb.history["accuracy"], rtol=1e-6)

    def batches():
        for i in range(0, 50, 10):
            yield x[i:i + 10], y[i:i + 10]
    c = make()
    hc = c.fit(batches(), epochs=1, verbose=0)
    assert len(hc.history["loss"]) == 1
    d = make()
    hd = d.fit([(x[:25], y[:25]), (x[25:], y[25:])], epochs=3, verbose=0)
    assert len(hd.history["loss"]) == 3

    def forever():
        while True:
            yield x[:10], y[:10], np.ones(10)
    e = make()
    he = e.fit(forever(), steps_per_epoch=3, epochs=2, verbose=0, validation_data=(x, y))
    assert e.optimizer.iterations == 6 and "val_accuracy" in he.history


def test_divergence_stops_with_last_finite_weights(rng):
    x = rng.standard_normal((64, 3)).astype(np.float32) * 1e3
    y = rng.standard_normal(64).astype(np.float32) * 1e3
    m = Sequential([Dense(16, activation="relu", input_shape=(3,)), Dense(1)])
    m.compile(optimizer=SGD(learning_rate=1e6), loss="mse")
    with pytest.warns(RuntimeWarning, match=r"epoch \d+/50, batch \d+"):
        h = m.fit(x, y, epochs=50, batch_size=16, verbose=0)
    assert all(np.all(np.isfinite(w)) for w in m.get_weights())
    assert len(h.history.get("loss", [])) < 50


def test_ctrl_c_stops_at_end_of_batch(rng, capsys):
    from actloss.callbacks import Callback

    class Interrupt(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1 and len(self.model.history.epoch) == 1:
                os.kill(os.getpid(), signal.SIGINT)

    x = rng.standard_normal((40, 3))
    m = Sequential([Dense(1, input_shape=(3,))])
    m.compile(optimizer="sgd", loss="mse")
    before = signal.getsignal(signal.SIGINT)   # SIG_IGN in a job started in the background
    with pytest.raises(KeyboardInterrupt):  # re-raised after the batch, as Keras
        m.fit(x, x[:, 0], epochs=5, batch_size=10, verbose=0, callbacks=[Interrupt()])
    h = m.history
    assert h.epoch == [0] and len(h.history["loss"]) == 1
    assert m.optimizer.iterations == 4 + 2
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before   # fit put the caller's handler back


def test_frozen_layer_keeps_its_weights_even_with_trace_during_fit(rng):
    from actloss.callbacks import Callback
    x, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)

    class Diagnose(Callback):  # the lab's per-epoch diagnostics call trace inside fit
        def on_epoch_end(self, epoch, logs=None):
            self.model.trace(x, y)
            assert self.model._engine.kernel is not None

    m = Sequential([Dense(4, activation="relu", input_shape=(3,), trainable=False),
                    Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy")
    k0, k1 = m.layers[0].get_weights(), m.layers[1].get_weights()
    m.fit(x, y, epochs=2, verbose=0, callbacks=[Diagnose()])
    assert all(np.array_equal(a, b) for a, b in zip(k0, m.layers[0].get_weights()))
    assert not np.array_equal(k1[0], m.layers[1].get_weights()[0])


def test_summary_and_weights_api(capsys):
    m = Sequential([Input(shape=(10,)), Dense(64, activation="relu"), Dense(1, "sigmoid")])
    m.summary()
    out = capsys.readouterr().out
    assert "Total params: 769" in out and "dense" in out
    weights = m.get_weights()
    assert [w.shape for w in weights] == [(10, 64), (64,), (64, 1), (1,)]
    m.set_weights([np.ones_like(w) for w in weights])
    assert np.all(m.layers[0].kernel == 1)
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    assert m.layers[1].logits_output
    m.add(Dense(1, activation="sigmoid"))  # after compile: the output checks are redone
    assert np.all(m.layers[0].kernel == 1) and m.count_params() == 769 + 2
    assert not m.layers[1].logits_output and m.layers[2].logits_output


def test_dropout_only_in_training(rng):
    set_random_seed(13)
    m = Sequential([Dropout(0.5, input_shape=(1000,))])
    m.compile(loss="mse")
    x = np.ones((4, 1000), np.float32)
    np.testing.assert_array_equal(m.predict(x), x)
    ws = m._engine.workspace(4)
    y = m.layers[0].forward(x, ws[0], True)
    assert set(np.unique(y)) == {0.0, 2.0} and abs(y.mean() - 1) < 0.1
    g = np.ones_like(x)
    np.testing.assert_array_equal(m.layers[0].backward(g, ws[0], True), y)


def test_digits_example_reaches_95_percent(capsys):
    pytest.importorskip("sklearn", reason="the digits example needs the 'data' extra")
    sys.path.insert(0, EXAMPLES)
    try:
        import digits
        accuracy = digits.main(seed=0, verbose=0)
    finally:
        sys.path.remove(EXAMPLES)
    print(f"digits test accuracy {accuracy:.4f}")
    assert accuracy >= 0.95


def test_summary_counts_frozen_weights_as_non_trainable(capsys):
    m = Sequential([Input(shape=(10,)), Dense(64, activation="relu", trainable=False),
                    Dense(1, "sigmoid")])
    m.summary()
    out = capsys.readouterr().out
    assert "Total params: 769" in out
    assert "Trainable params: 65" in out and "Non-trainable params: 704" in out
    assert [w.shape for w in m.non_trainable_weights] == [(10, 64), (64,)]
    assert [w.shape for w in m.trainable_weights] == [(64, 1), (1,)]


def _relative_imports(path):
    """Every ``from . import x`` / ``from ._x import ...`` of a module, function level too."""
    import ast
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_models_package_has_no_import_circle():
    """models/_sequential -> _training -> _saving -> _sequential was a circle (through
    function-level imports); the modules of actloss.models must import one way only."""
    import pathlib
    import actloss.models as pkg
    folder = pathlib.Path(pkg.__file__).parent
    graph = {p.stem: _relative_imports(p) for p in folder.glob("_*.py")}
    graph = {k: {v for v in vs if v in graph and v != k} for k, vs in graph.items()}
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", f"import circle: {' -> '.join(stack + [nxt])}"
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_no_private_module_of_another_package_is_imported():
    """``from ..optimizers import _kernels`` (models) and ``from ..experiments._cell import``
    (cli) reached into another package's private modules."""
    import ast
    import pathlib
    root = pathlib.Path(actloss.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                parts = node.module.split(".")
                if len(parts) >= 2 and parts[1].startswith("_"):
                    bad.append(f"{path.relative_to(root)}: from {'.' * node.level}{node.module}")
                if len(parts) == 1 and not parts[0].startswith("_") and any(
                        a.name.startswith("_") for a in node.names):
                    bad.append(f"{path.relative_to(root)}: from {'.' * node.level}{node.module} "
                               f"import {[a.name for a in node.names]}")
    mine = [b for b in bad if b.startswith(("models", "cli/demo", "layers", "callbacks"))]
    assert mine == []


@pytest.mark.parametrize("batch_size", [64, 16])
def test_overflowing_update_keeps_the_last_finite_weights(batch_size, rng):
    """SGD(learning_rate=1e38) in float32: the first update overflows to inf. The weights after
    fit are exactly those before that update (checked after every update, also when it is the
    last batch of the last epoch: batch_size=64 gives one batch), and the warning says so."""
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 3.0], np.float32) * 10).astype(np.float32)
    m = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(1)])
    m.compile(optimizer=SGD(learning_rate=1e38), loss="mse")
    before = m.get_weights()
    with pytest.warns(RuntimeWarning, match=r"last finite weights.*") as record:
        h = m.fit(x, y, epochs=1, batch_size=batch_size, shuffle=False, verbose=0)
    assert "epoch 1/1, batch 1" in str(record[0].message)
    after = m.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert len(h.history["loss"]) == 1  # the epoch run is recorded (Keras keeps it too)


def test_overflow_on_a_later_batch_restores_that_batch_only(rng):
    from actloss.callbacks import Callback
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x[:, 0] * 1e3).astype(np.float32)
    m = Sequential([Dense(1, input_shape=(3,))])
    m.compile(optimizer=SGD(learning_rate=1.0), loss="mse")

    class BlowUpAtBatch2(Callback):  # finite updates, then one that overflows
        seen = []

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append(self.model.get_weights())
            if batch == 1:
                self.model.optimizer.learning_rate = 1e38

    cb = BlowUpAtBatch2()
    with pytest.warns(RuntimeWarning, match=r"batch 3\b"):
        m.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0, callbacks=[cb])
    after = m.get_weights()
    assert len(cb.seen) == 3 and all(np.all(np.isfinite(w)) for w in after)
    assert all(np.array_equal(a, b) for a, b in zip(cb.seen[1], after))  # from before batch 3


def test_pickled_model_trains_on(rng):
    """Keras models pickle; an unpickled actloss model has its weights as views into a new flat
    vector again, is compiled again, and predicts exactly as before."""
    import pickle
    x, y = rng.standard_normal((8, 2)), rng.integers(0, 2, 8)
    m = Sequential([Dense(3, activation="relu", input_shape=(2,)), Dense(1, "sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    m.fit(x, y, verbose=0)
    again = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(again.predict(x), m.predict(x))
    assert np.shares_memory(again.layers[0].kernel, again._params) and again._fused
    assert again.fit(x, y, verbose=0).history["accuracy"]
