"""mpmath references for the activation catalog, and the ULP table of the issue.

Every reference below is the exact mathematical definition, evaluated with mpmath at 60
significant digits and then rounded once, correctly (nearest, ties to even, with gradual
underflow and overflow to inf), to float32 or float64. At x = +-inf the reference is the limit
(``LIMITS``). Parameters take their float64 value (alpha = 0.01 means the double nearest 0.01).

Run ``PYTHONPATH=src python3 tests/reference.py`` to print, for every registered activation
with a reference and for float32 and float64, the largest error in ULPs of the value and of the
derivative over the test set (``test_points``), with the input where it occurs. ULPs are counted
as the number of representable floats between the result and the rounded reference (+0 and -0
count as one point). Where a derivative has a zero (gelu, silu, mish, hard_silu) the error in a
window around it is reported separately as |error| / eps, the absolute error in units of the
dtype's epsilon: there a relative measure is meaningless (the condition number is unbounded).
"""

from __future__ import annotations

import functools
import math
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 60
mp = mpmath.mpf
INF = float("inf")

SELU_ALPHA = mp(1.6732632423543772848170429916717)  # the float64 constants, exactly
SELU_SCALE = mp(1.0507009873554804934193349852946)


def _sig(x):
    """sigma(x) = 1 / (1 + e^{-x})."""
    return 1 / (1 + mpmath.exp(-x))


def _sp(x):
    """softplus(x) = log(1 + e^{x})."""
    return mpmath.log1p(mpmath.exp(x))


def _ncdf(x):
    """Phi(x), the standard normal CDF (0 below -1e4: Phi(-1e4) < 10^-(2*10^7))."""
    return mp(0) if x < -10**4 else mpmath.ncdf(x)


def _tanh_shrink(x):
    with mpmath.workdps(120):  # x - tanh x cancels ~ -2 log10|x| digits
        return +(x - mpmath.tanh(x))


def _hs(x):
    """relu6(x + 3) / 6."""
    return min(max(mp(0), x + 3), mp(6)) / 6


