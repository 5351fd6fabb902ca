"""The two schedules added after the first four: values against Keras's published formulas."""

import math

import numpy as np
import pytest

from actloss.optimizers import schedules as S


def test_polynomial_decay_matches_keras_formula():
    s = S.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01, power=2.0)
    for step in (0, 30, 100, 250):
        p = min(step, 100) / 100
        assert s(step) == pytest.approx((0.1 - 0.01) * (1 - p) ** 2 + 0.01, rel=1e-15)


def test_polynomial_decay_cycle_restarts_horizon():
    s = S.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert [s(i) for i in (0, 5, 10, 15, 20)] == [1.0, 0.5, 0.0, 0.25, 0.0]


def test_cosine_decay_restarts_periods_grow_by_t_mul():
    s = S.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5, alpha=0.1)
    assert s(0) == pytest.approx(1.0)
    assert s(10) == pytest.approx(0.5 * 0.9 + 0.1)  # second period starts at m_mul
    assert s(20) == pytest.approx(0.9 * 0.5 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1)
    assert s(30) == pytest.approx(0.25 * 0.9 + 0.1)  # third period: 10 + 20 steps in


def test_schedules_round_trip_through_config():
    for s in (S.PolynomialDecay(0.1, 7, power=0.5, cycle=True), S.CosineDecayRestarts(0.2, 5)):
        again = S.deserialize(s.get_config())
        assert [again(i) for i in range(20)] == [s(i) for i in range(20)]


@pytest.mark.parametrize("cls,kwargs", [(S.PolynomialDecay, {"decay_steps": 0}),
                                        (S.CosineDecayRestarts, {"first_decay_steps": -1})])
def test_schedules_reject_non_positive_horizons(cls, kwargs):
    with pytest.raises(ValueError, match="> 0"):
        cls(0.1, **kwargs)


def test_schedule_names_and_keras_serialization():
    s = S.ExponentialDecay(0.05, 10, 0.96, staircase=True, name="my_ed")
    assert s.get_config() == {"initial_learning_rate": 0.05, "decay_steps": 10,
                              "decay_rate": 0.96, "staircase": True, "name": "my_ed"}
    again = S.deserialize(S.serialize(s))
    assert again.name == "my_ed" and again(25) == s(25) == 0.05 * 0.96 ** 2
    assert S.CosineDecay(0.1, 10).name == "CosineDecay"  # Keras's default name
    with pytest.raises(ValueError, match="Unknown learning-rate schedule 'my_ed'"):
        S.deserialize(s.get_config())  # a custom name is not a class: use serialize
    assert S.ExponentialDecay(0.1, 3, 0.5, staircase=True)(np.array(7.0)) == 0.025  # 0-d step
