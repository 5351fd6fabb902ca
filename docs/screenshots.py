"""Remake the screenshots in docs/ (about a minute on 2 cores): headless Chromium through
Playwright, as tests/test_playground.py drives it.

* ``report-what-this-shows.png`` and ``-phone.png``: the top of ``report.html`` of the W6 grid
  (``actloss compare`` on digits, sigmoid/tanh/relu x 3 seeds, 30 epochs), down to the end of
  "What this shows", 1100 and 390 pixels wide;
* ``playground.png``: the playground after training a ReLU 8-8 network on moons until the test
  accuracy passes 0.9;
* ``playground-csv.png``: the playground after training on an uploaded CSV (scikit-learn's
  wine data, written to a temporary file with the cultivar, A, B or C, as a text column).

Needs the ``playground`` and ``data`` extras, Playwright and a Chromium::

    PYTHONPATH=src python docs/screenshots.py [--out docs] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync"]
W6 = ["compare", "--dataset", "digits", "--activations", "sigmoid,tanh,relu", "--hidden",
      "128,64", "--epochs", "30", "--batch-size", "64", "--learning-rates", "1e-3", "--seeds",
      "3", "--jobs", "2", "--quiet", "--out", "runs/digits"]
METRIC = "Number(document.getElementById('test-metric').textContent)"
EPOCH = "Number(document.body.dataset.epoch)"
PAUSED = "document.body.dataset.state === 'paused'"


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}


def report_shots(browser, out: Path, work: Path) -> list[Path]:
    subprocess.run([sys.executable, "-m", "actloss", *W6], cwd=work, env=_env(), check=True,
                   stdout=subprocess.DEVNULL)
    page_url = (work / "runs" / "digits" / "report.html").as_uri()
    shots = []
    for width, name in ((1100, "report-what-this-shows.png"),
                        (390, "report-what-this-shows-phone.png")):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(page_url)
        box = page.locator("#what").bounding_box()
        path = out / name
        page.screenshot(path=str(path), full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"]
                              + 16})
        page.close()
        shots.append(path)
    return shots


def _shot(page, path: Path) -> Path:
    box = page.locator("main").bounding_box()  # the panels, without the empty page below
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": box["width"],
                                          "height": box["y"] + box["height"]})
    return path


def _wine_csv(path: Path) -> Path:
    from sklearn.datasets import load_wine

    wine = load_wine()
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*wine.feature_names, "cultivar"])
        for row, label in zip(wine.data, wine.target):
            writer.writerow([*(f"{v:g}" for v in row), "ABC"[label]])
    return path


def _start_playground():
    """``actloss playground --port 0 --no-browser``; its URL (with the token) from its first
    line."""
    proc = subprocess.Popen([sys.executable, "-m", "actloss", "playground", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, text=True, env=_env())
    line = proc.stdout.readline()
    if not line.startswith("actloss playground: http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"the playground did not start: {line!r}")
    return proc, line.split()[2]


def playground_shots(browser, out: Path, work: Path) -> list[Path]:
    proc, url = _start_playground()
    errors: list = []
    try:
        page = browser.new_context(viewport={"width": 1360, "height": 800},
                                   bypass_csp=True).new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function(f"{EPOCH} === 0 && {PAUSED}")
        page.click("#run")
        page.wait_for_function(f"{METRIC} > 0.9 && {EPOCH} >= 40", timeout=60000)
        page.click("#pause")
        page.wait_for_function(PAUSED)
        page.wait_for_timeout(500)
        shots = [_shot(page, out / "playground.png")]

        page.select_option("#dataset", "csv")
        page.set_input_files("#csv-file", str(_wine_csv(work / "wine.csv")))
        page.wait_for_function("document.getElementById('data-info').textContent"
                               ".startsWith('wine.csv')")
        page.wait_for_function(f"{EPOCH} === 0")
        page.click("#run")
        page.wait_for_function(f"{EPOCH} >= 60 && {METRIC} > 0.9", timeout=60000)
        page.click("#pause")
        page.wait_for_function(PAUSED)
        page.wait_for_timeout(500)
        shots.append(_shot(page, out / "playground-csv.png"))
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
        proc.wait(timeout=30)
    if errors:
        raise SystemExit(f"the page logged errors: {errors}")
    return shots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: docs/)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    parser.add_argument("--only", choices=("report", "playground"), help="one kind only")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="actloss-shots-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=HEADLESS)
        try:
            shots = []
            if args.only != "playground":
                shots += report_shots(browser, args.out, Path(tmp))
            if args.only != "report":
                shots += playground_shots(browser, args.out, Path(tmp))
        finally:
            browser.close()
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
