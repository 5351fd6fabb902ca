"""actloss.sklearn: scikit-learn's own conformance suite, and use inside its tools."""

import numpy as np
import pytest

pytestmark = pytest.mark.needs("sklearn")

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from actloss.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Small settings keep each check fast (scikit-learn checks its own MLPs with max_iter=100).
CHECKED = [MLPClassifier(hidden_layer_sizes=(20,), max_iter=100, random_state=0),
           MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100, random_state=0),
           MLPRegressor(hidden_layer_sizes=(20,), max_iter=100, random_state=0)]


def _expected_failures(estimator):
    """Checks that cannot pass, with the reason (scikit-learn 1.9's declaration; its tags have
    no field for these)."""
    if estimator.solver == "lbfgs":
        return {}
    # Mini-batch training on rows repeated k times and on rows weighted k visits different
    # batches, so the fitted weights differ; scikit-learn runs this check on its own MLPs only
    # with solver="lbfgs" (full batch), which passes here too (the second estimator above).
    return {"check_sample_weight_equivalence_on_dense_data":
            "mini-batch training is not invariant to repeating rows vs weighting them"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failures)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ inside scikit-learn's tools
@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_gridsearch_cross_val_score(iris):
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=200,
                                                         learning_rate_init=0.01, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__activation": ["relu", "gelu"],
                                 "mlpclassifier__solver": ["adam", "rmsprop"]}, cv=3, n_jobs=2)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert sorted(search.cv_results_["param_mlpclassifier__activation"]) == \
        ["gelu", "gelu", "relu", "relu"]
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9


def test_fitted_attributes_match_sklearn_layout(iris):
    from sklearn.neural_network import MLPClassifier as SkMLP
    X, y = iris
    ours = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=300, random_state=0,
                         learning_rate_init=0.01).fit(X, y)
    theirs = SkMLP(hidden_layer_sizes=(7, 5), max_iter=300, random_state=0,
                   learning_rate_init=0.01).fit(X, y)
    for attr in ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert len(ours.loss_curve_) == ours.n_iter_ and ours.best_loss_ == min(ours.loss_curve_)
    assert ours.t_ == ours.n_iter_ * len(X)
    assert len(theirs.loss_curve_) == theirs.n_iter_ and theirs.t_ == theirs.n_iter_ * len(X)
    assert ours.score(X, y) > 0.95 and theirs.score(X, y) > 0.95
    # the same loss: scikit-learn's log-loss on our network equals our last recorded loss scale
    from sklearn.metrics import log_loss
    assert log_loss(y, ours.predict_proba(X)) < 0.2
    np.testing.assert_allclose(ours.predict_proba(X).sum(1), 1, rtol=1e-6)


def test_binary_strings_and_multilabel(rng):
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)
    assert clf.out_activation_ == "logistic" and list(clf.classes_) == ["no", "yes"]
    assert clf.predict_proba(X).shape == (60, 2) and clf.score(X, y) > 0.9
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    multi = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, Y)
    assert multi.out_activation_ == "logistic" and multi.predict(X).shape == (60, 2)
    assert multi.score(X, Y) > 0.8


def test_feature_names_in(rng):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    clf = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0)
    clf.fit(X, X["a"] > 0)
    assert list(clf.feature_names_in_) == ["a", "b", "c"]


CANONICAL = sorted({a.name for a in map(__import__("actloss").activations.get,
                                         __import__("actloss").activations.names())})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation", ["logistic", "identity"] + CANONICAL)
def test_every_activation(activation, iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(10,), activation=activation, max_iter=30,
                        learning_rate_init=0.02, random_state=0).fit(X, y)
    assert 0 < clf.n_iter_ <= 30 and np.isfinite(clf.loss_curve_).all()
    if activation not in ("step", "heaviside", "binary_step"):  # step cannot learn by gradient
        assert clf.loss_curve_[-1] < clf.loss_curve_[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs", "rmsprop", "adagrad", "adamw",
                                    "nadam"])
