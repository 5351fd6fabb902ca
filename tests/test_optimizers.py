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
    from actloss.optimizers import _core
    config = opt.get_config()
    grads = rng.standard_normal((3, 20000))
    w0 = rng.standard_normal(20000)
    serial = run(optimizers.get(config), w0=w0, grads=grads)
    monkeypatch.setattr(_core, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(_core, "_workers", lambda: 3)
    chunked = optimizers.get(config)
    parallel = run(chunked, w0=w0, grads=grads)
    assert chunked._views is not None and len(chunked._views[2]) == 3
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
