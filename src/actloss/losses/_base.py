"""The Loss object: one kernel per loss (its value and gradient, side by side) plus the one
reduction of :mod:`actloss.losses._reduction`.

A loss supplies, on validated float arrays with its parameters as keywords:

* ``kernel(t, p, **params) -> (values, grad)``: with ``elementwise=True`` the values and the
  derivatives of each entry (n, d), which the Loss averages over the d outputs of a sample
  (Keras); otherwise the per-sample values (n,) and d values_i / d p_i (n, d).
* ``validate(y_true, p, **params) -> (t, p)``: checks and converts targets at the public
  boundary (label forms, shapes, ranges), raising ``ValueError`` naming the argument.

Predictions follow IEEE: NaN gives NaN for its sample (and NaN gradient entries where it
sits), +-inf the mathematical limit, an undefined limit NaN; never a warning. Targets are data
and must be finite. Inputs of more than two dimensions follow Keras: the loss reduces the last
axis (or ``axis``), the per-sample values keep the leading axes, ``'mean'`` averages them all.
"""

from __future__ import annotations

import numpy as np

from .._catalog import CatalogEntry
from .._numerics import as_float_array
from ._common import as_targets, mean_last
from ._reduction import REDUCTIONS, check_weights, reduce, reduce_unchecked, standardize_reduction

_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


class Loss(CatalogEntry):
    """A loss function with its exact gradient and documentation; see the module docstring.

    Metadata, parameters, configuration and equality come from :class:`actloss._catalog.
    CatalogEntry`; ``reduction`` is a parameter of every loss. Properties: ``task`` (what the
    targets are: regression, binary, multiclass, ...) and ``link`` (the output activation whose
    logits the loss takes with ``from_logits=True``: ``"sigmoid"``, ``"softmax"`` or None) and
    ``takes_probabilities`` (its predictions must be probabilities in [0, 1] unless
    ``from_logits=True``) and ``targets`` (their form: ``"values"`` of the prediction's shape,
    ``"one_hot"`` rows of class probabilities, or ``"class_index"`` integer labels).
    """

    kind = "loss"
    PROPERTIES = {"task": "regression", "link": None, "takes_probabilities": False,
                  "targets": "values"}

    def __init__(self, name, kernel, *, validate, elementwise=True, params=None, count=None,
                 output_range="[0, inf)", doc=None, **meta):
        super().__init__(name, params={**(params or {}), "reduction": "mean"},
                         output_range=output_range, doc=doc or kernel.__doc__, **meta)
        self._kernel = kernel
        self._elementwise = elementwise
        self._validate = validate
        self._count = count

    # ------------------------------------------------------------------ configuration
    def with_params(self, **params) -> Loss:
        """A copy with some parameters changed (``L.huber.with_params(delta=2.0)``); Keras's
        reduction names are accepted and stored in ours."""
        if "reduction" in params:
            params["reduction"] = standardize_reduction(params["reduction"])
        return super().with_params(**params)

    def _check_params(self, merged: dict) -> None:
        if self._check is not None:
            self._check(**self._kernel_params(merged))

    @property
    def reduction(self) -> str:
        return self.params["reduction"]

    @staticmethod
    def _kernel_params(params: dict) -> dict:
        # reduction and axis belong to the Loss object (reduce, _rows), not to the kernels
        return {k: v for k, v in params.items() if k not in ("reduction", "axis")}

    # ------------------------------------------------------------------ public API
    def per_sample(self, y_true, y_pred, **params) -> np.ndarray:
        """The loss of each sample before reduction, shape ``(n,)`` (Keras: ``y_pred.shape``
        without the reduced axis for inputs of more than two dimensions)."""
        return self.configured({**params, "reduction": "none"})(y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weight=None, **params):
        """The reduced loss as a Python ``float`` rounded to ``y_pred``'s dtype; ``'none'``: an
        array of the per-sample values of that dtype."""
        return self._evaluate(y_true, y_pred, sample_weight, params, want_grad=False)[0]

    def grad(self, y_true, y_pred, sample_weight=None, **params) -> np.ndarray:
        """d loss / d y_pred, shape and dtype of ``y_pred``, consistent with the reduction
        (``'none'``: each sample's own gradient, times its weight)."""
        return self._evaluate(y_true, y_pred, sample_weight, params, want_grad=True)[1]

    def value_and_grad(self, y_true, y_pred, sample_weight=None, **params):
        """``(loss, grad)`` in one pass (the kernel computes both anyway)."""
        return self._evaluate(y_true, y_pred, sample_weight, params, want_grad=True)

    def _evaluate(self, y_true, y_pred, sample_weight, params, want_grad):
        loss = self.configured(params)
        t, p, dtype, layout = loss._checked(y_true, y_pred)
        w = check_weights(sample_weight, layout[1])
        with np.errstate(**_QUIET):
            vals, g = loss.value_and_grad_unchecked(t, p)
        value, g = reduce(vals, None if w is None else w.reshape(-1), loss.reduction,
                          g if want_grad else None, loss._denominator(t, p))
        with np.errstate(over="ignore"):   # float16 results computed in float32 may overflow
            if isinstance(value, np.ndarray):
                value = value.reshape(layout[1]).astype(dtype, copy=False)
            elif dtype != p.dtype:
                value = float(dtype.type(value))
            return value, None if g is None else _restore(g, layout).astype(dtype, copy=False)

    def validate(self, y_true, y_pred):
        """Checked and converted ``(t, p)``: ``p`` a 2-D float array, ``t`` in the form the kernels
        use. Raises the public ``ValueError`` for bad input."""
        return self._checked(y_true, y_pred)[:2]

    def _checked(self, y_true, y_pred):
        """``(t, p, dtype, layout)``: 2-D rows for the kernels (float16 computed in float32),
        the result dtype, and how to give results back the caller's shape."""
        p = as_float_array(y_pred, "y_pred")
        if p.ndim == 0 or p.size == 0:
            raise ValueError(f"{self.name}: y_pred must hold at least one sample; "
                             f"received shape {p.shape}")
        dtype = p.dtype
        if dtype == np.float16:
            p = p.astype(np.float32)
        shape = p.shape
        axis = self.params.get("axis", -1)
        if p.ndim > 2 or (p.ndim == 2 and axis not in (-1, 1)):
            p, y_true, layout = _rows(p, y_true, axis, self.name)
        else:
            layout = (None, (shape[0],), shape)
        t, p = self._validate(y_true, p, **self._kernel_params(self.params))
        return t, p, dtype, layout

    def _denominator(self, t, p) -> int:
        """n for the 'mean' reduction (the number of non-ignored samples where a loss says so)."""
        if self._count is None:
            return p.shape[0]
        return self._count(t, **self._kernel_params(self.params))

    # ------------------------------------------------------------------ training fast path
    def prepare_targets(self, y_true, output_shape, dtype):
        """Validate and convert targets once per fit, for predictions of ``output_shape``.

        Raises the same ``ValueError`` as the public calls; returns ``t`` for the kernels.
        """
        dummy = np.broadcast_to(np.zeros((), dtype=dtype), output_shape)
        return self._validate(y_true, dummy, **self._kernel_params(self.params))[0]

    def value_and_grad_unchecked(self, t, p):
        """``(values (n,), grad (n, d))`` of already validated arrays (the training loop's path):
        ``p`` 2-D (n, d) as layers produce it, ``t`` rows of :meth:`prepare_targets`. Unreduced,
        unweighted; kernels never write to ``t`` or ``p``. The caller holds
        ``np.errstate(all="ignore")`` (the training loop does, once per batch)."""
        kp = self._cache.get("kp")
        if kp is None:
            kp = self._cache["kp"] = self._kernel_params(self.params)
        v, g = self._kernel(t, p, **kp)
        if self._elementwise:   # the mean over the d outputs, in the kernel's precision
            d = p.shape[-1]
            v = mean_last(v)
            if d != 1:
                g = g / d
        return v.astype(p.dtype, copy=False), g.astype(p.dtype, copy=False)

    def per_sample_unchecked(self, t, p):
        """Per-sample loss of already validated arrays."""
        return self.value_and_grad_unchecked(t, p)[0]

    def grad_unchecked(self, t, p):
        """Unreduced, unweighted per-sample gradient of already validated arrays."""
        return self.value_and_grad_unchecked(t, p)[1]

    def reduce(self, t, values, weights=None, grad=None, reduction=None):
        """This loss's reduction of per-sample ``values`` (and ``grad``): see
        :func:`actloss.losses.reduce`; 'mean' divides by the samples the loss counts in ``t``.
        The caller holds ``np.errstate(all="ignore")``, as for the unchecked kernels."""
        return reduce_unchecked(values, weights, reduction or self.reduction, grad,
                                None if self._count is None else
                                self._denominator(t, values[:, None]))


