"""Helpers shared by the lab's tests (diagnostics, plots, experiments, report, CLI)."""

import numpy as np


def deep_net(activation, depth=10, width=32, n_in=10, init="glorot_uniform", out="sigmoid"):
    """``depth`` Dense layers of ``activation`` (the last one has 1 unit and ``out``)."""
    from actloss.layers import Dense
    from actloss.models import Sequential

    layers = [Dense(width, activation=activation, kernel_initializer=init, input_shape=(n_in,))]
    layers += [Dense(width, activation=activation, kernel_initializer=init)
               for _ in range(depth - 2)]
    layers.append(Dense(1, activation=out, kernel_initializer=init))
    return Sequential(layers)


def binary_data(rng, n=256, d=10):
    x = rng.standard_normal((n, d))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float64)
    return x, y

