"""Binary focal cross-entropy, Kullback-Leibler divergence and Poisson loss (Keras definitions).

Not on the training hot path: they run in a wider float type and round once. Probabilities of
exactly 0 are clamped at the caller dtype's smallest normal number, as in the cross-entropies.
"""

import numpy as np

from .._validation import check_number
from ._base import Loss
from ._common import (REDUCED, binary_labels, check_range, in_wider, mul0, nonnegative_targets,
                      probabilities, same_shape, tiny)
from ._probabilistic import _check_smoothing, bce_parts, sigmoid_pair, smooth_labels


# ---------------------------------------------------------------- binary focal cross-entropy
def _focal_parts(t, p, from_logits, dtype):
    """(bce, dbce/dy_pred, q = 1 - p_t, dP/dy_pred) elementwise, each without cancellation, with
    the clamps of the caller's ``dtype`` (the kernel runs wider)."""
    bce, dbce = bce_parts(t, p, from_logits, p.dtype.type(tiny(dtype)))
    if from_logits:
        sp, sn, _ = sigmoid_pair(p)
        dpdz = sp * sn
    else:
        sp, sn, dpdz = p, 1 - p, 1
    return bce, dbce, mul0(t, sn) + mul0(1 - t, sp), dpdz


def _balance(t, alpha):
    return t * alpha + (1 - t) * (1 - alpha)


@in_wider(pass_dtype=True)
def _focal(t, p, gamma=2.0, alpha=None, from_logits=False, label_smoothing=0.0, axis=-1,
           dtype=None):
    r"""Binary focal cross-entropy (Keras): BCE down-weighted on well-classified examples.

    .. math:: \ell(y, p) = \frac{1}{d}\sum_k \alpha_k (1 - p_{t,k})^\gamma\,
              \mathrm{bce}(y_k, p_k), \quad p_t = y p + (1 - y)(1 - p),\quad
              \alpha_k = y_k\alpha + (1 - y_k)(1 - \alpha)\ (1 \text{ if alpha is None})

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d), y_true alike (0/1 or soft labels); per-sample (n,). ``gamma=0`` and no alpha is BCE.
    Ours = Keras ``binary_focal_crossentropy`` (``alpha=None`` is its
    ``apply_class_balancing=False``; a number turns balancing on), with exact logs instead of
    Keras's clipping to [1e-7, 1 - 1e-7]. torchvision ``sigmoid_focal_loss`` takes logits,
    balances by default (alpha=0.25) and does not average over outputs.

    >>> from actloss import losses as L
    >>> L.binary_focal_crossentropy.per_sample([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).round(3)
    array([0.33 , 0.206])
    """
    bce, dbce, q, dpdz = _focal_parts(t, p, from_logits, dtype)
    qg = q ** gamma
    live = q > 0  # q = 0 only where p = y exactly, where bce = 0 as well
    dq = (1 - 2 * t) * dpdz                                       # d q / d y_pred
    # gamma q^(gamma-1) bce written as gamma q^gamma (bce/q): q^(gamma-1) overflows for a tiny q
    # and gamma < 1 (0 * inf at gamma = 0), while bce/q stays moderate (bce is about q there)
    first = mul0(dq, np.where(live, gamma * qg * (bce / np.where(live, q, 1)), 0))
    value, grad = mul0(qg, bce), first + mul0(qg, dbce)
    if alpha is None:
        return value, grad
    a = _balance(t, alpha)   # alpha = 1 (or 0) removes a class: 0 even where its bce is inf
    return mul0(a, value), mul0(a, grad)


def _validate_focal(y_true, p, gamma=2.0, alpha=None, from_logits=False, label_smoothing=0.0,
                    axis=-1):
    t, p = binary_labels("binary_focal_crossentropy", y_true, p)
    probabilities("binary_focal_crossentropy", p, from_logits)
    return smooth_labels(t, label_smoothing, 2), p


def _check_focal(**params):
    _check_smoothing(**params)
    check_number("gamma", params["gamma"], low=0)
    if params["alpha"] is not None:
        check_number("alpha", params["alpha"], low=0, high=1)


binary_focal_crossentropy = Loss(
    "binary_focal_crossentropy", _focal, validate=_validate_focal,
    params={"gamma": 2.0, "alpha": None, "from_logits": False, "label_smoothing": 0.0,
            "axis": -1},
    check=_check_focal, task="binary", link="sigmoid",
    takes_probabilities=True,
    formula=r"\ell = \frac1d\sum_k \alpha_k (1 - p_{t,k})^\gamma\,\mathrm{bce}(y_k, p_k)"
            + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial p} = \alpha_t\left[\gamma(1-p_t)^"
                       r"{\gamma-1}(1-2y)\,\mathrm{bce} + (1-p_t)^\gamma"
                       r"\frac{p-y}{p(1-p)}\right]/d",
    pros=("Focuses training on hard, misclassified examples (class imbalance, detection).",),
    cons=("Two extra hyper-parameters; gamma > 0 makes confident correct predictions nearly "
          "free, so calibration suffers.",),
    reference="Lin et al., Focal Loss for Dense Object Detection (2017); "
              "Keras losses.binary_focal_crossentropy",
    summary="BCE scaled by (1 - p_t)^gamma (and optional alpha balancing).",
)


# ---------------------------------------------------------------- Kullback-Leibler divergence
def _log_ratio(t, q):
    """log(t / q) for t > 0: log1p((t - q)/q) when t/q is within [1/2, 2] (no cancellation),
    log(t/q) otherwise; 0 where t = 0."""
    r = t / q
    close = (r > 0.5) & (r < 2)
    near = np.log1p(np.where(close, (t - q) / q, 0))
    return np.where(close, near, np.log(np.where(close | (t == 0), 1, r)))


