"""Fuzz of the whole loss catalog (issue 11): value and gradient, every reduction, weights,
parameters, dtypes and the IEEE edge values, with warnings as errors.

Properties, for every call:
* only ``ValueError``/``TypeError`` may be raised, and the message names the argument at fault;
* no warning of any kind;
* the dtype is kept (float16/32/64 in, the same out; integers and lists compute in float64);
* no NaN from NaN-free input, except where the mathematical limit is undefined (found by the
  mpmath references of ``reference_losses``, which evaluate +-inf as huge numbers growing at
  two rates);
* no inf where a recomputation is finite (float16/float32: the same call in float64, when its
  result fits the dtype; float64: the mpmath reference).

``ACTLOSS_FUZZ_EXAMPLES`` sets the number of examples (default 1000, derandomized); run the long mode as
``ACTLOSS_FUZZ_EXAMPLES=100000 pytest tests/test_fuzz_losses.py -s`` (it prints its counts).
"""

from __future__ import annotations

import os
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_losses import reference

from actloss import losses as L
from actloss.losses._catalog import CATALOG

EXAMPLES = int(os.environ.get("ACTLOSS_FUZZ_EXAMPLES", "1000"))
NAMES = sorted(obj.name for obj in CATALOG)
REDUCTIONS = ["mean", "sum", "none", "mean_with_sample_weight", "sum_over_batch_size", None]
COUNTS: Counter = Counter()

_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-3, -3.5, 1e-30, 1e-300, 5e-324, 1e-45, 1e30,
            -1e30, 3e38, 1e200, -1e300, np.inf, -np.inf, np.nan, 1 - 1e-16, 1 - 6e-8, 40.0,
            -745.0, 1000.0]
_PROB = [0.0, 1.0, 0.5, 0.25, 1e-300, 5e-324, 1e-45, 1 - 1e-16, 1 - 6e-8, 0.999, np.nan]


@st.composite
def cases(draw):
    name = draw(st.sampled_from(NAMES))
    loss = L.get(name)
    kind = draw(st.sampled_from(["float16", "float32", "float64", "int", "list"]))
    n, d = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    multi = name in ("categorical_crossentropy", "sparse_categorical_crossentropy",
                     "categorical_hinge", "kl_divergence", "cosine_similarity", "log_loss")
    shape = (n, max(d, 2)) if multi else draw(st.sampled_from([(n,), (n, 1), (n, d)]))
    params = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    logits = "from_logits" in loss.params and draw(st.booleans())
    if logits:
        params["from_logits"] = True
    if "label_smoothing" in loss.params and draw(st.booleans()):
        params["label_smoothing"] = draw(st.sampled_from([0.1, 0.5, 1.0]))
    for key, values in (("delta", [0.5, 1e-30, 1e30]), ("beta", [0.0, 0.5, 1e30]),
                        ("gamma", [0.0, 0.5, 3.0]), ("alpha", [None, 0.0, 0.25, 1.0])):
        if key in loss.params and draw(st.booleans()):
            params[key] = draw(st.sampled_from(values))
    probabilities = loss.task in ("binary", "multiclass", "classification", "distribution") \
        and not logits and name not in ("hinge", "squared_hinge", "categorical_hinge")
    pool = _PROB if probabilities else _SPECIAL
    values = st.one_of(st.sampled_from(pool), st.floats(-1e4, 1e4, allow_nan=False)
                       if not probabilities else st.floats(0, 1))
    p = np.array(draw(st.lists(values, min_size=int(np.prod(shape)),
                               max_size=int(np.prod(shape))))).reshape(shape)
    y = _targets(draw, name, loss, shape, p)
    weights = draw(st.one_of(
        st.none(), st.sampled_from([0.0, 1.0, 1e30, 2.5]),
        st.lists(st.sampled_from([0.0, 1.0, 1e30, 0.5, 3.0]), min_size=n, max_size=n)))
    return name, kind, y, p, params, weights


def _targets(draw, name, loss, shape, p):
    n = shape[0]
    if name == "sparse_categorical_crossentropy":
        return np.array(draw(st.lists(st.integers(0, shape[1] - 1), min_size=n, max_size=n)))
    if name in ("categorical_crossentropy", "categorical_hinge", "log_loss"):
        labels = draw(st.lists(st.integers(0, shape[1] - 1), min_size=n, max_size=n))
        return np.eye(shape[1])[labels]
    if name == "kl_divergence":
        raw = np.array(draw(st.lists(st.floats(0, 1), min_size=int(np.prod(shape)),
                                     max_size=int(np.prod(shape))))).reshape(shape)
        return raw / np.maximum(raw.sum(axis=-1, keepdims=True), 1)
    if loss.task == "binary":
        pool = [0.0, 1.0] if name in ("hinge", "squared_hinge") else [0.0, 1.0, 0.3]
        return np.array(draw(st.lists(st.sampled_from(pool), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape))))).reshape(shape)
    pool = [0.0, 1.0, 2.5, 1e-300, 1e30, 7.0] if loss.task == "count" or \
        name == "mean_squared_logarithmic_error" else [0.0, -1.0, 2.5, 1e-300, 1e30, -7.0]
    return np.array(draw(st.lists(st.sampled_from(pool), min_size=int(np.prod(shape)),
                                  max_size=int(np.prod(shape))))).reshape(shape)


