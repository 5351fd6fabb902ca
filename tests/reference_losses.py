"""mpmath references of every loss, the input cases they are measured on, and an ULP meter.

Each reference is written the plain textbook way, evaluated at 256 bits (1,300 for logits), so it shares no
numerical trick with the implementation (only the documented conventions: the clamp of a
probability at the dtype's smallest normal number ``tiny``, Keras's epsilon in MAPE, 0 log 0 = 0).
Values are per sample (one row t, p of d entries); gradients are d loss_i / d p_i, unreduced.

Run ``PYTHONPATH=src python3 tests/reference_losses.py`` to print, for every loss, the largest
error in ULP (float32 and float64, value and gradient) and the input where it occurred.
"""

from __future__ import annotations

import sys

import mpmath
import numpy as np

from actloss import losses as L

mp = mpmath.mp
mp.prec = 256
LOGIT_PREC = 1300  # sigmoid(z) - 1 = -e^-z must survive for z up to 745 (added to mp.prec)
KERAS_EPS = mpmath.mpf(float(np.float32(1e-7)))


def _tiny(dtype):
    return mpmath.mpf(float(np.finfo(dtype).tiny))


def _exp(x):
    """exp(x), also for the stand-ins of +-inf (see BIG): 2^k exp(r) with r = x - k log 2 taken
    at the precision that |x| needs (mpmath's own exp of 1e1000 takes seconds)."""
    if abs(x) > 10**6:
        with mpmath.workprec(mpmath.mp.prec + 3400):
            k = int(mpmath.floor(x / mpmath.ln2))
            r = x - k * mpmath.ln2
        return mpmath.ldexp(mpmath.exp(r), k)
    return mpmath.exp(x)


def _log_cosh(e):
    return mpmath.log(mpmath.cosh(e)) if abs(e) < 10**6 else abs(e) - mpmath.ln2


def _tanh(e):
    return mpmath.tanh(e) if abs(e) < 10**6 else mpmath.sign(e)


def _sig(z):
    return 1 / (1 + _exp(-z))


def _sign(x):
    return (x > 0) - (x < 0)


def _smoothed(t, s, k, dt):
    """Keras label smoothing t (1 - s) + s/k, rounded to the dtype: a smoothed label is an input
    like any other, so the loss is measured at the label as represented."""
    if not s:
        return t
    s = mpmath.mpf(s)
    return [mpmath.mpf(float(np.float64(float(a * (1 - s) + s / k)).astype(dt))) for a in t]


# ---------------------------------------------------------------- references, one per loss
def mse(t, p, dt):
    """mean_k (p_k - t_k)^2; grad 2 (p_k - t_k) / d."""
    d = len(p)
    return mpmath.fsum((b - a) ** 2 for a, b in zip(t, p)) / d, [2 * (b - a) / d for a, b in zip(t, p)]


def rmse(t, p, dt):
    """sqrt(mean_k e_k^2); grad e_k / (d * rmse), 0 where rmse = 0."""
    d = len(p)
    r = mpmath.sqrt(mpmath.fsum((b - a) ** 2 for a, b in zip(t, p)) / d)
    return r, [(b - a) / (d * r) if r else mpmath.mpf(0) for a, b in zip(t, p)]


def mae(t, p, dt):
    """mean_k |e_k|; grad sign(e_k) / d."""
    d = len(p)
    return mpmath.fsum(abs(b - a) for a, b in zip(t, p)) / d, [_sign(b - a) / mpmath.mpf(d) for a, b in zip(t, p)]


def smooth_l2(t, p, dt):
    """mean_k e_k^2 / 2; grad e_k / d."""
    d = len(p)
    return mpmath.fsum((b - a) ** 2 / 2 for a, b in zip(t, p)) / d, [(b - a) / d for a, b in zip(t, p)]


def huber(t, p, dt, delta=1.0):
    """mean_k (e^2/2 if |e| <= delta else delta (|e| - delta/2)); grad clip(e, -delta, delta)/d."""
    d, delta = len(p), mpmath.mpf(delta)
    es = [b - a for a, b in zip(t, p)]
    v = mpmath.fsum(e * e / 2 if abs(e) <= delta else delta * (abs(e) - delta / 2) for e in es)
    return v / d, [max(-delta, min(delta, e)) / d for e in es]


