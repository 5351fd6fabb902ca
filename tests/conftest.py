import numpy as np
import pytest
from hypothesis import settings

# Property tests must stay quick on a 2-core CI machine.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile("ci")


@pytest.fixture
def rng():
    """Explicit randomness: every test that needs random numbers takes this seeded generator."""
    return np.random.default_rng(12345)
