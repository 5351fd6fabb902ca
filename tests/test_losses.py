"""Tests of the loss catalog (issue 3), parametrized over the registry."""

import numpy as np
import pytest

from actloss import losses as L

# Numbers printed by the Keras / scikit-learn docs for their conventions (same inputs as theirs).
Y01 = [[0.0, 1.0], [0.0, 0.0]]
P01 = [[0.6, 0.4], [0.4, 0.6]]
KERAS_SPOT = [
    ("mean_squared_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.5),
    ("mean_absolute_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.5),
    ("mean_absolute_percentage_error", [[2.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [1.0, 0.0]], {}, 50.0),
    ("mean_squared_logarithmic_error", Y01, [[1.0, 1.0], [1.0, 0.0]], {}, 0.240),
    ("binary_crossentropy", Y01, P01, {}, 0.815),
    ("categorical_crossentropy", [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], {}, 1.177),
    ("sparse_categorical_crossentropy", [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], {}, 1.177),
    ("huber", Y01, P01, {}, 0.155),
    ("log_cosh", Y01, [[1.0, 1.0], [0.0, 0.0]], {}, 0.108),
    ("hinge", Y01, P01, {}, 1.3),
    ("squared_hinge", Y01, P01, {}, 1.86),
    ("categorical_hinge", Y01, P01, {}, 1.4),
    ("kl_divergence", Y01, P01, {}, 0.458),
    ("poisson", Y01, [[1.0, 1.0], [0.0, 0.0]], {}, 0.5),
    ("cosine_similarity", [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], {}, -0.5),
    ("binary_focal_crossentropy", Y01, P01, {"gamma": 2.0}, 0.268),
]


@pytest.mark.parametrize("name, y, p, params, expected", KERAS_SPOT, ids=[s[0] for s in KERAS_SPOT])
def test_spot_values_from_keras_docs(name, y, p, params, expected):
    assert float(L.get(name)(y, p, **params)) == pytest.approx(expected, abs=6e-4)
