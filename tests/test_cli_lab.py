"""The lab's commands: plot, gradcheck, train, compare, demo (help, errors, files under --out)."""

import json
import os

import pytest

from actloss.cli import main


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


@pytest.mark.parametrize("command", ["plot", "gradcheck", "train", "compare", "demo"])
def test_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "Example: actloss " + command in capsys.readouterr().out


@pytest.mark.needs("data")  # digits come with scikit-learn
def test_demo_runs_end_to_end(tmp_path, capsys):
    """``make demo``'s command, at one epoch: the tutorial network, then the digits grid (every
    cell trained), the ranked table and the report. A broken demo went unnoticed for three
    stops while only its --help was tested."""
    out = tmp_path / "demo"
    assert main(["demo", "--epochs", "1", "--jobs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("1. ") and f"Report: {out / 'report.html'}" in printed
    rows = json.loads((out / "results.json").read_text())["cells"]
    assert len(rows) == 21 and all(r["status"] == "ok" for r in rows)
    assert (out / "report.html").stat().st_size > 0


@pytest.mark.needs("plot")
def test_plot_writes_only_under_out(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "relu", "tanh", "--derivative", "--loss", "mse",
                 "binary_crossentropy", "--out", "figs", "--format", "svg"]) == 0
    assert _files(tmp_path) == ["figs/activations.svg", "figs/losses.svg"]
    assert capsys.readouterr().out.split() == ["figs/activations.svg", "figs/losses.svg"]


@pytest.mark.parametrize("argv, message", [
    (["plot", "relx", "--out", "o"], "Did you mean 'relu'"),
    (["plot", "huber"], "a loss, not an activation: use --loss huber (e.g. actloss plot --loss"),
    (["plot", "--out", "o"], "give activation names"),
    (["gradcheck", "rellu"], "Did you mean 'relu'"),
    (["compare", "--dataset", "digitz", "--out", "o"], "Did you mean 'digits'"),
    pytest.param(["compare", "--dataset", "iris", "--losses", "bce", "--out", "o"],
                 "needs a binary task", marks=pytest.mark.needs("data")),
    pytest.param(["compare", "--dataset", "iris", "--optimizers", "adamm", "--out", "o"],
                 "Did you mean", marks=pytest.mark.needs("data")),
    (["compare", "--dataset", "nope.csv", "--target", "y", "--out", "o"], "no such file"),
    (["train", "--dataset", "moons", "--activation", "rellu", "--out", "o"], "Did you mean"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith(f"actloss {argv[0]}: error:")
    assert _files(tmp_path) == []


def test_bad_flag_values_exit_2(capsys):
    for argv in (["compare", "--dataset", "iris", "--learning-rates", "fast"],
                 ["compare", "--dataset", "iris", "--epochs", "0"],
                 ["compare", "--dataset", "iris", "--jobs", "-1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_gradcheck_prints_and_writes_json(tmp_path, capsys):
    assert main(["gradcheck", "tanh", "mse", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ok    activation tanh" in out and "mean_squared_error" in out
    reports = json.loads((tmp_path / "gradcheck.json").read_text())
    assert [r["name"] for r in reports] == ["tanh", "mean_squared_error"]


def test_gradcheck_all_passes(capsys):
    assert main(["gradcheck", "all"]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_compare_and_train_write_only_under_out(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'ab'[(i % 7) > 3]}" for i in range(60))
    (tmp_path / "d.csv").write_text("u,v,label\n" + rows)
    argv = ["compare", "--dataset", "d.csv", "--target", "label", "--activations", "relu,tanh",
            "--hidden", "4", "--epochs", "2", "--batch-size", "16", "--out", "res", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rank  activation" in out and "Report: res/report.html" in out
    files = _files(tmp_path / "res")
    assert {"results.csv", "results.json", "report.html"} <= set(files)
    assert sum(f.startswith("cells/") for f in files) == 2
    assert main(["train", "--dataset", "moons", "--activation", "tanh",
                 "--hidden", "4", "--epochs", "2", "--seed", "3", "--out", "one"]) == 0
    out = capsys.readouterr().out
    assert "test  loss" in out and "first/last layer gradient ratio" in out
    assert json.loads((tmp_path / "one" / "results.json").read_text())["cells"][0]["seed"] == 3
    assert set(os.listdir(tmp_path)) == {"d.csv", "res", "one"}


def _csv_rows(n=40):
    return "\n".join(f"{i % 7},{(i * 3) % 5},{'ab'[(i % 7) > 3]}" for i in range(n))


BAD_DATA = {  # file name -> (bytes, the message's words)
    "nan_target.csv": (("u,v,label\n1,2,a\n3,4,NaN\n" + _csv_rows()).encode(),
                       "nan_target.csv: 1 empty or NaN cells in 1 rows (line 3 column 'label')"),
    "two_rows.csv": (b"u,v,label\n1,2,a\n3,4,b\n", "two_rows.csv: 2 rows are too few"),
    "binary.csv": (b"PK\x03\x04" + bytes(range(256)) * 8, "binary.csv is not a text CSV file"),
    "utf16.csv": (("u,v,label\n" + _csv_rows()).encode("utf-16"), "utf16.csv is UTF-16 text"),
    "dup.csv": (("u,u,label\n" + _csv_rows()).encode(), "duplicate column names ['u']"),
}


@pytest.mark.parametrize("command", ["compare", "train"])
@pytest.mark.parametrize("name", [*BAD_DATA, "folder", "out_is_a_file"])
def test_bad_data_and_out_are_one_line_exit_2_before_training(name, command, tmp_path, capsys,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "good.csv").write_text("u,v,label\n" + _csv_rows())
    (tmp_path / "taken").write_text("a file, not a folder")
    for file, (data, _) in BAD_DATA.items():
        (tmp_path / file).write_bytes(data)
    dataset, out = {"folder": ("data", "o"), "out_is_a_file": ("good.csv", "taken")}.get(
        name, (name, "o"))
    message = {"folder": "--dataset: 'data' is a folder; expected a CSV file",
               "out_is_a_file": "--out: 'taken' is a file; expected a folder"}.get(
        name, BAD_DATA.get(name, ("", ""))[1])
    assert main([command, "--dataset", dataset, "--target", "label", "--epochs", "1",
                 "--out", out]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"actloss {command}: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""  # nothing trained
    assert not (tmp_path / "o").exists()


def test_drop_missing_trains_on_the_complete_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "holes.csv").write_text("u,v,label\n1,,a\n" + _csv_rows() + "\n4,5,\n")
    argv = ["compare", "--dataset", "holes.csv", "--target", "label", "--activations", "relu",
            "--hidden", "3", "--epochs", "1", "--out", "res", "--quiet"]
    assert main(argv) == 2
    assert "2 empty or NaN cells in 2 rows (line 2 column 'v', line 43 column 'label')" in \
        capsys.readouterr().err
    assert main(argv + ["--drop-missing"]) == 0
    out = capsys.readouterr().out
    assert "holes.csv: dropped 2 rows with empty or NaN cells (--drop-missing); 40 rows " \
           "remain" in out
    assert "24/8/8 train/val/test" in out
