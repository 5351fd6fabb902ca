"""Each optimizer's first three steps against its published update rule (Keras 3 forms),
computed by hand with Python floats; clipping, weight decay, schedules, identifiers."""

import math

import numpy as np
import pytest

from actloss import optimizers
from actloss.optimizers import SGD, Adagrad, Adam, AdamW, Nadam, RMSprop, schedules

W0 = [0.5, -1.5, 2.0]
GRADS = [[0.1, -0.2, 0.3], [0.4, 0.1, -0.5], [-0.3, 0.2, 0.05]]


def run(opt, w0=W0, grads=GRADS):
    w = np.array(w0, dtype=np.float64)
    opt.build(w.size, np.float64, [w.size])
    out = []
    for g in grads:
        opt.apply(w, np.array(g, dtype=np.float64))
        out.append(w.copy())
    return out


def by_hand(step_fn, state_init):
    """Apply ``step_fn(w, g, state, t) -> w`` coordinate-wise with Python floats."""
    out, ws = [], list(W0)
    states = [dict(state_init) for _ in W0]
    for t, g in enumerate(GRADS, start=1):
        ws = [step_fn(w, gi, s, t) for w, gi, s in zip(ws, g, states)]
        out.append(list(ws))
    return out


def sgd_rule(lr, mom=0.0, nesterov=False):
    def step(w, g, s, t):
        if not mom:
            return w - lr * g
        s["m"] = mom * s["m"] - lr * g
        return w + (mom * s["m"] - lr * g if nesterov else s["m"])
    return step, {"m": 0.0}


def rmsprop_rule(lr, rho=0.9, mom=0.0, eps=1e-7, centered=False):
    def step(w, g, s, t):
        s["v"] = rho * s["v"] + (1 - rho) * g * g
        den = s["v"] + eps
        if centered:
            s["a"] = rho * s["a"] + (1 - rho) * g
            den = s["v"] - s["a"] ** 2 + eps
        inc = lr * g / math.sqrt(den)
        if mom:
            s["m"] = mom * s["m"] + inc
            return w - s["m"]
        return w - inc
    return step, {"v": 0.0, "a": 0.0, "m": 0.0}


def adagrad_rule(lr, init=0.1, eps=1e-7):
    def step(w, g, s, t):
        s["a"] += g * g
        return w - lr * g / math.sqrt(s["a"] + eps)
    return step, {"a": init}


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    def step(w, g, s, t):
        if wd:
            w = w - w * wd * lr
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        s["vh"] = max(s["vh"], s["v"])
        v = s["vh"] if amsgrad else s["v"]
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - alpha * s["m"] / (math.sqrt(v) + eps)
    return step, {"m": 0.0, "v": 0.0, "vh": 0.0}


def nadam_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    prod = {"p": 1.0, "t": 0}

    def step(w, g, s, t):
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        if prod["t"] != t:  # the product advances once per step, shared by all coordinates
            prod["p"] *= u_t
            prod["t"] = t
        p_t, p_t1 = prod["p"], prod["p"] * u_t1
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = u_t1 * s["m"] / (1 - p_t1) + (1 - u_t) * g / (1 - p_t)
        v_hat = s["v"] / (1 - b2 ** t)
        return w - lr * m_hat / (math.sqrt(v_hat) + eps)
    return step, {"m": 0.0, "v": 0.0}


CASES = [
    (SGD(), sgd_rule(0.01)),
    (SGD(learning_rate=0.1, momentum=0.9), sgd_rule(0.1, 0.9)),
    (SGD(learning_rate=0.1, momentum=0.9, nesterov=True), sgd_rule(0.1, 0.9, True)),
    (RMSprop(), rmsprop_rule(0.001)),
    (RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
     rmsprop_rule(0.01, mom=0.5, centered=True)),
    (Adagrad(learning_rate=0.1), adagrad_rule(0.1)),
    (Adam(), adam_rule(0.001)),
    (Adam(learning_rate=0.1, amsgrad=True), adam_rule(0.1, amsgrad=True)),
    (AdamW(learning_rate=0.1), adam_rule(0.1, wd=0.004)),
    (Nadam(learning_rate=0.1), nadam_rule(0.1)),
]


@pytest.mark.parametrize("opt,rule", CASES, ids=[repr(c[0]) for c in CASES])
def test_first_three_steps_match_the_published_rule(opt, rule):
    expected = by_hand(*rule)
    got = run(opt)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert opt.iterations == 3


