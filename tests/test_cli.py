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


def _run_cli(*args, env_extra=None):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "actloss", *args], capture_output=True,
                          text=True, env=env)


def test_list_fits_80_columns_with_and_without_rich(monkeypatch, capsys):
    out = _run_cli("list").stdout  # a pipe: 80 columns
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Activations (" in out and "Losses (" in out and "  logistic" in out
    monkeypatch.setitem(sys.modules, "rich", None)  # the plain layout
    from actloss.cli.catalog import catalog_table

    plain = catalog_table(max_width=80)
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert "mean_absolute_percentage_error" in plain


def test_explain_is_unicode_and_latex_only_on_request(capsys):
    assert main(["explain", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "σ(x) = 1/(1 + e⁻ˣ)" in out and "\\frac" not in out and "LaTeX" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert main(["explain", "sigmoid", "--latex"]) == 0
    out = capsys.readouterr().out
    assert "LaTeX:" in out and "\\frac{1}{1 + e^{-x}}" in out


def test_piping_into_head_ends_quietly():
    # `actloss list | head -1`: head exits after one line, the writer gets EPIPE
    pipe = subprocess.Popen([sys.executable, "-m", "actloss", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = pipe.stdout.readline()
    pipe.stdout.close()
    err = pipe.stderr.read().decode()
    pipe.stderr.close()
    code = pipe.wait(timeout=60)
    assert first.startswith(b"Activations") and "Traceback" not in err and err == ""
    assert code in (0, 141)


def test_version():
    import actloss

    result = _run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"actloss {actloss.__version__}"


def test_plot_a_loss_name_suggests_the_loss_flag(capsys, tmp_path):
    assert main(["plot", "huber", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a loss, not an activation: use --loss huber" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_compare_table_fits_80_columns(tmp_path):
    result = _run_cli("compare", "--dataset", "moons", "--activations", "relu,sigmoid",
                      "--losses", "mse,binary_crossentropy", "--hidden", "4", "--epochs", "1",
                      "--quiet", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("\n\n")[-2]
    assert max(len(line) for line in table.splitlines()) <= 80, table
    assert "± 0.000" not in result.stdout and "All rows: optimizer adam, lr 0.001" in table