# name -> (f(x, **params), f'(x, **params)); each lambda is the textbook definition.
REFERENCES = {
    "step": (lambda x: mp(1) if x >= 0 else mp(0), lambda x: mp(0)),
    "linear": (lambda x: x, lambda x: mp(1)),
    "relu": (lambda x, negative_slope=0.0, max_value=None, threshold=0.0:
             (min(x, mp(max_value)) if max_value is not None else x) if x > threshold
             else mp(negative_slope) * (x - mp(threshold)),
             lambda x, negative_slope=0.0, max_value=None, threshold=0.0:
             (mp(1) if max_value is None or x < max_value else mp(0)) if x > threshold
             else mp(negative_slope)),
    "leaky_relu": (lambda x, negative_slope=0.2: x if x > 0 else mp(negative_slope) * x,
                   lambda x, negative_slope=0.2: mp(1) if x > 0 else mp(negative_slope)),
    "elu": (lambda x, alpha=1.0: x if x > 0 else mp(alpha) * mpmath.expm1(x),
            lambda x, alpha=1.0: mp(1) if x > 0 else mp(alpha) * mpmath.exp(x)),
    "sigmoid": (_sig, lambda x: _sig(x) * _sig(-x)),
    "tanh": (mpmath.tanh, lambda x: mpmath.sech(x) ** 2),
    "selu": (lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mpmath.expm1(x)),
             lambda x: SELU_SCALE * (1 if x > 0 else SELU_ALPHA * mpmath.exp(x))),
    "gelu": (lambda x, approximate=False: x * _sig(2 * mpmath.sqrt(2 / mpmath.pi) * (x + mp("0.044715") * x**3))
             if approximate else x * _ncdf(x),
             lambda x, approximate=False: (
                 _sig(2 * mpmath.sqrt(2 / mpmath.pi) * (x + mp("0.044715") * x**3))
                 + x * _sig(2 * mpmath.sqrt(2 / mpmath.pi) * (x + mp("0.044715") * x**3))
                 * _sig(-2 * mpmath.sqrt(2 / mpmath.pi) * (x + mp("0.044715") * x**3))
                 * 2 * mpmath.sqrt(2 / mpmath.pi) * (1 + 3 * mp("0.044715") * x**2))
             if approximate else _ncdf(x) + x * mpmath.npdf(x)),
    "silu": (lambda x: x * _sig(x), lambda x: _sig(x) * (1 + x * _sig(-x))),
    "softplus": (_sp, _sig),
    "softsign": (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    "mish": (lambda x: x * mpmath.tanh(_sp(x)),
             lambda x: mpmath.tanh(_sp(x)) + x * _sig(x) * mpmath.sech(_sp(x)) ** 2),
    "relu6": (lambda x: min(max(mp(0), x), mp(6)), lambda x: mp(1) if 0 < x < 6 else mp(0)),
    "hard_sigmoid": (_hs, lambda x: mp(1) / 6 if -3 < x < 3 else mp(0)),
    "hard_tanh": (lambda x: min(max(mp(-1), x), mp(1)), lambda x: mp(1) if -1 < x < 1 else mp(0)),
    "hard_silu": (lambda x: x * _hs(x),
                  lambda x: mp(0) if x < -3 else (mp(1) if x > 3 else (2 * x + 3) / 6)),
    "celu": (lambda x, alpha=1.0: max(mp(0), x) + min(mp(0), mp(alpha) * mpmath.expm1(x / mp(alpha))),
             lambda x, alpha=1.0: mp(1) if x > 0 else mpmath.exp(x / mp(alpha))),
    "log_sigmoid": (lambda x: -_sp(-x), lambda x: _sig(-x)),
    "exponential": (mpmath.exp, mpmath.exp),
    "sparse_sigmoid": (lambda x: (min(max(x, mp(-1)), mp(1)) + 1) / 2,
                       lambda x: mp(0.5) if -1 < x < 1 else mp(0)),
    "sparse_plus": (lambda x: mp(0) if x <= -1 else (x if x >= 1 else (x + 1) ** 2 / 4),
                    lambda x: (min(max(x, mp(-1)), mp(1)) + 1) / 2),
    "soft_shrink": (lambda x, threshold=0.5: x - mp(threshold) if x > threshold else
                    (x + mp(threshold) if x < -threshold else mp(0)),
                    lambda x, threshold=0.5: mp(1) if abs(x) > threshold else mp(0)),
    "hard_shrink": (lambda x, threshold=0.5: x if abs(x) > threshold else mp(0),
                    lambda x, threshold=0.5: mp(1) if abs(x) > threshold else mp(0)),
    "threshold": (lambda x, threshold=0.0, default_value=0.0:
                  x if x > threshold else mp(default_value),
                  lambda x, threshold=0.0, default_value=0.0: mp(1) if x > threshold else mp(0)),
    "tanh_shrink": (lambda x: x ** 3 / 3 - 2 * x ** 5 / 15 + 17 * x ** 7 / 315 if abs(x) < 1e-12
                    else _tanh_shrink(x), lambda x: mpmath.tanh(x) ** 2),
    # below 0 in the equal form without cancellation (60 digits do not cover x = -3e38)
    "squareplus": (lambda x, b=4.0: (x + mpmath.sqrt(x * x + b)) / 2 if x >= 0
                   else b / (2 * (mpmath.sqrt(x * x + b) - x)),
                   lambda x, b=4.0: (1 + x / mpmath.sqrt(x * x + b)) / 2 if x >= 0
                   else b / (2 * mpmath.sqrt(x * x + b) * (mpmath.sqrt(x * x + b) - x))),
}

# Limits at -inf and +inf of (f, f'), used for the infinite inputs.
LIMITS = {
    "step": ((0, 1), (0, 0)), "linear": ((-INF, INF), (1, 1)), "relu": ((None, INF), (None, 1)),
    "leaky_relu": ((-INF, INF), (None, 1)), "elu": ((None, INF), (0, 1)),
    "sigmoid": ((0, 1), (0, 0)), "tanh": ((-1, 1), (0, 0)), "selu": ((None, INF), (0, None)),
    "gelu": ((-0.0, INF), (0, 1)), "silu": ((-0.0, INF), (0, 1)), "softplus": ((0, INF), (0, 1)),
    "softsign": ((-1, 1), (0, 0)), "mish": ((-0.0, INF), (0, 1)), "relu6": ((0, 6), (0, 0)),
    "hard_sigmoid": ((0, 1), (0, 0)), "hard_tanh": ((-1, 1), (0, 0)),
    "hard_silu": ((-0.0, INF), (0, 1)), "celu": ((None, INF), (0, 1)),
    "log_sigmoid": ((-INF, 0), (1, 0)), "exponential": ((0, INF), (0, INF)),
    "sparse_sigmoid": ((0, 1), (0, 0)), "sparse_plus": ((0, INF), (0, 1)),
    "soft_shrink": ((-INF, INF), (1, 1)), "hard_shrink": ((-INF, INF), (1, 1)),
    "threshold": ((0, INF), (0, 1)), "squareplus": ((0, INF), (0, 1)),
    "tanh_shrink": ((-INF, INF), (1, 1)),
}

