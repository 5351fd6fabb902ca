"""A user's plain NumPy loss function as a Loss: ``compile(loss=fn)`` as in Keras.

``fn(y_true, y_pred)`` returns one loss per sample, shape (n,), or one per element, the shape
of y_pred (averaged over the last axis into the per-sample loss, as our built-in losses do).
actloss has no autodiff, so the gradient is numerical:

* complex step, where ``fn`` accepts complex input: d l / d p_k = Im l(p + i h e_k) / h with
  h = 1e-30, no subtraction, so exact to rounding (one call per output column, all rows at
  once: a sample's loss depends on its own row only);
* central differences per output column otherwise (or where the complex step disagrees with
  them, e.g. ``np.abs`` or ``np.maximum`` inside ``fn``): step cbrt(eps) max(1, |p|), about 1e-10
  relative.

The choice is made on the first call and checked there against central differences (a
gradient check of the function as given). A one-time message says that
``losses.register(name, per_sample, grad)`` is the exact and faster route.

>>> import numpy as np
>>> from actloss import losses as L
>>> quartic = L.get(lambda y, p: np.mean((p - y) ** 4, axis=-1))
>>> float(quartic.grad([[0.0, 0.0]], [[1.0, 2.0]])[0, 1])
16.0
"""

from __future__ import annotations

import warnings

import numpy as np

from ._base import Loss
from ._common import as_2d, as_targets, same_shape

_TOLD: set = set()


class _NumericKernel:
    """kernel(t, p) -> (values (n,), gradient (n, d)) of ``fn`` with a numerical gradient."""

    def __init__(self, fn, name):
        self.fn, self.name = fn, name
        self.method = None   # "complex" or "central", decided on the first call

    def values(self, t, p):
        out = np.asarray(self.fn(t, p))
        n = p.shape[0]
        if out.shape in ((n,), (n, 1)) and not (p.shape[1] > 1 and out.shape == (n, 1)):
            return out.reshape(n)
        if out.shape == p.shape or out.size == p.size and out.ndim >= 2:
            return np.mean(out.reshape(p.shape), axis=-1)
        raise ValueError(
            f"custom loss {self.name!r}: fn(y_true, y_pred) returned shape {out.shape} for "
            f"y_pred of shape {p.shape}; expected ({n},) (one loss per sample) or {p.shape} "
            f"(one per element)")

    def __call__(self, t, p):
        dtype = p.dtype
        t64, p64 = t.astype(np.float64), p.astype(np.float64)
        v = self.values(t64, p64)
        if self.method is None:
            self.method = self._choose(t64, p64)
        g = self._complex(t64, p64) if self.method == "complex" else self._central(t64, p64)
        return v.astype(dtype), g.astype(dtype)

    def _complex(self, t, p):
        g = np.empty_like(p)
        for k in range(p.shape[1]):
            z = p.astype(np.complex128)
            z[:, k] += 1e-30j
            g[:, k] = np.imag(self.values(t.astype(np.complex128), z)) / 1e-30
        return g

    def _central(self, t, p):
        g = np.empty_like(p)
        for k in range(p.shape[1]):
            h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(p[:, k]))
            up, down = p.copy(), p.copy()
            up[:, k] += h
            down[:, k] -= h
            g[:, k] = (self.values(t, up) - self.values(t, down)) / (up[:, k] - down[:, k])
        return g

    def _choose(self, t, p) -> str:
        """Complex step if fn takes complex input and agrees there with central differences."""
        if _LOGGED_ONCE(self.name):
            import logging   # first use only: importing logging costs every process

            logging.getLogger("actloss.losses").warning(
                "custom loss %r: its gradient is taken numerically (complex step where the "
                "function allows it, else central differences); actloss.losses.register(name, "
                "per_sample, grad) gives the exact and faster gradient", self.name)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")   # e.g. ComplexWarning: fn drops the imaginary part
                cs = self._complex(t, p)
        except Exception:   # noqa: BLE001 - any failure on complex input means: no complex step
            return "central"
        cd = self._central(t, p)
        ok = np.isfinite(cs) & np.isfinite(cd)
        close = np.abs(cs - cd) <= 1e-6 * np.maximum(1.0, np.abs(cd))
        return "complex" if np.all(close[ok]) and np.array_equal(ok, np.isfinite(cd)) \
            else "central"


def _LOGGED_ONCE(name) -> bool:
    if name in _TOLD:
        return False
    _TOLD.add(name)
    return True


def from_function(fn, name=None) -> Loss:
    """A :class:`Loss` computing ``fn(y_true, y_pred)`` with a numerical gradient (see the
    module docstring); ``name`` defaults to the function's ``__name__``."""
    name = name or getattr(fn, "__name__", None) or "custom_loss"
    if name == "<lambda>":
        name = "custom_loss"

    def validate(y_true, p, **_):
        try:
            return same_shape(name, y_true, p)
        except ValueError:   # other target forms (integer labels ...) go to fn as they are
            t = as_targets(y_true, p.dtype)
            if t.shape[:1] != p.shape[:1]:
                raise
            return t, as_2d(p)

    return Loss(name, _NumericKernel(fn, name), elementwise=False, validate=validate,
                doc=fn.__doc__ or f"The user's loss function {name!r} (numerical gradient).",
                summary="A user's loss function; gradient by complex step or central "
                        "differences.", output_range="(-inf, inf)")
