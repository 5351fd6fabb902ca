import os

import numpy as np
import pytest
from hypothesis import settings

# Property tests stay quick on a 2-core machine. CI replays a fixed set of examples (a red CI
# must mean a real regression, not an unlucky draw); local runs explore new examples each time.
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng():
    """Explicit randomness: every test that needs random numbers takes this seeded generator."""
    return np.random.default_rng(12345)
