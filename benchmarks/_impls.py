"""The same dense network, data and optimizer in each framework (child side only).

A network is a plain spec, so every implementation is built from the same description::

    {"inputs": 10, "layers": [[10, "relu"], [1, "sigmoid"]], "loss": "bce", "lr": 0.01,
     "epochs": 10, "batch": 32, "seed": 0}

``loss`` is one of ``bce`` (sigmoid output, binary cross-entropy), ``mse`` (linear output),
``cce`` (softmax output, one-hot targets) and ``scce`` (softmax output, integer labels).
Each framework gets the form its users would write: actloss and Keras the Keras API,
scikit-learn ``MLPClassifier``/``MLPRegressor`` with ``solver='adam'``, PyTorch an eager loop with
the fused ``BCEWithLogitsLoss``/``CrossEntropyLoss``. Heavy imports happen inside the functions:
this module is imported by the children before the clock of the whole process matters.

Every ``build_*`` returns ``(fit, predict)``: ``fit(X, y, epochs)`` trains in place (shuffling
each epoch) and returns the last epoch's loss; ``predict(X)`` returns the network's output.
"""

import os

ADAM_EPS = 1e-7  # Keras' default; scikit-learn and PyTorch are given the same value


def _hidden(spec):
    return [units for units, _ in spec["layers"][:-1]]


def _labels(y):
    """Integer class labels from one-hot rows or labels."""
    import numpy as np
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)


# ------------------------------------------------------------------ actloss (Keras-style API)
_ACTLOSS_LOSS = {"bce": "binary_crossentropy", "mse": "mse", "cce": "categorical_crossentropy",
                 "scce": "sparse_categorical_crossentropy"}


def build_actloss(spec):
    import numpy as np
    from actloss.layers import Dense
    from actloss.models import Sequential
    from actloss.optimizers import Adam

    _seed_actloss(spec.get("seed", 0))
    model = Sequential()
    for i, (units, act) in enumerate(spec["layers"]):
        if i == 0:
            model.add(Dense(units, input_dim=spec["inputs"], activation=act))
        else:
            model.add(Dense(units, activation=act))
    model.compile(optimizer=Adam(learning_rate=spec["lr"]), loss=_ACTLOSS_LOSS[spec["loss"]])
    batch = spec["batch"]

    def fit(X, y, epochs):
        history = model.fit(X, y, epochs=epochs, batch_size=batch, verbose=0)
        return float(np.asarray(history.history["loss"][-1]))

    def predict(X):
        return np.asarray(model.predict(X, batch_size=max(batch, 1024), verbose=0))

    return fit, predict


def _seed_actloss(seed):
    """actloss seeds from the global NumPy generator unless it offers a Keras-like setter."""
    import numpy as np
    np.random.seed(seed)
    try:
        from actloss import utils
    except ImportError:
        return
    setter = getattr(utils, "set_random_seed", None)
    if setter is not None:
        setter(seed)


# ------------------------------------------------------------------ Keras / TensorFlow
_KERAS_LOSS = _ACTLOSS_LOSS


def build_keras(spec):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.utils.set_random_seed(spec.get("seed", 0))
    layers = [keras.Input(shape=(spec["inputs"],))]
    layers += [keras.layers.Dense(units, activation=act) for units, act in spec["layers"]]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=spec["lr"], epsilon=ADAM_EPS),
                  loss=_KERAS_LOSS[spec["loss"]])
    batch = spec["batch"]

    def fit(X, y, epochs):
        history = model.fit(X, y, epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
        return float(history.history["loss"][-1])

    def predict(X):
        return np.asarray(model.predict(X, batch_size=max(batch, 1024), verbose=0))

    return fit, predict


# ------------------------------------------------------------------ scikit-learn
def build_sklearn(spec):
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    acts = {act for _, act in spec["layers"][:-1]} or {"relu"}
    if len(acts) != 1:
        raise ValueError("scikit-learn uses one activation for all hidden layers")
    cls = MLPRegressor if spec["loss"] == "mse" else MLPClassifier
    est = cls(hidden_layer_sizes=tuple(_hidden(spec)), activation=acts.pop(), solver="adam",
              alpha=0.0, batch_size=spec["batch"], learning_rate_init=spec["lr"],
              max_iter=spec["epochs"], shuffle=True, random_state=spec.get("seed", 0),
              tol=0.0, n_iter_no_change=10**9, epsilon=ADAM_EPS)
    classes = None

    def fit(X, y, epochs):
        nonlocal classes
        y = np.asarray(y).reshape(-1) if spec["loss"] in ("bce", "mse") else _labels(y)
        est.set_params(max_iter=epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        return float(est.loss_)

    def partial(X, y, n_classes=None):
        """One shuffled epoch (MLP.partial_fit), the optimizer state kept between calls."""
        nonlocal classes
        y = _labels(y) if spec["loss"] != "mse" else np.asarray(y).reshape(-1)
        if cls is MLPClassifier and classes is None:
            classes = np.arange(n_classes)
            est.partial_fit(X, y, classes=classes)
        else:
            est.partial_fit(X, y)
        return float(est.loss_)

    def predict(X):
        return est.predict_proba(X) if cls is MLPClassifier else est.predict(X)

    fit.partial = partial
    return fit, predict


# ------------------------------------------------------------------ PyTorch (eager, CPU)
def build_torch(spec):
    import numpy as np
    import torch
    from torch import nn
    torch.set_num_threads(2)
    torch.manual_seed(spec.get("seed", 0))

    width, mods = spec["inputs"], []
    for units, act in spec["layers"][:-1]:
        mods += [nn.Linear(width, units), {"relu": nn.ReLU, "tanh": nn.Tanh,
                                           "sigmoid": nn.Sigmoid}[act]()]
        width = units
    mods.append(nn.Linear(width, spec["layers"][-1][0]))
    model = nn.Sequential(*mods)
    # The output activation is fused into the loss, as a PyTorch user writes it.
    loss_fn = {"bce": nn.BCEWithLogitsLoss, "mse": nn.MSELoss, "cce": nn.CrossEntropyLoss,
               "scce": nn.CrossEntropyLoss}[spec["loss"]]()
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], eps=ADAM_EPS)
    batch = spec["batch"]
    gen = torch.Generator().manual_seed(spec.get("seed", 0))

    def tensors(X, y):
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        if spec["loss"] in ("cce", "scce"):
            yt = torch.from_numpy(_labels(y).astype(np.int64))
        else:
            yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(len(X), -1))
        return Xt, yt

    def run_batches(Xt, yt, max_batches=None):
        n = Xt.shape[0]
        perm = torch.randperm(n, generator=gen)
        total, seen = 0.0, 0
        for b, start in enumerate(range(0, n, batch)):
            if max_batches is not None and b >= max_batches:
                break
            idx = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        return total / max(seen, 1)

    def fit(X, y, epochs):
        Xt, yt = tensors(X, y)
        loss = float("nan")
        for _ in range(epochs):
            loss = run_batches(Xt, yt)
        return loss

    def predict(X):
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
            if spec["loss"] == "bce":
                out = torch.sigmoid(out)
            elif spec["loss"] in ("cce", "scce"):
                out = torch.softmax(out, dim=-1)
        return out.numpy()

    fit.tensors, fit.run_batches = tensors, run_batches
    return fit, predict


BUILDERS = {"actloss": build_actloss, "sklearn": build_sklearn, "torch": build_torch,
            "keras": build_keras}
