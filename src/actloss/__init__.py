"""actloss: activation functions, loss functions and dense networks in plain NumPy.

Submodules are imported on first use so that ``import actloss`` stays cheap::

    >>> import actloss
    >>> actloss.activations.relu([-1.0, 2.0])
    array([0., 2.])
"""

from importlib import import_module

from ._config import floatx, set_floatx

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "losses", "layers", "models", "optimizers", "callbacks",
    "metrics", "initializers", "regularizers", "diagnostics", "plots",
    "experiments", "utils", "datasets",
)

__all__ = ["floatx", "set_floatx", "__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        module = import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'actloss' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
