"""Fuzz over the whole activation registry (issue 11): forward, grad and vjp, with parameters,
on float16/float32/float64 arrays, integers and lists, with values drawn from normal, huge,
tiny, subnormal, +-0, +-inf and NaN. Warnings are errors (pytest's configuration, and
``np.errstate(all="raise")`` around each call).

Asserted for every call: no exception but the documented ValueError/TypeError, the dtype and
shape kept (integers, bools and lists compute in float64), no NaN from NaN-free input (except
the undefined products of a vjp: an infinite cotangent times a zero derivative, or a zero
cotangent times an infinite one; for softmax and log_softmax a row with an infinite cotangent),
and no inf where the float64 recomputation (float16/float32 inputs) or the mpmath reference
(float64 inputs, ``tests/reference.py``) is finite in the dtype.

A few thousand examples by default; ``ACTLOSS_FUZZ_EXAMPLES=N`` runs N in total over the tests
of this file (``make fuzz``).
"""

import os

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import reference as R
from actloss import activations as A

NAMES = sorted(A.REGISTRY._objects)
_TESTS = 3
_EXAMPLES = int(os.environ.get("ACTLOSS_FUZZ_EXAMPLES", "0")) // _TESTS or 800
FUZZ = settings(max_examples=_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

PARAMS = {  # valid parameter values per activation, drawn with the inputs
    "relu": {"negative_slope": [0.0, 0.01, 0.3, 2.0], "max_value": [None, 6.0, 0.5, 1e30],
             "threshold": [0.0, 0.5, -1.0]},
    "leaky_relu": {"negative_slope": [0.2, 0.0, 1e-300, 0.01, 3.0]},
    "elu": {"alpha": [1.0, 0.5, 2.0, 1e-300]},
    "celu": {"alpha": [1.0, 2.0, -0.5, 1e-3]},
    "gelu": {"approximate": [False, True]},
    "softmax": {"axis": [-1, 0]}, "log_softmax": {"axis": [-1, 0]},
    "threshold": {"threshold": [0.0, 0.5, -2.0], "default_value": [0.0, -1.0, 3.0]},
    "soft_shrink": {"threshold": [0.5, 0.0, 2.0]}, "hard_shrink": {"threshold": [0.5, 0.0]},
    "squareplus": {"b": [4.0, 0.25, 1e-6]},
}


def _values(dtype):
    fi = np.finfo(dtype)
    special = st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, float(fi.max), -float(fi.max),
                               float(fi.tiny), float(fi.smallest_subnormal), 88.72, -88.72,
                               709.78, -745.2, 1e-300, 17.0, 37.0])
    return st.one_of(st.floats(-10, 10), st.floats(-1e300, 1e300), st.floats(-1e-30, 1e-30),
                     special)


@st.composite
def cases(draw):
    name = draw(st.sampled_from(NAMES))
    params = {k: draw(st.sampled_from(v)) for k, v in PARAMS.get(name, {}).items()}
    kind = draw(st.sampled_from(["float16", "float32", "float64", "int", "list"]))
    dtype = np.float64 if kind in ("int", "list") else np.dtype(kind).type
    shape = draw(st.sampled_from([(5,), (3, 4), (2, 3, 2), ()]))
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        x = np.array([draw(_values(dtype)) for _ in range(n)], np.float64).astype(dtype)
        g = np.array([draw(_values(dtype)) for _ in range(n)], np.float64).astype(dtype)
    x, g = x.reshape(shape), g.reshape(shape)
    if kind == "int":
        x = np.nan_to_num(x, nan=0, posinf=1e9, neginf=-1e9).clip(-1e9, 1e9).astype(np.int64)
    arg = x.tolist() if kind == "list" else x
    return name, params, arg, np.asarray(x, np.float64).astype(dtype), g


def _call(fn, *args):
    with np.errstate(all="raise"):
        try:
            return fn(*args)
        except (ValueError, TypeError) as exc:  # documented; never for these valid inputs
            pytest.fail(f"unexpected {type(exc).__name__}: {exc}")