def _convert(kind, a):
    with np.errstate(over="ignore", invalid="ignore"):
        if kind in ("float16", "float32", "float64"):
            return a.astype(kind)
        if kind == "int":
            return np.where(np.isfinite(a), np.clip(np.round(a), -1e9, 1e9), 0).astype(np.int64)
        return a.tolist()


def _call(loss, y, p, params, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = loss.per_sample(y, p, **{k: v for k, v in params.items() if k != "reduction"})
        reduced = loss(y, p, sample_weight=weights, **params)
        grad = loss.grad(y, p, sample_weight=weights, **params)
    return values, reduced, grad


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 1000,
          suppress_health_check=list(HealthCheck))
@given(cases())
def test_fuzz_losses_every_call_is_ieee_exact_in_kind_and_quiet(case):
    name, kind, y, p_raw, params, weights = case
    loss = L.get(name)
    p = _convert(kind, p_raw)
    dtype = np.dtype(kind) if kind.startswith("float") else np.dtype(np.float64)
    COUNTS["calls"] += 1
    try:
        values, reduced, grad = _call(loss, y, p, params, weights)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert any(word in message for word in ("y_true", "y_pred", "sample_weight", "Expected",
                                                "parameter", "reduction")), message
        COUNTS[f"documented {type(exc).__name__}"] += 1
        return
    pf = np.asarray(p, dtype=np.float64)
    assert values.dtype == dtype and grad.dtype == dtype, (values.dtype, grad.dtype, dtype)
    assert grad.shape == np.shape(p)
    if isinstance(reduced, np.ndarray):
        assert reduced.dtype == dtype
    else:
        assert isinstance(reduced, float)
        with np.errstate(over="ignore"):
            assert np.isnan(reduced) or dtype.type(reduced) == reduced
    if not np.isnan(pf).any():
        _no_spurious_nan(name, loss, y, p, params, values, grad, dtype)
    _no_spurious_inf(name, kind, loss, y, p_raw, params, values, grad, dtype)
    COUNTS["checked"] += 1


def _limit_reference(name, y, p, params, dtype):
    kernel_params = {k: v for k, v in params.items() if k != "reduction"}
    # float16 is computed as float32 and rounded (clamps, limits): so is its reference
    dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
    y2 = np.asarray(y, dtype=np.float64) if name != "sparse_categorical_crossentropy" \
        else np.asarray(y)
    if name in ("hinge", "squared_hinge") and np.all((y2 == 0) | (y2 == 1)):
        y2 = 2 * y2 - 1   # the loss maps 0/1 labels to -1/1 (Keras); the reference takes -1/1
    return reference(name, y2, np.asarray(p, dtype=dtype), kernel_params, dtype.type)


def _no_spurious_nan(name, loss, y, p, params, values, grad, dtype):
    """NaN from NaN-free input only where the limit is undefined (the reference is NaN)."""
    if not (np.isnan(values).any() or np.isnan(grad).any()):
        return
    finite = np.isfinite(np.asarray(p, dtype=np.float64)).all()
    assert not finite, (name, y, p, params, values, grad)
    ref_v, ref_g = _limit_reference(name, y, p, params, dtype)
    rows = np.isnan(values)
    assert np.all(np.isnan(ref_v[rows])), (name, y, p, values, ref_v)
    nan_g = np.isnan(grad).reshape(len(values), -1).any(axis=1)
    assert np.all(np.isnan(ref_v[nan_g]) | np.isnan(ref_g.reshape(len(values), -1)).any(axis=1)
                  [nan_g]), (name, y, p, grad, ref_g)
    COUNTS["NaN at undefined limits"] += 1


def _no_spurious_inf(name, kind, loss, y, p_raw, params, values, grad, dtype):
    """inf only where a wider recomputation is infinite too (or beyond the dtype's range)."""
    if not (np.isinf(values).any() or np.isinf(grad).any()):
        return
    if dtype != np.float64:
        with np.errstate(over="ignore"):
            wide_p = _convert(kind, p_raw).astype(np.float64)
        wide_v = loss.per_sample(y, wide_p, **{k: v for k, v in params.items()
                                               if k != "reduction"})
        top = np.finfo(dtype).max
        bad = np.isinf(values) & (np.abs(wide_v) < top * (1 - 2 * np.finfo(dtype).eps))
        assert not bad.any(), (name, y, p_raw, values, wide_v)
        COUNTS["inf confirmed in float64"] += 1
        return
    ref_v, _ = _limit_reference(name, y, p_raw, params, dtype)
    bad = np.isinf(values) & np.isfinite(ref_v)
    assert not bad.any(), (name, y, p_raw, values, ref_v)
    COUNTS["inf confirmed by mpmath"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if EXAMPLES > 1000:
        print("\nfuzz counts:", dict(sorted(COUNTS.items())))
