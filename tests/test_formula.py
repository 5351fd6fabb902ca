"""actloss._formula: every catalog formula reads as Unicode text, with no LaTeX left."""

import re

import pytest

from actloss import activations as A, losses as L

ENTRIES = [obj for registry in (A.REGISTRY, L.REGISTRY) for obj in registry]


@pytest.mark.parametrize("obj", ENTRIES, ids=lambda obj: f"{obj.kind}-{obj.name}")
def test_every_formula_converts_without_latex_left(obj):
    for latex, text in ((obj.formula, obj.formula_text),
                        (obj.derivative_formula, obj.derivative_formula_text)):
        assert latex and text
        assert not re.search(r"\\[A-Za-z]|[{}]{2}|\\\\", text), (obj.name, text)
        assert text.count("(") == text.count(")"), (obj.name, text)


def test_text_of_a_few_formulas():
    assert A.sigmoid.formula_text == "σ(x) = 1/(1 + e⁻ˣ)"
    assert A.relu.derivative_formula_text.startswith("f'(x) = { 1 if x > 0")
    assert L.get("mse").formula_text.startswith("ℓ")