def smooth_l1(t, p, dt, beta=1.0):
    """mean_k (e^2/(2 beta) if |e| < beta else |e| - beta/2), |e| when beta = 0 (PyTorch);
    grad clip(e / beta, -1, 1) / d (sign(e) / d when beta = 0)."""
    d, beta = len(p), mpmath.mpf(beta)
    es = [b - a for a, b in zip(t, p)]
    if beta == 0:
        return mpmath.fsum(abs(e) for e in es) / d, [_sign(e) / mpmath.mpf(d) for e in es]
    v = mpmath.fsum(e * e / (2 * beta) if abs(e) < beta else abs(e) - beta / 2 for e in es)
    return v / d, [max(-1, min(1, e / beta)) / d for e in es]


def log_cosh(t, p, dt):
    """mean_k log(cosh(e_k)); grad tanh(e_k) / d."""
    d = len(p)
    es = [b - a for a, b in zip(t, p)]
    return mpmath.fsum(_log_cosh(e) for e in es) / d, [_tanh(e) / d for e in es]


def mape(t, p, dt):
    """100 mean_k |e_k| / max(|t_k|, eps), eps = float32(1e-7); grad 100 sign(e_k)/(max(..) d)."""
    d = len(p)
    den = [max(abs(a), KERAS_EPS) for a in t]
    es = [b - a for a, b in zip(t, p)]
    return (100 * mpmath.fsum(abs(e) / q for e, q in zip(es, den)) / d,
            [100 * _sign(e) / (q * d) for e, q in zip(es, den)])


def msle(t, p, dt):
    """mean_k (log(1 + max(p_k, 0)) - log(1 + t_k))^2; grad 2 (..) / ((1 + p_k) d), 0 if p_k < 0."""
    d = len(p)
    r = [mpmath.log1p(max(b, 0)) - mpmath.log1p(a) for a, b in zip(t, p)]
    # at the stand-in for +inf the value's limit is inf: log grows too slowly for BIG to show it
    vals = [mpmath.inf if b > 10**500 else x for x, b in zip(r, p)]
    return (mpmath.fsum(x * x for x in vals) / d,
            [2 * x / ((1 + b) * d) if b >= 0 else mpmath.mpf(0) for x, b in zip(r, p)])


def cosine_similarity(t, p, dt):
    """-t.p / (|t| |p|) (0 if a norm is 0); grad -(t/|t| - cos p/|p|) / |p|."""
    nt = mpmath.sqrt(mpmath.fsum(a * a for a in t))
    np_ = mpmath.sqrt(mpmath.fsum(b * b for b in p))
    if nt == 0 or np_ == 0:
        return mpmath.mpf(0), [mpmath.mpf(0)] * len(p)
    c = mpmath.fsum(a * b for a, b in zip(t, p)) / (nt * np_)
    return -c, [-(a / nt - c * b / np_) / np_ for a, b in zip(t, p)]


def _bce_elem(t, p, dt, from_logits):
    """(loss, dloss/dp) of one entry: -[t log P + (1-t) log Q], P = max(p, tiny),
    Q = max(1 - p, tiny), grad (1 - t)/Q - t/P; from logits t log(1 + e^-z) + (1 - t) log(1 + e^z),
    grad sigmoid(z) - t."""
    if from_logits:
        with mpmath.extraprec(LOGIT_PREC - 256):
            return (+(t * mpmath.log1p(_exp(-p)) + (1 - t) * mpmath.log1p(_exp(p))),
                    +(_sig(p) - t))
    tiny = _tiny(dt)
    log_q = mpmath.log1p(-p) if 1 - p > tiny else mpmath.log(tiny)  # log(max(1 - p, tiny))
    # derivative of each term, with the clamp's floor in the denominators (the documented
    # convention: the slope keeps pushing p away from 0 or 1 at the clamp)
    return (-(t * mpmath.log(max(p, tiny)) + (1 - t) * log_q),
            (1 - t) / max(1 - p, tiny) - t / max(p, tiny))


def binary_crossentropy(t, p, dt, from_logits=False, label_smoothing=0.0):
    """mean_k bce(t_k, p_k) with t smoothed to t (1 - s) + s/2 (see _bce_elem, _smoothed)."""
    t = _smoothed(t, label_smoothing, 2, dt)
    parts = [_bce_elem(a, b, dt, from_logits) for a, b in zip(t, p)]
    d = len(p)
    return mpmath.fsum(v for v, _ in parts) / d, [g / d for _, g in parts]


