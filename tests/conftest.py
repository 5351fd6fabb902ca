import importlib.util
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


# The module that tells whether an extra is installed (pyproject.toml [project.optional-dependencies]).
EXTRA_MODULE = {"plot": "matplotlib", "data": "sklearn", "dask": "distributed",
                "progress": "tqdm", "fast": "numba", "playground": "starlette",
                "keras": "keras", "onnx": "onnxruntime", "sklearn": "sklearn"}


def pytest_runtest_setup(item):
    """``@pytest.mark.needs("plot", ...)``: skip, naming the extra, where it is not installed
    (the core-only pass of ``.ci/run``)."""
    for mark in item.iter_markers("needs"):
        for extra in mark.args:
            if importlib.util.find_spec(EXTRA_MODULE[extra]) is None:
                pytest.skip(f"needs the {extra!r} extra: pip install 'actloss[{extra}]'")
