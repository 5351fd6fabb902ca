"""Metrics: values, Keras's resolution of 'accuracy', and their use in fit/evaluate."""

import numpy as np
import pytest

from actloss import metrics as M
from actloss.layers import Dense
from actloss.models import Sequential


def test_values():
    t = np.array([[1.0], [0.0], [1.0], [0.0]])
    p = np.array([[0.9], [0.6], [0.4], [0.1]])
    m = M.get("binary_accuracy")
    m.update_state(t, p)
    assert m.result() == 0.5
    m = M.get("binary_accuracy", threshold=0.3)
    m.update_state(t, p)
    assert m.result() == 0.75
    m = M.get("mae")
    m.update_state(t, p)
    assert m.result() == pytest.approx(np.mean(np.abs(t - p)))
    m = M.get("mse")
    m.update_state(t[:2], p[:2])
    m.update_state(t[2:], p[2:])
    assert m.result() == pytest.approx(np.mean((t - p) ** 2))
    cat = M.get("categorical_accuracy")
    cat.update_state(np.eye(3)[[0, 1, 2]], np.array([[.8, .1, .1], [.5, .4, .1], [0, .2, .8]]))
    assert cat.result() == pytest.approx(2 / 3)
    sp = M.get("sparse_categorical_accuracy")
    sp.update_state(np.array([0, 1, 2]), np.array([[.8, .1, .1], [.5, .4, .1], [0, .2, .8]]))
    assert sp.result() == pytest.approx(2 / 3)


def test_auc_matches_rank_statistic_on_a_coarse_grid(rng):
    """Keras's 200-threshold AUC is exact when no two distinct scores share a threshold bucket
    (scores on a 0.01 grid; those above 1 clip to 1, above every negative)."""
    t = rng.integers(0, 2, 200).astype(float)
    p = np.round(rng.uniform(0, 1, 200) + 0.3 * t, 2)  # ties included
    m = M.get("auc")
    m.update_state(t[:100], p[:100])
    m.update_state(t[100:], p[100:])
    pos, neg = p[t == 1], p[t == 0]
    pairs = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    assert m.result() == pytest.approx(pairs.mean())


@pytest.mark.parametrize("loss,units,sparse,expected", [
    ("binary_crossentropy", 1, False, "binary_accuracy"),
    ("mse", 1, False, "binary_accuracy"),
    ("categorical_crossentropy", 3, False, "categorical_accuracy"),
    ("sparse_categorical_crossentropy", 3, True, "sparse_categorical_accuracy"),
    ("mse", 3, True, "sparse_categorical_accuracy"),
    ("binary_crossentropy", 3, False, "binary_accuracy"),          # multi-label sigmoid outputs
    ("binary_focal_crossentropy", 3, False, "binary_accuracy"),
    ("sparse_categorical_crossentropy", 3, False, "sparse_categorical_accuracy"),
    ("categorical_hinge", 3, False, "categorical_accuracy"),
])
def test_accuracy_resolution_as_keras(loss, units, sparse, expected):
    from actloss import losses
    metric = M.resolve("accuracy", losses.get(loss), units, sparse)
    assert type(metric) is type(M.REGISTRY.get(expected)) and metric.name == "accuracy"


def test_metrics_in_fit_and_evaluate(rng):
    x = rng.standard_normal((30, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    m = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "mae", "auc"])
    h = m.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    assert set(h.history) == {"loss", "accuracy", "mae", "auc", "val_loss", "val_accuracy",
                              "val_mae", "val_auc"}
    loss, acc, mae, auc = m.evaluate(x, y, verbose=0)
    p = m.predict(x)[:, 0]
    assert acc == pytest.approx(np.mean((p > 0.5) == y))
    assert mae == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)
    assert m.evaluate(x, y, return_dict=True)["accuracy"] == acc
    assert "auc" in M.names() and "accuracy" in M.names()


