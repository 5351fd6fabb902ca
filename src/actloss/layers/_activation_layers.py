"""Keras's activation layers: ``ReLU``, ``LeakyReLU``, ``Softmax``, ``ELU``.

Each is an :class:`~actloss.layers.Activation` layer whose activation comes from the catalog
(forward and backward are the catalog's), with Keras's layer arguments and defaults.
"""

from __future__ import annotations

import numpy as np

from .. import activations as _activations
from ._core import Activation


def _number(value, label, owner, allow_none=False):
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or value < 0:
        raise ValueError(f"{label} of a {owner} layer cannot be None or a negative value. "
                         f"Received: {label}={value!r}")
    return float(value)


class ReLU(Activation):
    r"""Rectified linear unit layer, Keras's ``ReLU(max_value=None, negative_slope=0.0,
    threshold=0.0)``:

    .. math::

        f(x) = \begin{cases} \min(x, \text{max\_value}) & x > \text{threshold} \\
        \text{negative\_slope}\,(x - \text{threshold}) & x < \text{threshold} \end{cases}

    (0 at ``x == threshold``; with ``threshold=0`` and ``negative_slope=0``, ``relu``), and
    :math:`f'(x)` 1 between ``threshold`` and ``max_value``, ``negative_slope`` below
    ``threshold``, 0 above ``max_value``. NaN propagates.

    >>> import numpy as np
    >>> ReLU(max_value=6.0, negative_slope=0.5)(np.array([[-2.0, 3.0, 8.0]])).tolist()
    [[-1.0, 3.0, 6.0]]
    """

    _prefix = "re_lu"

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        self.max_value = _number(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU")
        self.threshold = _number(threshold, "threshold", "ReLU")
        super().__init__(_activations.get("relu", max_value=self.max_value,
                                          negative_slope=self.negative_slope,
                                          threshold=self.threshold), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Activation):
    """Leaky ReLU layer, Keras's ``LeakyReLU(negative_slope=0.3)``: ``x`` for ``x >= 0``,
    ``negative_slope * x`` below. The layer's default 0.3 is Keras's (its *function*
    ``leaky_relu`` defaults to 0.2, PyTorch's ``LeakyReLU`` to 0.01); ``alpha`` is accepted
    as the old Keras name."""

    _prefix = "leaky_re_lu"

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        if negative_slope is None or isinstance(negative_slope, bool) or \
                not isinstance(negative_slope, (int, float, np.number)) or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or "
                             f"negative value. Expected a float. Received: "
                             f"negative_slope={negative_slope!r}")
        self.negative_slope = float(negative_slope)
        super().__init__(_activations.get("leaky_relu", negative_slope=self.negative_slope),
                         **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "negative_slope": self.negative_slope}


class Softmax(Activation):
    """Softmax layer, Keras's ``Softmax(axis=-1)`` (``axis`` counts the batch axis, as Keras)."""

    _prefix = "softmax"

    def __init__(self, axis=-1, **kwargs):
        self.axis = axis
        super().__init__(_activations.get("softmax", axis=axis), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "axis": self.axis}


class ELU(Activation):
    """Exponential linear unit layer, Keras's ``ELU(alpha=1.0)``: ``x`` for ``x > 0``,
    ``alpha * (exp(x) - 1)`` below."""

    _prefix = "elu"

    def __init__(self, alpha=1.0, **kwargs):
        self.alpha = float(alpha)
        super().__init__(_activations.get("elu", alpha=self.alpha), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "alpha": self.alpha}
