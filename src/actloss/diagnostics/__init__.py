"""Diagnostics: is the gradient right, does it reach the first layer, are the units alive?

Every function returns plain data (dicts of floats and lists) that :mod:`actloss.plots` draws
and :mod:`json` writes.

>>> from actloss import activations as A, diagnostics as D
>>> D.gradcheck(A.tanh)["max_rel_error"] < 1e-6
True
"""

from __future__ import annotations

from ._gradcheck import check_activation, check_loss, check_model
from ._network import (RELU_FAMILY, SATURATING, dead_units, gradient_flow, network_report,
                       saturation)


def gradcheck(obj, *inputs, **kwargs) -> dict:
    """Check the analytic gradient of ``obj`` against central differences in float64.

    * an activation: ``gradcheck(act[, x])`` checks ``grad`` (elementwise ones) and ``vjp``;
      without ``x`` a grid over [-5, 5] off the kinks is used;
    * a loss: ``gradcheck(loss[, y_true, y_pred])`` checks ``grad`` with respect to ``y_pred``;
      without inputs, random ones that suit the loss's task;
    * a model: ``gradcheck(model, x, y[, sample_weight])`` checks every weight array (a sample of
      coordinates of the large ones) and one random direction; float64 models only.

    Returns ``{"kind", "name", "max_rel_error", "worst_check", "worst", "checks": [...]}``, each
    check with its own ``max_rel_error``, the worst point and the two values there.

    >>> from actloss import losses as L
    >>> r = gradcheck(L.mse)
    >>> r["kind"], r["max_rel_error"] < 1e-6
    ('loss', True)
    """
    from ..activations import Activation
    from ..losses import Loss

    if isinstance(obj, Activation):
        return check_activation(obj, *inputs, **kwargs)
    if isinstance(obj, Loss):
        return check_loss(obj, *inputs, **kwargs)
    if hasattr(obj, "trace") and hasattr(obj, "get_weights"):
        if len(inputs) < 2:
            raise TypeError("gradcheck(model, x, y[, sample_weight]): a model needs data")
        return check_model(obj, *inputs, **kwargs)
    raise TypeError(f"gradcheck: expected an Activation, a Loss or a model; "
                    f"received {type(obj).__name__}")


def __getattr__(name):
    if name == "DiagnosticsCallback":  # imports the callbacks package only when asked for
        from ._callback import DiagnosticsCallback

        return DiagnosticsCallback
    raise AttributeError(f"module 'actloss.diagnostics' has no attribute {name!r}")


__all__ = ["gradcheck", "gradient_flow", "dead_units", "saturation", "network_report",
           "DiagnosticsCallback",
           "RELU_FAMILY", "SATURATING"]
