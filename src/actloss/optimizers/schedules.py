"""Learning-rate schedules with Keras names and formulas: ``schedule(step) -> float``.

``step`` is the number of optimizer updates already made (Keras ``optimizer.iterations``).

>>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> s(0), s(10), round(s(5), 6)
(0.1, 0.05, 0.070711)
>>> PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])(150)
0.5
"""

from __future__ import annotations

import math


class LearningRateSchedule:
    """Base class: subclasses define ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": type(self).__name__, **self._config}

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in
                                                    self._config.items()) + ")"


def _positive(name, value):
    if not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"Expected {name} > 0; received {name}={value!r}")


class _StepDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        _positive("decay_steps", decay_steps)
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

    def __init__(self, boundaries, values):
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

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
                 warmup_steps=0):
        _positive("decay_steps", decay_steps)
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


SCHEDULES = {cls.__name__: cls for cls in
             (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay)}


def deserialize(config: dict) -> LearningRateSchedule:
    config = dict(config)
    name = config.pop("name")
    if name not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; known: {sorted(SCHEDULES)}")
    return SCHEDULES[name](**config)


__all__ = ["LearningRateSchedule", *SCHEDULES, "deserialize"]
