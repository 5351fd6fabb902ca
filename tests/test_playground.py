"""actloss playground: the session logic, the HTTP/WebSocket API of a real server (a subprocess
started by the CLI, on a free port of 127.0.0.1), and the page in headless Chromium.

Screenshots go to pytest's tmp folder; set ACTLOSS_PLAYGROUND_SHOTS=DIR to keep them (the README's
docs/playground.png is made with ACTLOSS_PLAYGROUND_SHOTS=docs).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import actloss
from actloss.playground import Session, activation_curve, validate

SRC = str(Path(actloss.__file__).resolve().parents[1])
RELU_NET = [{"units": 8, "activation": "relu"}, {"units": 8, "activation": "relu"}]
STEP_NET = [{"units": 8, "activation": "step"}, {"units": 8, "activation": "step"}]
CHROMIUM = "/usr/bin/chromium"
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync"]


# ---------------------------------------------------------------------- without a server
def test_validate_names_the_field():
    cfg = validate({"layers": [{"units": 3, "activation": "Leaky-ReLU"}], "optimizer": "SGD"})
    assert cfg["layers"] == [{"units": 3, "activation": "leaky_relu"}]
    assert cfg["optimizer"] == "sgd"
    bad = [({"layers": [{"units": 0, "activation": "relu"}]}, "units"),
           ({"layers": [{"units": 2, "activation": "relu", "extra": 1}]}, "layers[0]"),
           ({"learning_rate": -1}, "learning_rate"), ({"learning_rate": "0.1"}, "learning_rate"),
           ({"batch_size": 0}, "batch_size"), ({"data": "../../etc/passwd"}, "data"),
           ({"data": "csv", "upload": None, "target": "y"}, "upload"),
           ({"path": "/etc/passwd"}, "unknown field"), ([1, 2], "JSON object"),
           ({"loss": "nope"}, "loss"), ({"noise": float("nan")}, "noise")]
    for config, word in bad:
        with pytest.raises(ValueError, match=word.replace("[", r"\[").replace("]", r"\]")):
            validate(config)


def test_activation_curves_come_from_actloss():
    step = activation_curve("heaviside")
    assert step["name"] == "step" and set(step["df"]) == {0.0}
    soft = activation_curve("softmax", n=5)
    x = np.asarray(soft["x"])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(soft["f"], sig, rtol=1e-12)       # softmax(x, 0)[0] = sigmoid(x)
    np.testing.assert_allclose(soft["df"], sig * (1 - sig), rtol=1e-12)
    assert "not elementwise" in soft["note"]


def test_activation_curves_break_at_jumps_instead_of_drawing_a_vertical_line():
    """The page draws a null as a gap (draw.js); the server puts one at each jump, by the rule
    actloss's own plots use (plots.split_jumps)."""
    relu, step, tanh = (activation_curve(name) for name in ("relu", "step", "tanh"))
    assert relu["f"].count(None) == 0 and relu["df"].count(None) == 1   # relu' at 0
    gap = relu["df"].index(None)
    assert relu["df"][gap - 1] == 0.0 and relu["df"][gap + 1] == 1.0
    assert relu["dx"][gap - 1] < relu["dx"][gap] < relu["dx"][gap + 1]
    assert step["f"].count(None) == 1 and step["df"].count(None) == 0   # step itself jumps
    assert None not in tanh["f"] + tanh["df"] and tanh["dx"] == tanh["x"]


def test_session_step_layers_get_no_gradient():
    s = Session()
    try:
        s.configure({"data": "moons", "layers": STEP_NET, "n_samples": 200})
        first = [w.copy() for w in s.model.layers[0].weights]
        for _ in range(5):
            s.step()
        deadline = time.monotonic() + 20
        while s._epoch < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        s.close()
    assert s._epoch == 5
    snaps = [m for m in s.messages() if m["type"] == "snapshot"]
    assert snaps[-1]["gradients"]["norm"][:2] == [0.0, 0.0]
    for before, after in zip(first, s.model.layers[0].weights):
        np.testing.assert_array_equal(before, after)  # step' = 0: the first layer never moves


