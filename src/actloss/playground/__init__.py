"""``actloss playground``: train a network live in the browser, with the real library, on any data.

A local web app (Starlette and uvicorn: the ``playground`` extra) serves one page whose assets
ship inside this package, so it works offline. On the page: a data set (moons, circles, spirals,
xor, with their noise, ``datasets.load(noise=...)``, and a train/test ratio; scikit-learn's
bundled sets when the ``data`` extra is installed; or an uploaded CSV with a target column), the
network (hidden layers, their widths and activations, the loss, the optimizer, learning rate,
batch size, L1/L2), Run / Pause / Step / Reset, and, a few times a second while it trains: loss and metric curves, the decision boundary
over the plane (two-feature data) or a confusion matrix / predicted-vs-true plot, per-layer
gradient norms, dead and saturated fractions, and the activations with their derivatives. The
trained model downloads as ``.actloss`` (and ``.keras`` where ``model.save`` writes Keras files),
the run's history as CSV.

Safety, as Jupyter does it: the server binds 127.0.0.1 unless told otherwise, and every request
must carry a random token that is part of the printed URL (403 without it); uploads are limited
to 10 MB; nothing the client sends is used as a file path.

The session logic needs only NumPy:

>>> from actloss.playground import Session
>>> s = Session()
>>> s.configure({"data": "xor", "n_samples": 80, "layers": [{"units": 4, "activation": "tanh"}]})
>>> s.step(); s.close()
>>> [m["type"] for m in s.messages()][:3]
['reset', 'dataset', 'model']
"""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import webbrowser

from ._options import options, validate
from ._measure import activation_curve
from ._session import Session

_EXTRA = "the playground needs Starlette and uvicorn: pip install 'actloss[playground]'"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(token: str):
    """The ASGI app (Starlette); every request must carry ``?token=<token>``."""
    try:
        from ._app import create_app as make
    except ImportError as exc:
        raise ImportError(_EXTRA) from exc
    return make(token)


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
          token: str | None = None, announce=print) -> None:
    """Run the playground until Ctrl-C (which closes the pages' connections, stops their
    training and returns). ``port=0`` takes a free port; ``token`` defaults to
    ``secrets.token_urlsafe(24)``. The URL (with the token) goes to ``announce`` once the
    server listens, and to the browser unless ``open_browser`` is false."""
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(_EXTRA) from exc
    token = token or secrets.token_urlsafe(24)
    app = create_app(token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                         f"try another port, or --port 0 for a free one") from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/?token={token}"
    config = uvicorn.Config(app, log_level="warning", ws_max_size=2**20, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)

    def when_listening():
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            announce(f"actloss playground: {url}\n(Ctrl-C stops it)")
            if host not in LOOPBACK:
                announce(f"warning: listening on {host}: anyone who can reach it and has the URL "
                         f"can drive it")
            if open_browser:
                webbrowser.open(url)
            sys.stdout.flush()

    threading.Thread(target=when_listening, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down, then raises the signal again: done
        pass
    announce("actloss playground: stopped")


__all__ = ["serve", "create_app", "Session", "validate", "options", "activation_curve"]
