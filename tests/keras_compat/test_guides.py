"""The keras.io guides and the TensorFlow quickstart in ``guides/``, each run as a script in
a subprocess (as a user runs them): exit code 0 and its final "OK" line."""

import os
import pathlib
import subprocess
import sys

import pytest

GUIDES = pathlib.Path(__file__).parent / "guides"


SCRIPTS = [
    pytest.param("sequential_model.py", "sequential_model guide: OK", id="sequential_model"),
    pytest.param("training_and_evaluation_1_overview.py", "part 1: OK",
                 marks=[pytest.mark.needs("data")], id="training_eval_overview"),
    pytest.param("training_and_evaluation_2_builtin.py", "part 2: OK",
                 marks=[pytest.mark.needs("data")], id="training_eval_builtin"),
    pytest.param("quickstart_beginner.py", "quickstart: OK",
                 marks=[pytest.mark.needs("data")], id="quickstart_beginner"),
]


@pytest.mark.parametrize("script, done", SCRIPTS)
def test_guide_runs(script, done):
    src = pathlib.Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), *sys.path])}
    out = subprocess.run([sys.executable, script], cwd=GUIDES, capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert done in out.stdout