def test_keras_defaults():
    assert Adam().get_config()["epsilon"] == 1e-7 and Adam().learning_rate == 0.001
    assert SGD().learning_rate == 0.01 and SGD().momentum == 0.0 and not SGD().nesterov
    assert RMSprop().rho == 0.9 and Adagrad().initial_accumulator_value == 0.1
    assert AdamW().weight_decay == 0.004 and Nadam().beta_2 == 0.999


def test_clipping():
    w = run(SGD(learning_rate=1.0, clipvalue=0.15), grads=[[0.1, -0.2, 0.3]])[0]
    np.testing.assert_allclose(w, np.array(W0) - [0.1, -0.15, 0.15])
    g = np.array([3.0, 4.0, 0.0])
    w = run(SGD(learning_rate=1.0, global_clipnorm=1.0), grads=[g])[0]
    np.testing.assert_allclose(w, np.array(W0) - g / 5)
    opt = SGD(learning_rate=1.0, clipnorm=1.0)
    w = np.zeros(4)
    opt.build(4, np.float64, [2, 2])  # two weight tensors, clipped separately
    opt.apply(w, np.array([3.0, 4.0, 0.3, 0.4]))
    np.testing.assert_allclose(w, -np.array([0.6, 0.8, 0.3, 0.4]))
    with pytest.raises(ValueError, match="Only one of"):
        SGD(clipnorm=1.0, clipvalue=1.0)


def test_schedules():
    s = schedules.ExponentialDecay(1.0, 10, 0.5, staircase=True)
    assert s(9) == 1.0 and s(10) == 0.5
    assert schedules.InverseTimeDecay(1.0, 1, 1.0)(3) == 0.25
    c = schedules.CosineDecay(1.0, 100, alpha=0.1)
    assert c(0) == 1.0 and c(100) == pytest.approx(0.1) and c(50) == pytest.approx(0.55)
    w = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
    assert w(0) == 0.0 and w(5) == 1.0 and w(15) == pytest.approx(0.0)
    p = schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    assert [p(i) for i in range(6)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    opt = SGD(learning_rate=p)
    ws = run(opt, grads=[[1.0, 1.0, 1.0]] * 4)
    steps = -np.diff(np.array([W0, *ws])[:, 0])
    np.testing.assert_allclose(steps, [1.0, 1.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="one more element"):
        schedules.PiecewiseConstantDecay([1], [1.0])


def test_identifiers_and_config_round_trip():
    opt = optimizers.get("Adam", learning_rate=0.05)
    assert isinstance(opt, Adam) and opt.learning_rate == 0.05
    assert optimizers.get("adam") is not optimizers.get("adam")  # fresh state each time
    again = optimizers.get(opt.get_config())
    assert again.get_config() == opt.get_config()
    sched = SGD(learning_rate=schedules.ExponentialDecay(0.1, 5, 0.9))
    assert optimizers.get(sched.get_config())._lr.get_config() == sched._lr.get_config()
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(learning_rate=-1)
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)


def test_state_round_trip_resumes_exactly():
    a, b = Adam(learning_rate=0.1), Adam(learning_rate=0.1)
    wa = run(a)[-1]
    wb = np.array(W0, dtype=np.float64)
    b.build(3, np.float64)
    for g in GRADS[:2]:
        b.apply(wb, np.array(g))
    c = Adam(learning_rate=0.1)
    c.build(3, np.float64)
    c.set_state(b.get_state())
    c.apply(wb, np.array(GRADS[2]))
    np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("opt,rule", CASES, ids=[repr(c[0]) for c in CASES])
def test_parallel_update_is_identical(opt, rule, monkeypatch, rng):
    """Large models update in chunks on several threads: bit-identical to one pass."""
    from actloss import _numerics
    config = opt.get_config()
    grads = rng.standard_normal((3, 20000))
    w0 = rng.standard_normal(20000)
    serial = run(optimizers.get(config), w0=w0, grads=grads)
    monkeypatch.setattr(_numerics, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(_numerics, "_threads", lambda: 3)
    calls = []
    original = optimizers.Optimizer._elementwise
    monkeypatch.setattr(optimizers.Optimizer, "_elementwise",
                        lambda self, p, *a: (calls.append(p.size), original(self, p, *a)))
    parallel = run(optimizers.get(config), w0=w0, grads=grads)
    assert sorted(set(calls)) == [3616, 8192]  # three parts per step
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", [{}, {"weight_decay": 0.01}], ids=["adam", "adamw"])
def test_fused_adam_kernel_is_identical(dtype, config, monkeypatch, rng):
    """Large models update Adam in one compiled pass (Numba, when installed): bit-identical to
    NumPy's passes, state included."""
    from actloss.optimizers import _kernels
    pytest.importorskip("numba")
    n = _kernels.MIN_PARAMS
    grads = rng.standard_normal((3, n)).astype(dtype) * 0.1
    w0 = rng.standard_normal(n).astype(dtype)

    def train(numba):
        monkeypatch.setenv("ACTLOSS_NUMBA", "1" if numba else "0")
        opt = Adam(1e-2, **config)
        w = w0.copy()
        opt.build(n, dtype, [n])
        assert (opt._kernel is not None) == numba
        for g in grads:
            opt.apply(w, g.copy())
        return w, opt.get_state()

    (wa, sa), (wb, sb) = train(True), train(False)
    np.testing.assert_array_equal(wa, wb)
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])
    assert _kernels.adam_kernel(n - 1, dtype) is None  # small models stay on NumPy
    assert _kernels.adam_kernel(n, np.float16) is None