def binary_focal_crossentropy(t, p, dt, gamma=2.0, alpha=None, from_logits=False,
                              label_smoothing=0.0):
    """mean_k a_k q_k^gamma bce_k, q = 1 - p_t = t(1 - P) + (1 - t)P, P = p or sigmoid(z),
    a = t alpha + (1 - t)(1 - alpha) (1 without alpha); grad by the product rule:
    a [gamma q^(gamma-1) (1 - 2t) bce + q^gamma dbce/dP] (times P(1 - P) from logits)."""
    gamma = mpmath.mpf(gamma)
    t = _smoothed(t, label_smoothing, 2, dt)
    d = len(p)
    vals, grads = [], []
    for a, b in zip(t, p):
        bce, dbce = _bce_elem(a, b, dt, from_logits)
        with mpmath.extraprec(LOGIT_PREC - 256):
            P = _sig(b) if from_logits else b
            q = a * (1 - P) + (1 - a) * P
        w = 1 if alpha is None else a * alpha + (1 - a) * (1 - alpha)
        vals.append(w * q ** gamma * bce)
        first = gamma * q ** (gamma - 1) * (1 - 2 * a) * bce if q else 0
        if from_logits:
            grads.append(w * (first * P * (1 - P) + q ** gamma * dbce) / d)
        else:
            grads.append(w * (first + q ** gamma * dbce) / d)
    return mpmath.fsum(vals) / d, grads


