"""report.html: self-contained, and it opens in headless Chromium with every image shown and no
console error (skipped, with the reason printed, only where Chromium is not installed)."""

import json
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.needs("plot")



CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and
                 shutil.os.path.exists(p)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync",
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
  const imgs = Array.from(document.images);
  const report = {images: imgs.length,
                  broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
                  widths: imgs.map(i => i.naturalWidth), errors: window.__errors,
                  rows: document.querySelectorAll('tbody tr').length};
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
});
</script>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from actloss.experiments import compare

    out = tmp_path_factory.mktemp("report")
    result = compare("moons", activations=["relu", "sigmoid"], hidden=[6, 6], epochs=3,
                     batch_size=64, seeds=2, out=out, progress=False, echo=lambda *a: None)
    return result.report


def test_report_is_self_contained(report):
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert len(images) == page.count("<img") == 5
    assert "Activations used and their derivatives" in images and "Gradient flow" in images
    assert page.count("<tr>") == 1 + 2  # header + one row per configuration
    for png in ("activations", "learning_curves_metric", "learning_curves_loss",
                "gradient_flow", "dead_units"):
        assert (report.parent / f"{png}.png").stat().st_size > 1000


def test_report_opens_in_headless_chromium(report, tmp_path):
    if CHROMIUM is None:
        print("SKIPPED: Chromium is not installed (Debian: apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    page = report.read_text()
    page = page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL +
                                                                    "</body>", 1)
    probe = report.parent / "probe.html"
    probe.write_text(page)
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=60)
    probe.unlink()
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout)
    assert match, f"no probe result; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    found = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert found["images"] == 5 and found["broken"] == [], found
    assert min(found["widths"]) > 300 and found["rows"] == 2
    assert found["errors"] == []
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