# Zeros of derivatives, where the derivative is compared in absolute error / eps.
ILL_CONDITIONED = {"gelu": -0.7518, "silu": -1.2785, "mish": -1.1924, "hard_silu": -1.5}
WINDOW = 0.3


def _limit(name, params, x, deriv):
    if name == "threshold" and x < 0 and not deriv:
        return params.get("default_value", 0.0)
    if name == "relu":
        ns, mv = params.get("negative_slope", 0.0), params.get("max_value")
        if x < 0:
            return ns if deriv else (-INF if ns else 0.0)
        return (0.0 if mv is not None else 1.0) if deriv else (mv if mv is not None else INF)
    lo, hi = LIMITS[name][deriv]
    v = lo if x < 0 else hi
    if v is None:  # parameter-dependent: -alpha (elu/celu values), alpha*inf, selu's -lambda*alpha
        if name in ("elu", "celu"):
            return -params.get("alpha", 1.0)
        if name == "selu":
            return -SELU_SCALE * SELU_ALPHA if not deriv else SELU_SCALE
        if name == "leaky_relu":
            return params.get("negative_slope", 0.2)
    if name == "gelu" and params.get("approximate") and deriv == 0 and x < 0:
        return -0.0
    return v


def round_to(v, dtype) -> float:
    """Round an mpf (or a float limit) to float32/float64, correctly, as a Python float."""
    if not isinstance(v, mpmath.mpf):
        return float(np.asarray(v, dtype))
    if v == 0 or not mpmath.isfinite(v):
        return float(v)
    p, emin, emax = (24, -126, 127) if dtype == np.float32 else (53, -1022, 1023)
    e = max(int(mpmath.frexp(v)[1]) - 1, emin)  # |v| in [2^e, 2^(e+1))
    quantum = mpmath.ldexp(1, e - p + 1)
    with mpmath.workdps(80):
        q = mpmath.nint(v / quantum)  # nint rounds half to even
    r = q * quantum
    if abs(r) >= mpmath.ldexp(1, emax + 1):
        return math.copysign(INF, v)
    return float(np.asarray(float(r), dtype)) if dtype == np.float32 else float(r)


EXTRA = 0  # extra random points (``--dense N`` on the command line); 0 in the test suite


def test_points() -> np.ndarray:
    """The test set (float64 array; its float32 part is every point exact in float32)."""
    rng = np.random.default_rng(2)
    dense = rng.uniform(-50, 50, EXTRA) * np.where(rng.random(EXTRA) < 0.5, 1, 1e-3)
    f32, f64 = np.finfo(np.float32), np.finfo(np.float64)
    grid = np.concatenate([np.linspace(-50, 50, 801), rng.uniform(-50, 50, 300),
                           rng.uniform(-4, 4, 300)]).astype(np.float32).astype(np.float64)
    edges = [87.33, 88.0, 88.72, 88.7228, 88.73, 89.0, 103.0, 103.97, 104.0, 150.0,
             708.0, 708.39, 709.0, 709.78, 709.79, 710.0, 744.0, 745.13, 745.2, 800.0,
             1e-300, 5e-324, 2.2250738585072014e-308, 1e-45, 1e-40, 1.1754943508222875e-38,
             1e-7, 1e-20, 1e10, 1e20, 1e100, float(f32.max), float(f64.max), 0.0, INF]
    edges += list(np.nextafter(np.float32([88.72283, 87.33654, 103.97208]), np.float32(INF)))
    edges = np.asarray(edges, np.float64)
    pts = np.concatenate([grid, edges, -edges, dense, dense.astype(np.float32)])
    return np.unique(pts)  # one zero: the sign of zero is tested in test_activations.py


def special_values(dtype) -> np.ndarray:
    """The special-value set every path of every activation is run on: +-0, +-inf, NaN, the
    smallest subnormal and normal, the largest finite, the exp overflow and underflow edges of
    float32 and float64 (each side), the kinks of the piecewise functions, huge and tiny."""
    fi = np.finfo(dtype)
    base = [0.0, np.inf, np.nan, float(fi.smallest_subnormal), float(fi.tiny), float(fi.max),
            1e-30, 1e-7, 0.5, 1.0, 3.0, 6.0, 9.01, 15.1, 17.0, 20.0, 37.0, 38.6, 88.72, 88.7228,
            89.0, 103.97, 104.0, 709.78, 709.79, 710.0, 745.13, 746.0, 1e6, 1e10, 1e30,
            1e100, 1e300]
    with np.errstate(over="ignore"):
        v = np.asarray(base, np.float64).astype(dtype)
        edges = np.nextafter(v[np.isfinite(v)], np.asarray(np.inf, dtype))
    v = np.concatenate([v, edges, np.asarray([-0.5, -1.5, 2.5], dtype)])
    return np.concatenate([v, -v])


