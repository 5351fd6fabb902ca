"""One optimizer core; SGD, RMSprop, Adagrad, Adam, AdamW and Nadam are settings of it.

The model hands the core its parameters and gradients as two flat contiguous vectors (every
layer's weights are views into them), so one update of the whole model is a handful of
vectorized NumPy calls writing in place, whatever the number of layers
(``apply(params, grads)``). Keras's form on a list of arrays (``apply_gradients(zip(grads,
variables))``, ``apply(grads, variables)``) packs the arrays into such a vector and writes the
result back into them (see :mod:`._arrays`).

Per step, in Keras 3's order: divide by ``loss_scale_factor``; with
``gradient_accumulation_steps`` k, add the gradient to the accumulator and update only every
k-th call, with the mean of the k gradients; clip (``clipnorm`` per weight tensor,
``global_clipnorm``, or ``clipvalue``; at most one); decoupled weight decay
``w -= lr * weight_decay * w`` (except on the weights named in ``exclude_from_weight_decay``);
the rule's update; with ``use_ema``, the moving average ``a = m a + (1 - m) w`` (``a = w`` at
the first update), copied into the weights every ``ema_overwrite_frequency`` updates and by
``finalize_variable_values``.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings

import numpy as np

from .. import _numerics
from . import _arrays, _kernels
from . import schedules as _schedules

_RULES = ("sgd", "rmsprop", "adagrad", "adam", "nadam")


def _check_fraction(key, value):
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1):
        raise ValueError(f"`{key}` must be a float between [0, 1]. Received: {key}={value!r}")


class Optimizer:
    """The shared core. Use the Keras-named subclasses (:class:`Adam`, :class:`SGD` ...).

    ``learning_rate`` may be a float, a :mod:`~actloss.optimizers.schedules` schedule (called
    with the number of calls made) or a function of no argument (called each step), as in
    Keras. Reading ``opt.learning_rate`` gives the current value; assigning a float changes it
    (callbacks do). ``iterations`` counts the updates made.
    """

    name = "optimizer"

    def __init__(self, learning_rate, *, rule, hyper, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if rule not in _RULES:  # pragma: no cover - internal
            raise ValueError(rule)
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored "
                          "(Keras 3); use a learning-rate schedule.", stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}. {type(self).__name__} "
                             f"takes {sorted(hyper)} and the common arguments "
                             f"{sorted(_arrays.COMMON)}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay),
                           ("loss_scale_factor", loss_scale_factor)):
            if value is not None and not (isinstance(value, (int, float))
                                          and not isinstance(value, bool) and value >= 0):
                raise ValueError(f"Expected {key} to be a number >= 0 or None; received "
                                 f"{key}={value!r}")
        for key in ("momentum", "rho", "beta_1", "beta_2"):
            if key in hyper:
                _check_fraction(key, hyper[key])
        if hyper.get("epsilon", 1.0) < 0:
            raise ValueError(f"Expected epsilon >= 0; received epsilon={hyper['epsilon']!r}")
        if gradient_accumulation_steps is not None and not (
                isinstance(gradient_accumulation_steps, int) and gradient_accumulation_steps >= 2):
            raise ValueError(f"`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            _check_fraction("ema_momentum", ema_momentum)
            if ema_overwrite_frequency is not None and not (
                    isinstance(ema_overwrite_frequency, int) and ema_overwrite_frequency >= 1):
                raise ValueError(f"`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self._rule = rule
        self._update = getattr(self, "_" + rule)
        self._hyper = hyper
        self.name = name or type(self).name
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = bool(use_ema), ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.learning_rate = learning_rate
        self.iterations = 0      # updates made (Keras's ``iterations``)
        self._iterations = 0     # calls made (differs with gradient accumulation)
        self._state: dict[str, np.ndarray] = {}
        self._u_product = 1.0  # Nadam's running product of momentum coefficients
        self._n = None
        self._kernel = None
        self._names = None
        self._exclude = None  # (arrays, name pattern) given to exclude_from_weight_decay
        self._mask_pending = False
        self._vars = None     # the arrays of Keras's list form, once built on them

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        return self._lr_at(self._iterations)

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
        # a schedule (or a function of the step) gets the step; Keras's plain callables none
        self._lr_takes_step = callable(value) and (
            isinstance(value, _schedules.LearningRateSchedule) or _takes_argument(value))

    def _lr_at(self, step) -> float:
        lr = self._lr
        if not callable(lr):
            return lr
        return float(lr(step) if self._lr_takes_step else lr())

    def __getattr__(self, key):
        hyper = self.__dict__.get("_hyper", {})
        if key in hyper:
            return hyper[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    # ------------------------------------------------------------------ state
    def build(self, n, dtype=None, segments=None, names=None) -> None:
        """Allocate the state.

        ``build(n, dtype, segments, names)``: for a flat vector of ``n`` parameters of
        ``dtype``; ``segments`` are the sizes of the weight tensors (for ``clipnorm``), ``names``
        their names (for ``exclude_from_weight_decay(var_names=...)``). Called by the model; a
        no-op when already built for the same size and dtype.
        ``build(var_list)``: Keras's form, for a list of NumPy arrays.
        """
        if isinstance(n, (list, tuple)):
            _arrays.build(self, list(n))
            return
        if self._n == n and self._state.get("_tmp") is not None \
                and self._state["_tmp"].dtype == dtype:
            return
        h, rule = self._hyper, self._rule
        keys = {"sgd": ["momentum"] if h.get("momentum") else [],
                "rmsprop": ["velocity"] + (["momentum"] if h.get("momentum") else [])
                + (["average_gradient"] if h.get("centered") else []),
                "adagrad": ["accumulator"],
                "adam": ["momentum", "velocity"] + (["velocity_hat"] if h.get("amsgrad") else []),
                "nadam": ["momentum", "velocity"]}[rule]
        if self.gradient_accumulation_steps:
            keys.append("accumulated_gradients")
        if self.use_ema:
            keys.append("moving_average")
        self._state = {k: np.zeros(n, dtype) for k in keys}
        if rule == "adagrad":
            self._state["accumulator"].fill(h["initial_accumulator_value"])
        self._state["_tmp"] = np.empty(n, dtype)
        if rule == "nadam":
            self._state["_tmp2"] = np.empty(n, dtype)
        self._segments = None if segments is None else np.asarray(segments)
        self._names = None if names is None else list(names)
        self._n = n
        self._mask_pending = bool(self.weight_decay) and self._exclude is not None
        self._kernel = _kernels.adam_kernel(n, dtype) if rule == "adam" \
            and not h.get("amsgrad") else None

    @property
    def built(self) -> bool:
        return self._n is not None

    def get_state(self) -> dict:
        """Arrays and counters that, restored with :meth:`set_state`, make training resume exactly."""
        out = {k: v.copy() for k, v in self._state.items() if not k.startswith("_")}
        out["iterations"] = np.array(self.iterations, np.int64)
        out["u_product"] = np.array(self._u_product, np.float64)
        if self._iterations != self.iterations:
            out["calls"] = np.array(self._iterations, np.int64)
        return out

    def set_state(self, state: dict) -> None:
        self.iterations = int(state["iterations"])
        self._iterations = int(state.get("calls", self.iterations))
        self._u_product = float(state["u_product"])
        for k, v in state.items():
            if k in self._state:
                if v.shape != self._state[k].shape:
                    raise ValueError(f"optimizer state {k!r} has shape {v.shape}; the model "
                                     f"needs {self._state[k].shape}")
                self._state[k][...] = v

    # ------------------------------------------------------------------ Keras's list form
    @property
    def variables(self) -> list:
        """Keras's order: the call counter, the learning rate (unless it is a schedule), then
        the state arrays."""
        out = [np.array(self._iterations)]
        if not callable(self._lr):
            out.append(np.array(self._lr))
        return out + [v for k, v in self._state.items() if not k.startswith("_")]

    def set_weights(self, weights) -> None:
        """Restore :attr:`variables` (Keras's ``set_weights``)."""
        _arrays.set_weights(self, list(weights))

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras's form: update each NumPy array in place from its gradient."""
        pairs = list(grads_and_vars)
        _arrays.apply(self, [g for g, _ in pairs], [v for _, v in pairs])

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Keep ``weight_decay`` off the arrays in ``var_list`` and off the weights whose name
        contains one of the strings in ``var_names`` (e.g. ``['bias']``). Call it before the
        first update, as in Keras."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        pattern = re.compile("|".join(map(re.escape, set(var_names)))) if var_names else None
        self._exclude = (list(var_list or []), pattern)

    def finalize_variable_values(self, var_list) -> None:
        """With ``use_ema``, copy the moving averages into the weights (the flat parameter
        vector, or Keras's list of arrays); the model calls it at the end of ``fit``."""
        if self.use_ema and self.iterations:
            _arrays.write_average(self, var_list)

    def scale_loss(self, loss):
        """The loss times ``loss_scale_factor`` (Keras), or the loss itself."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _clip_gradients(self, grads) -> list:
        """Clipped copies of a list of gradient arrays (Keras's clipping rules)."""
        return _arrays.clip_list(self, grads)

    @property
    def _model_variables_moving_average(self) -> list:
        return _arrays.views(self, "moving_average")

    @property
    def _accumulated_gradients(self) -> list:
        return _arrays.views(self, "accumulated_gradients")

    # ------------------------------------------------------------------ the update
    def apply(self, p, g=None) -> None:
        """One update in place.

        ``apply(params, grads)`` with two flat 1-D arrays is the model's form (``grads`` may be
        overwritten); ``apply(grads_list, variables_list)`` is Keras's (lists of arrays)."""
        if type(g) is np.ndarray and type(p) is np.ndarray:  # the model's form, per batch
            self._apply_flat(p, g)
        elif isinstance(p, (list, tuple)) or g is None or isinstance(g, (list, tuple)):
            _arrays.apply(self, list(p), None if g is None else list(g))
        else:
            self._apply_flat(p, g)

    def checks_update(self, p) -> bool:
        """Whether :meth:`update_if_finite` on the flat parameters ``p`` refuses a non-finite
        update by itself (the fused Adam kernel stages the new parameters; not with weight
        decay, which moves p first): then the model keeps no copy of its weights to restore."""
        return self._n is not None and self._kernel is not None and p.size == self._n \
            and not self.weight_decay

    def update_if_finite(self, p: np.ndarray, g: np.ndarray) -> bool:
        """The model's form of :meth:`apply` where :meth:`checks_update` holds (``g`` is
        overwritten): False, with ``p`` unchanged, when the update would make a parameter NaN
        or infinite (the moments advance, as on the NumPy path)."""
        return self._apply_flat(p, g)

    def _apply_flat(self, p: np.ndarray, g: np.ndarray):
        state = self._state
        self._iterations += 1
        if self._mask_pending or self.loss_scale_factor is not None \
                or self.gradient_accumulation_steps:
            if not self._prepare(p, g, state):
                return True   # only accumulated: nothing moved
        lr = self._lr
        if callable(lr):
            lr = self._lr_at(self._iterations - 1)
        t = state["_tmp"]
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            self._clip(g, t)
        self.iterations += 1
        if self._rule == "nadam":  # the running product advances once per step
            self._u_product *= self._hyper["beta_1"] * (1 - 0.5 * 0.96 ** self.iterations)
        if getattr(self, "_kernel", None) is not None and p.size == self._n:
            if not self._fused_adam(p, g, t, state, lr):
                return False   # p did not move: no moving average of this step either
        elif p.size * 5 < _numerics.PARALLEL_MIN:  # small models: one call, no thread hand-off
            self._elementwise(p, g, t, state, lr)
        else:
            def part(a, b):  # elementwise only, so the parts may run on several threads
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    self._elementwise(p[a:b], g[a:b], t[a:b],
                                      {k: v[a:b] for k, v in state.items()}, lr)

            # ~5 arrays are read or written per parameter: large models update on all cores
            _numerics.run_parts(part, p.size, unit=4096, weight=5)
        if self.use_ema:
            self._moving_average(p, state)
        return True

    def _prepare(self, p, g, state) -> bool:
        """The rarer steps before the update: the weight-decay mask (once), loss scaling,
        gradient accumulation. False when this call only accumulates."""
        if self._mask_pending:
            _arrays.make_decay_mask(self, p)
        if self.loss_scale_factor is not None:
            g /= self.loss_scale_factor
        steps = self.gradient_accumulation_steps
        if steps:
            acc = state["accumulated_gradients"]
            if self._iterations % steps:
                acc += g
                return False
            g += acc
            g /= steps
            acc.fill(0)
        return True

    def _moving_average(self, p, state):
        avg, t = state["moving_average"], state["_tmp"]
        m = self.ema_momentum if self.iterations > 1 else 0.0  # the first update copies
        avg *= m
        np.multiply(p, 1 - m, out=t)
        avg += t
        freq = self.ema_overwrite_frequency
        if freq and self.iterations % freq == 0:
            p[...] = avg

    def _decay(self, p, t, state, lr):
        """Decoupled weight decay ``w -= lr * weight_decay * w`` (masked where excluded)."""
        np.multiply(p, lr * self.weight_decay, out=t)
        mask = state.get("_decay_mask")
        if mask is not None:
            t *= mask
        p -= t

    def _fused_adam(self, p, g, t, state, lr):
        """:meth:`_elementwise` for Adam in one compiled pass (bit-identical)."""
        if self.weight_decay:
            self._decay(p, t, state, lr)
        h, step = self._hyper, self.iterations
        alpha = lr * math.sqrt(1 - h["beta_2"] ** step) / (1 - h["beta_1"] ** step)
        return _kernels.adam(self._kernel, p, g, state["momentum"], state["velocity"], h["beta_1"],
                      h["beta_2"], h["epsilon"], alpha)

    def _elementwise(self, p, g, t, state, lr):
        if self.weight_decay:
            self._decay(p, t, state, lr)
        self._update(p, g, t, lr, self.iterations, self._hyper, state)

    def _clip(self, g, t):
        if self.clipnorm:
            np.multiply(g, g, out=t)
            sizes = self._segments if self._segments is not None else np.array([g.size])
            starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
            norms = np.sqrt(np.add.reduceat(t, starts, dtype=np.float64)) if g.size else []
            factors = self.clipnorm / np.maximum(norms, self.clipnorm)
            g *= np.repeat(np.asarray(factors, g.dtype), sizes)
        elif self.global_clipnorm:
            np.multiply(g, g, out=t)
            norm = math.sqrt(float(np.sum(t, dtype=np.float64)))
            if norm > self.global_clipnorm:
                g *= self.global_clipnorm / norm
        else:
            np.clip(g, -self.clipvalue, self.clipvalue, out=g)

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
        """Keras's config: ``name``, ``learning_rate`` (a float, or a schedule's
        :func:`~actloss.optimizers.schedules.serialize`), the rule's hyperparameters and the
        common arguments."""
        lr = self._lr
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, **self._hyper,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self._lr!r}" + "".join(
            f", {k}={v!r}" for k, v in self._hyper.items()) + ")"


def _takes_argument(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: give it the step
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)
