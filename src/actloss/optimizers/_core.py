"""One optimizer core; SGD, RMSprop, Adagrad, Adam, AdamW and Nadam are settings of it.

The model hands the core its parameters and gradients as two flat contiguous vectors (every
layer's weights are views into them), so one update of the whole model is a handful of
vectorized NumPy calls writing in place, whatever the number of layers.
Per step, in Keras 3's order: clip the gradient (``clipnorm`` per weight tensor,
``global_clipnorm``, or ``clipvalue``; at most one), decoupled weight decay
``w -= lr * weight_decay * w`` when ``weight_decay`` is set, then the rule's update.
"""

from __future__ import annotations

import math
import os

import numpy as np

from . import schedules as _schedules

_RULES = ("sgd", "rmsprop", "adagrad", "adam", "nadam")
# From this many parameters on, the elementwise update is split over the cores (NumPy releases
# the GIL in its loops): 1.5x faster for 400k parameters on 2 cores. Results are identical,
# every operation being elementwise.
PARALLEL_MIN = 2**17
_pool_state: dict = {"pool": None}


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _pool():
    if _pool_state["pool"] is None:
        from concurrent.futures import ThreadPoolExecutor  # only for large models
        _pool_state["pool"] = ThreadPoolExecutor(max_workers=_workers() - 1,
                                                 thread_name_prefix="actloss-optimizer")
    return _pool_state["pool"]


