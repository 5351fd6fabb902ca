"""scikit-learn estimators trained by actloss: :class:`MLPClassifier` and :class:`MLPRegressor`.

Drop-in replacements for ``sklearn.neural_network``'s classes of the same names: the same
parameters and defaults, the same fitted attributes (``coefs_``, ``intercepts_``,
``loss_curve_``, ``best_loss_``, ``validation_scores_``, ``best_validation_score_``,
``classes_``, ``n_features_in_``, ``feature_names_in_``, ``n_iter_``, ``t_``, ``n_layers_``,
``n_outputs_``, ``out_activation_``), ``predict``, ``predict_proba``, ``score``,
``partial_fit``; they pass ``sklearn.utils.estimator_checks.check_estimator``. The network is an
actloss :class:`~actloss.models.Sequential` of :class:`~actloss.layers.Dense` layers, so beyond
scikit-learn's choices:

* ``activation``: ``"relu"``, ``"logistic"``, ``"tanh"``, ``"identity"`` or any actloss
  activation (name or object: ``"gelu"``, ``"selu"``, ``actloss.activations.get("elu", alpha=.5)``);
* ``solver``: ``"adam"``, ``"sgd"``, ``"lbfgs"`` (SciPy's L-BFGS-B on the flat weights, as
  scikit-learn) or any actloss optimizer (``"rmsprop"``, ``"nadam"``, an Optimizer object);
  ``learning_rate_init`` is its learning rate;
* ``loss``: classifier ``"log_loss"`` (binary or categorical cross-entropy, decided by the
  targets) or any actloss loss that takes probabilities; regressor ``"squared_error"``
  (``0.5 * MSE``, actloss's ``smooth_l2``, scikit-learn's definition), ``"poisson"`` (exp
  output) or any actloss regression loss (``"huber"``, ``"mae"`` ...).

As in scikit-learn: weights and biases start uniform in :math:`\\pm\\sqrt{6/(n_{in}+n_{out})}`
(:math:`\\sqrt{2/\\ldots}` for logistic); the L2 penalty is
:math:`\\tfrac{\\alpha}{2}\\lVert W\\rVert^2 / n_{batch}` (kernels only); the float type is X's
when float32, else float64; one epoch per iteration with the ``tol`` / ``n_iter_no_change``
stopping rule, ``learning_rate="adaptive"`` (divide by 5) and ``"invscaling"``
(``lr_init / (t + 1) ** power_t`` after each epoch) for the non-Adam solvers. Sample weights are
rescaled to mean 1 (scikit-learn's weighted mean). Pickling keeps the weights and the
optimizer state.

>>> import numpy as np
>>> from actloss.sklearn import MLPClassifier
>>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]] * 10)
>>> y = np.array([0, 1, 1, 0] * 10)
>>> clf = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs",
...                     random_state=0).fit(X, y)
>>> clf.predict([[0., 1.], [1., 1.]]).tolist(), clf.out_activation_
([1, 0], 'logistic')
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

try:
    from scipy.optimize import minimize
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("actloss.sklearn needs scikit-learn: pip install 'actloss[sklearn]'") \
        from None

from . import activations, floatx, initializers, losses, optimizers, regularizers, set_floatx
from .layers import Dense, Input
from .models import Sequential

__all__ = ["MLPClassifier", "MLPRegressor"]

_SKLEARN_ACTIVATIONS = {"logistic": "sigmoid", "identity": "linear"}
_OUT_NAMES = {"sigmoid": "logistic", "linear": "identity", "exponential": "exp"}


def _stochastic(est):
    return est.solver != "lbfgs"


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: the network, the loops, pickling."""

    # ---------------------------------------------------------------- checks and building
    def _check_params(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if any(not isinstance(s, numbers.Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive ints; received "
                             f"hidden_layer_sizes={self.hidden_layer_sizes!r}")
        checks = [("max_iter", self.max_iter, 1), ("n_iter_no_change", self.n_iter_no_change, 1),
                  ("alpha", self.alpha, 0.0), ("tol", self.tol, 0.0),
                  ("learning_rate_init", self.learning_rate_init, 1e-300),
                  ("max_fun", self.max_fun, 1)]
        for name, value, low in checks:
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < low:
                raise ValueError(f"{name} must be a number >= {low}; received {name}={value!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1); received "
                             f"validation_fraction={self.validation_fraction!r}")
        if self.learning_rate not in ("constant", "invscaling", "adaptive"):
            raise ValueError(f"learning_rate must be 'constant', 'invscaling' or 'adaptive'; "
                             f"received learning_rate={self.learning_rate!r}")
        if not (self.batch_size == "auto" or isinstance(self.batch_size, numbers.Integral)
                and not isinstance(self.batch_size, bool) and self.batch_size >= 1):
            raise ValueError(f"batch_size must be 'auto' or an int >= 1; received "
                             f"batch_size={self.batch_size!r}")
        act = self.activation
        activations.get(_SKLEARN_ACTIVATIONS.get(act, act) if isinstance(act, str) else act)
        return sizes

    def _optimizer(self):
        s, lr = self.solver, float(self.learning_rate_init)
        if s == "adam":
            return optimizers.Adam(learning_rate=lr, beta_1=self.beta_1, beta_2=self.beta_2,
                                   epsilon=self.epsilon)
        if s == "sgd":
            return optimizers.SGD(learning_rate=lr, momentum=self.momentum,
                                  nesterov=bool(self.nesterovs_momentum and self.momentum))
        if s == "lbfgs":
            return optimizers.SGD(learning_rate=lr)  # unused: SciPy moves the weights
        if isinstance(s, optimizers.Optimizer):  # a copy: the parameter stays untouched
            return optimizers.get({**s.get_config(), "learning_rate": lr})
        return optimizers.get(s, learning_rate=lr)

    def _build(self, n_features, n_outputs, dtype):
        sizes = self._check_params()
        act = self.activation
        act = activations.get(_SKLEARN_ACTIVATIONS.get(act, act) if isinstance(act, str) else act)
        out_act, loss = self._output(n_outputs)
        rs = self._random_state
        widths = [n_features, *sizes, n_outputs]
        layers = [Input((n_features,))]
        for i, units in enumerate(widths[1:]):
            factor = 2.0 if act.name == "sigmoid" else 6.0  # scikit-learn's Glorot bounds
            bound = float(np.sqrt(factor / (widths[i] + units)))
            init = [initializers.get("random_uniform", minval=-bound, maxval=bound,
                                     seed=int(rs.randint(2**31 - 1))) for _ in range(2)]
            layers.append(Dense(units, activation=act if i < len(sizes) else out_act,
                                kernel_initializer=init[0], bias_initializer=init[1]))
        old = floatx()
        set_floatx(np.dtype(dtype).name)
        try:
            model = Sequential(layers)
        finally:
            set_floatx(old)
        model.compile(optimizer=self._optimizer(), loss=loss)
        self.model_ = model
        self.out_activation_ = _OUT_NAMES.get(out_act.name, out_act.name)
        self.n_outputs_, self.n_layers_ = n_outputs, len(widths)
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_, self._no_improvement_count = [], 0
        self.best_loss_ = np.inf
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None

    def _set_penalty(self, n):
        reg = regularizers.l2(0.5 * self.alpha / n) if self.alpha else None
        for layer in self.model_.layers:
            layer.kernel_regularizer = reg

    def _publish(self):
        dense = self.model_.layers
        self.coefs_ = [layer.kernel for layer in dense]
        self.intercepts_ = [layer.bias for layer in dense]

    # ---------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight, incremental):
        first = not hasattr(self, "model_")
        X, Y = self._validate_input(X, y, incremental, reset=first or not (
            incremental or self.warm_start))
        sw = None
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=np.float64)
            if sw.ndim == 0:
                sw = np.full(X.shape[0], float(sw))
            if sw.shape != (X.shape[0],) or not np.all(np.isfinite(sw)) or np.any(sw < 0):
                raise ValueError(f"sample_weight must be {X.shape[0]} finite weights >= 0; "
                                 f"received shape {sw.shape}")
            if not sw.any():
                raise ValueError("sample_weight: every weight is zero; at least one sample "
                                 "needs a positive weight")
        dtype = X.dtype if X.dtype == np.float32 else np.float64
        if first or not (incremental or self.warm_start):
            self._random_state = check_random_state(self.random_state)
            self._build(X.shape[1], Y.shape[1], dtype)
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs; this model was fitted with "
                             f"{self.n_outputs_}")
        X = X.astype(self.model_.dtype, copy=False)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sw)
        else:
            self._fit_stochastic(X, Y, sw, incremental)
        self._publish()
        return self

    def _fit_lbfgs(self, X, Y, sw):
        model = self.model_
        self._set_penalty(X.shape[0] if sw is None else sw.sum())
        sw = None if sw is None else sw * (X.shape[0] / sw.sum())
        shapes = [w.shape for w in model.get_weights()]
        cuts = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

        def loss_and_grad(theta):
            model.set_weights([p.reshape(s) for p, s in zip(np.split(theta, cuts), shapes)])
            trace = model.trace(X, Y, sample_weight=sw)
            grads = [g for layer in trace.weight_grads for g in layer]
            return float(trace.loss), np.concatenate([g.ravel() for g in grads]).astype(float)

        theta = np.concatenate([w.ravel() for w in model.get_weights()]).astype(float)
        step = iter(range(1, self.max_iter + 1))

        def report(intermediate_result):
            print(f"Iteration {next(step)}, loss = {intermediate_result.fun:.8f}")

        res = minimize(loss_and_grad, theta, method="L-BFGS-B", jac=True,
                       callback=report if self.verbose else None,
                       options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                                "gtol": self.tol})
        loss_and_grad(res.x)
        self.n_iter_ = int(res.nit)
        self.loss_ = float(res.fun)
        if res.status != 0:
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                          f"(status={res.status}): {res.message}. Increase max_iter or scale "
                          f"the data.", ConvergenceWarning, stacklevel=3)

    def _fit_stochastic(self, X, Y, sw, incremental):
        model, rs = self.model_, self._random_state
        X_val = y_val = None
        if self.early_stopping and not incremental:
            stratify = Y if is_classifier(self) and Y.shape[1] == 1 else None
            if is_classifier(self) and Y.shape[1] > 1 and self._label_binarizer.y_type_ == \
                    "multiclass":
                stratify = Y.argmax(1)
            parts = train_test_split(X, Y, *([] if sw is None else [sw]), random_state=rs,
                                     test_size=self.validation_fraction, stratify=stratify)
            X, X_val, Y, Y_val = parts[:4]
            sw = parts[4] if sw is not None else None
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            y_val = self._decode(Y_val)
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))
        self._set_penalty(batch)
        if sw is not None:
            sw = sw * (n / sw.sum())
        opt = model.optimizer
        self.n_iter_ = 0  # per call, as scikit-learn (t_ and loss_curve_ accumulate)
        for _ in range(self.max_iter):
            order = rs.permutation(n) if self.shuffle else np.arange(n)
            history = model.fit(X[order], Y[order], batch_size=batch, epochs=1, shuffle=False,
                                verbose=0, sample_weight=None if sw is None else sw[order])
            loss = float(history.history["loss"][-1])
            self.n_iter_ += 1
            self.t_ += n
            self.loss_ = loss
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if not np.isfinite(loss):
                raise ValueError(f"Solver produced non-finite loss at iteration {self.n_iter_}; "
                                 f"lower learning_rate_init or scale the data")
            self._update_no_improvement(X_val, y_val)
            if self.learning_rate == "invscaling" and self.solver != "adam":
                opt.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            if self._no_improvement_count > self.n_iter_no_change:
                if self.learning_rate == "adaptive" and self.solver != "adam" \
                        and opt.learning_rate > 1e-6:
                    opt.learning_rate = opt.learning_rate / 5.0
                    self._no_improvement_count = 0
                    continue
                break
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                              f"reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=3)
        if self.early_stopping and not incremental and getattr(self, "_best", None) is not None:
            model.set_weights(self._best)

    def _update_no_improvement(self, X_val, y_val):
        if X_val is not None:
            score = self._score_arrays(X_val, y_val)
            self.validation_scores_.append(score)
            self._no_improvement_count = 0 if score >= self.best_validation_score_ + self.tol \
                else self._no_improvement_count + 1
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best = self.model_.get_weights()
            return
        loss = self.loss_curve_[-1]
        if self.best_loss_ is None:  # partial_fit after an early-stopping fit
            self.best_loss_ = np.inf
        self._no_improvement_count = 0 if loss <= self.best_loss_ - self.tol \
            else self._no_improvement_count + 1
        self.best_loss_ = min(self.best_loss_, loss)

    # ---------------------------------------------------------------- inference, pickling
    def _forward(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X.astype(self.model_.dtype, copy=False))

    def __getstate__(self):
        state = self.__dict__.copy()
        model = state.pop("model_", None)
        if model is not None:  # plain arrays: the weights and the optimizer's state
            state["_model_state"] = (model.get_weights(), model.optimizer.get_state(),
                                     np.dtype(model.dtype).name)
            state.pop("coefs_", None), state.pop("intercepts_", None)
        return state

    def __setstate__(self, state):
        saved = state.pop("_model_state", None)
        self.__dict__.update(state)
        if saved is not None:
            weights, opt_state, dtype = saved
            rs, self._random_state = self._random_state, check_random_state(0)
            curve, n_iter, t, best = self.loss_curve_, self.n_iter_, self.t_, self.best_loss_
            extra = {k: getattr(self, k) for k in ("validation_scores_",
                                                   "best_validation_score_")
                     if hasattr(self, k)}
            self._build(weights[0].shape[0], self.n_outputs_, dtype)
            self.model_.set_weights(weights)
            opt = self.model_.optimizer
            opt.build(sum(w.size for w in weights), self.model_.dtype,
                      [w.size for w in weights])
            opt.set_state(opt_state)
            self._random_state, self.loss_curve_, self.n_iter_ = rs, curve, n_iter
            self.t_, self.best_loss_ = t, best
            self.__dict__.update(extra)
            self._publish()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # actloss's Dense layers take dense arrays; sparse X is refused with scikit-learn's
        # message (sklearn's own MLP densifies batch by batch).
        tags.input_tags.sparse = False
        return tags




