"""The Loss object: a per-sample core plus one reduction that also owns the reduction's gradient.

A loss supplies three kernels, all on validated float arrays with its parameters as keywords:

* ``validate(y_true, y_pred, **params) -> (t, p)``: checks and converts targets at the public
  boundary (label forms, shapes, ranges), raising ``ValueError`` with the argument's name.
* ``per_sample(t, p, **params) -> (n,)``: the loss of each sample.
* ``grad(t, p, **params) -> like p``: d per_sample[i] / d p[i] (unreduced, unweighted).

Reductions (Keras semantics): ``'mean'`` = sum(w_i l_i) / n (Keras ``sum_over_batch_size``; with
unit weights the plain mean), ``'sum'`` = sum(w_i l_i), ``'none'`` = w_i l_i.
PyTorch's weighted cross-entropy divides by sum(w_i) instead; we follow Keras.
"""

from __future__ import annotations

import numpy as np

from .._numerics import as_float_array
from .._validation import check_choice, check_params

REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """A loss function with its exact gradient and documentation; see the module docstring."""

    def __init__(self, name, per_sample, grad, *, validate, params=None, param_aliases=None,
                 check=None, formula="", derivative_formula="", output_range="[0, inf)",
                 pros=(), cons=(), reference="", summary="", task="regression"):
        self.name = name
        self._per_sample = per_sample
        self._grad = grad
        self._validate = validate
        self._defaults = {**(params or {}), "reduction": "mean"}
        self._param_aliases = dict(param_aliases or {})
        self._check = check
        self.params = dict(self._defaults)
        self.formula = formula
        self.derivative_formula = derivative_formula
        self.output_range = output_range
        self.pros = tuple(pros)
        self.cons = tuple(cons)
        self.reference = reference
        self.summary = summary
        self.task = task

    # ------------------------------------------------------------------ configuration
    def with_params(self, **params) -> "Loss":
        merged = check_params(self.name, params, self.params, self._param_aliases)
        check_choice("reduction", merged["reduction"], REDUCTIONS)
        if self._check is not None:
            self._check(**self._kernel_params(merged))
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.params = merged
        return new

    @property
    def reduction(self) -> str:
        return self.params["reduction"]

    @staticmethod
    def _kernel_params(params: dict) -> dict:
        return {k: v for k, v in params.items() if k != "reduction"}

    def _configured(self, params: dict) -> "Loss":
        return self.with_params(**params) if params else self

    # ------------------------------------------------------------------ public API
    def per_sample(self, y_true, y_pred, **params) -> np.ndarray:
        """The loss of each sample before reduction, shape ``(n,)``."""
        loss = self._configured(params)
        t, p = loss.validate(y_true, y_pred)
        return loss._per_sample(t, p, **loss._kernel_params(loss.params))

    def __call__(self, y_true, y_pred, sample_weight=None, **params):
        """The reduced loss: a scalar of ``y_pred``'s float dtype (``'none'``: an array ``(n,)``)."""
        loss = self._configured(params)
        t, p = loss.validate(y_true, y_pred)
        w = _check_weights(sample_weight, p.shape[0])
        values = loss._per_sample(t, p, **loss._kernel_params(loss.params))
        return reduce_values(values, w, loss.reduction)

    def grad(self, y_true, y_pred, sample_weight=None, **params) -> np.ndarray:
        """d loss / d y_pred, shape of ``y_pred``, consistent with the reduction."""
        loss = self._configured(params)
        t, p = loss.validate(y_true, y_pred)
        w = _check_weights(sample_weight, p.shape[0])
        g = loss._grad(t, p, **loss._kernel_params(loss.params))
        return reduce_grad(g, w, loss.reduction)

    def validate(self, y_true, y_pred):
        """Checked and converted ``(t, p)``: ``p`` a float array, ``t`` in the form the kernels use."""
        p = as_float_array(y_pred, "y_pred")
        if p.ndim == 0 or p.shape[0] == 0:
            raise ValueError(f"{self.name}: y_pred must hold at least one sample; "
                             f"received shape {p.shape}")
        return self._validate(y_true, p, **self._kernel_params(self.params))

    # ------------------------------------------------------------------ training fast path
    def prepare_targets(self, y_true, output_shape, dtype):
        """Validate and convert targets once per fit, for predictions of ``output_shape``.

        Raises the same ``ValueError`` as the public calls; returns ``t`` for the kernels.
        """
        dummy = np.broadcast_to(np.zeros((), dtype=dtype), output_shape)
        return self._validate(y_true, dummy, **self._kernel_params(self.params))[0]

    def per_sample_unchecked(self, t, p):
        """Per-sample loss of already validated arrays (the training loop's path)."""
        return self._per_sample(t, p, **self._kernel_params(self.params))

    def grad_unchecked(self, t, p):
        """Unreduced, unweighted per-sample gradient of already validated arrays."""
        return self._grad(t, p, **self._kernel_params(self.params))

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    def __repr__(self):
        args = "".join(f", {k}={v!r}" for k, v in self.params.items() if v != self._defaults.get(k))
        return f"Loss({self.name!r}{args})"

    def __eq__(self, other):
        return isinstance(other, Loss) and (other.name, other.params) == (self.name, self.params)

    def __hash__(self):
        return hash((self.name, tuple(sorted(self.params.items()))))


def _check_weights(sample_weight, n: int):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape not in ((n,), (n, 1)):
        raise ValueError(f"sample_weight must have shape ({n},), one weight per sample; "
                         f"received shape {w.shape}")
    w = w.reshape(n)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and >= 0; received "
                         f"min={np.nanmin(w) if np.any(~np.isnan(w)) else w[0]!r}")
    return w


def reduce_values(values: np.ndarray, w, reduction: str):
    """Reduce per-sample losses. Sums accumulate in float64, then round once to the dtype."""
    dtype = values.dtype
    if w is not None:
        values = values * w.astype(dtype, copy=False) if reduction == "none" else values * w
    if reduction == "none":
        return values
    total = np.sum(values, dtype=np.float64)
    if reduction == "mean":
        total = total / values.shape[0]
    return dtype.type(total)


def reduce_grad(g: np.ndarray, w, reduction: str) -> np.ndarray:
    """The gradient of :func:`reduce_values` applied to per-sample gradients ``g`` (rows)."""
    scale = np.ones(g.shape[0]) if w is None else w
    if reduction == "mean":
        scale = scale / g.shape[0]
    if w is None and reduction != "mean":
        return g
    return g * scale.astype(g.dtype).reshape((-1,) + (1,) * (g.ndim - 1))