def _rows(p, y_true, axis, name):
    """Keras's N-d layout: move ``axis`` last and flatten the leading axes into rows; targets
    of p's shape (or of its leading shape, for integer labels) follow."""
    if not -p.ndim <= axis < p.ndim:
        raise ValueError(f"{name}: axis={axis!r} is out of range for y_pred of shape {p.shape}")
    moved = np.moveaxis(p, axis, -1)
    lead = moved.shape[:-1]
    rows = moved.reshape(-1, moved.shape[-1])
    t = as_targets(y_true, p.dtype if np.asarray(y_true).dtype.kind == "f" else np.float64)
    if t.shape == p.shape:
        t = np.moveaxis(t, axis, -1).reshape(rows.shape)
    elif t.shape in (lead, (*lead, 1)):
        t = t.reshape(-1)
    elif t.size == p.size and t.ndim == p.ndim - 1:   # (n, t) against (n, t, 1), Keras squeeze
        t = t.reshape(rows.shape)
    else:
        raise ValueError(f"{name}: y_true and y_pred must have the same shape; received "
                         f"y_true.shape={t.shape}, y_pred.shape={p.shape}")
    return rows, t, ("rows", lead, p.shape, axis)


def _restore(g, layout):
    kind = layout[0]
    if kind is None:
        return g.reshape(layout[2])
    shape, axis = layout[2], layout[3]
    moved = list(shape)
    moved.append(moved.pop(axis))
    return np.moveaxis(g.reshape(moved), -1, axis)


__all__ = ["Loss", "REDUCTIONS"]