class Optimizer:
    """The shared core. Use the Keras-named subclasses (:class:`Adam`, :class:`SGD` ...).

    ``learning_rate`` may be a float or a :mod:`~actloss.optimizers.schedules` schedule (called
    with ``iterations``, the number of updates made). Reading ``opt.learning_rate`` gives the
    current value; assigning a float changes it (callbacks do).
    """

    name = "optimizer"

    def __init__(self, learning_rate, *, rule, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, **hyper):
        if rule not in _RULES:  # pragma: no cover - internal
            raise ValueError(rule)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set; "
                             f"received clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay)):
            if value is not None and not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"Expected {key} to be a number >= 0 or None; received {key}={value!r}")
        for key in ("momentum", "rho", "beta_1", "beta_2"):
            if key in hyper and not (isinstance(hyper[key], (int, float))
                                     and 0 <= hyper[key] <= 1):
                raise ValueError(f"Expected {key} in [0, 1]; received {key}={hyper[key]!r}")
        if hyper.get("epsilon", 1.0) < 0:
            raise ValueError(f"Expected epsilon >= 0; received epsilon={hyper['epsilon']!r}")
        self._rule = rule
        self._update = getattr(self, "_" + rule)
        self._hyper = hyper
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.learning_rate = learning_rate
        self.iterations = 0
        self._state: dict[str, np.ndarray] = {}
        self._u_product = 1.0  # Nadam's running product of momentum coefficients
        self._n = None

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        lr = self._lr
        return float(lr(self.iterations)) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, dict):
            value = _schedules.deserialize(value)
        if not callable(value):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
                    or not value >= 0:
                raise ValueError(f"Expected learning_rate to be a number >= 0 or a schedule; "
                                 f"received learning_rate={value!r}")
            value = float(value)
        self._lr = value

    def __getattr__(self, key):
        hyper = self.__dict__.get("_hyper", {})
        if key in hyper:
            return hyper[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    # ------------------------------------------------------------------ state
    def build(self, n: int, dtype, segments=None) -> None:
        """Allocate the state for ``n`` parameters of ``dtype``; ``segments`` are the sizes of
        the weight tensors (for ``clipnorm``). Called by the model; a no-op when already built."""
        if self._n == n and self._state.get("_tmp") is not None \
                and self._state["_tmp"].dtype == dtype:
            return
        h, rule = self._hyper, self._rule
        names = {"sgd": ["momentum"] if h.get("momentum") else [],
                 "rmsprop": ["velocity"] + (["momentum"] if h.get("momentum") else [])
                 + (["average_gradient"] if h.get("centered") else []),
                 "adagrad": ["accumulator"],
                 "adam": ["momentum", "velocity"] + (["velocity_hat"] if h.get("amsgrad") else []),
                 "nadam": ["momentum", "velocity"]}[rule]
        self._state = {k: np.zeros(n, dtype) for k in names}
        if rule == "adagrad":
            self._state["accumulator"].fill(h["initial_accumulator_value"])
        self._state["_tmp"] = np.empty(n, dtype)
        if rule == "nadam":
            self._state["_tmp2"] = np.empty(n, dtype)
        self._segments = None if segments is None else np.asarray(segments)
        self._n = n
        self._views = None

    def _chunks(self, p, g):
        """Per-worker slices of (p, g, tmp, state), or None below :data:`PARALLEL_MIN`."""
        if self._n < PARALLEL_MIN:
            return None
        k = _workers()
        if k < 2:
            return None
        if self._views is None or self._views[0] is not p or self._views[1] is not g:
            step = -(-self._n // k // 4096) * 4096
            bounds = [(a, min(a + step, self._n)) for a in range(0, self._n, step)]
            views = [(p[a:b], g[a:b], self._state["_tmp"][a:b],
                      {key: arr[a:b] for key, arr in self._state.items()}) for a, b in bounds]
            self._views = (p, g, views)
        return self._views[2]

    def get_state(self) -> dict:
        """Arrays and counters that, restored with :meth:`set_state`, make training resume exactly."""
        out = {k: v.copy() for k, v in self._state.items() if not k.startswith("_")}
        out["iterations"] = np.array(self.iterations, np.int64)
        out["u_product"] = np.array(self._u_product, np.float64)
        return out

    def set_state(self, state: dict) -> None:
        self.iterations = int(state["iterations"])
        self._u_product = float(state["u_product"])
        for k, v in state.items():
            if k in self._state:
                if v.shape != self._state[k].shape:
                    raise ValueError(f"optimizer state {k!r} has shape {v.shape}; the model "
                                     f"needs {self._state[k].shape}")
                self._state[k][...] = v

    # ------------------------------------------------------------------ the update
    def apply(self, p: np.ndarray, g: np.ndarray) -> None:
        """One update of the flat parameters ``p`` in place from gradients ``g`` (``g`` may be
        overwritten). The model calls this once per batch."""
        lr = self._lr
        if callable(lr):
            lr = float(lr(self.iterations))
        t = self._state["_tmp"]
        if self.clipnorm is not None or self.global_clipnorm is not None \
                or self.clipvalue is not None:
            self._clip(g, t)
        self.iterations += 1
        if self._rule == "nadam":  # the running product advances once per step
            self._u_product *= self._hyper["beta_1"] * (1 - 0.5 * 0.96 ** self.iterations)
        chunks = self._chunks(p, g)
        if chunks is None:
            self._elementwise(p, g, t, self._state, lr)
            return
        futures = [_pool().submit(self._elementwise, *chunk, lr) for chunk in chunks[1:]]
        self._elementwise(*chunks[0], lr)
        for future in futures:
            future.result()

    def _elementwise(self, p, g, t, state, lr):
        if self.weight_decay:
            np.multiply(p, lr * self.weight_decay, out=t)
            p -= t
        self._update(p, g, t, lr, self.iterations, self._hyper, state)

    def _clip(self, g, t):
        if self.clipvalue is not None:
            np.clip(g, -self.clipvalue, self.clipvalue, out=g)
            return
        np.multiply(g, g, out=t)
        if self.global_clipnorm is not None:
            norm = math.sqrt(float(np.sum(t, dtype=np.float64)))
            if norm > self.global_clipnorm:
                g *= self.global_clipnorm / norm
            return
        sizes = self._segments if self._segments is not None else np.array([g.size])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        norms = np.sqrt(np.add.reduceat(t, starts, dtype=np.float64))
        factors = self.clipnorm / np.maximum(norms, self.clipnorm)
        g *= np.repeat(factors.astype(g.dtype), sizes)

    @staticmethod
    def _sgd(p, g, t, lr, step, h, s):
        mom = h["momentum"]
        np.multiply(g, lr, out=t)              # t = lr g
        if not mom:
            p -= t
            return
        m = s["momentum"]                      # Keras: m = mom m - lr g
        m *= mom
        m -= t
        if h["nesterov"]:                      # w += mom m - lr g
            p -= t
            np.multiply(m, mom, out=t)
            p += t
        else:                                  # w += m
            p += m

    @staticmethod
    def _rmsprop(p, g, t, lr, step, h, s):
        rho, eps = h["rho"], h["epsilon"]
        v = s["velocity"]                      # v = rho v + (1 - rho) g^2
        v *= rho
        np.multiply(g, g, out=t)
        t *= 1 - rho
        v += t
        if h["centered"]:                      # a = rho a + (1 - rho) g; den = v - a^2 + eps
            a = s["average_gradient"]
            a *= rho
            np.multiply(g, 1 - rho, out=t)
            a += t
            np.multiply(a, a, out=t)
            np.subtract(v, t, out=t)
            t += eps
        else:                                  # den = v + eps
            np.add(v, eps, out=t)
        np.sqrt(t, out=t)                      # increment = lr g / sqrt(den)
        np.divide(g, t, out=t)
        t *= lr
        if h["momentum"]:                      # m = mom m + increment; w -= m
            m = s["momentum"]
            m *= h["momentum"]
            m += t
            p -= m
        else:
            p -= t

    @staticmethod
    def _adagrad(p, g, t, lr, step, h, s):
        acc = s["accumulator"]                 # acc += g^2; w -= lr g / sqrt(acc + eps)
        np.multiply(g, g, out=t)
        acc += t
        np.add(acc, h["epsilon"], out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        p -= t

    @staticmethod
    def _moments(g, t, h, s):
        m, v = s["momentum"], s["velocity"]
        np.subtract(g, m, out=t)               # m += (g - m)(1 - beta_1)
        t *= 1 - h["beta_1"]
        m += t
        np.multiply(g, g, out=t)               # v += (g^2 - v)(1 - beta_2)
        t -= v
        t *= 1 - h["beta_2"]
        v += t
        return m, v

    @classmethod
    def _adam(cls, p, g, t, lr, step, h, s):
        m, v = cls._moments(g, t, h, s)
        if h["amsgrad"]:                       # v_hat = max(v_hat, v)
            v = np.maximum(s["velocity_hat"], v, out=s["velocity_hat"])
        # epsilon-hat form: w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
        alpha = lr * math.sqrt(1 - h["beta_2"] ** step) / (1 - h["beta_1"] ** step)
        np.sqrt(v, out=t)
        t += h["epsilon"]
        np.divide(m, t, out=t)
        t *= alpha
        p -= t

    def _nadam(self, p, g, t, lr, step, h, s):
        b1 = h["beta_1"]
        u_t = b1 * (1 - 0.5 * 0.96 ** step)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (step + 1))
        u_prod = self._u_product  # already advanced by apply
        u_prod1 = u_prod * u_t1
        m, v = self._moments(g, t, h, s)
        # m_hat = u_{t+1} m / (1 - prod_{t+1}) + (1 - u_t) g / (1 - prod_t)
        c1, c2 = u_t1 / (1 - u_prod1), (1 - u_t) / (1 - u_prod)
        t2 = s["_tmp2"]
        np.multiply(g, c2 / c1, out=t2)
        t2 += m
        # w -= lr m_hat / (sqrt(v / (1 - b2^t)) + eps)
        np.multiply(v, 1 / (1 - h["beta_2"] ** step), out=t)
        np.sqrt(t, out=t)
        t += h["epsilon"]
        np.divide(t2, t, out=t2)
        t2 *= lr * c1
        p -= t2

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        lr = self._lr.get_config() if callable(self._lr) else self._lr
        return {"name": self.name, "learning_rate": lr, **self._hyper,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self._lr!r}" + "".join(
            f", {k}={v!r}" for k, v in self._hyper.items()) + ")"
