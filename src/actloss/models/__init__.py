"""Keras-style models: ``Sequential`` and ``load_model``.

Batch, stochastic and mini-batch gradient descent are one optimizer with three batch sizes:
``batch_size=len(x)`` (one update per epoch on the whole data set), ``batch_size=1`` (one
update per sample) and anything between (mini-batches; Keras's default is 32)::

    >>> import numpy as np
    >>> from actloss.models import Sequential
    >>> from actloss.layers import Dense
    >>> from actloss.optimizers import SGD
    >>> x, y = np.random.rand(64, 3), np.random.rand(64)
    >>> for batch_size in (len(x), 1, 16):   # batch GD, stochastic GD, mini-batch GD
    ...     model = Sequential([Dense(1, input_shape=(3,))])
    ...     model.compile(optimizer=SGD(learning_rate=0.01), loss="mse")
    ...     history = model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0)
    ...     print(batch_size, history.params["steps"], model.optimizer.iterations)
    64 1 2
    1 64 128
    16 4 8

Saving writes one file (see :func:`load_model`)::

    >>> Sequential([Dense(1, input_shape=(2,))]).count_params()
    3
"""

from ._sequential import Sequential
from ._trace import Trace


def __getattr__(name):
    # the file formats (zipfile, json, the schema built from every registry) load on first use:
    # a script that only trains does not pay for them at import
    if name == "load_model":
        from ._saving import load_model
        return load_model
    if name == "archive":   # bounded readers, caps, atomic writes: for every file format
        from . import _archive
        return _archive
    raise AttributeError(f"module 'actloss.models' has no attribute {name!r}")


__all__ = ["Sequential", "load_model", "Trace"]