def _no_spurious_inf(act, which, x, got, dtype):
    """inf only where the exact value rounds to inf in ``dtype``."""
    bad = np.isinf(got) & ~np.isnan(x)
    if not bad.any():
        return
    if dtype != np.float64:
        wide = act(x.astype(np.float64)) if which == 0 else act.grad(x.astype(np.float64))
        with np.errstate(over="ignore"):
            finite = np.isfinite(wide.astype(dtype))
        assert not (bad & finite).any(), (act, which, x[bad & finite], got[bad & finite])
        return
    name = act.name
    if name not in R.REFERENCES:
        return
    f = R.REFERENCES[name][which]
    for xi, gi in zip(x[bad], got[bad]):
        if np.isinf(xi):
            continue
        want = R.round_to(f(mpmath.mpf(float(xi)), **act.params), np.float64)
        assert np.isinf(want) and np.sign(want) == np.sign(gi), (name, which, xi, gi, want)


def _check(name, params, arg, x, g):
    act = A.get(name, **params)
    dtype = x.dtype.type
    y = _call(act, arg)
    assert y.dtype == dtype and y.shape == x.shape
    nan_free = not np.isnan(x).any()
    if act.elementwise:
        d = _call(act.grad, arg)
        assert d.dtype == dtype and d.shape == x.shape
        if nan_free:
            assert not np.isnan(y).any() and not np.isnan(d).any(), (name, params, x, y, d)
        _no_spurious_inf(act, 0, x, y, dtype)
        _no_spurious_inf(act, 1, x, d, dtype)
        v = _call(act.vjp, arg, g)
        assert v.dtype == dtype and v.shape == x.shape
        undefined = (np.isinf(g) & (d == 0)) | ((g == 0) & np.isinf(d)) | np.isnan(g) | np.isnan(x)
        assert not (np.isnan(v) & ~undefined).any(), (name, params, x, g, v, d)
    else:
        if nan_free:
            assert not np.isnan(y).any(), (name, params, x, y)
        v = _call(act.vjp, arg, g)
        assert v.dtype == dtype and v.shape == x.shape
        if nan_free and not np.isnan(g).any() and x.ndim:
            axis = act.params["axis"]
            rows_ok = ~np.any(np.isinf(g) | np.isinf(x), axis=axis, keepdims=True)
            assert not (np.isnan(v) & rows_ok).any(), (name, params, x, g, v)


@FUZZ
@given(cases())
def test_fuzz_activation_calls(case):
    _check(*case)


@FUZZ
@given(cases(), st.sampled_from(["float16", "float32", "float64"]))
def test_fuzz_activation_dtypes_agree(case, other):
    """The same values in another float dtype: NaN in the same places (a dtype may only
    overflow, underflow or round differently)."""
    name, params, _, x, g = case
    act = A.get(name, **params)
    with np.errstate(over="ignore"):
        x2 = x.astype(other)
    if np.isnan(x2).any() != np.isnan(x).any() or np.isinf(x2).any() != np.isinf(x).any():
        return
    y1, y2 = _call(act, x), _call(act, x2)
    np.testing.assert_array_equal(np.isnan(y1), np.isnan(y2))


@FUZZ
@given(st.sampled_from(NAMES), st.sampled_from(["alpha", "negative_slope", "axis", "approximate",
                                                "max_value", "beta"]),
       st.sampled_from([-1.0, float("nan"), float("inf"), "x", None, 1.5, -3]))
def test_fuzz_bad_parameters_raise_value_or_type_error(name, key, value):
    act = A.get(name)
    try:
        configured = act.with_params(**{key: value})
    except (ValueError, TypeError) as exc:
        real = act.param_aliases.get(key, key)  # the message names the canonical spelling
        assert real in str(exc) or "parameter" in str(exc), exc
        return
    with np.errstate(all="raise"):
        configured(np.array([-1.0, 0.0, 2.0]))
