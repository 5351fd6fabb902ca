import subprocess
import sys

import pytest

from actloss.cli import main


def test_list_shows_both_catalogs(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "relu" in out and "mean_squared_error" in out and "logistic" in out


@pytest.mark.parametrize("name", ["relu", "sigmoid", "mse"])
def test_explain_prints_formula_and_derivative(capsys, name):
    assert main(["explain", name]) == 0
    out = capsys.readouterr().out
    for field in ("formula:", "derivative:", "range:", "pros:", "cons:", "reference:"):
        assert field in out


def test_explain_unknown_name_exits_2_with_suggestion(capsys):
    assert main(["explain", "rellu"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'relu'" in err and err.count("\n") == 1


def test_python_dash_m_matches_console_script():
    result = subprocess.run([sys.executable, "-m", "actloss", "explain", "relu"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("relu (activation)")


def test_every_command_has_help_with_example(capsys):
    from actloss.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert "Example: actloss" in (p.epilog or ""), name
