"""Initializers: Keras names, defaults, variances and seeds."""

import numpy as np
import pytest

from actloss import initializers as I
from actloss.layers import Dense
from actloss.models import Sequential

SHAPE = (400, 300)


@pytest.mark.parametrize("name,var", [
    ("glorot_uniform", 2 / 700), ("glorot_normal", 2 / 700), ("he_normal", 2 / 400),
    ("he_uniform", 2 / 400), ("lecun_normal", 1 / 400), ("lecun_uniform", 1 / 400),
    ("random_normal", 0.05 ** 2), ("random_uniform", 0.1 ** 2 / 12)])
def test_variances(name, var, rng):
    w = I.get(name)(SHAPE, dtype=np.float64, rng=rng)
    assert w.shape == SHAPE and abs(w.mean()) < 0.01
    assert w.var() == pytest.approx(var, rel=0.05)


def test_bounds_and_constants(rng):
    w = I.get("glorot_uniform")(SHAPE, rng=rng)
    assert w.dtype == np.float32 and np.abs(w).max() <= np.sqrt(6 / 700)
    t = I.get("truncated_normal", stddev=1.0)((1000,), rng=rng)
    assert np.abs(t).max() <= 2.0
    assert np.all(I.get("he_normal")((2000, 10), rng=rng) ** 2 <= (2 * np.sqrt(2 / 2000) / 0.8796) ** 2 + 1e-9)
    assert np.all(I.get("zeros")((3,)) == 0) and np.all(I.get("ones")((3,)) == 1)
    assert np.all(I.Constant(value=2.5)((2, 2)) == 2.5)


def test_orthogonal(rng):
    for shape in ((6, 4), (4, 6)):
        q = I.get("orthogonal", gain=2.0)(shape, dtype=np.float64, rng=rng)
        small = min(shape)
        gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-12)


def test_seeds_and_identifiers(rng):
    a = I.HeNormal(seed=3)((5, 5))
    b = I.get("he_normal", seed=3)((5, 5))
    np.testing.assert_array_equal(a, b)
    assert I.get(None).name == "glorot_uniform" and I.get("Xavier_Uniform").name == "glorot_uniform"
    assert I.get({"name": "constant", "value": 1.0})((1,))[0] == 1.0
    with pytest.raises(ValueError, match="Did you mean 'he_normal'"):
        I.get("he_norml")
    with pytest.raises(TypeError, match="unexpected"):
        I.get("zeros", value=1)


def test_dense_uses_its_initializers():
    m = Sequential([Dense(3, input_shape=(2,), kernel_initializer="ones",
                          bias_initializer=I.Constant(value=0.5))])
    k, b = m.get_weights()
    assert np.all(k == 1) and np.all(b == 0.5)
    m = Sequential([Dense(3, input_shape=(2,), kernel_initializer=lambda shape, dtype: np.full(shape, 7.0))])
    assert np.all(m.get_weights()[0] == 7)
