"""The playground's web server (Starlette + uvicorn): one page, a JSON API and a WebSocket.

Routes:
    ``GET /``                 the page (``static/index.html``)
    ``GET /static/NAME``      one of the files of the ``static`` folder, nothing else
    ``GET /api/schema``       the settings' choices, bounds and defaults, and the server limits
    ``POST /api/export``      ``{"settings": {...}, "epochs": N}`` -> a Python script (download)
    ``WS /ws``                one training session per connection (protocol below)

WebSocket protocol, JSON text messages. The page sends ``{"type": "config", "settings": {...}}``
(validate, build a fresh session, pause), ``play``, ``pause``, ``step`` (one epoch), ``reset``
(same settings, initial weights again), ``save`` and ``ack`` (after drawing a frame: while
playing, at most :data:`MAX_UNACKED` frames go unacknowledged, so the stream runs at the pace
the page can draw). The server sends ``hello`` (on connect),
``data`` (the points, after each config or reset), ``frame`` (the network's state, several times
a second while playing, see :meth:`TrainingSession.frame`), ``state`` (``playing``), ``model``
(``save``'s answer: a base64 lightgrad file) and ``error`` (``status`` 400/409/413/422, a
``message`` and for 422 the list of ``errors``). The session ends with the connection.

Safe by default:
    * it binds 127.0.0.1 unless told otherwise (then it warns);
    * every request (HTTP or WebSocket) whose ``Host`` is not the served address and port, or
      whose ``Origin`` (when sent) is not that same origin, is refused with 403: a page from
      another site, or a DNS-rebinding name pointing at 127.0.0.1, cannot drive it;
    * request bodies and WebSocket messages are limited to :data:`MAX_BODY` bytes (413);
    * every settings object is validated against bounds (422), and nothing from a request is
      executed or used as a path: static files are served from a fixed in-memory table;
    * a strict Content-Security-Policy (no inline script, no other origin) and no framing;
    * at most ``max_sessions`` training sessions at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import lightgrad

from .export import export_filename, export_script
from .session import TrainingSession
from .settings import BOUNDS, SettingsError, parse_settings, schema

__all__ = ["MAX_BODY", "PlaygroundServer", "create_app", "is_loopback", "local_hosts"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Largest accepted request body or WebSocket message, in bytes.
MAX_BODY = 64 * 1024
#: Seconds of training between two frames while playing (about 15 frames a second).
FRAME_SECONDS = 0.05
#: Frames sent while playing that the page has not acknowledged yet, at most: a page that
#: draws slowly slows the training down instead of queueing frames.
MAX_UNACKED = 3
STATIC_DIR = Path(__file__).resolve().parent / "static"
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                  ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data: blob:; connect-src 'self'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) means this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_port(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def local_hosts(host: str, port: int) -> set[str]:
    """The ``Host`` header values accepted for a server bound to ``host:port``.

    On a loopback address: ``127.0.0.1``, ``localhost`` and ``[::1]`` with the port. On another
    address: also that address, and for a wildcard (``0.0.0.0``, ``::``) this machine's name
    and addresses.
    """
    names = {"127.0.0.1", "localhost", "::1"}
    if not is_loopback(host):
        names.add(host)
        if host in ("0.0.0.0", "::", ""):
            hostname = socket.gethostname()
            names |= {hostname, socket.getfqdn()}
            with contextlib.suppress(OSError):
                for info in socket.getaddrinfo(hostname, None):
                    names.add(str(info[4][0]).split("%")[0])
    out = {_host_port(n, port) for n in names if n}
    if port == 80:
        out |= {(f"[{n}]" if ":" in n else n) for n in names if n}
    return out


class Guard:
    """ASGI middleware: Host/Origin checks, the body size limit and the security headers."""

    def __init__(self, app: Callable[..., Awaitable[None]], allowed_hosts: Iterable[str],
                 max_body: int = MAX_BODY) -> None:
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}
        self.max_body = max_body

    def _refusal(self, headers: dict[str, str]) -> str | None:
        host = headers.get("host", "").lower()
        if host not in self.allowed_hosts:
            return f"host {host[:100]!r} is not this server's address"
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.allowed_origins:
            return f"origin {origin[:100]!r} is not this server's origin"
        if headers.get("sec-fetch-site") == "cross-site":
            return "cross-site request"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            name = k.decode("latin-1").lower()
            if name in headers:  # a repeated Host/Origin is refused rather than guessed at
                headers[name] = "\x00duplicate"
            else:
                headers[name] = v.decode("latin-1")
        refusal = self._refusal(headers)
        if scope["type"] == "websocket":
            if refusal is not None:
                await self._deny_websocket(scope, send, refusal)
                return
            await self.app(scope, receive, send)
            return
        if refusal is not None:
            await self._respond(send, 403, f"403 Forbidden: {refusal}")
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._respond(send, 413, f"413 request body larger than {self.max_body} bytes")
            return
        # read the whole (bounded) body first: a request over the limit gets its 413 before
        # any of the application runs
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                await self._respond(send, 413, f"413 request body larger than {self.max_body} "
                                               "bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def secure_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, replay_receive, secure_send)

    async def _respond(self, send: Send, status: int, text: str) -> None:
        body = text.encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"),
                   (b"content-length", str(len(body)).encode()),
                   *((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _deny_websocket(self, scope: Scope, send: Send, reason: str) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            body = f"403 Forbidden: {reason}".encode()
            await send({"type": "websocket.http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})


def _load_static() -> dict[str, tuple[bytes, str]]:
    files = {}
    for path in STATIC_DIR.iterdir():
        if path.is_file() and path.suffix in _CONTENT_TYPES:
            files[path.name] = (path.read_bytes(), _CONTENT_TYPES[path.suffix])
    return files


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None
           ) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "status": status, "message": message}
    if errors is not None:
        out["errors"] = errors
    return out


class _Connection:
    """One page's WebSocket: a command queue, and a training session that plays in a thread."""

    def __init__(self, ws: WebSocket, max_message: int) -> None:
        self.ws = ws
        self._closed = False
        self.max_message = max_message
        self.session: TrainingSession | None = None
        self.playing = False
        self.unacked = 0
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=32)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))

    async def _reader(self) -> None:
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    await self.send(_error(400, "messages must be JSON text"))
                    continue
                if len(text) > self.max_message:
                    await self.send(_error(413, f"message larger than {self.max_message} bytes"))
                    await self.ws.close(code=1009)
                    break
                try:
                    obj = json.loads(text)
                except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                    await self.send(_error(400, "message is not valid JSON"))
                    continue
                if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
                    await self.send(_error(422, "message must be an object with a 'type'"))
                    continue
                await self.queue.put(obj)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            self._closed = True
            if not self.queue.full():
                self.queue.put_nowait(None)

    async def run(self) -> None:
        await self.send({"type": "hello", "version": lightgrad.__version__, "schema": schema(),
                         "max_message": self.max_message, "frame_seconds": FRAME_SECONDS})
        reader = asyncio.create_task(self._reader())
        try:
            while True:
                if self.playing and self.session is not None and self.unacked < MAX_UNACKED:
                    try:
                        command = self.queue.get_nowait()
                    except asyncio.QueueEmpty:
                        command = {"type": "_tick"}
                else:
                    command = await self.queue.get()
                if command is None or self._closed:
                    break
                await self.handle(command)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the page went away: the session ends with it
        finally:
            self.playing = False
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def handle(self, command: dict[str, Any]) -> None:
        kind = command["type"]
        session = self.session
        if kind == "_tick":
            assert session is not None
            frame = await asyncio.to_thread(_train_and_frame, session, FRAME_SECONDS)
            self.unacked += 1
            await self.send(frame)
            await asyncio.sleep(0)
            return
        if kind == "ack":
            self.unacked = max(0, self.unacked - 1)
            return
        if kind == "config":
            extra = set(command) - {"type", "settings"}
            if extra:
                await self.send(_error(422, f"config: unknown keys {sorted(extra)}"))
                return
            try:
                settings = parse_settings(command.get("settings", {}))
            except SettingsError as e:
                await self.send(_error(422, str(e), e.errors))
                return
            self.playing = False
            self.unacked = 0
            self.session = await asyncio.to_thread(TrainingSession, settings)
            await self.send({"type": "state", "playing": False})
            await self._send_data_and_frame()
            return
        if kind not in ("play", "pause", "step", "reset", "save"):
            await self.send(_error(422, f"unknown message type {kind[:40]!r}"))
            return
        if session is None:
            await self.send(_error(409, f"{kind}: no session yet; send a config first"))
            return
        if kind == "play":
            self.playing = True
            self.unacked = 0
            await self.send({"type": "state", "playing": True})
        elif kind == "pause":
            self.playing = False
            await self.send({"type": "state", "playing": False})
            if session.partial:  # stop on an epoch boundary: what an export reproduces
                await asyncio.to_thread(session.finish_epoch)
                await self.send(await asyncio.to_thread(session.frame))
        elif kind == "step":
            self.playing = False
            await self.send({"type": "state", "playing": False})
            await self.send(await asyncio.to_thread(_step_and_frame, session))
        elif kind == "reset":
            self.playing = False
            await asyncio.to_thread(session.reset)
            await self.send({"type": "state", "playing": False})
            await self._send_data_and_frame()
        elif kind == "save":
            data = await asyncio.to_thread(session.model_bytes)
            await self.send({"type": "model", "epoch": session.epoch,
                             "filename": f"playground_{session.settings.dataset}_epoch"
                                         f"{session.epoch}.safetensors",
                             "data": base64.b64encode(data).decode("ascii")})

    async def _send_data_and_frame(self) -> None:
        assert self.session is not None
        await self.send(self.session.data())
        await self.send(await asyncio.to_thread(self.session.frame))