def test_keras_names_resolve_to_keras_classes():
    for name, cls in [("precision", M.Precision), ("recall", M.Recall), ("auc", M.AUC),
                      ("f1_score", M.F1Score), ("rmse", M.RootMeanSquaredError),
                      ("mape", M.MeanAbsolutePercentageError), ("r2_score", M.R2Score),
                      ("MeanSquaredError", M.MeanSquaredError), ("logcosh", M.LogCoshError)]:
        metric = M.get(name)
        assert type(metric) is cls and metric.name == name
    assert M.MeanSquaredError().name == "mean_squared_error"
    with pytest.raises(ValueError, match="Did you mean 'precision'"):
        M.get("precison")


@pytest.mark.parametrize("name", sorted(M.REGISTRY._objects))
def test_every_registered_metric_round_trips_its_config(name):
    metric = M.get(name)
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    again = M.deserialize(M.serialize(metric))
    assert again.get_config() == metric.get_config()
    # fresh state per copy: updating one leaves the prototype and the others untouched
    t, p = np.array([[1.0], [0.0], [1.0]]), np.array([[0.8], [0.3], [0.4]])
    if name not in ("mean", "sum", "sparse_categorical_crossentropy") and "top_k" not in name:
        clone.update_state(t, p)
        assert M.get(name).result() in (0.0, pytest.approx(0.0))


def test_sample_weight_zero_removes_a_sample():
    m = M.MeanSquaredError()
    m.update_state([[0.0], [1.0], [5.0]], [[0.0], [0.0], [1e300]], sample_weight=[1, 1, 0])
    assert m.result() == 0.5


def test_metrics_strings_in_compile_fit_and_evaluate(rng):
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    m = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    m.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["precision", "recall", "auc", "f1_score",
                       M.SpecificityAtSensitivity(0.5, name="sas")])
    h = m.fit(x, y, epochs=2, verbose=0)
    assert {"precision", "recall", "auc", "f1_score", "sas"} <= set(h.history)
    logs = m.evaluate(x, y, verbose=0, return_dict=True)
    p = m.predict(x, verbose=0)
    for name, metric in [("precision", M.Precision()), ("recall", M.Recall()),
                         ("auc", M.AUC()), ("f1_score", M.F1Score())]:
        assert logs[name] == pytest.approx(metric(y[:, None], p), rel=1e-6), name
    assert isinstance(logs["f1_score"], float)  # one output: a float, as logs need


def test_direction_hints_as_keras():
    """Keras's ``_direction``: what callbacks in mode='auto' should maximize or minimize."""
    assert {M.get(n)._direction for n in ("auc", "precision", "recall", "f1_score",
                                          "r2_score")} == {"up"}
    assert {M.get(n)._direction for n in ("mse", "mae", "rmse", "mape", "msle", "logcosh")} \
        == {"down"}
    assert M.BinaryAccuracy()._direction == "up" and M.Mean()._direction is None


def test_loss_metrics_are_the_losses_per_sample_means(rng):
    from actloss import losses as L
    t = rng.integers(0, 2, (20, 3)).astype(float)
    p = rng.uniform(0.01, 0.99, (20, 3))
    w = rng.uniform(0, 2, 20)
    for name in ("binary_crossentropy", "kl_divergence", "poisson", "hinge", "squared_hinge",
                 "categorical_hinge"):
        expected = np.sum(L.get(name).per_sample(t, p) * w) / np.sum(w)
        assert M.get(name)(t, p, sample_weight=w) == pytest.approx(expected, rel=1e-12), name
    labels = rng.integers(0, 3, 20)
    probs = p / p.sum(axis=1, keepdims=True)
    sce = M.SparseCategoricalCrossentropy()
    assert sce(labels[:, None], probs) == pytest.approx(
        np.mean(L.get("sparse_categorical_crossentropy").per_sample(labels, probs)))
    assert M.get("bce", from_logits=True).get_config()["from_logits"] is True
