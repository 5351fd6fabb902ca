"""W2, tutorial example B: rand(100, 10), rand(100) -> Dense(64, relu) -> Dense(64, relu) ->
Dense(1); MSE; Adam (1e-3); 10 epochs; batch 32.

Measures the first fit in a fresh process and the whole process's wall time, for actloss and
each installed peer. ``python benchmarks/w2_tutorial_b.py [--quick] [--reps N]``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
import _tutorial  # noqa: E402

WORKLOAD, TITLE = "W2", "tutorial B, 64 relu -> 64 relu -> linear, MSE, Adam"
SCRIPT = os.path.abspath(__file__)


def build_parser():
    import _common as C
    return C.parser(f"{WORKLOAD}: {TITLE}", 5)


def run(args):
    return _tutorial.run(WORKLOAD, SCRIPT, args, TITLE)


if __name__ == "__main__":
    _entry.script_main(_tutorial.workers(WORKLOAD), build_parser, run)
