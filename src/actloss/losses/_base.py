"""The Loss object: a per-sample core plus one reduction that also owns the reduction's gradient.

A loss supplies three kernels, all on validated float arrays with its parameters as keywords:

* ``validate(y_true, y_pred, **params) -> (t, p)``: checks and converts targets at the public
  boundary (label forms, shapes, ranges), raising ``ValueError`` with the argument's name.
* ``per_sample(t, p, **params) -> (n,)``: the loss of each sample.
* ``grad(t, p, **params) -> like p``: d per_sample[i] / d p[i] (unreduced, unweighted).

Reductions (Keras semantics): ``'mean'`` = sum(w_i l_i) / n (Keras ``sum_over_batch_size``; with
unit weights the plain mean), ``'sum'`` = sum(w_i l_i), ``'none'`` = w_i l_i.
Peers: PyTorch's weighted cross-entropy and scikit-learn's ``sample_weight`` divide by sum(w_i)
instead of n; we follow Keras. Sums accumulate in extended precision (float64 for float32
losses, 80-bit long double for float64 ones), so the mean of 10^6 losses is correctly rounded
to within an ULP or so.
"""

from __future__ import annotations

import math

import numpy as np

from .._numerics import as_float_array
from .._validation import check_choice, check_params

REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """A loss function with its exact gradient and documentation; see the module docstring."""

    def __init__(self, name, per_sample, grad, *, validate, params=None, param_aliases=None,
                 check=None, count=None, formula="", derivative_formula="",
                 output_range="[0, inf)", pros=(), cons=(), reference="", summary="",
                 task="regression", doc=None):
        self.name = name
        self._per_sample = per_sample
        self._grad = grad
        self._validate = validate
        self._count = count
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
        self.__doc__ = doc or per_sample.__doc__

    # ------------------------------------------------------------------ configuration
    def with_params(self, **params) -> Loss:
        """A copy with some parameters changed (``L.huber.with_params(delta=2.0)``)."""
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

    def _configured(self, params: dict) -> Loss:
        return self.with_params(**params) if params else self

    # ------------------------------------------------------------------ public API
    def per_sample(self, y_true, y_pred, **params) -> np.ndarray:
        """The loss of each sample before reduction, shape ``(n,)``."""
        return self._configured({**params, "reduction": "none"})(y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weight=None, **params):
        """The reduced loss: a scalar of ``y_pred``'s float dtype ('none': an array (n,))."""
        loss = self._configured(params)
        t, p, dtype = loss._checked(y_true, y_pred)
        w = _check_weights(sample_weight, p.shape[0])
        with np.errstate(over="ignore"):
            values = loss._per_sample(t, p, **loss._kernel_params(loss.params))
            out = reduce_values(values, w, loss.reduction, loss._denominator(t, p))
            return out.astype(dtype) if isinstance(out, np.ndarray) else dtype.type(out)

    def grad(self, y_true, y_pred, sample_weight=None, **params) -> np.ndarray:
        """d loss / d y_pred, shape and dtype of ``y_pred``, consistent with the reduction."""
        loss = self._configured(params)
        shape = np.shape(y_pred)
        t, p, dtype = loss._checked(y_true, y_pred)
        w = _check_weights(sample_weight, p.shape[0])
        with np.errstate(over="ignore"):
            g = loss._grad(t, p, **loss._kernel_params(loss.params))
            g = reduce_grad(g, w, loss.reduction, loss._denominator(t, p))
            if loss.params.get("axis", -1) in (0, -2):
                g = g.T
            return g.reshape(shape).astype(dtype, copy=False)

    def validate(self, y_true, y_pred):
        """Checked and converted ``(t, p)``: ``p`` a 2-D float array, ``t`` in the form the kernels
        use. Raises the public ``ValueError`` for bad input."""
        return self._checked(y_true, y_pred)[:2]

    def _checked(self, y_true, y_pred):
        """``(t, p, dtype)`` as :meth:`validate`, float16 computed in float32; ``dtype`` is the
        dtype of the results."""
        p = as_float_array(y_pred, "y_pred")
        if p.ndim == 0 or p.size == 0:
            raise ValueError(f"{self.name}: y_pred must hold at least one sample; "
                             f"received shape {p.shape}")
        if not np.all(np.isfinite(p)):
            bad = int(np.count_nonzero(~np.isfinite(p)))
            raise ValueError(f"{self.name}: y_pred must be finite; found {bad} NaN or inf "
                             f"value(s) (a diverged model?)")
        dtype = p.dtype
        if dtype == np.float16:
            p = p.astype(np.float32)
        t, p = self._validate(y_true, p, **self._kernel_params(self.params))
        return t, p, dtype

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

    def per_sample_unchecked(self, t, p):
        """Per-sample loss of already validated arrays (the training loop's path): ``p`` 2-D
        (n, d) as layers produce it, ``t`` rows of :meth:`prepare_targets` (sliceable by sample).
        Kernels never write to ``t`` or ``p``."""
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
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must be numeric; could not convert it ({exc})") from None
    if w.shape not in ((n,), (n, 1)):
        raise ValueError(f"sample_weight must have shape ({n},), one weight per sample; "
                         f"received shape {w.shape}")
    w = w.reshape(n)
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        raise ValueError(f"sample_weight must be finite and >= 0; received "
                         f"{w[np.argmax(bad)]!r} at index {int(np.argmax(bad))}")
    return w


# Accumulator of float64 sums: x86's 80-bit long double (64-bit mantissa) where there is one.
_EXTENDED = np.longdouble if np.finfo(np.longdouble).nmant > 52 else None


def reduce_values(values: np.ndarray, w, reduction: str, denominator: int | None = None):
    """Reduce per-sample losses: ``'mean'`` sum(w l)/denominator (default n), ``'sum'``, ``'none'``.

    Returns an array for ``'none'`` and a Python float otherwise (the caller rounds it to its
    dtype) after summing in extended precision; an empty mean (every sample ignored) is 0.
    """
    if reduction == "none":
        return values if w is None else values * w.astype(values.dtype)
    acc = _EXTENDED if values.dtype == np.float64 and _EXTENDED is not None else np.float64
    if w is not None:
        values = values.astype(acc) * w
    if values.dtype == np.float64 and acc is np.float64 and _EXTENDED is None:
        total = math.fsum(values)  # platforms whose long double is a plain double
    else:
        total = np.sum(values, dtype=acc)
    if reduction == "mean":
        n = values.shape[0] if denominator is None else denominator
        total = total / n if n else 0.0
    return float(total)


def reduce_grad(g: np.ndarray, w, reduction: str, denominator: int | None = None) -> np.ndarray:
    """The gradient of :func:`reduce_values` applied to per-sample gradients ``g`` (rows)."""
    if reduction == "mean":
        n = g.shape[0] if denominator is None else denominator
        scale = (np.ones(g.shape[0]) if w is None else w) / max(n, 1)
    elif w is None:
        return g
    else:
        scale = w
    return g * scale.astype(g.dtype).reshape((-1,) + (1,) * (g.ndim - 1))
