"""actloss.diagnostics: gradcheck, gradient flow, dead units, saturation, the callback."""

import json

import numpy as np
import pytest

from _lab_util import binary_data, deep_net
from actloss import activations as A, diagnostics as D, losses as L


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "leaky_relu", "elu"])
def test_gradcheck_activation_passes(name):
    report = D.gradcheck(A.get(name))
    assert report["kind"] == "activation"
    assert report["max_rel_error"] < 1e-5, report
    assert {c["check"] for c in report["checks"]} >= {"vjp"}
    json.dumps(report)  # plain data


def test_gradcheck_finds_a_wrong_derivative():
    wrong = A.Activation("wrong_square", lambda x, out=None: x * x, lambda x: 2.1 * x)
    report = D.gradcheck(wrong, np.array([0.5, 1.0, 2.0]))
    assert report["max_rel_error"] == pytest.approx(0.1 / 2.1, rel=1e-3)
    assert report["worst_check"] in ("grad", "vjp") and "x" in report["worst"]


@pytest.mark.parametrize("name", ["mse", "binary_crossentropy", "categorical_crossentropy"])
def test_gradcheck_loss_passes(name):
    report = D.gradcheck(L.get(name))
    assert report["kind"] == "loss" and report["max_rel_error"] < 1e-6, report


def test_gradcheck_loss_with_given_inputs():
    report = D.gradcheck(L.mse, np.zeros((3, 2)), np.ones((3, 2)))
    assert report["checks"][0]["n_checked"] == 6


def test_gradcheck_rejects_other_objects():
    with pytest.raises(TypeError, match="Activation, a Loss or a model"):
        D.gradcheck(42)


def _seeded(seed=0):
    from actloss.utils import set_random_seed

    set_random_seed(seed)


def test_gradcheck_model_float64(rng):
    import actloss

    x, y = binary_data(rng, n=16, d=4)
    actloss.set_floatx("float64")
    try:
        _seeded()
        model = deep_net("tanh", depth=3, width=5, n_in=4)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        report = D.gradcheck(model, x, y)
    finally:
        actloss.set_floatx("float32")
    assert report["kind"] == "model" and report["max_rel_error"] < 1e-5, report
    assert any(c["check"] == "random direction" for c in report["checks"])


def test_gradcheck_model_float32_is_refused(rng):
    x, y = binary_data(rng, n=8, d=4)
    model = deep_net("tanh", depth=2, width=3, n_in=4)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="set_floatx"):
        D.gradcheck(model, x, y)


def _flow(activation, init, rng):
    x, y = binary_data(rng)
    _seeded()
    model = deep_net(activation, depth=10, width=32, init=init)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return D.gradient_flow(model, x, y)


def test_vanishing_gradient_sigmoid_but_not_relu_he(rng):
    sig = _flow("sigmoid", "glorot_uniform", rng)
    relu = _flow("relu", "he_normal", rng)
    print(f"10-layer first/last RMS weight-gradient ratio: sigmoid {sig['ratio_first_last']:.3e}, "
          f"relu+he {relu['ratio_first_last']:.3e}")
    assert len(sig["layers"]) == 10 and len(sig["signal_norm"]) == 10
    assert sig["ratio_first_last"] < 1e-4           # orders of magnitude below the last layer
    assert relu["ratio_first_last"] > 1e-2          # same order of magnitude, give or take
    # the back-propagated signal shrinks layer after layer through the sigmoids
    assert sig["signal_norm"][0] < 1e-3 * sig["signal_norm"][-2]
    json.dumps(sig)


def _with_negative_bias(activation, x, bias=-6.0):
    _seeded()
    model = deep_net(activation, depth=4, width=16, n_in=x.shape[1], init="he_normal")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.trace(x)  # build
    weights = model.get_weights()
    for j in range(1, len(weights) - 2, 2):  # the hidden layers' biases
        weights[j] = np.full_like(weights[j], bias)
    model.set_weights(weights)
    return model


def test_dying_relu_reported_and_not_for_leaky_relu_or_elu(rng):
    x, y = binary_data(rng)
    dead = D.dead_units(_with_negative_bias("relu", x), x)
    assert dead["activations"] == ["relu"] * 3
    assert dead["overall"] > 0.9 and min(dead["fraction"]) > 0.5
    for other in ("leaky_relu", "elu"):
        report = D.dead_units(_with_negative_bias(other, x), x)
        assert report["activations"] == [other] * 3 and report["overall"] == 0.0


def test_healthy_relu_has_few_dead_units(rng):
    x, _ = binary_data(rng)
    assert D.dead_units(_with_negative_bias("relu", x, bias=0.0), x)["overall"] < 0.2


def test_saturation_of_sigmoid_pushed_far(rng):
    x, _ = binary_data(rng)
    saturated = D.saturation(_with_negative_bias("sigmoid", x, bias=-20.0), x)
    healthy = D.saturation(_with_negative_bias("sigmoid", x, bias=0.0), x)
    assert saturated["overall"] > 0.9 and healthy["overall"] < 0.1
    assert D.dead_units(_with_negative_bias("sigmoid", x), x)["layers"] == []


def test_callback_records_every_epoch_into_history(rng):
    x, y = binary_data(rng, n=64, d=10)
    _seeded()
    model = deep_net("relu", depth=3, width=8, init="he_normal")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    cb = D.DiagnosticsCallback(x, y)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
    h = history.history
    assert len(h["loss"]) == 3
    assert len(h["grad_ratio_first_last"]) == 3 and len(h["dead_fraction"]) == 3
    assert len(h["grad_norm_per_layer"]) == 3 and len(h["grad_norm_per_layer"][0]) == 3
    assert h["diagnostics_epochs"] == [0, 1, 2]
    json.dumps(cb.history)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_network_report_equals_the_three_functions(rng, activation):
    """One trace gives what gradient_flow, dead_units and saturation give separately."""
    x = rng.standard_normal((40, 3))
    y = (x[:, :1] > 0).astype(float)
    model = _with_negative_bias(activation, x, bias=-0.5)
    report = D.network_report(model, x, y)
    assert report["flow"]["layers"] and report["dead" if activation == "relu" else
                                               "saturation"]["layers"]
    # assert_equal: dicts compared key by key, NaN equal to NaN ("overall" without such layers)
    np.testing.assert_equal(report["flow"], D.gradient_flow(model, x, y))
    np.testing.assert_equal(report["dead"], D.dead_units(model, x))
    np.testing.assert_equal(report["saturation"], D.saturation(model, x))
    np.testing.assert_array_equal(report["outputs"], model.predict(x, verbose=0))


def test_callback_every_k_epochs_records_the_last_epoch_too(rng):
    x, y = binary_data(rng, n=64, d=10)
    _seeded()
    model = deep_net("relu", depth=3, width=8, init="he_normal")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    cb = D.DiagnosticsCallback(x, y, every=3)
    h = model.fit(x, y, epochs=8, batch_size=32, verbose=0, callbacks=[cb]).history
    assert h["diagnostics_epochs"] == cb.epochs == [0, 3, 6, 7]
    assert len(h["grad_norm_per_layer"]) == 4 and len(cb.history["dead_fraction"]) == 4