def categorical_crossentropy(t, p, dt, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum_k t_k log max(p_k, tiny), t smoothed to t (1 - s) + s/C; grad -t_k / max(p_k, tiny).
    From logits log p = z - log sum exp z, grad softmax(z) sum(t) - t."""
    C = len(p)
    t = _smoothed(t, label_smoothing, C, dt)
    if from_logits:
        with mpmath.extraprec(LOGIT_PREC - 256):
            lse = mpmath.log(mpmath.fsum(_exp(z) for z in p))
            st = mpmath.fsum(t)
            return (-mpmath.fsum(a * (z - lse) for a, z in zip(t, p)),
                    [+(_exp(z - lse) * st - a) for a, z in zip(t, p)])
    tiny = _tiny(dt)
    return (-mpmath.fsum(a * mpmath.log(max(b, tiny)) for a, b in zip(t, p)),
            [-a / max(b, tiny) for a, b in zip(t, p)])


def sparse_categorical_crossentropy(label, p, dt, from_logits=False, ignore_index=None):
    """categorical_crossentropy of the one-hot row of ``label``; 0 if label == ignore_index."""
    if ignore_index is not None and label == ignore_index:
        return mpmath.mpf(0), [mpmath.mpf(0)] * len(p)
    onehot = [mpmath.mpf(int(k == label)) for k in range(len(p))]
    return categorical_crossentropy(onehot, p, dt, from_logits)


def log_loss(t, p, dt):
    """binary (one column): -[t log P + (1 - t) log Q]; multiclass: -log max(p_label, tiny)."""
    if len(p) == 1:
        return binary_crossentropy(t, p, dt)
    return categorical_crossentropy(t, p, dt)


def hinge(t, p, dt):
    """mean_k max(0, 1 - t_k p_k) with t in {-1, 1}; grad -t_k [t_k p_k < 1] / d."""
    d = len(p)
    return (mpmath.fsum(max(0, 1 - a * b) for a, b in zip(t, p)) / d,
            [-a * (a * b < 1) / mpmath.mpf(d) for a, b in zip(t, p)])


def squared_hinge(t, p, dt):
    """mean_k max(0, 1 - t_k p_k)^2; grad -2 t_k max(0, 1 - t_k p_k) / d."""
    d = len(p)
    m = [max(0, 1 - a * b) for a, b in zip(t, p)]
    return mpmath.fsum(x * x for x in m) / d, [-2 * a * x / d for a, x in zip(t, m)]


def categorical_hinge(t, p, dt):
    """max(0, 1 + max_k (1 - t_k) p_k - sum_k t_k p_k); grad [l > 0]((1 - t_j) e_j - t),
    j = argmax_k (1 - t_k) p_k."""
    w = [(1 - a) * b for a, b in zip(t, p)]
    j = max(range(len(w)), key=lambda k: w[k])
    v = max(0, 1 + w[j] - mpmath.fsum(a * b for a, b in zip(t, p)))
    g = [-a if v > 0 else mpmath.mpf(0) for a in t]
    if v > 0:
        g[j] += 1 - t[j]
    return v, g


def kl_divergence(t, p, dt):
    """sum_k t_k log(t_k / max(p_k, tiny)) with 0 log 0 = 0; grad -t_k / max(p_k, tiny)."""
    tiny = _tiny(dt)
    return (mpmath.fsum(a * mpmath.log(a / max(b, tiny)) for a, b in zip(t, p) if a),
            [-a / max(b, tiny) for a, b in zip(t, p)])


def poisson(t, p, dt):
    """mean_k p_k - t_k log max(p_k, tiny); grad (1 - t_k / max(p_k, tiny)) / d, saturated at
    the largest float of the dtype."""
    tiny, d = _tiny(dt), len(p)
    big = mpmath.mpf(float(np.finfo(dt).max))
    return (mpmath.fsum(b - a * mpmath.log(max(b, tiny)) for a, b in zip(t, p)) / d,
            [max(-big, min(big, 1 - a / max(b, tiny))) / d for a, b in zip(t, p)])


REFERENCES = {f.__name__: f for f in (
    mse, rmse, mae, smooth_l2, huber, smooth_l1, log_cosh, mape, msle, cosine_similarity,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, log_loss, hinge, squared_hinge, categorical_hinge,
    kl_divergence, poisson)}
ALIASES = {"mse": "mean_squared_error", "rmse": "root_mean_squared_error",
           "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
           "msle": "mean_squared_logarithmic_error"}
BY_LOSS = {ALIASES.get(k, k): f for k, f in REFERENCES.items()}


# ---------------------------------------------------------------- input cases
def _extremes(dt):
    """(smallest error, largest error) used for a dtype: 1e-300 / 1e200 in float64."""
    return (1e-300, 1e200) if dt == np.float64 else (1e-37, 1e37)


def _near_one(dt):
    return 1 - 1e-16 if dt == np.float64 else 1 - 6e-8


def _onehot(labels, classes, dt):
    return (np.asarray(labels)[:, None] == np.arange(classes)).astype(dt)


def cases(name, dt, rng, n=24):
    """Input cases ``(label, y_true, y_pred, params, strict)`` for loss ``name`` in dtype ``dt``.

    ``strict`` True: values and gradients must be within 4 ULP of the reference; "value": the
    values must, the gradients are measured in ULP of max(|reference|, 1): soft labels against
    logits (sigmoid(z) - y cancels near the optimum) and focal loss with soft labels."""
    small, big = _extremes(dt)
    one = _near_one(dt)
    a = lambda x: np.asarray(x, dtype=dt)
    spread = 10.0 ** rng.uniform(-4, 3, (n, 3))
    out = []
    if name in ("mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
                "smooth_l2", "huber", "smooth_l1", "log_cosh",
                "mean_absolute_percentage_error", "cosine_similarity"):
        t = rng.normal(size=(n, 3)) * spread
        out.append(("random", a(t), a(t + rng.normal(size=(n, 3)) * spread), {}, True))
        errs = [0.0, small, -small, 1e-8, 0.5, -1.0, 1.5, 1e4, -1e4, big, -big]
        out.append(("extreme errors", a(np.zeros(len(errs))), a(errs), {}, True))
        out.append(("extreme errors, y=1", a(np.ones(len(errs))), a(np.add(1, errs)), {}, True))
        out.append(("single sample", a([[0.25, -3.0, 7.0]]), a([[0.5, 2.0, -1e-3]]), {}, True))
        inf = np.inf
        out.append(("infinite predictions", a(np.zeros((5, 3)) + [[0, 1, -2]]),
                    a([[inf, 0, 1], [-inf, 2, 0], [inf, -inf, 1], [inf, inf, 0.5],
                       [big, inf, 0]]), {}, True))
        if name == "huber":
            out.append(("delta=0.1", a(t), a(t + rng.normal(size=(n, 3))), {"delta": 0.1}, True))
        if name == "smooth_l1":
            for beta in (0.0, 0.1, 3.0):
                out.append((f"beta={beta}", a(t), a(t + rng.normal(size=(n, 3))), {"beta": beta}, True))
        if name == "cosine_similarity":
            out.append(("zero and scaled rows", a([[0, 0, 0], [1, 2, 3], [small, 0, small], [big, big, 1]]),
                        a([[1, 2, 3], [0, 0, 0], [small, small, 0], [big, -big, big]]), {}, True))
            # nearly orthogonal rows: y.p cancels far below the size of its terms
            v = rng.normal(size=(n, 3)) * spread
            ortho = a(v - (np.sum(v * t, axis=1) / np.sum(t * t, axis=1))[:, None] * t)
            out.append(("nearly orthogonal", a(t), ortho, {}, True))
            out.append(("cancelling terms", a([[1e-40, -7, 1e-40, 1e-40], [1, 1, 1, 0]]),
                        a([[-1e30, 1e-45, 1e-45, 1e30], [1e30, -1e30, small, 5]]), {}, True))
            # several infinite entries: cosine 0 where y is 0 at all of them (on every path),
            # undefined where it is not, unless every path's value rounds to one number (y at
            # the infinite entries below the dtype's resolution of |y|); the gradient tends to 0
            out.append(("several infinite predictions",
                        a([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, -2], [0, 0, 1, 1], [1, 0, 0, 1],
                           [0, 0, 0, 1], [0, 1, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 1],
                           [0, small, big, 0], [0, small, big, 0], [0, 1, big, 0]]),
                        a([[2, inf, inf, 0], [2, -inf, inf, 0], [small, -inf, -inf, 3],
                           [2, inf, inf, 0], [2, inf, inf, 0], [inf, inf, inf, inf],
                           [0, inf, -inf, 5], [big, inf, 0, -big], [2, inf, inf, 0],
                           [-big, inf, -inf, -inf], [0, inf, 0, inf], [0, -inf, 1, inf],
                           [0, inf, 0, inf]]), {}, True))
    elif name in ("mean_squared_logarithmic_error", "poisson"):
        t = np.abs(rng.normal(size=(n, 3)) * spread)
        p = np.abs(t + rng.normal(size=(n, 3)) * spread)
        out.append(("random", a(t), a(p), {}, True))
        out.append(("random integer counts", a(rng.poisson(3.0, (n, 3))), a(p), {}, True))
        vals = [0.0, small, 1e-8, 0.5, 1.0, 2.0, 1e4, big]
        tt, pp = np.meshgrid(vals, vals + [np.inf])
        out.append(("extremes", a(tt.ravel()), a(pp.ravel()), {}, True))
        if name == "mean_squared_logarithmic_error":
            out.append(("negative predictions", a(t), a(-p / 2), {}, True))
        if name == "poisson":   # p close to t log p: the value cancels deeply
            rates = a(np.exp(rng.uniform(1.01, 30, n)))
            counts = a(rates.astype(np.float64) / np.log(rates.astype(np.float64)))
            out.append(("near its zero crossing", counts, rates, {}, True))
    elif name in ("binary_crossentropy", "binary_focal_crossentropy", "log_loss"):
        subnormal = 5e-324 if dt == np.float64 else 1e-45
        probs = [0.0, subnormal, small, 1e-16, 1e-5, 0.3, 0.5, 0.9, one, 1.0]
        y = np.repeat([0.0, 1.0], len(probs))
        out.append(("extreme probabilities", a(y), a(probs * 2), {}, True))
        hard = rng.integers(0, 2, (n, 3)).astype(float)
        out.append(("random probabilities", a(hard), a(rng.uniform(size=(n, 3))), {}, True))
        if name != "log_loss":
            z = [-np.inf, -1000.0, -745.0, -40.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 40.0, 745.0,
                 1000.0, np.inf]
            out.append(("extreme logits", a(np.repeat([0.0, 1.0], len(z))), a(z * 2),
                        {"from_logits": True}, True))
            out.append(("random logits", a(hard), a(rng.normal(size=(n, 3)) * 10),
                        {"from_logits": True}, True))
            soft = rng.uniform(size=(n, 3))
            out.append(("soft labels", a(soft), a(rng.uniform(size=(n, 3))), {},
                        True if name == "binary_crossentropy" else "value"))
            out.append(("soft labels, logits", a(soft), a(rng.normal(size=(n, 3)) * 5),
                        {"from_logits": True}, "value"))
            out.append(("label_smoothing=0.1", a(hard), a(rng.uniform(size=(n, 3))),
                        {"label_smoothing": 0.1}, True))
        if name == "binary_focal_crossentropy":
            out.append(("gamma=0.5, alpha=0.25", a(hard), a(rng.uniform(size=(n, 3))),
                        {"gamma": 0.5, "alpha": 0.25}, True))
            out.append(("gamma=3, logits", a(hard), a(rng.normal(size=(n, 3)) * 10),
                        {"gamma": 3.0, "from_logits": True}, True))
            out.append(("alpha=1, extreme logits", a(np.repeat([0.0, 1.0], len(z))), a(z * 2),
                        {"alpha": 1.0, "from_logits": True}, True))
            # gamma < 1 at logits where q = 1 - p_t underflows: q^(gamma-1) must not overflow
            for gamma in (0.0, 0.5):
                out.append((f"gamma={gamma}, extreme logits", a(np.repeat([0.0, 1.0], len(z))),
                            a(z * 2), {"gamma": gamma, "from_logits": True}, True))
        if name == "log_loss":
            labels = rng.integers(0, 4, n)
            pm = rng.dirichlet(np.full(4, 0.3), n)
            out.append(("multiclass", _onehot(labels, 4, dt), a(pm), {}, True))
    elif name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        labels = rng.integers(0, 4, n)
        z = rng.normal(size=(n, 4)) * 10
        inf = np.inf
        zx = np.array([[1000, -1000, 0, 0], [-1000, 1000, 0, 0], [40, 0, 0, 0], [0, 40, 0, 0],
                       [745, 0, -745, 1], [0, 0, 0, 0], [1e-3, 0, 0, 0], [30, 30, 0, -30],
                       [-inf, 0, 1, 2], [inf, 0, 0, 0], [inf, 0, 0, 0], [inf, inf, 0, 0],
                       [-inf, -inf, -inf, 0], [-inf, -inf, -inf, 0], [-inf, 5, 1e3, -inf]],
                      float)
        lx = np.array([0, 0, 0, 0, 1, 2, 0, 1, 1, 0, 1, 0, 3, 0, 2])
        pm = rng.dirichlet(np.full(4, 0.3), n)
        px = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [small, one, 0, 0], [0.5, 0.5, 0, 0]])
        lpx = np.array([0, 0, 0, 1])
        sparse = name.startswith("sparse")
        lab = (lambda x: x) if sparse else (lambda x: _onehot(x, 4, dt))
        out += [("random logits", lab(labels), a(z), {"from_logits": True}, True),
                ("extreme logits", lab(lx), a(zx), {"from_logits": True}, True),
                ("random probabilities", lab(labels), a(pm), {}, True),
                ("extreme probabilities", lab(lpx), a(px), {}, True)]
        if sparse:
            out.append(("ignore_index=2", labels, a(z), {"from_logits": True, "ignore_index": 2}, True))
        else:
            out.append(("label_smoothing=0.2", lab(labels), a(pm), {"label_smoothing": 0.2}, True))
            soft = rng.dirichlet(np.ones(4), n)
            out.append(("soft labels, logits", a(soft), a(z), {"from_logits": True}, "value"))
    elif name in ("hinge", "squared_hinge"):
        t = rng.choice([-1.0, 1.0], (n, 3))
        out.append(("random", a(t), a(rng.normal(size=(n, 3)) * spread), {}, True))
        vals = [-np.inf, -big, -2.0, -1.0, -small, 0.0, small, 0.5, 1.0, 1 + 1e-7, 3.0, big,
                np.inf]
        out.append(("extremes", a(np.repeat([-1.0, 1.0], len(vals))), a(vals * 2), {}, True))
    elif name == "categorical_hinge":
        labels = rng.integers(0, 4, n)
        out.append(("random", _onehot(labels, 4, dt), a(rng.normal(size=(n, 4)) * 3), {}, True))
        out.append(("near the margin", _onehot([0, 1], 4, dt),
                    a([[1.0, 0.0, 1e-9, -1.0], [0.3, 1.3 + 1e-12, 0.2, 0.1]]), {}, True))
        out.append(("infinite scores", _onehot([0, 1, 2, 3], 4, dt),
                    a([[np.inf, 0, 1, 2], [0, -np.inf, 1, 2], [np.inf, 0, np.inf, 1],
                       [-np.inf, -np.inf, 0, 1]]), {}, True))
    elif name == "kl_divergence":
        t = rng.dirichlet(np.full(4, 0.5), n)
        out.append(("random distributions", a(t), a(rng.dirichlet(np.full(4, 0.5), n)), {}, True))
        vals = [0.0, small, 1e-8, 0.3, 0.5, one, 1.0]
        tt, pp = np.meshgrid(vals, vals)
        out.append(("extremes (d=1)", a(tt.ravel()), a(pp.ravel()), {}, True))
    return out


# ---------------------------------------------------------------- the ULP meter
def ulp_distance(x, y, dt):
    """Number of representable ``dt`` values between x and y (0 when equal; inf counts as the
    value after the largest float)."""
    itype = np.int64 if dt == np.float64 else np.int32
    xf, yf = np.asarray(x, dt).reshape(-1), np.asarray(y, dt).reshape(-1)
    both_nan, one_nan = np.isnan(xf) & np.isnan(yf), np.isnan(xf) ^ np.isnan(yf)
    xf, yf = np.where(both_nan, 0, xf).astype(dt), np.where(both_nan, 0, yf).astype(dt)
    x = xf.view(itype).astype(object)
    y = yf.view(itype).astype(object)
    sign = 1 << (64 if dt == np.float64 else 32) - 1

    def ordered(i):
        return [-(v & (sign - 1)) if v < 0 else v for v in i]
    out = np.array([abs(u - v) for u, v in zip(ordered(x), ordered(y))], dtype=float)
    return np.where(one_nan, np.inf, out)


def _to_dtype(values, dt):
    with np.errstate(over="ignore"):
        return np.array([float(v) for v in values], dtype=np.float64).astype(dt)


BIG = mpmath.mpf(10) ** 1000  # stands for inf: 1/BIG and BIG are 0 and inf in every dtype


def _substituted(row, spread):
    """The row with +-inf replaced by +-BIG (``spread``: entry k by +-BIG (1 + k), so that
    infinite entries grow at different rates)."""
    return [mpmath.mpf(float(v)) if np.isfinite(v) else
            (BIG * (1 + k) if spread else BIG) * (1 if v > 0 else -1) for k, v in enumerate(row)]


def _row_reference(ref, trow, prow, dt, params):
    """(value, gradient) of one row rounded to ``dt``; NaN in the row gives NaN (the loss's
    gradient entries are NaN where the NaN sits, and for the whole row when the loss couples
    the outputs: that is checked in the tests, not here). With +-inf: the mathematical limit,
    found by evaluating at two substitutions of huge numbers growing at different rates; where
    they disagree the limit is undefined and the reference is NaN."""
    if not np.isinf(prow).any():
        v, g = ref(trow, [mpmath.mpf(float(x)) for x in prow], dt, **params)
        return _to_dtype([v], dt)[0], _to_dtype(g, dt)
    with mpmath.extraprec(3400):   # BIG + 1 must not round to BIG
        (v1, g1), (v2, g2) = (ref(trow, _substituted(prow, spread), dt, **params)
                              for spread in (False, True))
    v1, v2 = _to_dtype([v1], dt)[0], _to_dtype([v2], dt)[0]
    g1, g2 = _to_dtype(g1, dt), _to_dtype(g2, dt)
    return (v1 if v1 == v2 else dt(np.nan)), np.where(g1 == g2, g1, np.nan).astype(dt)


def reference(name, y, p, params, dt):
    """(per-sample values, gradient) of the mpmath reference, rounded to ``dt``."""
    p2 = p.reshape(p.shape[0], -1)
    ref = BY_LOSS[name]
    vals, grads = [], []
    for i in range(p2.shape[0]):
        if name == "sparse_categorical_crossentropy":
            trow = int(y[i])
        else:
            trow = [mpmath.mpf(float(v)) for v in np.asarray(y).reshape(p2.shape[0], -1)[i]]
        if np.isnan(p2[i]).any():
            vals.append(dt(np.nan))
            grads.extend([dt(np.nan)] * p2.shape[1])
            continue
        v, g = _row_reference(ref, trow, p2[i], dt, params)
        vals.append(v)
        grads.extend(g)
    return np.array(vals, dtype=dt), np.array(grads, dtype=dt).reshape(p.shape)


def measure_case(name, case, dt):
    """(value ULP errors, gradient ULP errors) of one case, per sample / per entry."""
    label, y, p, params, strict = case
    loss = L.get(name)
    ours_v = loss.per_sample(y, p, **params)
    ours_g = loss.grad(y, p, reduction="none", **params)
    ref_v, ref_g = reference(name, y, p, params, dt)
    assert ours_v.dtype == dt and ours_g.dtype == dt and ours_g.shape == p.shape
    if name == "cosine_similarity":  # gradient components ~ 1/|p|: see COSINE_NOTE
        with np.errstate(over="ignore"):
            norm = np.sqrt(np.sum(p.astype(np.float64) ** 2, axis=-1, keepdims=True))
        scale = np.broadcast_to(1 / np.where(norm > 0, norm, np.inf), p.shape)
        return ulp_distance(ours_v, ref_v, dt), _scaled_ulps(ours_g, ref_g, scale, dt)
    undefined = np.broadcast_to(np.isnan(ref_v).reshape((-1,) + (1,) * (p.ndim - 1)), p.shape)
    ref_g = np.where(undefined & np.isnan(ours_g), ours_g, ref_g)   # see UNDEFINED_NOTE
    if strict is True:
        return ulp_distance(ours_v, ref_v, dt), ulp_distance(ours_g, ref_g, dt)
    return ulp_distance(ours_v, ref_v, dt), _scaled_ulps(ours_g, ref_g, 1.0, dt)


UNDEFINED_NOTE = """Where a sample's limit is undefined (two +inf logits in a softmax row: the
value is NaN), a loss may give NaN for the whole gradient row, though single entries (those of
the finite logits) have a limit."""

COSINE_NOTE = """cosine_similarity's gradient -(y/|y| - cos p/|p|)/|p| cancels for nearly parallel
vectors (second order along their common direction), so it is measured in ULP of 1/|p|."""


def _scaled_ulps(ours, ref, scale, dt):
    """|ours - ref| in units of the spacing of max(|ref|, scale)."""
    with np.errstate(over="ignore", invalid="ignore"):
        mag = np.maximum(np.abs(ref.astype(np.float64)), scale).astype(dt)
        err = np.abs(ours.astype(np.float64) - ref.astype(np.float64)) / np.spacing(mag).astype(np.float64)
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    return np.where(same, 0, np.where(np.isnan(err), np.inf, err)).ravel()


def _describe(case, flat_index, grad):
    label, y, p, params, _ = case
    d = p.size // p.shape[0]
    row = flat_index // d if grad else flat_index
    yr = np.asarray(y).reshape(p.shape[0], -1)[row] if np.ndim(y) > 1 or d == 1 else y[row]
    ps = ", ".join(f"{k}={v}" for k, v in params.items())
    return (f"{label}: y_true={np.array2string(np.asarray(yr), precision=17)} "
            f"y_pred={np.array2string(p.reshape(p.shape[0], -1)[row], precision=17)}"
            + (f" ({ps})" if ps else ""))


def measure(name, dt, seed=0, n=24):
    """{'value': (max ULP, worst input), 'grad': (...), 'soft': (max gradient error in ULP of
    max(|reference|, 1), worst input) over the cases marked "value"}."""
    rng = np.random.default_rng(seed)
    best = {"value": (0.0, "-"), "grad": (0.0, "-"), "soft": (0.0, "-")}
    for case in cases(name, dt, rng, n):
        ev, eg = measure_case(name, case, dt)
        for key, err, is_grad in (("value", ev, False), ("grad", eg, True)):
            slot = "soft" if is_grad and case[4] == "value" else key
            if err.size and err.max() > best[slot][0]:
                best[slot] = (float(err.max()), _describe(case, int(err.argmax()), is_grad))
    return best


def main(argv=None):
    names = sorted(BY_LOSS)
    n = int((argv or sys.argv[1:] or [48])[0])
    print(f"max error in ULP vs mpmath ({n} random rows per case + extreme inputs)")
    print(f"{'loss':34s} {'f32 value':>9s} {'f32 grad':>9s} {'f64 value':>9s} {'f64 grad':>9s}")
    worst = []
    for name in names:
        r32, r64 = measure(name, np.float32, n=n), measure(name, np.float64, n=n)
        print(f"{name:34s} {r32['value'][0]:9.0f} {r32['grad'][0]:9.0f} "
              f"{r64['value'][0]:9.0f} {r64['grad'][0]:9.0f}")
        for dt, r in (("float32", r32), ("float64", r64)):
            for key in ("value", "grad"):
                worst.append(f"  {name} {dt} {key}: {r[key][0]:.0f} ULP at {r[key][1]}")
            if r["soft"][0]:
                worst.append(f"  {name} {dt} grad, soft labels: {r['soft'][0]:.1f} ULP "
                             f"of max(|ref|, 1) at {r['soft'][1]}")
    print("\nworst inputs:")
    print("\n".join(worst))


if __name__ == "__main__":
    main()