def test_every_solver(solver, iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(10,), solver=solver, max_iter=200,
                        learning_rate_init=0.05, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9


def test_optimizer_object_is_not_mutated(iris):
    from actloss.optimizers import SGD
    X, y = iris
    opt = SGD(learning_rate=0.5, momentum=0.5)
    clf = MLPClassifier(hidden_layer_sizes=(5,), solver=opt, learning_rate_init=0.05,
                        max_iter=5)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert opt.iterations == 0 and clf.get_params()["solver"] is opt


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss, out", [("squared_error", "identity"), ("huber", "identity"),
                                       ("mae", "identity"), ("poisson", "exp")])
def test_regressor_losses(loss, out, rng):
    X = rng.normal(size=(200, 3))
    y = np.exp(0.5 * X[:, 0]) + 0.1 * rng.normal(size=200)
    reg = MLPRegressor(loss=loss, hidden_layer_sizes=(16,), max_iter=200,
                       learning_rate_init=0.03, random_state=0).fit(X, np.abs(y))
    assert reg.out_activation_ == out and reg.score(X, np.abs(y)) > 0.7


def test_squared_error_is_sklearns_half_mse(rng):
    """loss_curve_ of a 0-iteration-like fit equals scikit-learn's definition on our outputs."""
    X, y = rng.normal(size=(50, 2)), rng.normal(size=50)
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", alpha=0.0, max_iter=3,
                       random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.loss_ == pytest.approx(0.5 * np.mean((reg.predict(X) - y) ** 2), rel=1e-6)


def test_early_stopping_warm_start_partial_fit(iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(10,), early_stopping=True, n_iter_no_change=3,
                        max_iter=500, learning_rate_init=0.05, random_state=0).fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_ < 500
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    warm = MLPClassifier(hidden_layer_sizes=(10,), max_iter=5, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, y)
    first = [c.copy() for c in warm.coefs_]
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, y)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10 and warm.t_ == 10 * len(X)
    assert not np.array_equal(first[0], warm.coefs_[0])
    part = MLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    for _ in range(3):
        part.partial_fit(X, y, classes=np.unique(y))
    assert part.n_iter_ == 1 and len(part.loss_curve_) == 3  # n_iter_ counts per call
    with pytest.raises(AttributeError):
        MLPClassifier(solver="lbfgs").partial_fit


def test_pickle_keeps_training_exactly(iris):
    import pickle
    X, y = iris
    a = MLPClassifier(hidden_layer_sizes=(6,), random_state=0, shuffle=False)
    a.partial_fit(X, y, classes=np.unique(y))
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(b.predict_proba(X), a.predict_proba(X))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    np.testing.assert_array_equal(b.coefs_[0], a.coefs_[0])


def test_adaptive_and_invscaling_learning_rates(iris):
    X, y = iris
    inv = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate="invscaling",
                        max_iter=3, learning_rate_init=0.1, power_t=0.5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        inv.fit(X, y)
    assert inv.model_.optimizer.learning_rate == pytest.approx(0.1 / (3 * 150 + 1) ** 0.5)
    ada = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate="adaptive",
                        max_iter=400, tol=10.0, n_iter_no_change=1, learning_rate_init=0.1,
                        random_state=0).fit(X, y)
    assert ada.model_.optimizer.learning_rate < 1e-6


@pytest.mark.parametrize("params, match", [
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"), (dict(alpha=-1.0), "alpha"),
    (dict(activation="nope"), "nope"), (dict(solver="nope"), "nope"),
    (dict(batch_size=0), "batch_size"), (dict(learning_rate="fast"), "learning_rate")])
def test_bad_parameters(params, match, iris):
    X, y = iris
    with pytest.raises((ValueError, TypeError), match=match):
        MLPClassifier(**params).fit(X, y)


def test_verbose_prints_each_iteration(iris, capsys):
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 2
