"""report.html: self-contained, says in words what the numbers show, and opens in headless
Chromium (wide and phone-sized) with every figure drawn and no console error (skipped, with the
reason printed, only where Chromium is not installed)."""

import json
import re
import shutil
import subprocess

import pytest

from actloss.experiments import compare
from actloss.experiments._findings import findings, separated

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and
                 shutil.os.path.exists(p)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]

# Injected into a copy of the page: records errors from the start, and on load writes what it
# found into the DOM, which --dump-dom prints.
PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
const __consoleError = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); __consoleError(...a); };
</script>"""
PROBE_TAIL = """<script>
window.addEventListener('load', () => {
  const svgs = Array.from(document.querySelectorAll('svg'));
  const scroll = document.querySelector('.scroll');
  const what = document.getElementById('what');
  const report = {svgs: svgs.length, widths: svgs.map(s => s.getBoundingClientRect().width),
                  drawn: svgs.map(s => s.querySelectorAll('polyline').length),
                  errors: window.__errors, rows: document.querySelectorAll('tbody tr').length,
                  page: document.documentElement.scrollWidth, view: window.innerWidth,
                  table: [scroll.scrollWidth, scroll.clientWidth],
                  what_top: what.getBoundingClientRect().top,
                  table_top: scroll.getBoundingClientRect().top};
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
});
</script>"""


def _quiet(*args):
    pass


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = compare("moons", activations=["relu", "sigmoid"], hidden=[6, 6], epochs=3,
                     batch_size=64, seeds=2, out=out, progress=False, echo=_quiet,
                     command="actloss compare --dataset moons")
    return result


def test_report_is_self_contained_and_explains(report):
    page = report.report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "<img" not in page
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    assert '<meta name="viewport" content="width=device-width' in page
    assert "<title>actloss compare: moons</title>" in page
    what = page.index("What this shows")
    assert what < page.index("<table") < page.index("<svg")
    assert "Best by validation accuracy:" in page
    assert page.count("<tr>") == 1 + 2  # header + one row per configuration
    # activations, 2 + 2 learning curves, 2 gradient flow, then dead units: a chart or a sentence
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(svgs) in (7, 8)
    assert len(svgs) == 8 or "No dead units" in page
    for svg in svgs:  # every panel: axis labels and a legend entry per series
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert "epoch" in texts or "x" in texts or "layer (1 = first)" in texts, texts
        assert svg.count("<polyline") >= 1
        legend = re.findall(r'<line x1="58" y1="[0-9.]+" x2="76"', svg)
        assert len(legend) >= 1
    for name in ("activations_used_and_their_derivatives", "learning_curves_accuracy",
                 "learning_curves_loss", "gradient_flow"):
        assert (report.out / f"{name}.svg").read_text().startswith("<svg")


def test_one_seed_report_shows_no_zero_spread(tmp_path):
    result = compare("xor", activations=["relu", "tanh"], hidden=[4], epochs=2, seeds=1,
                     out=tmp_path, progress=False, echo=_quiet,
                     command="actloss train --dataset xor", title="actloss train")
    page = result.report.read_text()
    assert "± 0.000" not in page and "<title>actloss train: xor</title>" in page
    assert "one seed" in page.lower()


def test_train_command_titles_its_report(tmp_path, capsys):
    from actloss.cli import main

    assert main(["train", "--dataset", "xor", "--hidden", "4", "--epochs", "2",
                 "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<h1>actloss train: xor</h1>" in page and "actloss compare:" not in page


def _entry(act, val, test, ratio=0.5, dead=None, ok=3):
    return {"activation": act, "loss": "cce", "label": "cce", "optimizer": "adam",
            "learning_rate": 0.001, "metric": "accuracy", "val_metric": val,
            "val_metric_std": 0.01, "test_metric": test, "grad_ratio": ratio,
            "dead_fraction": dead, "ok": ok, "seeds": ok}


def _cells(per_act):
    out = []
    for act, values in per_act.items():
        for seed, v in enumerate(values):
            out.append(({"activation": act, "loss": "cce", "optimizer": "adam",
                         "learning_rate": 0.001, "seed": seed},
                        {"status": "ok", "val_metric": v}))
    return out


def test_findings_say_tie_and_order_and_vanishing_and_dead():
    # the demo: tanh 0.956 vs elu 0.955, spread 0.006: a tie; test order reversed
    cells = _cells({"tanh": [0.956, 0.950, 0.962], "elu": [0.955, 0.957, 0.953],
                    "relu": [0.90, 0.91, 0.90], "sigmoid": [0.80, 0.81, 0.80]})
    ranking = [_entry("tanh", 0.956, 0.950), _entry("elu", 0.955, 0.960),
               _entry("relu", 0.903, 0.93, dead=0.125), _entry("sigmoid", 0.803, 0.80, 1e-3)]
    text = "\n".join(findings(ranking, cells))
    assert "Best by validation accuracy: tanh, 0.956 ± 0.010 over 3 seeds." in text
    assert "Tie: the best is not distinguishable from elu (0.955)" in text
    assert "better than relu (0.903)" in text
    assert "Validation and test orders disagree: by test accuracy the order is elu" in text
    assert "Vanishing gradients: the first layer's gradient is only 0.001 of the last layer's " \
           "in sigmoid" in text
    assert "Dead units" in text and "12.5% in relu" in text


def test_findings_one_seed_and_clean_runs():
    cells = _cells({"relu": [0.9], "tanh": [0.8]})
    ranking = [_entry("relu", 0.9, 0.9, dead=0.0, ok=1), _entry("tanh", 0.8, 0.8, ok=1)]
    text = "\n".join(findings(ranking, cells))
    assert "(one seed)" in text and "cannot tell a real difference from noise" in text
    assert "same order" in text and "No vanishing or exploding gradients" in text
    assert "No dead units: every unit of relu" in text


def test_separated_needs_both_interval_and_paired_evidence():
    a = {0: 0.91, 1: 0.92, 2: 0.93}
    assert separated(a, {0: 0.81, 1: 0.82, 2: 0.83})[0] is True
    # overlapping intervals, although the paired differences are all positive
    verdict, why = separated(a, {0: 0.905, 1: 0.915, 2: 0.925})
    assert verdict is False and "overlap" in why
    assert separated({0: 0.9}, {0: 0.8})[0] is None


def _chromium(page_path, tmp_path, size, extra=()):
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           f"--window-size={size}", *extra, page_path.as_uri()],
                          capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("size", ["1280,900", "390,844"], ids=["wide", "phone"])
def test_report_opens_in_headless_chromium(report, tmp_path, size):
    if CHROMIUM is None:
        print("SKIPPED: Chromium is not installed (Debian: apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    page = report.report.read_text()
    page = page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL +
                                                                    "</body>", 1)
    probe = tmp_path / "probe.html"
    probe.write_text(page)
    proc = _chromium(probe, tmp_path, size, ["--dump-dom"])
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout)
    assert match, f"no probe result; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    found = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert found["svgs"] >= 7 and min(found["drawn"]) >= 1, found
    assert found["rows"] == 2 and found["errors"] == []
    assert found["what_top"] < found["table_top"]
    # nothing overflows the screen: the figures shrink, the table scrolls inside its box
    assert found["page"] <= found["view"], found
    assert max(found["widths"]) <= found["view"]
    if size.startswith("390"):
        assert found["table"][0] > found["table"][1], found
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console


@pytest.mark.needs("plot")  # Pillow comes with matplotlib; it reads the screenshot
def test_phone_screenshot_shows_what_this_shows(report, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    from PIL import Image

    shot = tmp_path / "phone.png"
    _chromium(report.report, tmp_path, "390,844", [f"--screenshot={shot}"])
    image = Image.open(shot).convert("RGB")
    assert image.size == (390, 844)
    # the "What this shows" box (light blue, #f6f9ff, with its #4a78c2 left border) is on the
    # first screen of a phone
    colors = {c for _, c in image.getcolors(390 * 844)}
    assert (0xf6, 0xf9, 0xff) in colors and (0x4a, 0x78, 0xc2) in colors
