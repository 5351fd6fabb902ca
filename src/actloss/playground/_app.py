"""The web layer: a Starlette app serving the page, its WebSocket, uploads and downloads.

Every HTTP and WebSocket request must carry the server's random token (``?token=...``), compared
in constant time; without it the answer is 403. Uploads are read into memory up to
:data:`UPLOAD_LIMIT` bytes (413 beyond) and referred to by a random id; downloads are made in
memory (or a temporary folder the server names), from a fixed list of names. The page's assets
are files of this package, looked up in a fixed table: nothing from the client is a path.

WebSocket protocol (JSON text messages). The client sends ``{"type": ...}`` with type
``config`` (``{"config": {...}}``, see :func:`actloss.playground.validate`), ``run``, ``pause``,
``step``, ``reset``, ``activation`` (``{"name": NAME}``: its curves) or ``ping``. The server
sends ``hello`` (the session id and the options), ``reset``, ``dataset``, ``model``,
``snapshot``, ``activation``, ``state``, ``pong`` and ``error`` (``{"message": ...}``: a bad
message never closes the connection).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections import OrderedDict
from importlib import resources

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ._options import options
from ._measure import activation_curve, inspect_upload
from ._session import Session

UPLOAD_LIMIT = 10 * 2**20    # bytes of one uploaded CSV
MESSAGE_LIMIT = 2**20        # bytes of one WebSocket message from the client
KEPT_UPLOADS = 8             # uploads kept in memory, the oldest dropped first
SEND_EVERY = 0.05            # seconds between looks for something to send

ASSETS = {"app.js": "text/javascript; charset=utf-8", "draw.js": "text/javascript; charset=utf-8",
          "style.css": "text/css; charset=utf-8"}
# URL name -> (what, the file name the browser saves it under)
DOWNLOADS = {"model.actloss": ("actloss", "playground.actloss"),
             "model.keras": ("keras", "playground.keras"),
             "history.csv": ("csv", "playground-history.csv")}

log = logging.getLogger("actloss.playground")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


class TokenGate:
    """ASGI middleware: 403 for any request without the right ``token`` query parameter."""

    def __init__(self, app, token: str):
        self.app, self.token = app, token

    def _allowed(self, scope) -> bool:
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            key, _, value = part.partition("=")
            if key == "token":
                return secrets.compare_digest(value.encode(), self.token.encode())
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self._allowed(scope):
            await PlainTextResponse("403: this page needs the token printed by "
                                    "'actloss playground'", status_code=403)(scope, receive, send)
            return
        if scope["type"] == "websocket" and not self._allowed(scope):
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        await self.app(scope, receive, send)


def _display_name(name: str) -> str:
    """An uploaded file's name, for display only: its last part, printable, at most 80 chars."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if c.isprintable())[:80]
    return name or "upload.csv"


