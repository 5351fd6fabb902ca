"""Checks at the public boundary, with messages that name the argument, what was found and
what was expected. Internals trust their inputs."""

from __future__ import annotations

import numbers


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"Expected {name} to be one of {sorted(choices)!r}; received {name}={value!r}")


def check_number(name: str, value, *, low=None, high=None, low_open=False, high_open=False,
                 integer=False) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"Expected {name} to be {expected}; received {name}={value!r} "
                        f"({type(value).__name__})")
    if value != value:  # NaN
        raise ValueError(f"Expected {name} to be a number; received {name}=nan")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"Expected {name} in {interval}; received {name}={value!r}")


def check_params(owner: str, given: dict, current: dict, aliases: dict | None = None) -> dict:
    """``current`` updated with ``given``, after resolving aliases and rejecting unknown names."""
    aliases = aliases or {}
    merged = dict(current)
    for key, value in given.items():
        real = aliases.get(key, key)
        if real != key and real in given and given[real] != value:
            raise TypeError(f"{owner} got both {real}={given[real]!r} and its alias "
                            f"{key}={value!r}; pass only one of them")
        if real not in current:
            known = ", ".join(f"{k}={v!r}" for k, v in current.items()) or "none"
            raise TypeError(f"{owner} got an unexpected parameter {key!r}; its parameters are: {known}")
        merged[real] = value
    return merged