def _train_and_frame(session: TrainingSession, seconds: float) -> dict[str, Any]:
    session.train_for(seconds)
    return session.frame()


def _step_and_frame(session: TrainingSession) -> dict[str, Any]:
    session.train_epochs(1)
    return session.frame()


def create_app(allowed_hosts: Iterable[str], *, max_body: int = MAX_BODY,
               max_sessions: int = 4) -> Guard:
    """The playground's ASGI application, wrapped in its :class:`Guard`.

    Args:
        allowed_hosts: the ``Host`` header values to serve (``"127.0.0.1:8000"``...), see
            :func:`local_hosts`; the accepted ``Origin`` values are ``http://`` + these.
        max_body: largest request body / WebSocket message in bytes.
        max_sessions: training sessions (open pages) at once; more are refused (close 1013).
    """
    static = _load_static()
    active = {"sessions": 0}

    async def index(request: Request) -> Response:
        body, ctype = static["index.html"]
        return Response(body, media_type=ctype)

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return Response("404 not found", status_code=404, media_type="text/plain")
        body, ctype = static[name]
        return Response(body, media_type=ctype)

    async def api_schema(request: Request) -> Response:
        return JSONResponse({**schema(), "max_body": max_body, "version": lightgrad.__version__})

    async def api_export(request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return JSONResponse(_error(415, "send the settings as application/json"), 415)
        try:
            payload = json.loads(await request.body())
        except (ValueError, RecursionError):
            return JSONResponse(_error(422, "body is not valid JSON"), 422)
        if not isinstance(payload, dict) or set(payload) - {"settings", "epochs"}:
            return JSONResponse(_error(422, "body must be {\"settings\": {...}, \"epochs\": N}"),
                                422)
        errors: list[dict[str, Any]] = []
        epochs = payload.get("epochs", 500)
        lo, hi = BOUNDS["epochs"]
        if isinstance(epochs, bool) or not isinstance(epochs, int) or not lo <= epochs <= hi:
            errors.append({"loc": ["epochs"], "msg": f"must be an integer from {lo:g} to "
                           f"{hi:g}, got {str(epochs)[:40]}", "type": "range"})
        try:
            settings = parse_settings(payload.get("settings", {}))
        except SettingsError as e:
            errors += [{**err, "loc": ["settings", *err["loc"]]} for err in e.errors]
        if errors:
            return JSONResponse(_error(422, "invalid export request", errors), 422)
        script = export_script(settings, epochs)
        name = export_filename(settings)
        return Response(script, media_type="text/x-python; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    async def ws_endpoint(ws: WebSocket) -> None:
        if active["sessions"] >= max_sessions:
            await ws.accept()
            await ws.send_text(json.dumps(_error(429, f"too many open playground pages (at most "
                                                      f"{max_sessions}); close one")))
            await ws.close(code=1013)
            return
        active["sessions"] += 1
        try:
            await ws.accept()
            await _Connection(ws, max_body).run()
        finally:
            active["sessions"] -= 1

    app = Starlette(routes=[
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static_file, methods=["GET"]),
        Route("/api/schema", api_schema, methods=["GET"]),
        Route("/api/export", api_export, methods=["POST"]),
        WebSocketRoute("/ws", ws_endpoint),
    ])
    return Guard(app, allowed_hosts, max_body)


class PlaygroundServer:
    """The playground on a bound socket, run by uvicorn (in this thread or a background one).

    Args:
        host: the address to bind (default ``127.0.0.1``; anything that is not a loopback
            address prints a warning).
        port: the port (0, the default, picks a free one).
        max_sessions: open pages at once.
        quiet: do not print the warning (tests).

    Example (a background server, as the browser tests use it)::

        server = PlaygroundServer().start()
        print(server.url)      # http://127.0.0.1:PORT/
        server.stop()
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_sessions: int = 4,
                 quiet: bool = False) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
            self.sock.listen(128)  # connections wait in the backlog until uvicorn runs
        except OSError:
            self.sock.close()
            raise
        self.host = host
        self.port = int(self.sock.getsockname()[1])
        self.allowed_hosts = local_hosts(host, self.port)
        url_host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else \
            (f"[{host}]" if ":" in host else host)
        self.url = f"http://{url_host}:{self.port}/"
        if not is_loopback(host) and not quiet:
            print(f"WARNING: lightgrad playground is listening on {host}:{self.port}, which "
                  "other machines may reach. Anyone who can reach it can run training on this "
                  "machine. Accepted Host names: " + ", ".join(sorted(self.allowed_hosts)),
                  file=sys.stderr, flush=True)
        self.app = create_app(self.allowed_hosts, max_sessions=max_sessions)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                ws_max_size=MAX_BODY + 1024, server_header=False,
                                proxy_headers=False, access_log=False)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._blas_limit: Any = None

    def _limit_blas(self) -> None:
        # The playground's networks are tiny: BLAS threads only add overhead (a lot of it when
        # the cores are busy), so training and pictures use one.
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        self._blas_limit = threadpool_limits(1, user_api="blas")

    def _restore_blas(self) -> None:
        if self._blas_limit is not None:
            self._blas_limit.restore_original_limits()
            self._blas_limit = None

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C)."""
        self._limit_blas()
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self._restore_blas()
            self.sock.close()

    def start(self, timeout: float = 30.0) -> PlaygroundServer:
        """Serve in a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, name="lightgrad-playground",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("lightgrad playground: the server did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop a server started with :meth:`start`."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> PlaygroundServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
