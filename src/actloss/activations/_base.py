"""The Activation object: one definition (forward and derivative side by side), its executors,
and its metadata.

An elementwise activation is given as two generic functions (``actloss.activations._math``)
``f(x, *params)`` and ``df(x, *params)``; ``vjp(x, g) = g * df(x)`` is derived, computed in the
working precision before the one rounding. Every executor runs these same bodies: NumPy in the
input's dtype (``exact`` definitions), NumPy in the working precision of
:mod:`actloss._numerics`, or, for large float32 arrays, the compiled loop of
:mod:`actloss._fast32`. A row-wise activation (softmax) gives ``rows=(forward, vjp)`` instead,
and its ``grad`` raises.

Layers call :meth:`Activation.forward` and :meth:`Activation.backprop`, the one backward. Where
the derivative is a function of the output alone (``dy``: relu's [y > 0], exponential's y), and
only there, ``backprop`` uses it so that layers need not keep the input; the test suite checks
``dy(f(x)) == grad(x)`` bit for bit, NaN included.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _fast32
from .._catalog import CatalogEntry
from .._numerics import (BLOCK, as_float_array, blockwise, flat, into, run_parts, settle,
                         work_kind)
from .._validation import check_number
from . import _math


def check_finite(name, value, *, low=None, low_open=False, nonzero=False):
    """A parameter check: a finite real number, optionally >= (or >) ``low`` and != 0."""
    check_number(name, value, low=low, low_open=low_open)
    if not math.isfinite(value):
        raise ValueError(f"Expected {name} to be a finite number; received {name}={value!r}")
    if nonzero and value == 0:
        raise ValueError(f"Expected {name} to be nonzero (it divides x); received {name}={value!r}")


def _prepare(x):
    """(array, shape): floats keep their dtype, integers and bools become float64, a 0-d input
    is a 1-element row."""
    x = as_float_array(x)
    return x.reshape(x.shape or (1,)), x.shape


class Activation(CatalogEntry):
    """An activation function with its exact derivative and its documentation.

    Call it on anything ``np.asarray`` accepts: floats keep their dtype, integers and bools are
    computed in float64. ``grad`` is the elementwise derivative f'(x); ``vjp(x, g)`` is the
    vector-Jacobian product used by back-propagation. ``with_params`` returns a configured copy.

    Properties (set where the activation is defined; a user's ``register`` may set them too):
    ``can_die`` (f' is exactly 0 on a half-line: a unit can stop learning for good),
    ``saturates`` (f' tends to 0 at both ends), ``initializer`` (the weight initialisation that
    suits it), ``logits_losses`` (losses that are computed from its input, the logits, when it
    is the output activation), ``identity`` (f(x) = x), ``monotonic``, ``outputs_probabilities``
    (every output lies in [0, 1]: the probability losses accept it as the output layer).
    """

    kind = "activation"
    PROPERTIES = {"monotonic": None, "can_die": False, "saturates": False,
                  "initializer": "glorot_uniform", "logits_losses": (), "identity": False,
                  "outputs_probabilities": False}

    def __init__(self, name, f=None, df=None, *, rows=None, exact=False, dy=None,
                 dy_ok=None, kernel_params=None, user=False, doc=None, **meta):
        if (f is None or df is None) == (rows is None):
            raise TypeError(f"activation {name!r}: give f and df (elementwise) or rows")
        super().__init__(name, doc=doc or (f or rows[0]).__doc__ or type(self).__doc__, **meta)
        self._f, self._df, self._rows = f, df, rows
        self._exact, self._dy, self._dy_ok = exact, dy, dy_ok
        self._kernel_params = kernel_params
        # plain NumPy callables (a user's, or not written in the generic style): run as given
        self._user = user or (f is not None and _math.GENERICS.get(f.__name__) is not f)

    # ------------------------------------------------------------------ executors
    @property
    def elementwise(self) -> bool:
        return self._rows is None

    def _kp(self) -> tuple:
        """The kernels' positional parameters (derived once per configuration)."""
        kp = self._cache.get("kp")
        if kp is None:
            kp = self._cache["kp"] = (self._kernel_params(**self.params)
                                      if self._kernel_params is not None
                                      else tuple(self.params.values()))
        return kp

    def _resolved(self, kind: str, fn):
        """``fn`` specialised for executor ``kind``, looked up once per configuration."""
        key = (kind, fn.__name__)
        f = self._cache.get(key)
        if f is None:
            f = self._cache[key] = _math.namespace(kind)[fn.__name__]
        return f

    def _eval(self, fn, x, out=None, g=None):
        """``fn(x, *params)`` (times ``g``) by the executor the precision policy picks."""
        kp = self._kp()
        if self._user:  # a user's NumPy callables: in float64 (or x's own float64)
            return blockwise(lambda b, *gb: (gb[0] * fn(b) if gb else fn(b)), x,
                             *(() if g is None else (g,)), out=out, work=np.float64)
        if _fast32.applies(x):
            loop = _fast32.elementwise(self._f, self._df, _math.numba_namespace, kp)
            if loop is not None:
                mode = 2 if g is not None else (0 if fn is self._f else 1)
                out, flat_out = into(out, x.shape, x.dtype)
                fx = flat(x)
                fg = fx if g is None else flat(g)
                run_parts(lambda lo, hi: loop(fx[lo:hi], flat_out[lo:hi], fg[lo:hi], mode), x.size)
                return settle(out, flat_out)
        if self._is_exact():
            f = self._resolved("native", fn)
            with np.errstate(all="ignore"):
                r = f(x, *kp) if g is None else g * f(x, *kp)
                r = np.asarray(r)
                if out is None:
                    return r.astype(x.dtype, copy=False)
                np.copyto(out, r, casting="unsafe")
                return out
        f = self._resolved(work_kind(x.dtype), fn)
        if g is None:
            return blockwise(lambda b: f(b, *kp), x, out=out)
        return blockwise(lambda b, gb: gb * f(b, *kp), x, g, out=out)

    # ------------------------------------------------------------------ public API
    def _bound(self, args, params):
        """``self`` configured with per-call parameters, positional ones in the order of
        ``params`` (Keras's ``threshold(x, 0.5, 0.0)``)."""
        if args:
            names = list(self.params)
            if len(args) > len(names):
                raise TypeError(f"{self.name} takes {len(names)} parameter(s) after x "
                                f"({', '.join(names) or 'none'}); received {len(args)}")
            for key, value in zip(names, args):
                if key in params:
                    raise TypeError(f"{self.name} got {key} twice (by position and by name)")
                params[key] = value
        return self.configured(params)

    def __call__(self, x, *args, **params):
        """f(x); parameters may be given per call, as Keras's functions take them:
        ``A.relu(x, max_value=6.0)``, ``A.softmax(x, axis=1)``."""
        act = self._bound(args, params)
        x, shape = _prepare(x)
        with np.errstate(all="ignore"):
            return act.forward(x).reshape(shape)

    def grad(self, x, *args, **params):
        """Elementwise derivative f'(x), same shape and dtype as ``x``."""
        if args or params:
            return self._bound(args, params).grad(x)
        if not self.elementwise:
            raise TypeError(f"{self.name} is not elementwise: each output depends on the whole "
                            f"row, so its derivative is a Jacobian matrix, not an array like x. "
                            f"Use {self.name}.vjp(x, g) for the vector-Jacobian product g·J.")
        x, shape = _prepare(x)
        return self._eval(self._df, x).reshape(shape)

    def vjp(self, x, g, *args, **params):
        """Vector-Jacobian product g·J(x): the gradient with respect to ``x`` of ``sum(g * f(x))``.
        ``g`` is taken in x's dtype; the product is formed in the working precision, so it is
        finite wherever the true value is (an undefined 0 * inf is NaN)."""
        if args or params:
            return self._bound(args, params).vjp(x, g)
        x, shape = _prepare(x)
        g = np.asarray(g)
        if g.shape != shape:
            raise ValueError(f"{self.name}.vjp: g must have the shape of x {shape}; "
                             f"received g.shape={g.shape}")
        if g.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}.vjp: g must be a real numeric array; received dtype "
                            f"{g.dtype}")
        with np.errstate(over="ignore"):
            g = g.reshape(x.shape).astype(x.dtype, copy=False)
        return self._vjp(x, g).reshape(shape)

    def _vjp(self, x, g):
        if self._rows is not None:
            return self._rows[1](x, g, *self._kp())
        return self._eval(self._df, x, g=g)

    # ------------------------------------------------------------------ layers
    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """f(x) for a float array, written into ``out`` (which may be ``x``). No checks, and no
        floating-point error state of its own: the caller runs it under
        ``np.errstate(all="ignore")`` (the layers' callers do, once per batch: entering an
        errstate costs as much as a small NumPy operation)."""
        return self._layer_ops()[0](x, out)

    def _layer_ops(self):
        """``(forward(x, out), backprop(x, y, g))`` with everything that depends only on the
        configuration (parameters, executor, derivative form) resolved once: the layers call
        them once per batch, where a few microseconds of lookups are a measurable share."""
        ops = self._cache.get("ops")
        if ops is not None:
            return ops
        kp = self._kp()
        if self._rows is not None:
            rows_f, rows_vjp = self._rows
            ops = ((lambda x, out: rows_f(x, *kp, out=out)),
                   (lambda x, y, g: rows_vjp(x, g, *kp)))
        else:
            f_native = self._resolved("native", self._f) if self._is_exact() else None
            wide = not self._user and f_native is None   # computed in the working precision

            def forward(x, out):
                if wide and x.size <= BLOCK:
                    # one block: blockwise's arithmetic (cast to the working precision, f, one
                    # rounding) without its block loop, threads and error state (the caller
                    # holds one)
                    work = work_kind(x.dtype)
                    r = self._resolved(work, self._f)(x.astype(work), *kp)
                    if out is None:
                        return r.astype(x.dtype)
                    np.copyto(out, r, casting="unsafe")
                    return out
                if f_native is None or _fast32.applies(x):
                    return self._eval(self._f, x, out)
                r = f_native(x, *kp)
                if out is None:
                    return np.asarray(r).astype(x.dtype, copy=False)
                np.copyto(out, r, casting="unsafe")
                return out

            if self.backprop_needs_input:
                def backprop(x, y, g):
                    if not self._user and x.size <= BLOCK and g.dtype == x.dtype:
                        work = work_kind(x.dtype)   # as blockwise's one block, see forward
                        df = self._resolved(work, self._df)
                        return (g.astype(work) * df(x.astype(work), *kp)).astype(x.dtype)
                    return self._eval(self._df, x, g=g)
            else:
                dy = self._resolved("native", self._dy)

                def backprop(x, y, g):
                    return np.multiply(g, dy(y, *kp), out=g, casting="unsafe")
            ops = (forward, backprop)
        self._cache["ops"] = ops
        return ops

    @property
    def backprop_needs_input(self) -> bool:
        """False where :meth:`backprop` reads only the output (a layer may then apply ``f`` in
        place and keep no copy of its input)."""
        needs = self._cache.get("needs_input")
        if needs is None:
            needs = self._cache["needs_input"] = (
                self._dy is None or (self._dy_ok is not None and not self._dy_ok(**self.params)))
        return needs

    def _is_exact(self) -> bool:
        """Whether this configuration's f is one rounding at most (computed in x's dtype)."""
        exact = self._cache.get("exact")
        if exact is None:
            exact = self._cache["exact"] = bool(
                self._exact is True or (self._exact and self._exact(**self.params)))
        return exact

    def backprop(self, x, y, g):
        """The layers' backward: g·J(x) given ``y = f(x)``; may overwrite ``g``. Reads only ``y``
        when :attr:`backprop_needs_input` is False, else ``x``. No checks; the caller holds
        ``np.errstate(all="ignore")``, as for :meth:`forward`."""
        return self._layer_ops()[1](x, y, g)

    def compiled_parts(self, dtype):
        """``(f, dy, params)``: the compiled scalar forms of f and of the output derivative,
        with the kernel parameters, for loops that fuse this activation into a layer; None
        where that does not apply (Numba missing, a derivative that needs the input, or a
        float64 result of a non-exact function, whose working precision is long double)."""
        if (self._rows is not None or self._user or self.backprop_needs_input
                or np.dtype(dtype) not in (np.float32, np.float64)):
            return None
        if np.dtype(dtype) == np.float64 and not self._is_exact():
            return None
        f = _fast32.scalar(self._f, _math.numba_namespace)
        dy = _fast32.scalar(self._dy, _math.numba_namespace)
        return None if f is None or dy is None else (f, dy, self._kp())

    def output_derivative(self, y):
        """f'(x) from ``y = f(x)`` where :attr:`backprop_needs_input` is False (for tests)."""
        if self.backprop_needs_input:
            raise TypeError(f"{self.name}: its derivative is not a function of its output")
        y, shape = _prepare(y)
        with np.errstate(all="ignore"):
            d = _math.namespace("native")[self._dy.__name__](y, *self._kp())
        return np.asarray(d).astype(y.dtype, copy=False).reshape(shape)
