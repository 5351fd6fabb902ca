"""Lessons: each runs (small sizes), its words carry the numbers it measured, the claim holds in
those numbers, and a run that does not show the effect says so."""

import re
import sys

import pytest

from actloss import lessons
from actloss.cli import main
from actloss.lessons._common import g


@pytest.fixture(scope="module")
def outcomes():
    return {name: lessons.run(name, small=True) for name in lessons.names()}


def test_at_least_the_issues_lessons():
    assert set(lessons.names()) >= {
        "vanishing-gradients", "dying-relu", "saturation", "outliers", "step-cannot-learn",
        "stable-softmax", "smooth-l1", "gradient-descent", "learning-rate",
        "exploding-gradients"}


@pytest.mark.parametrize("name", lessons.names())
def test_lesson_text_carries_its_numbers(outcomes, name):
    o = outcomes[name]
    text = " ".join(o.text)
    assert o.title and o.claim and len(o.text) >= 2
    numbers = [v for v in o.numbers.values() if isinstance(v, float)]
    for value in numbers[:4]:  # the headline numbers appear as measured
        assert g(value) in text or f"{value:.2f}" in text or f"{value:.0%}" in text, \
            (value, text)
    terminal = o.terminal()
    assert max(len(line) for line in terminal.splitlines()) <= 80
    assert ("Shown in this run." in terminal) == o.shown
    for chart in o.charts:
        assert chart["xlabel"] and chart["ylabel"] and chart["series"]


def test_vanishing_gradients_claim(outcomes):
    n = outcomes["vanishing-gradients"].numbers
    assert n["ratio_sigmoid"] < 0.01 * n["ratio_relu"]
    assert f"the first layer's gradient is {g(n['ratio_sigmoid'])} of the last layer's; with " \
           f"ReLU and He initialization {g(n['ratio_relu'])}" in outcomes[
               "vanishing-gradients"].text[0]


def test_dying_relu_and_saturation_claims(outcomes):
    n = outcomes["dying-relu"].numbers
    assert n["dead_relu_peak"] > 0.05 and n["dead_others_peak"] == 0
    s = outcomes["saturation"].numbers
    assert s["tanh_large_saturated"] > s["tanh_glorot_saturated"] + 0.5


def test_exploding_small_run_says_it_did_not_show_everything(outcomes):
    o = outcomes["exploding-gradients"]
    assert o.numbers["growth_large"] > 10 * o.numbers["growth_he"]
    # 3 epochs of a 6-layer net do not diverge: the lesson must not claim they did
    if not o.numbers["diverged_plain"]:
        assert not o.shown and "did not diverge" in " ".join(o.text)
        assert "NOT shown in this run" in o.terminal()
    assert ("BatchNormalization" in " ".join(o.text))


def test_loss_lessons_claims(outcomes):
    n = outcomes["outliers"].numbers
    assert n["mse_clean_rmse"] > 3 * max(n["mae_clean_rmse"], n["huber_clean_rmse"])
    n = outcomes["smooth-l1"].numbers
    assert n["tutorial_vs_half_mse"] == 0 and n["smooth_l1_vs_huber"] < 1e-12
    assert n["tutorial_vs_smooth_l1"] == pytest.approx(2.0)
    n = outcomes["stable-softmax"].numbers
    assert n["naive_bce"] == float("inf") and n["stable_bce"] == pytest.approx(1000)
    assert n["stable_ce"] == pytest.approx(2000) and n["naive_ce"] != n["naive_ce"]


def test_training_lessons_claims(outcomes):
    n = outcomes["step-cannot-learn"].numbers
    assert n["step_weight_change"] == 0 and n["sigmoid_weight_change"] > 0
    n = outcomes["learning-rate"].numbers
    assert n["SGD lr 0.1"] < n["SGD lr 1e-4 (too small)"]
    n = outcomes["gradient-descent"].numbers
    assert n["batch GD"]["loss"] > n["mini-batch GD"]["loss"] > n["stochastic GD"]["loss"]


def test_write_html_and_png(outcomes, tmp_path):
    files = outcomes["outliers"].write(tmp_path)
    page = files["html"].read_text()
    assert "<script" not in page and page.count("<svg") == 1
    assert "error on the clean points" in page
    if files["png"] is not None:
        assert files["png"].read_bytes()[:4] == b"\x89PNG"


def test_without_matplotlib_the_page_says_so(outcomes, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    files = outcomes["smooth-l1"].write(tmp_path)
    assert files["png"] is None and "pip install 'actloss[plot]'" in files["note"]
    assert "pip install" in files["html"].read_text() and not (tmp_path / "smooth-l1.png").exists()


def test_cli_lists_runs_and_rejects(capsys, tmp_path):
    assert main(["lesson"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in lessons.names())
    assert main(["lesson", "smooth-l1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "it IS half-MSE" in out and (tmp_path / "smooth-l1.html").exists()
    assert main(["lesson", "vanishing"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"Did you mean 'vanishing-gradients'", err) and err.count("\n") == 1