@pytest.mark.needs("fast")
def test_fused_adam_refuses_a_non_finite_step_and_the_model_keeps_its_weights(rng, monkeypatch):
    """The fused kernel stages the new parameters (so the model keeps no copy of its weights):
    a step that would overflow float32 leaves p as it was and returns False, with the moments
    bit-identical to the NumPy path's (which restores p from a copy); the model's update then
    reports failure with its weights untouched, on both paths."""
    from actloss.layers import Dense
    from actloss.models import Sequential
    from actloss.optimizers import _kernels
    n = _kernels.MIN_PARAMS
    w0 = rng.standard_normal(n).astype(np.float32)
    g0 = rng.standard_normal(n).astype(np.float32)

    def refused_step(numba):
        monkeypatch.setenv("ACTLOSS_NUMBA", "1" if numba else "0")
        opt = Adam(1e-2)
        opt.build(n, np.float32, [n])
        w = w0.copy()
        opt.apply(w, g0.copy())
        w[::7] = -3.3e38                          # one step of 2e37 down overflows there
        kept = w.copy()
        opt.learning_rate = 1e38
        if numba:
            assert opt.checks_update(w)
            assert opt.update_if_finite(w, np.ones(n, np.float32)) is False
        else:
            assert not opt.checks_update(w)
            with np.errstate(all="ignore"):
                opt.apply(w, np.ones(n, np.float32))
            w[...] = kept                         # what the model's copy does
        np.testing.assert_array_equal(w, kept)
        return opt.get_state()

    fused, plain = refused_step(True), refused_step(False)
    for k in plain:
        np.testing.assert_array_equal(fused[k], plain[k])
    assert not Adam(1e-2, weight_decay=0.1).checks_update(w0)   # decay moves p first

    monkeypatch.setenv("ACTLOSS_NUMBA", "1")
    for numba in (True, False):
        model = Sequential([Dense(n // 64, activation="relu", input_dim=63), Dense(1)])
        model.compile(optimizer=Adam(1e-2), loss="mse")
        x = rng.standard_normal((64, 63)).astype(np.float32)
        model.fit(x, x[:, :1], epochs=1, batch_size=64, verbose=0)
        engine = model._engine
        assert model.optimizer.checks_update(engine.params) is True
        if not numba:
            model.optimizer._kernel = None        # the NumPy passes, restored from a copy
        engine.params[::7] = -3.3e38
        engine.grads.fill(1.0)
        model.optimizer.learning_rate = 1e38
        kept = engine.params.copy()
        with np.errstate(all="ignore"):           # the training step's error state
            assert engine.apply_update(model.optimizer) is False
        np.testing.assert_array_equal(engine.params, kept)


# ---------------------------------------------------------------- Keras's API on top of the core
def test_list_form_matches_the_flat_core():
    """apply_gradients on several arrays is the flat update of their concatenation."""
    a, b = np.array([[0.5, -1.5], [2.0, 1.0]]), np.array([0.25])
    opt = Adam(learning_rate=0.1, clipnorm=0.5)
    for g in GRADS:
        opt.apply_gradients(zip([np.array(g[:2] * 2).reshape(2, 2), np.array(g[2:])], [a, b]))
    flat = Adam(learning_rate=0.1, clipnorm=0.5)
    w = np.array([0.5, -1.5, 2.0, 1.0, 0.25])
    flat.build(5, np.float64, [4, 1])
    for g in GRADS:
        flat.apply(w, np.array(g[:2] * 2 + g[2:]))
    np.testing.assert_array_equal(np.concatenate([a.ravel(), b]), w)
    assert opt.iterations == flat.iterations == 3


def test_list_form_updates_a_subset_and_keeps_the_others_state():
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    opt = Adam(learning_rate=0.1)
    opt.build([a, b])
    opt.apply([np.array([0.5, -0.5])], [a])
    alone = np.array([1.0, 2.0])
    Adam(learning_rate=0.1).apply([np.array([0.5, -0.5])], [alone])
    np.testing.assert_array_equal(a, alone)
    assert b[0] == 3.0 and opt.variables[-1][2] == 0.0  # b's velocity untouched
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.array([1.0])], [np.array([1.0])])
    with pytest.raises(TypeError, match="writable float NumPy arrays"):
        SGD().apply_gradients([(np.array([1.0]), [1.0])])


def test_exclude_from_weight_decay_in_the_flat_model_form():
    """The model's weights are views into its flat vector: excluded by identity, or by name
    when the names are given to build."""
    w = np.full(5, 2.0)
    opt = SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[w[3:5]])
    opt.build(5, np.float64, [3, 2])
    opt.apply(w, np.zeros(5))
    np.testing.assert_array_equal(w, [1.0, 1.0, 1.0, 2.0, 2.0])
    opt = SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.build(5, np.float64, [3, 2], names=["dense/kernel", "dense/bias"])
    w = np.full(5, 2.0)
    opt.apply(w, np.zeros(5))
    np.testing.assert_array_equal(w, [1.0, 1.0, 1.0, 2.0, 2.0])
    opt = SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.build(5, np.float64, [3, 2])
    with pytest.raises(ValueError, match="needs the weights' names"):
        opt.apply(w, np.zeros(5))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_gradient_accumulation_is_the_mean_gradient_step(rng):
    grads = rng.standard_normal((6, 4))
    acc = Adam(learning_rate=0.1, weight_decay=0.01, gradient_accumulation_steps=3)
    ref = Adam(learning_rate=0.1, weight_decay=0.01)
    wa, wr = np.ones(4), np.ones(4)
    acc.build(4, np.float64)
    ref.build(4, np.float64)
    for i, g in enumerate(grads):
        acc.apply(wa, g.copy())
        if i % 3 == 2:
            ref.apply(wr, grads[i - 2:i + 1].mean(axis=0))
    np.testing.assert_allclose(wa, wr, rtol=1e-12)
    assert acc.iterations == 2 and acc.get_state()["calls"] == 6