def points_for(dtype) -> np.ndarray:
    x = test_points()
    with np.errstate(over="ignore"):
        return x if dtype == np.float64 else x[x.astype(np.float32).astype(np.float64) == x]


@functools.cache
def reference(name: str, params: tuple = ()) -> tuple[dict, dict]:
    """{dtype: rounded f(x)} and {dtype: rounded f'(x)} over ``points_for(dtype)``."""
    f, df = REFERENCES[name]
    p = dict(params)
    x = test_points()
    values, derivs = {}, {}
    exact = {}
    for xi in x:
        if math.isinf(xi):
            exact[xi] = (_limit(name, p, xi, 0), _limit(name, p, xi, 1))
        else:
            m = mp(float(xi))
            exact[xi] = (f(m, **p), df(m, **p))
    for dtype in (np.float32, np.float64):
        pts = points_for(dtype)
        values[dtype] = np.array([round_to(exact[xi][0], dtype) for xi in pts], dtype)
        derivs[dtype] = np.array([round_to(exact[xi][1], dtype) for xi in pts], dtype)
    return values, derivs


def ulp_count(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of representable floats between a and b (same float dtype); +0 == -0."""
    itype = np.int32 if a.dtype == np.float32 else np.int64
    mask = np.array(np.iinfo(itype).max, itype)

    def order(v):
        i = np.ascontiguousarray(v).view(itype).astype(np.int64)
        return np.where(i < 0, -(i & int(mask)), i)

    return np.abs(order(a) - order(b))


def errors(name, params, dtype, which, act):
    """(ulps, abs_err_in_eps, ill_mask, x) for the value (which=0) or derivative (1)."""
    x = points_for(dtype)
    ref = reference(name, tuple(sorted(params.items())))[which][dtype]
    xa = x.astype(dtype)
    got = act(xa) if which == 0 else act.grad(xa)
    ulps = ulp_count(got, ref)
    both_nan = np.isnan(got) & np.isnan(ref)
    ulps = np.where(both_nan, 0, np.where(np.isnan(got) | np.isnan(ref), 2**62, ulps))
    eps = float(np.finfo(dtype).eps)
    with np.errstate(invalid="ignore"):
        abs_err = np.abs(got.astype(np.float64) - ref.astype(np.float64)) / eps
    ill = np.zeros(x.shape, bool)
    if which == 1 and name in ILL_CONDITIONED:
        ill = np.abs(x - ILL_CONDITIONED[name]) < WINDOW
    return ulps, abs_err, ill, x


CONFIGS = [(n, {}) for n in REFERENCES] + [
    ("leaky_relu", {"negative_slope": 0.01}), ("leaky_relu", {"negative_slope": 1e-300}),
    ("relu", {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5}),
    ("elu", {"alpha": 0.5}), ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("soft_shrink", {"threshold": 2.0}), ("squareplus", {"b": 0.25}), ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": True})]


def table() -> list[tuple]:
    from actloss import activations as A

    rows = []
    for name, params in CONFIGS:
        act = A.get(name, **params)
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        row = [label]
        for dtype in (np.float32, np.float64):
            for which in (0, 1):
                ulps, abs_err, ill, x = errors(name, params, dtype, which, act)
                u = np.where(ill, 0, ulps)
                i = int(np.argmax(u))
                cell = f"{int(u[i])} @ {x[i]:.6g}" if u[i] else "0"
                if ill.any():
                    cell += f" ({abs_err[ill].max():.2f} eps near {ILL_CONDITIONED[name]})"
                row.append(cell)
        rows.append(tuple(row))
    return rows


def softmax_table() -> list[tuple]:
    from actloss import activations as A

    rows = []
    for log in (False, True):
        act = A.log_softmax if log else A.softmax
        cells = []
        for dt in (np.float32, np.float64):
            worst = max(int(ulp_count(act(r.astype(dt)[None])[0], ref[dt]).max())
                        for r, ref in zip(softmax_rows(), softmax_reference(log)))
            cells += [str(worst), "(vjp)"]
        rows.append((act.name + " (rows)", *cells))
    return rows


def main() -> int:
    global EXTRA
    if "--dense" in sys.argv:
        EXTRA = int(sys.argv[sys.argv.index("--dense") + 1])
    names = [a for a in sys.argv[1:] if a in REFERENCES]
    if names:
        CONFIGS[:] = [c for c in CONFIGS if c[0] in names]
    head = ("activation", "f32 value", "f32 derivative", "f64 value", "f64 derivative")
    rows = table() + (softmax_table() if not names else [])
    print(f"{len(points_for(np.float32))} float32 and {len(points_for(np.float64))} float64 "
          f"test points")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print("\nmax ULP error (count of floats between result and the correctly rounded mpmath "
          "value) @ worst input; (abs error / eps) in the window around a derivative's zero.")
    return 0



def softmax_rows() -> list[np.ndarray]:
    """Rows for the softmax / log_softmax tests (every entry exact in float32)."""
    rng = np.random.default_rng(3)
    rows = [np.array([1e4, -1e4, 0.0]), np.array([5.0]), np.array([-1e4]),
            np.array([0.0, -1000.0]), np.array([0.0, -30.0, -60.0, -90.0]),
            np.array([100.7, 0.3, 100.1, 99.9]), np.array([1e-30, -1e-30, 3.0])]
    rows += [rng.normal(0, s, n) for s in (0.1, 1, 10, 100) for n in (2, 5, 16)]
    return [r.astype(np.float32).astype(np.float64) for r in rows]


@functools.cache
def softmax_reference(log: bool) -> list[dict]:
    """Per row, {dtype: softmax (or log_softmax) rounded}: s_i = e^{x_i} / sum_j e^{x_j}."""
    out = []
    for row in softmax_rows():
        m = [mp(float(v)) for v in row]
        top = max(range(len(m)), key=m.__getitem__)
        # lse = x_top + log1p(sum of the others' e^{x_j - x_top}): log1p keeps the tiny sum
        # (x_i - x_top) - log1p(...): adding x_top to the tiny log1p first would round it away
        lse0 = mpmath.log1p(mpmath.fsum(mpmath.exp(v - m[top])
                                        for j, v in enumerate(m) if j != top))
        exact = [(v - m[top]) - lse0 for v in m]
        exact = exact if log else [mpmath.exp(v) for v in exact]
        out.append({dt: np.array([round_to(v, dt) for v in exact], dt)
                    for dt in (np.float32, np.float64)})
    return out


if __name__ == "__main__":
    sys.exit(main())


def softmax_vjp_cases(dtype) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row, cotangent) pairs, exact in ``dtype``: ordinary rows and near-one-hot ones (a
    probability that rounds to 1: [37, 0, 0] in float64, [17, 0, 0] in float32), with
    arbitrary cotangents (random, equal, opposite, huge and tiny)."""
    rng = np.random.default_rng(5)
    top = 37.0 if dtype == np.float64 else 17.0
    rows = [np.array([top, 0.0, 0.0]), np.array([0.0, top, -top]), np.array([2 * top, top, 0.0]),
            np.array([1e4, 0.0, -1e4, 3.0])] + [rng.normal(0, s, 6) for s in (0.5, 3, 30)]
    gs = [lambda n: rng.normal(0, 1, n), lambda n: np.ones(n), lambda n: np.arange(n) - 1.0,
          lambda n: rng.normal(0, 1, n) * 1e30, lambda n: rng.normal(0, 1, n) * 1e-30]
    return [(r.astype(dtype), g(r.size).astype(dtype)) for r in rows for g in gs]


def softmax_vjp_reference(row, g, log: bool, dtype) -> np.ndarray:
    """g J of softmax (or log_softmax) at ``row``, exactly, rounded to ``dtype``:
    softmax: s_i (g_i - sum_j g_j s_j); log_softmax: g_i - s_i sum_j g_j."""
    x = [mp(float(v)) for v in row]
    gg = [mp(float(v)) for v in g]
    m = max(x)
    e = [mpmath.exp(v - m) for v in x]
    total = mpmath.fsum(e)
    s = [v / total for v in e]
    # the same sums written without cancellation (sum_j s_j = 1): exact zeros stay zeros
    if log:
        exact = [mpmath.fsum(gi * sj - si * gj for sj, gj in zip(s, gg))
                 for gi, si in zip(gg, s)]
    else:
        exact = [si * mpmath.fsum(sj * (gi - gj) for sj, gj in zip(s, gg))
                 for gi, si in zip(gg, s)]
    return np.array([round_to(v, dtype) for v in exact], dtype)