@in_wider(pass_dtype=True)
def _kld(t, p, dtype=None):
    r"""Kullback-Leibler divergence of the predicted distribution from the target one.

    .. math:: \ell(y, p) = \sum_{k} y_k \log\frac{y_k}{p_k}, \quad 0 \log 0 = 0

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n, C)
    (or (n,)), y_true alike, both in [0, 1]; per-sample (n,) (a sum over the last axis, as Keras).
    Ours: exact, with 0 log 0 = 0 and p = 0 clamped at the smallest normal number; the log of a
    ratio near 1 via log1p. Keras clips both y and p to [1e-7, 1] (so a zero target still adds
    1e-7 log(1e-7/p)); PyTorch ``kl_div`` takes log-probabilities as input.

    >>> from actloss import losses as L
    >>> round(float(L.kld([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    0.4581
    """
    q = np.maximum(p, tiny(dtype))
    return np.sum(t * _log_ratio(t, q), axis=-1), -t / q


def _validate_kld(y_true, p, **_):
    t, p = same_shape("kl_divergence", y_true, p)
    check_range("kl_divergence", "y_true", t, 0, 1, " (a probability distribution)")
    probabilities("kl_divergence", p)
    return t, p


kl_divergence = Loss(
    "kl_divergence", _kld, elementwise=False, validate=_validate_kld, task="distribution",
    formula=r"\ell(y, p) = \sum_k y_k \log\frac{y_k}{p_k}" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial p_k} = -\frac{y_k}{p_k}",
    pros=("Zero exactly when the distributions agree; cross-entropy minus the target's entropy.",),
    cons=("Asymmetric; infinite (here: large) where p = 0 but y > 0.",),
    reference="Keras losses.kl_divergence; torch.nn.KLDivLoss",
    summary="Kullback-Leibler divergence KL(y || p).",
)


# ---------------------------------------------------------------- Poisson
@in_wider(pass_dtype=True, widest=True)
def _poisson(t, p, dtype=None):
    r"""Poisson negative log-likelihood without the constant log(y!) (Keras).

    .. math:: \ell(y, \hat y) = \frac{1}{d}\sum_{k} \bigl(\hat y_k - y_k\log\hat y_k\bigr)

    Reductions: mean (default) :math:`\frac1n\sum_i w_i\ell_i`, sum, none. Shape: y_pred (n,) or
    (n, d) rates >= 0, y_true alike, counts >= 0 (negative targets raise ValueError); per-sample
    (n,). It can be negative (its minimum over the rate is y - y log y). Ours = Keras
    ``poisson`` with an exact log (Keras adds 1e-7 inside it; a rate of 0 is clamped here at the
    smallest normal number, the gradient saturating at the largest float). PyTorch
    ``PoissonNLLLoss`` takes log-rates by default (``exp(z) - y z``).

    .. math:: \frac{\partial\ell}{\partial\hat y_k} = \frac{\hat y_k - y_k}{d\,\hat y_k}

    Near its zero crossings (p = y log p) the value cancels: it runs in 80-bit long double, and
    the few entries that cancel deeper than that carries are redone with :mod:`decimal` at 40
    digits, so the value stays within a few ULP there too.

    >>> from actloss import losses as L
    >>> float(L.poisson([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]]))
    0.5
    """
    P = np.maximum(p, tiny(dtype))
    big = np.finfo(dtype).max
    tlogp = mul0(t, np.log(P))
    # p = inf: the limit p - t log p = inf (p - t log p would be inf - inf), gradient 1
    v = np.where(p == np.inf, np.inf, p - tlogp)
    deep = np.abs(v) < np.abs(tlogp) * _DEEP[np.dtype(dtype)]
    if deep.any():
        v[deep] = [_exact_poisson(a, b) for a, b in zip(t[deep], P[deep])]
    return v, np.where(p == np.inf, 1, np.clip((P - t) / P, -big, big))


# |p - t log p| below this fraction of |t log p| is beyond long double's 64 bits for a 4-ULP
# result of the dtype (with margin): redo those entries exactly
_DEEP = {np.dtype(np.float32): 2.0 ** -36, np.dtype(np.float64): 2.0 ** -8}


def _exact_poisson(t, p):
    """p - t log p for one entry, with decimal arithmetic at 40 significant digits (inputs are
    exact binary fractions, so the only roundings are those of ln and of the final result)."""
    import decimal
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        tp = decimal.Decimal(float(t)), decimal.Decimal(float(p))
        return float(tp[1] - tp[0] * tp[1].ln())


def _validate_poisson(y_true, p, **_):
    t, p = nonnegative_targets("poisson", y_true, p)
    check_range("poisson", "y_pred", p, 0, None, " (a Poisson rate must be non-negative)",
                allow_nan=True)
    return t, p


poisson = Loss(
    "poisson", _poisson, validate=_validate_poisson, output_range="(-inf, inf)",
    task="count",
    formula=r"\ell(y, \hat y) = \frac1d\sum_k (\hat y_k - y_k \log \hat y_k)" + REDUCED,
    derivative_formula=r"\frac{\partial \ell}{\partial \hat y_k} = \frac1d\left(1 - "
                       r"\frac{y_k}{\hat y_k}\right)",
    pros=("The maximum-likelihood loss for count data.",),
    cons=("Needs non-negative rates (an exponential or softplus output).",),
    reference="Keras losses.poisson",
    summary="Poisson negative log-likelihood of counts given rates.",
)
