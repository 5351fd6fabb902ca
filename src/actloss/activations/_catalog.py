"""The activation catalog: every registered object with its aliases, gathered from the modules
that define them (forward and derivative side by side in each)."""

from ._classic import CLASSIC
from ._modern import MODERN
from ._piecewise import PIECEWISE
from ._softmax import SOFTMAX

CATALOG = {**PIECEWISE, **CLASSIC, **MODERN, **SOFTMAX}
