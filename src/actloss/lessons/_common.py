"""Small pieces the lessons share: data, a deep network, a timed History, number formats."""

from __future__ import annotations

import time

import numpy as np


def classification_data(seed: int, n: int = 512, d: int = 10):
    """A binary problem that needs a hidden layer: the sign of x0*x1 + 0.5*x2, in ``d`` dims."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = ((x[:, 0] * x[:, 1] + 0.5 * x[:, 2]) > 0).astype(np.float64).reshape(-1, 1)
    return x, y


def net(activation, depth: int, width: int, n_in: int, init="glorot_uniform", out="sigmoid",
        batch_norm: bool = False, seed: int = 0, **dense):
    """``depth`` hidden Dense layers of ``activation`` and a 1-unit ``out`` layer, seeded."""
    from .. import layers
    from ..models import Sequential
    from ..utils import set_random_seed

    set_random_seed(seed)
    stack = []
    for i in range(depth):
        kw = {"input_shape": (n_in,)} if i == 0 else {}
        if batch_norm:
            # Dense -> BatchNormalization -> activation: the normalization sees the raw sums
            stack += [layers.Dense(width, kernel_initializer=init, **kw, **dense),
                      layers.BatchNormalization(), layers.Activation(activation)]
        else:
            stack.append(layers.Dense(width, activation=activation, kernel_initializer=init,
                                      **kw, **dense))
    stack.append(layers.Dense(1, activation=out, kernel_initializer=init))
    return Sequential(stack)


def timed_history():
    """A callback that records the wall time at the end of every epoch (``.seconds``)."""
    from ..callbacks import Callback

    class Timer(Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_train_begin(self, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return Timer()


def accuracy(model, x, y) -> float:
    return float(np.mean((model.predict(x, verbose=0) > 0.5) == (y > 0.5)))


def g(v: float) -> str:
    """A number for a sentence: two significant digits, scientific when small or large.

    >>> g(3.14159e-5), g(0.4213), g(1000.0), g(123456.0), g(float("nan"))
    ('3.1e-05', '0.42', '1000', '1.2e+05', 'not finite')
    """
    if not np.isfinite(v):
        return "not finite"
    return f"{v:.4g}" if 1 <= abs(v) < 1e5 else f"{v:.2g}"


def curve(values) -> np.ndarray:
    """A History list as floats, with non-finite values as NaN (a chart breaks its line there)."""
    a = np.asarray([np.nan if v is None else v for v in values], np.float64)
    a[~np.isfinite(a)] = np.nan
    return a


def epochs(n: int) -> np.ndarray:
    return np.arange(1, n + 1)
