"""Collection rules for the whole suite (tests/, the doctests in src/ and README.md).

Modules that exist only to hold an optional extra's code import that extra at the top, so their
doctests are collected only where the extra is installed; the core-only pass of ``.ci/run``
(numpy, scipy and the test tools) then collects everything else.
"""

import importlib.util

_NEEDS_EXTRA = {"src/actloss/_fast32_numba.py": "numba",
                "src/actloss/plots/__init__.py": "matplotlib",
                "src/actloss/playground/_app.py": "starlette",
                "src/actloss/sklearn.py": "sklearn"}

collect_ignore = [path for path, module in _NEEDS_EXTRA.items()
                  if importlib.util.find_spec(module) is None]