def test_cli_names_the_extra_when_it_is_missing(monkeypatch, capsys):
    from actloss.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert main(["playground", "--no-browser"]) == 2
    assert "pip install 'actloss[playground]'" in capsys.readouterr().err


@pytest.mark.needs("playground")
def test_cli_busy_port_is_a_one_line_error(capsys):
    from actloss.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert predicate()


def test_session_diverging_run_pauses_with_the_reason(tmp_path, rng):
    data = _csv(tmp_path / "r.csv", 200, rng, "regression").read_bytes()
    s = Session({"up": {"data": data, "name": "r.csv"}})
    try:
        s.configure({"data": "csv", "upload": "up", "target": "label", "optimizer": "sgd",
                     "learning_rate": 10.0, "layers": [{"units": 32, "activation": "relu"}] * 3})
        s.run()
        _wait(lambda: not s._running)
    finally:
        s.close()
    messages = s.messages()
    errors = [m["message"] for m in messages if m["type"] == "error"]
    assert len(errors) == 1 and "diverged" in errors[0], errors
    assert messages[-1]["type"] == "snapshot" and messages[-1]["state"] == "paused"


def test_session_live_changes_keep_the_network():
    s = Session()
    try:
        s.configure({"data": "circles", "n_samples": 200})
        s.step()
        _wait(lambda: s._epoch == 1)
        model = s.model
        s.configure({"data": "circles", "n_samples": 200, "learning_rate": 0.001,
                     "batch_size": "all"})
        assert s.model is model and model.optimizer.learning_rate == 0.001
        s.step()
        _wait(lambda: s._epoch == 2)
        # epoch 1 in batches of 16, epoch 2 in one batch
        assert model.optimizer.iterations == -(-len(s.ds.x_train) // 16) + 1
        s.configure({"data": "circles", "n_samples": 200, "seed": 1})  # new data: new network
        assert s.model is not model and s._epoch == 0
        s.reset()
        assert s._epoch == 0 and len(s._history) == 1
    finally:
        s.close()


def test_session_noise_and_test_share_reach_the_data():
    """The page's noise is the generator's (datasets.load(noise=...)), the test share the split;
    without a noise the set's own; a bundled set or CSV has none."""
    from actloss import datasets

    s = Session()
    try:
        s.configure({"data": "moons", "n_samples": 200, "noise": 0.3, "test_fraction": 0.25})
        want = datasets.load("moons", n_samples=200, noise=0.3, val_fraction=0.0,
                             test_fraction=0.25)
        np.testing.assert_array_equal(s.ds.x_train, want.x_train)
        assert (len(s.ds.x_train), len(s.ds.x_test)) == (150, 50)
        s.configure({"data": "moons", "n_samples": 200})
        own = datasets.load("moons", n_samples=200, val_fraction=0.0, test_fraction=0.3)
        np.testing.assert_array_equal(s.ds.x_test, own.x_test)
    finally:
        s.close()
    assert validate({"data": "csv", "upload": "u1", "target": "y", "noise": 0.5})["noise"] is None
    assert validate({"noise": 0.25})["noise"] == 0.25
    assert validate({})["noise"] is None


# ---------------------------------------------------------------------- a real server
class Server:
    def __init__(self, proc, url):
        self.proc, self.url = proc, url
        self.base, _, query = url.partition("/?")
        self.token = query.split("token=", 1)[1]

    def http(self, path, **params):
        return f"{self.base}{path}?" + "&".join(
            f"{k}={v}" for k, v in {"token": self.token, **params}.items() if v is not None)

    @contextmanager
    def ws(self, token=True):
        from websockets.sync.client import connect

        url = self.base.replace("http://", "ws://") + "/ws"
        if token:
            url += f"?token={self.token}"
        with connect(url, max_size=None, open_timeout=10) as conn:
            yield Client(conn)


class Client:
    def __init__(self, conn):
        self.conn, self.seen = conn, []
        self.hello = self.next()
        assert self.hello["type"] == "hello"

    def send(self, kind, **fields):
        self.conn.send(json.dumps({"type": kind, **fields}))

    def next(self, timeout=20.0):
        message = json.loads(self.conn.recv(timeout=timeout))
        self.seen.append(message)
        return message

    def until(self, predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.next(timeout=max(0.1, deadline - time.monotonic()))
            if predicate(message):
                return message
        raise AssertionError(f"timed out; last messages: {[m['type'] for m in self.seen[-8:]]}")

    def snapshot(self, predicate=lambda s: True, timeout=30.0):
        return self.until(lambda m: m["type"] == "snapshot" and predicate(m), timeout)

    def error(self, timeout=10.0):
        return self.until(lambda m: m["type"] == "error", timeout)["message"]


def start_server(port="0"):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "actloss", "playground", "--port", port,
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        raise AssertionError(f"the server printed no URL; stderr: {proc.stderr.read()}")
    assert line.startswith("actloss playground: http://127.0.0.1:"), line
    return Server(proc, line.split()[2])


def stop_server(server):
    """Ctrl-C; returns the exit status (stderr in ``server.stderr``)."""
    server.proc.send_signal(signal.SIGINT)
    try:
        return server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        raise
    finally:
        server.stderr = server.proc.stderr.read()
        server.proc.stdout.close()
        server.proc.stderr.close()


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    pytest.importorskip("websockets")
    srv = start_server()
    yield srv
    if srv.proc.poll() is None:
        stop_server(srv)


@pytest.mark.needs("playground")
def test_token_required(server):
    import httpx
    from websockets.exceptions import InvalidStatus

    assert httpx.get(server.base + "/").status_code == 403
    assert httpx.get(server.base + "/?token=wrong" + "x" * 30).status_code == 403
    assert httpx.get(server.base + "/static/app.js").status_code == 403
    page = httpx.get(server.http("/"))
    assert page.status_code == 200 and "actloss" in page.text and server.token in page.text
    assert "http" not in page.text.split("<body", 1)[1].replace("http-equiv", "")  # no CDN
    assert httpx.get(server.http("/static/app.js")).status_code == 200
    assert httpx.get(server.http("/static/../_app.py")).status_code == 404
    with pytest.raises(InvalidStatus) as info, server.ws(token=False):
        pass
    assert info.value.response.status_code == 403


@pytest.mark.needs("playground")
def test_relu_learns_moons_step_does_not(server, tmp_path):
    import httpx
    from actloss.models import load_model

    with server.ws() as c:
        base = {"data": "moons", "n_samples": 400, "seed": 0, "learning_rate": 0.03,
                "batch_size": 16}
        c.send("config", config={**base, "layers": RELU_NET})
        c.snapshot(lambda s: s["epoch"] == 0)
        c.send("run")
        snap = c.snapshot(lambda s: s["last"]["test_metric"] > 0.9)
        relu_epochs = snap["epoch"]
        b = snap["boundary"]
        assert b["kind"] == "binary" and len(b["value"]) == b["n"] ** 2
        assert min(b["value"]) < 0.1 and max(b["value"]) > 0.9  # both classes on the plane
        c.send("pause")
        paused = c.snapshot(lambda s: s["state"] == "paused")
        session = c.hello["session"]
        saved = httpx.get(server.http("/download/model.actloss", session=session))
        assert saved.status_code == 200
        (tmp_path / "m.actloss").write_bytes(saved.content)
        assert load_model(tmp_path / "m.actloss").count_params() == 105
        offered = next(m for m in c.seen if m["type"] == "model")["formats"]
        for fmt in offered:  # .keras only where model.save("x.keras") writes a Keras archive
            assert httpx.get(server.http(f"/download/model.{fmt}", session=session)).is_success
        if "keras" not in offered:
            assert httpx.get(server.http("/download/model.keras", session=session)
                             ).status_code == 409
        for name in ("m.actloss", "..%2F..%2Fetc%2Fpasswd", "history.csv%00"):
            assert httpx.get(server.http(f"/download/{name}", session=session)
                             ).status_code == 404
        history = httpx.get(server.http("/download/history.csv", session=session)).text
        rows = history.strip().splitlines()
        assert rows[0] == "epoch,loss,test_loss,accuracy,test_accuracy"
        assert len(rows) == paused["epoch"] + 2  # header, epoch 0, then one row per epoch

        c.send("reset")
        assert c.snapshot()["epoch"] == 0

        c.send("config", config={**base, "layers": STEP_NET})
        c.snapshot(lambda s: s["epoch"] == 0)
        c.send("run")
        epochs = max(30, 2 * relu_epochs)
        snaps = [c.snapshot()]
        while snaps[-1]["epoch"] < epochs:
            snaps.append(c.snapshot())
        c.send("pause")
        assert all(s["gradients"]["norm"][:2] == [0.0, 0.0] for s in snaps)
        # only the output layer learns, on fixed random step features: no boundary that fits
        assert max(s["last"]["test_metric"] for s in snaps) < 0.9


@pytest.mark.needs("playground")
def test_bad_messages_get_an_error_not_a_crash(server):
    with server.ws() as c:
        c.send("config", config={"layers": [{"units": 4, "activation": "nope"}]})
        assert "Unknown activation 'nope'" in c.error()
        c.send("activation", name="relu')")
        assert "Unknown activation" in c.error()
        c.send("launch")
        assert "type: expected one of" in c.error()
        c.conn.send("{not json")
        assert "expected JSON" in c.error()
        c.conn.send(b"\x00\x01")
        assert "JSON text message" in c.error()
        c.send("run")  # nothing configured yet
        assert "send a configuration first" in c.error()
        c.send("config", config={"data": "csv", "upload": "../../etc/passwd", "target": "y"})
        assert "no uploaded file" in c.error()
        c.send("config", config={"loss": "poisson"})
        assert "does not fit" in c.error()
        c.send("ping")
        assert c.until(lambda m: m["type"] in ("pong", "error"))["type"] == "pong"


def _csv(path, rows, rng, task="multiclass"):
    x = rng.normal(size=(rows, 3))
    if task == "multiclass":
        y = np.array(["a", "b", "c"])[np.argmax(x @ rng.normal(size=(3, 3)), axis=1)]
    else:
        y = np.round(x @ [1.5, -2.0, 0.5] + 0.1 * rng.normal(size=rows), 4)
    lines = ["f1,f2,f3,label"] + [f"{a:.4f},{b:.4f},{c:.4f},{t}" for (a, b, c), t in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.needs("playground")
def test_upload_limits_and_training_on_a_csv(server, tmp_path, rng):
    import httpx

    too_big = httpx.post(server.http("/upload", name="big.csv"), content=b"a" * (10 * 2**20 + 1))
    assert too_big.status_code == 413
    assert httpx.post(server.http("/upload"), content=b"\xff\xfe\x00").status_code == 400
    assert httpx.post(server.base + "/upload", content=b"a,b\n1,2\n").status_code == 403
    with server.ws() as c:
        for task, view in (("multiclass", "confusion"), ("regression", "scatter")):
            data = _csv(tmp_path / f"{task}.csv", 300, rng, task).read_bytes()
            info = httpx.post(server.http("/upload", name=f"../../{task}.csv"), content=data)
            assert info.status_code == 200, info.text
            info = info.json()
            assert info["columns"] == ["f1", "f2", "f3", "label"] and info["rows"] == 300
            assert info["name"] == f"{task}.csv"  # the client's name, shown, never a path
            c.send("config", config={"data": "csv", "upload": info["upload"], "target": "label",
                                     "layers": RELU_NET})
            ds = c.until(lambda m: m["type"] == "dataset")
            assert (ds["task"], ds["features"], ds["name"]) == (task, 3, f"{task}.csv")
            c.send("run")
            snap = c.snapshot(lambda s: s["epoch"] >= 20)
            c.send("pause")
            assert view in snap and "boundary" not in snap
            assert snap["last"]["test_metric"] > 0.7


@pytest.mark.needs("playground")
def test_closing_the_page_ends_its_session(server):
    import httpx

    with server.ws() as c:
        c.send("config", config={"layers": RELU_NET})
        c.send("run")
        c.snapshot(lambda s: s["epoch"] >= 2)
        url = server.http("/download/history.csv", session=c.hello["session"])
        assert httpx.get(url).status_code == 200
    deadline = time.monotonic() + 10
    while httpx.get(url).status_code != 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert httpx.get(url).status_code == 404  # the session (and its thread) are gone


@pytest.mark.needs("playground")
def test_ctrl_c_stops_the_server_while_training():
    pytest.importorskip("websockets")
    srv = start_server()
    with srv.ws() as c:
        c.send("config", config={"layers": RELU_NET})
        c.send("run")
        c.snapshot(lambda s: s["epoch"] >= 1)
        assert stop_server(srv) == 0  # with the page still open and training
    assert "Traceback" not in srv.stderr, srv.stderr


# ---------------------------------------------------------------------- the page in Chromium
def _shot(page, tmp_path, name):
    path = tmp_path / name
    box = page.locator("main").bounding_box()  # the panels, without the empty page below
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": box["width"],
                                          "height": box["y"] + box["height"]})
    keep = os.environ.get("ACTLOSS_PLAYGROUND_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def _canvas_colors(page, selector):
    # distinct colours and the share of non-white pixels on a canvas
    return page.evaluate("""(sel) => {
        const c = document.querySelector(sel);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set(); let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
            seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) ink++;
        }
        return [seen.size, ink / (d.length / 4)];
    }""", selector)


@pytest.mark.needs("playground")
def test_page_in_headless_chromium(server, tmp_path, rng):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    errors = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS)
        try:
            # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's
            # Content-Security-Policy (no eval) forbids
            page = browser.new_context(viewport={"width": 1360, "height": 800},
                                       bypass_csp=True).new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url)
            metric = "Number(document.getElementById('test-metric').textContent)"
            epoch = "Number(document.body.dataset.epoch)"
            page.wait_for_function(f"{epoch} === 0 && document.body.dataset.state === 'paused'")
            page.click("#run")
            page.wait_for_function(f"{metric} > 0.9", timeout=30000)
            page.wait_for_timeout(600)
            page.click("#pause")
            page.wait_for_function("document.body.dataset.state === 'paused'")
            colors, ink = _canvas_colors(page, "#boundary")
            assert colors > 50 and ink > 0.5, (colors, ink)  # a drawn boundary, not blank
            assert _canvas_colors(page, "#loss-chart")[0] > 5
            _shot(page, tmp_path, "playground.png")
            for button, name in (("#save-actloss", "playground.actloss"),
                                 ("#save-history", "playground-history.csv")):
                with page.expect_download() as download:
                    page.click(button)
                assert download.value.suggested_filename == name
                assert Path(download.value.path()).stat().st_size > 100

            for select in page.query_selector_all(".layer-activation"):
                select.select_option("step")
            page.wait_for_function(f"{epoch} === 0")
            page.click("#run")
            page.wait_for_function(f"{epoch} >= 40", timeout=30000)
            page.click("#pause")
            page.wait_for_function("document.body.dataset.state === 'paused'")
            assert page.evaluate(metric) < 0.9
            assert "no gradient" in page.text_content("#grad-info")

            page.select_option("#dataset", "csv")
            page.set_input_files("#csv-file", str(_csv(tmp_path / "blobs.csv", 300, rng)))
            page.wait_for_function("document.getElementById('data-info').textContent"
                                   ".startsWith('blobs.csv')")
            for select in page.query_selector_all(".layer-activation"):
                select.select_option("relu")
            page.wait_for_function(f"{epoch} === 0")
            page.click("#run")
            page.wait_for_function(f"{epoch} >= 30 && {metric} > 0.7", timeout=30000)
            page.click("#pause")
            page.wait_for_function("document.body.dataset.state === 'paused'")
            assert page.text_content("#view-title").startswith("Confusion")
            _shot(page, tmp_path, "playground-csv.png")
        finally:
            browser.close()
    assert errors == []
