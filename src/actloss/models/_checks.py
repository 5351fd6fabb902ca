"""Checks at the model's public boundary: does the output layer fit the loss, and do the data
fit the model. Messages say what was found, what goes wrong and what to write instead."""

from __future__ import annotations

import warnings

import numpy as np

def output_activation(layers):
    """(layer, activation, units) of the output: the last layer with an activation, looking
    through Dropout and Flatten; units come from the nearest Dense (None when unknown)."""
    i = len(layers) - 1
    while i >= 0 and type(layers[i]).__name__ in ("Dropout", "Flatten"):
        i -= 1
    if i < 0 or not hasattr(layers[i], "activation"):
        return None, None, None
    units = next((lay.units for lay in reversed(layers[:i + 1]) if hasattr(lay, "units")), None)
    return layers[i], layers[i].activation, units


def check_output_vs_loss(layers, loss) -> bool:
    """Warn or raise when the last activation does not fit the loss; return True when training
    can go through the logits (the activation lists the loss in ``logits_losses``: sigmoid +
    binary cross-entropy, softmax + categorical cross-entropy, the fused path). Decided from the
    objects' properties (``outputs_probabilities``, ``elementwise``; the loss's
    ``takes_probabilities``, ``task``), so a registered activation is treated alike."""
    layer, act, units = output_activation(layers)
    if act is None:
        return False
    name, lname = act.name, loss.name
    if not act.elementwise and act.outputs_probabilities and units == 1:
        raise ValueError(
            f"The output layer is Dense(1, activation='{name}'): a {name} over one unit is "
            f"always 1.0, so the model cannot learn anything. For two classes write Dense(1, "
            f"activation='sigmoid') with loss='binary_crossentropy'; for k classes Dense(k, "
            f"activation='softmax') with 'categorical_crossentropy' (one-hot labels) or "
            f"'sparse_categorical_crossentropy' (integer labels).")
    if not loss.takes_probabilities:
        return False
    if loss.params.get("from_logits", False):
        if act.outputs_probabilities:
            effect = (f"so {name} is applied twice: the loss sees {name}({name}(z))"
                      if loss.link == name else "so the loss reads probabilities as logits")
            warnings.warn(
                f"The output layer applies {name} and the loss {lname!r} has from_logits=True, "
                f"{effect} and gradients shrink. Either remove "
                f"activation='{name}' from the last layer, or use the loss with "
                f"from_logits=False (then actloss trains through the logits itself).",
                UserWarning, stacklevel=3)
        return False
    if not act.outputs_probabilities:
        fix = "activation='sigmoid'" if loss.task == "binary" else "activation='softmax'"
        raise ValueError(
            f"The output layer's activation is {name!r}, whose outputs are not probabilities, "
            f"but the loss {lname!r} expects probabilities in [0, 1] (from_logits=False): "
            f"training would produce NaN or meaningless losses. Write {fix} on the last "
            f"layer, or keep the layer and use actloss.losses.get({lname!r}, "
            f"from_logits=True).")
    normalized = not act.elementwise   # softmax: the outputs of a sample sum to 1
    if normalized and loss.task == "binary" and (units or 0) > 1:
        warnings.warn(
            f"The output layer is a {name} over {units} units but the loss is {lname!r}: "
            f"binary cross-entropy treats the {units} outputs as independent yes/no "
            f"probabilities, while {name} forces them to sum to 1. For one class per sample "
            f"use loss='categorical_crossentropy' (one-hot) or "
            f"'sparse_categorical_crossentropy' (integer labels); for several labels per "
            f"sample use activation='sigmoid'.", UserWarning, stacklevel=3)
        return False
    if not normalized and loss.task == "multiclass":
        warnings.warn(
            f"The output layer is a {name} but the loss is {lname!r}: {name} outputs do not "
            f"sum to 1, so they are not a distribution over classes and the loss only pushes the "
            f"true class up. Use activation='softmax' for one class per sample (or "
            f"binary_crossentropy for independent labels).", UserWarning, stacklevel=3)
        return False
    return lname in act.logits_losses and layer is layers[-1] \
        and act.params.get("axis", -1) in (-1, 1)


# ---------------------------------------------------------------- data
def as_target_array(y) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == object:
        raise TypeError("y must be a numeric array; received an array of Python objects")
    return y


def check_lengths(n_x: int, y, name_y="y", name_x="x") -> None:
    if y is None:
        return
    n_y = len(y)
    if n_y != n_x:
        raise ValueError(f"{name_x} and {name_y} must have the same number of samples; received "
                         f"{name_x} with {n_x} rows and {name_y} with {n_y} rows")


def check_width(x_shape, input_shape, name="x") -> None:
    sample = tuple(x_shape[1:])
    if sample != tuple(input_shape):
        if len(sample) == len(input_shape) == 1:
            raise ValueError(f"The first layer expects inputs with {input_shape[0]} features "
                             f"(input_shape=({input_shape[0]},)); received {name} with "
                             f"{sample[0]} features (shape {tuple(x_shape)})")
        raise ValueError(f"The model expects samples of shape {tuple(input_shape)}; received "
                         f"{name} of shape {tuple(x_shape)}, i.e. samples of shape {sample}")


def count_bad_rows(a: np.ndarray) -> tuple[int, int]:
    """(number of rows with NaN/inf, first such row). Fast when there is none: one float64 sum
    pass decides, and only a non-finite sum triggers the exact count."""
    if a.dtype.kind not in "fc" or a.size == 0:
        return 0, -1
    if np.isfinite(np.sum(a, dtype=np.float64)):
        return 0, -1
    bad = ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
    n_bad = int(np.count_nonzero(bad))
    return n_bad, (int(np.argmax(bad)) if n_bad else -1)


def check_finite(a: np.ndarray, name: str, offset: int = 0) -> None:
    n_bad, first = count_bad_rows(a)
    if n_bad:
        raise ValueError(f"{name} has {n_bad} row{'s' if n_bad > 1 else ''} with NaN or inf "
                         f"values (first at row {first + offset}); remove or impute them before "
                         f"training")