def _init(self, hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
          learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
          warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1,
          beta_2, epsilon, n_iter_no_change, max_fun, loss):
    args = dict(locals())
    args.pop("self")
    self.__dict__.update(args)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """scikit-learn's ``MLPClassifier`` trained by actloss (see :mod:`actloss.sklearn`).

    Parameters: scikit-learn's, with their defaults, plus ``loss="log_loss"`` (binary or
    categorical cross-entropy by the targets; or any actloss loss on probabilities). Binary and
    multilabel targets get sigmoid outputs (``out_activation_ == "logistic"``), multiclass ones
    softmax.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 loss="log_loss"):
        _init(**{k: v for k, v in locals().items() if k != "__class__"})

    def _output(self, n_outputs):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        out = activations.get("softmax" if multiclass else "sigmoid")
        loss = self.loss
        if isinstance(loss, str) and loss == "log_loss":
            loss = "categorical_crossentropy" if multiclass else "binary_crossentropy"
        return out, losses.get(loss)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and set(classes) != set(self.classes_):
                raise ValueError(f"warm_start can only be used where `y` has the same classes "
                                 f"as in the previous call to fit. Previously got "
                                 f"{self.classes_}, `y` has {classes}")
            if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(np.float64)

    def _decode(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _score_arrays(self, X, y):
        return float(np.mean(self._decode(self.model_.predict(X)) == y)) if y.ndim == 1 else \
            float(np.mean(np.all(self._decode(self.model_.predict(X)) == y, axis=1)))

    def fit(self, X, y, sample_weight=None):
        """Fit to ``X`` (n_samples, n_features) and labels ``y``; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``(X, y)``; ``classes`` (every label) is required on the first call."""
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer().fit(classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as on the first call to "
                             f"partial_fit: {self.classes_}")
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """The predicted labels (multilabel: an indicator matrix)."""
        y = self._forward(X)
        return self._decode(y.ravel() if self.n_outputs_ == 1 else y)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes) (binary: two columns)."""
        y = self._forward(X)
        if self.n_outputs_ == 1:
            y = y.ravel()
            return np.vstack([1 - y, y]).T
        return y

    def predict_log_proba(self, X):
        """``log(predict_proba(X))`` (0 probabilities give -inf)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """scikit-learn's ``MLPRegressor`` trained by actloss (see :mod:`actloss.sklearn`).

    ``loss="squared_error"`` (``0.5 * MSE``, scikit-learn's), ``"poisson"`` (exponential
    output, for counts) or any actloss regression loss (linear output).
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        _init(**{k: v for k, v in locals().items() if k != "__class__"})

    def _output(self, n_outputs):
        loss = self.loss
        if isinstance(loss, str) and loss == "poisson":
            return activations.get("exponential"), losses.get("poisson")
        if isinstance(loss, str) and loss == "squared_error":
            loss = "smooth_l2"
        return activations.get("linear"), losses.get(loss)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if isinstance(self.loss, str) and self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs targets y >= 0")
        return X, (y.reshape(-1, 1) if y.ndim == 1 else y).astype(np.float64)

    def _decode(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _score_arrays(self, X, y):
        from sklearn.metrics import r2_score
        return float(r2_score(y, self._decode(self.model_.predict(X))))

    def fit(self, X, y, sample_weight=None):
        """Fit to ``X`` (n_samples, n_features) and targets ``y``; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``(X, y)``."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """The predictions, shape (n_samples,) or (n_samples, n_outputs)."""
        y = self._forward(X)
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