def test_moving_average_and_finalize_in_the_flat_form():
    opt = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.9)
    w = np.array([3.0, 4.0])
    opt.build(2, np.float64)
    for _ in range(2):
        opt.apply(w, np.ones(2))
    np.testing.assert_allclose(w, [1.0, 2.0])
    opt.finalize_variable_values(w)
    np.testing.assert_allclose(w, [1.9, 2.9])  # 0.9 * 2 + 0.1 * 1


def test_keras_constructor_arguments():
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'jit_compile'"):
        Adam(jit_compile=True)
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        SGD(decay=0.1)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum"):
        SGD(use_ema=True, ema_momentum=2.0)
    assert SGD(name="my_sgd").get_config()["name"] == "my_sgd"
    assert optimizers.get(None) is None
    opt = SGD(learning_rate=lambda: 0.5)  # Keras's callable of no argument
    w = np.array([1.0])
    opt.apply_gradients([(np.array([1.0]), w)])
    assert w[0] == 0.5


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adam", "adamw", "nadam"])
def test_serialize_round_trip_with_a_schedule(name):
    opt = optimizers.get(name, learning_rate=schedules.CosineDecay(0.1, 10, name="cd"),
                         clipvalue=1.0)
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()
    assert again._lr.name == "cd" and again.learning_rate == opt.learning_rate
