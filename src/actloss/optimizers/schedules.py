"""Learning-rate schedules with Keras names and formulas: ``schedule(step) -> float``.

``step`` is the number of optimizer updates already made (Keras ``optimizer.iterations``); a
0-d array works too. Each schedule takes Keras's ``name`` (default: the class name);
``get_config``/``from_config`` and :func:`serialize`/:func:`deserialize` follow Keras.

>>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> s(0), s(10), round(s(5), 6)
(0.1, 0.05, 0.070711)
>>> PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])(150)
0.5
"""

from __future__ import annotations

import math


class LearningRateSchedule:
    """Base class: subclasses set ``self._config`` (their arguments) and define
    ``__call__(step)``."""

    def __call__(self, step: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _named(self, name):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str; received {name!r}")
        self.name = name or type(self).__name__

    def get_config(self) -> dict:
        return {**self._config, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in
                                                    self._config.items()) + ")"


def _positive(name, value):
    if not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"Expected {name} > 0; received {name}={value!r}")


class _StepDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        _positive("decay_steps", decay_steps)
        self._named(name)
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            decay_rate=decay_rate, staircase=staircase)

    def __call__(self, step):
        c = self._config
        p = step / c["decay_steps"]
        return self._decay(c["initial_learning_rate"], c["decay_rate"],
                           math.floor(p) if c["staircase"] else p)


class ExponentialDecay(_StepDecay):
    r"""``lr = initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent
    floored when ``staircase=True``). Same as Keras; PyTorch's ``ExponentialLR(gamma)`` is
    ``decay_steps=1`` stepped per epoch."""

    @staticmethod
    def _decay(lr0, rate, p):
        return lr0 * rate ** p


class InverseTimeDecay(_StepDecay):
    r"""``lr = initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored ratio
    with ``staircase=True``), as Keras."""

    @staticmethod
    def _decay(lr0, rate, p):
        return lr0 / (1 + rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after (Keras)."""

    def __init__(self, boundaries, values, name=None):
        self._named(name)
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: values must have one more element than "
                             f"boundaries; received {len(boundaries)} boundaries and "
                             f"{len(values)} values")
        if boundaries != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase; received {boundaries}")
        self._config = dict(boundaries=boundaries, values=values)

    def __call__(self, step):
        for b, v in zip(self._config["boundaries"], self._config["values"]):
            if step <= b:
                return v
        return self._config["values"][-1]


class CosineDecay(LearningRateSchedule):
    r"""Cosine decay with optional linear warm-up (Keras 3):

    .. math:: lr = lr_0\,\big((1-\alpha)\tfrac12(1 + \cos(\pi\,\min(s, S)/S)) + \alpha\big)

    with ``S = decay_steps``; with ``warmup_steps`` W, the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` and the decay starts from there at step W.
    PyTorch's ``CosineAnnealingLR`` is the same curve with ``eta_min = alpha * lr_0``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        _positive("decay_steps", decay_steps)
        self._named(name)
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            alpha=alpha, warmup_target=warmup_target, warmup_steps=warmup_steps)

    def __call__(self, step):
        c = self._config
        lr0, target, warm = c["initial_learning_rate"], c["warmup_target"], c["warmup_steps"]
        if target is not None and step < warm:
            return lr0 + (target - lr0) * step / warm
        start = target if target is not None else lr0
        s = min(step - (warm if target is not None else 0), c["decay_steps"])
        cosine = 0.5 * (1 + math.cos(math.pi * s / c["decay_steps"]))
        return start * ((1 - c["alpha"]) * cosine + c["alpha"])


class PolynomialDecay(LearningRateSchedule):
    r"""Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` (Keras):

    .. math:: lr = (lr_0 - lr_{end})\,(1 - \min(s, S)/S)^{power} + lr_{end}

    With ``cycle=True`` the horizon S grows to the next multiple of ``decay_steps`` past s, so
    the rate jumps back up and decays again. ``power=1`` is PyTorch's ``LinearLR`` shape.

    >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        _positive("decay_steps", decay_steps)
        self._named(name)
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            end_learning_rate=end_learning_rate, power=power, cycle=cycle)

    def __call__(self, step):
        c = self._config
        horizon = c["decay_steps"]
        if c["cycle"]:
            horizon *= max(1, math.ceil(step / horizon))
        else:
            step = min(step, horizon)
        lr0, end = c["initial_learning_rate"], c["end_learning_rate"]
        return (lr0 - end) * (1 - step / horizon) ** c["power"] + end


class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017), as Keras: the i-th
    period lasts ``first_decay_steps * t_mul**i`` steps and starts at ``m_mul**i`` times the
    initial rate; within a period of completed fraction f,
    :math:`lr = lr_0\,((1-\alpha)\tfrac12 m\,(1+\cos\pi f) + \alpha)`.
    PyTorch's ``CosineAnnealingWarmRestarts(T_0, T_mult)`` has no ``m_mul``.

    >>> s = CosineDecayRestarts(1.0, 10)
    >>> s(0), s(10), round(s(5), 6)
    (1.0, 1.0, 0.5)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name=None):
        _positive("first_decay_steps", first_decay_steps)
        self._named(name)
        _positive("t_mul", t_mul)
        self._config = dict(initial_learning_rate=initial_learning_rate,
                            first_decay_steps=first_decay_steps, t_mul=t_mul, m_mul=m_mul,
                            alpha=alpha)

    def __call__(self, step):
        c = self._config
        t_mul, fraction = c["t_mul"], step / c["first_decay_steps"]
        if t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:  # periods grow geometrically: find the one that holds `fraction`
            restart = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
            done = (1 - t_mul ** restart) / (1 - t_mul)
            fraction = (fraction - done) / t_mul ** restart
        cosine = 0.5 * c["m_mul"] ** restart * (1 + math.cos(math.pi * fraction))
        return c["initial_learning_rate"] * ((1 - c["alpha"]) * cosine + c["alpha"])


SCHEDULES = {cls.__name__: cls for cls in
             (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay,
              PolynomialDecay, CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{'class_name': 'ExponentialDecay', 'config': schedule.get_config()}`` (Keras's layout).

    >>> deserialize(serialize(ExponentialDecay(0.1, 10, 0.5, name="ed")))(10)
    0.05
    """
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict) -> LearningRateSchedule:
    """A schedule from :func:`serialize`'s output, or from a config whose ``name`` is the
    class name (the form earlier actloss files stored)."""
    config = dict(config)
    if "class_name" in config:
        name, config = config["class_name"], dict(config.get("config") or {})
    else:
        name = config.pop("name")
    if name not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; known: {sorted(SCHEDULES)}")
    return SCHEDULES[name].from_config(config)


__all__ = ["LearningRateSchedule", *SCHEDULES, "serialize", "deserialize"]
