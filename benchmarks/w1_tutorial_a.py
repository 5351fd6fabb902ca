"""W1, tutorial example A: rand(100, 10), randint(0, 2, 100) -> Dense(10, relu) -> Dense(1,
sigmoid); binary cross-entropy; Adam(0.01); 10 epochs; batch 32.

Measures the first fit in a fresh process and the whole process's wall time, for actloss and
each installed peer. ``python benchmarks/w1_tutorial_a.py [--quick] [--reps N]``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
import _tutorial  # noqa: E402

WORKLOAD, TITLE = "W1", "tutorial A, relu -> sigmoid, BCE, Adam(0.01)"
SCRIPT = os.path.abspath(__file__)


def build_parser():
    import _common as C
    return C.parser(f"{WORKLOAD}: {TITLE}", 5)


def run(args):
    return _tutorial.run(WORKLOAD, SCRIPT, args, TITLE)


if __name__ == "__main__":
    _entry.script_main(_tutorial.workers(WORKLOAD), build_parser, run)
