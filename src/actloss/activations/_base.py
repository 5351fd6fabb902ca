"""The Activation object: forward, derivative, vector-Jacobian product and metadata in one place.

An elementwise activation supplies ``forward`` and ``grad``; the base class derives
``vjp(x, g) = g * grad(x)``. A non-elementwise one (softmax) supplies ``vjp`` instead, and its
``grad`` raises. Kernels receive a float ndarray and the activation's parameters as keywords:

* ``forward(x, out=None, **params)``: f(x), written into ``out`` when given (``out`` may be ``x``).
* ``grad(x, **params)``: f'(x) elementwise.
* ``vjp(x, g, **params)``: g·J(x), for non-elementwise activations.
* ``backward(x, y, g, **params)``: optional fast path for layers: g·J(x) given ``y = f(x)`` as
  well; it may overwrite ``g`` and return it. With ``backward_uses_input=False`` it reads only
  ``y``, so a layer may pass ``x=None`` and compute the forward pass in place.
"""

from __future__ import annotations

import numpy as np

import math

from .._catalog import CatalogEntry
from .._numerics import as_float_array
from .._validation import check_number


def check_finite(name, value, *, low=None, low_open=False, nonzero=False):
    """A parameter check: a finite real number, optionally >= (or >) ``low`` and != 0."""
    check_number(name, value, low=low, low_open=low_open)
    if not math.isfinite(value):
        raise ValueError(f"Expected {name} to be a finite number; received {name}={value!r}")
    if nonzero and value == 0:
        raise ValueError(f"Expected {name} to be nonzero (it divides x); received {name}={value!r}")


def _compute_dtype(x: np.ndarray):
    """float16 is computed in float32 and rounded once at the end (NumPy does the same inside
    most float16 loops); every other float type is computed in its own precision."""
    return np.float32 if x.dtype == np.float16 else None


def _prepare(x):
    """(working array, result dtype, result shape): floats keep their dtype (float16 works in
    float32), integers and bools become float64, a 0-d input is a 1-element row."""
    x = as_float_array(x)
    work = _compute_dtype(x) or x.dtype
    return x.reshape(x.shape or (1,)).astype(work, copy=False), x.dtype, x.shape


def _finish(result: np.ndarray, dtype, shape) -> np.ndarray:
    """``result`` rounded to ``dtype`` (overflow to inf is the correctly rounded value there,
    not a warning) in ``shape``."""
    with np.errstate(over="ignore"):
        return result.astype(dtype, copy=False).reshape(shape)


class Activation(CatalogEntry):
    """An activation function with its exact derivative and its documentation.

    Call it on anything ``np.asarray`` accepts: floats keep their dtype, integers and bools are
    computed in float64. ``grad`` is the elementwise derivative f'(x); ``vjp(x, g)`` is the
    vector-Jacobian product used by back-propagation. ``with_params`` returns a configured copy.
    """

    kind = "activation"
    PROPERTIES = {"monotonic": None}

    def __init__(self, name, forward, grad=None, *, vjp=None, backward=None,
                 backward_uses_input=True, doc=None, **meta):
        if (grad is None) == (vjp is None):
            raise TypeError(f"activation {name!r}: give exactly one of grad (elementwise) or vjp")
        super().__init__(name, doc=doc or forward.__doc__ or type(self).__doc__, **meta)
        self._forward = forward
        self._grad = grad
        self._vjp = vjp
        self._backward = backward
        self.backward_uses_input = backward_uses_input if backward else True

    # ------------------------------------------------------------------ public API
    @property
    def elementwise(self) -> bool:
        return self._grad is not None

    def __call__(self, x):
        xw, dtype, shape = _prepare(x)
        return _finish(self._forward(xw, **self.params), dtype, shape)

    def grad(self, x):
        """Elementwise derivative f'(x), same shape and dtype as ``x``."""
        if not self.elementwise:
            raise TypeError(f"{self.name} is not elementwise: each output depends on the whole "
                            f"row, so its derivative is a Jacobian matrix, not an array like x. "
                            f"Use {self.name}.vjp(x, g) for the vector-Jacobian product g·J.")
        xw, dtype, shape = _prepare(x)
        return _finish(self._grad(xw, **self.params), dtype, shape)

    def vjp(self, x, g):
        """Vector-Jacobian product g·J(x): the gradient with respect to ``x`` of ``sum(g * f(x))``."""
        xw, dtype, shape = _prepare(x)
        g = np.asarray(g)
        if g.shape != shape:
            raise ValueError(f"{self.name}.vjp: g must have the shape of x {shape}; "
                             f"received g.shape={g.shape}")
        gw = g.reshape(xw.shape).astype(xw.dtype, copy=False)
        if self._vjp is not None:
            out = self._vjp(xw, gw, **self.params)
        else:
            out = gw * self._grad(xw, **self.params)
        return _finish(out, dtype, shape)

    # ------------------------------------------------------------------ layer fast path
    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """f(x) for a float32/float64 array, written into ``out`` (which may be ``x``). No checks."""
        return self._forward(x, out=out, **self.params)

    def backward(self, x, y, g):
        """g·J(x) given ``y = f(x)``; may overwrite ``g``. For layers: no checks, no conversion."""
        if self._backward is not None:
            return self._backward(x, y, g, **self.params)
        if self._vjp is not None:
            return self._vjp(x, g, **self.params)
        return np.multiply(g, self._grad(x, **self.params), out=g)