def create_app(token: str) -> Starlette:
    """The playground's ASGI app; every request must carry ``?token=<token>``."""
    if not isinstance(token, str) or len(token) < 16:
        raise ValueError("create_app: expected a random token of at least 16 characters")
    uploads: OrderedDict = OrderedDict()
    sessions: dict = {}

    async def index(request: Request):
        page = _asset("index.html").replace("__TOKEN__", token)
        return HTMLResponse(page, headers={"Cache-Control": "no-store",
                                           "Content-Security-Policy": _CSP})

    async def asset(request: Request):
        name = request.path_params["name"]
        if name not in ASSETS:
            return PlainTextResponse("404: no such asset", status_code=404)
        return Response(_asset(name), media_type=ASSETS[name])

    async def upload(request: Request):
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > UPLOAD_LIMIT):
            return _too_large()
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > UPLOAD_LIMIT:
                return _too_large()
            chunks.append(chunk)
        data = b"".join(chunks)
        try:
            info = await asyncio.to_thread(inspect_upload, data)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        upload_id = secrets.token_urlsafe(12)
        uploads[upload_id] = {"data": data, "name": _display_name(request.query_params.get(
            "name", ""))}
        while len(uploads) > KEPT_UPLOADS:
            uploads.popitem(last=False)
        return JSONResponse({"upload": upload_id, "name": uploads[upload_id]["name"], **info})

    async def download(request: Request):
        what, filename = DOWNLOADS.get(request.path_params["name"], (None, None))
        session = sessions.get(request.query_params.get("session", ""))
        if what is None or session is None:
            return PlainTextResponse("404: no such download (is the page still open?)",
                                     status_code=404)
        try:
            if what == "csv":
                body, media = await asyncio.to_thread(session.history_csv), "text/csv"
            else:
                body = await asyncio.to_thread(session.model_file, what)
                media = "application/octet-stream"
        except ValueError as exc:
            return PlainTextResponse(f"409: {exc}", status_code=409)
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})

    async def socket(websocket: WebSocket):
        await websocket.accept()
        session_id = secrets.token_urlsafe(12)
        session = sessions[session_id] = Session(uploads)
        pump = None
        try:
            await websocket.send_json({"type": "hello", "session": session_id,
                                       "upload_limit": UPLOAD_LIMIT, "options": options()})
            pump = asyncio.create_task(_pump(websocket, session))
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                reply = await _handle(session, message.get("text"))
                if reply is not None:
                    await websocket.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            if pump is not None:
                pump.cancel()
            sessions.pop(session_id, None)
            await asyncio.to_thread(session.close)  # the page closed: training stops

    routes = [Route("/", index), Route("/static/{name}", asset),
              Route("/upload", upload, methods=["POST"]), Route("/download/{name}", download),
              WebSocketRoute("/ws", socket)]
    app = Starlette(routes=routes)
    app.state.sessions, app.state.uploads = sessions, uploads
    return TokenGate(app, token)


# the page loads nothing from elsewhere: it works offline and cannot leak the token
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'")


def _too_large():
    return JSONResponse({"error": f"upload: the file is larger than the limit of "
                                  f"{UPLOAD_LIMIT // 2**20} MB"}, status_code=413)


async def _pump(websocket: WebSocket, session: Session) -> None:
    """Send what the session has for the page, a few times a second at most."""
    while True:
        for message in session.messages():
            await websocket.send_json(message)
        await asyncio.sleep(SEND_EVERY)


async def _handle(session: Session, text):
    """Answer one client message; a bad one gets ``{"type": "error"}``, never a crash."""
    if text is None or len(text) > MESSAGE_LIMIT:
        return _error(f"expected a JSON text message of at most {MESSAGE_LIMIT} bytes")
    try:
        msg = json.loads(text)
    except ValueError:
        return _error(f"expected JSON; received {text[:60]!r}")
    kind = msg.get("type") if isinstance(msg, dict) else None
    try:
        if kind == "config":
            await asyncio.to_thread(session.configure, msg.get("config"))
        elif kind in ("run", "pause", "step"):
            getattr(session, kind)()
            return {"type": "state", "state": "running" if kind == "run" else "paused"}
        elif kind == "reset":
            await asyncio.to_thread(session.reset)
        elif kind == "activation":
            name = msg.get("name")
            if not isinstance(name, str):
                raise ValueError(f"name: expected an activation name; received {name!r}")
            return {"type": "activation",
                    "curve": await asyncio.to_thread(activation_curve, name)}
        elif kind == "ping":
            return {"type": "pong"}
        else:
            raise ValueError(f"type: expected one of config, run, pause, step, reset, "
                             f"activation, ping; received {kind!r}")
    except (ValueError, TypeError, ImportError) as exc:
        return _error(str(exc), kind)
    except Exception as exc:  # noqa: BLE001 - reported to the page; the server goes on
        log.exception("playground: %s failed", kind)
        return _error(f"{type(exc).__name__}: {exc}", kind)
    return None


def _error(message: str, request=None) -> dict:
    return {"type": "error", "message": message, "request": request}
