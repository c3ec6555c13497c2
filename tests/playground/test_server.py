"""The web server through Starlette's test client: every endpoint, validation (422), size
limits (413), Host/Origin checks (403) and the training stream over the WebSocket."""

import base64
import io
import json

import numpy as np
import pytest

import lightgrad
from lightgrad.playground.session import GRID

try:  # the playground extra (make test installs it); skip, not fail, without it
    import uvicorn  # noqa: F401
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    from lightgrad.playground.server import (
        MAX_BODY,
        PlaygroundServer,
        create_app,
        is_loopback,
        local_hosts,
    )
except ImportError as e:
    pytestmark = pytest.mark.skip(reason=f"needs the playground extra: {e}")
    MAX_BODY = 64 * 1024

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
SPIRAL = {"dataset": "spiral", "layers": [8, 8], "activation": "tanh", "optimizer": "adam",
          "features": ["x1", "x2", "sinx1", "sinx2"], "seed": 3}


@pytest.fixture
def client():
    app = create_app(local_hosts("127.0.0.1", PORT), max_sessions=2)
    with TestClient(app, base_url=ORIGIN) as c:
        yield c


def _ws(client, **headers):
    return client.websocket_connect("/ws", headers={"host": f"127.0.0.1:{PORT}", "origin": ORIGIN,
                                                    **headers})


def _recv(ws, kind):
    """The next message of type ``kind`` (skipping others)."""
    for _ in range(50):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r} message")


def _config(ws, settings):
    ws.send_json({"type": "config", "settings": settings})
    assert _recv(ws, "state")["playing"] is False
    data = _recv(ws, "data")
    frame = _recv(ws, "frame")
    return data, frame


# ------------------------------------------------------------------ pages and files
def test_index_page_with_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="play"' in r.text and "/static/playground.js" in r.text
    assert "http" not in r.text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name, ctype", [("playground.js", "text/javascript"),
                                         ("playground.css", "text/css"),
                                         ("favicon.svg", "image/svg+xml")])
def test_static_files(client, name, ctype):
    r = client.get(f"/static/{name}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
    assert "cdn" not in r.text.lower()


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/..%2Fserver.py",
                                  "/static/%2e%2e/server.py", "/static/../server.py",
                                  "/static/__init__.py", "/server.py", "/static/"])
def test_no_file_outside_the_static_folder(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "import" not in r.text


def test_wrong_method(client):
    assert client.post("/").status_code == 405
    assert client.get("/api/export").status_code == 405


def test_schema(client):
    r = client.get("/api/schema")
    assert r.status_code == 200
    body = r.json()
    assert body["bounds"]["layers"] == [0, 6] and body["max_body"] == MAX_BODY
    assert body["defaults"]["dataset"] == "circle"


# ------------------------------------------------------------------ export
def test_export_returns_a_runnable_script(client):
    r = client.post("/api/export", json={"settings": SPIRAL, "epochs": 3})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/x-python")
    assert r.headers["content-disposition"] == 'attachment; filename="playground_spiral.py"'
    namespace = {"__name__": "exported"}
    exec(compile(r.text, "playground_spiral.py", "exec"), namespace)
    assert namespace["EPOCHS"] == 3
    first = namespace["main"](epochs=1, verbose=False)
    metrics = namespace["main"](epochs=10, verbose=False)
    assert metrics["epochs"] == 10 and metrics["test_loss"] < 0.8 * first["test_loss"]


@pytest.mark.parametrize("body, loc", [
    ({"settings": {"layers": [9]}, "epochs": 3}, ["settings", "layers", 0]),
    ({"settings": {"lr": "1; import os"}}, ["settings", "lr"]),
    ({"settings": {"dataset": "../../etc/passwd"}}, ["settings", "dataset"]),
    ({"settings": {}, "epochs": 0}, ["epochs"]),
    ({"settings": {}, "epochs": 10**6}, ["epochs"]),
    ({"settings": {"__class__": 1}}, ["settings", "__class__"]),
])
def test_export_validation_errors_are_422(client, body, loc):
    r = client.post("/api/export", json=body)
    assert r.status_code == 422
    assert loc in [e["loc"] for e in r.json()["errors"]]


def test_export_bad_bodies(client):
    r = client.post("/api/export", content=b"{not json", headers={"content-type":
                                                                   "application/json"})
    assert r.status_code == 422
    r = client.post("/api/export", content=b"[" * 60000, headers={"content-type":
                                                                   "application/json"})
    assert r.status_code == 422
    r = client.post("/api/export", json=[1, 2])
    assert r.status_code == 422
    r = client.post("/api/export", json={"settings": {}, "code": "x"})
    assert r.status_code == 422
    r = client.post("/api/export", content=b"settings=1",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


def test_oversized_requests_are_413(client):
    big = json.dumps({"settings": {}, "pad": "x" * (MAX_BODY + 10)})
    r = client.post("/api/export", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413

    def chunks():  # no content-length: the limit applies while reading
        for _ in range(MAX_BODY // 1000 + 2):
            yield b" " * 1000

    r = client.post("/api/export", content=chunks(), headers={"content-type":
                                                              "application/json"})
    assert r.status_code == 413


# ------------------------------------------------------------------ Host / Origin
@pytest.mark.parametrize("headers", [
    {"host": "evil.example"},
    {"host": f"evil.example:{PORT}"},          # DNS rebinding: a foreign name for 127.0.0.1
    {"host": "127.0.0.1:1"},                   # another port
    {"origin": "http://evil.example"},
    {"origin": f"http://127.0.0.1:{PORT + 1}"},
    {"origin": "null"},
    {"sec-fetch-site": "cross-site"},
])
def test_foreign_host_or_origin_is_403(client, headers):
    for method, path, kw in [("get", "/", {}), ("get", "/api/schema", {}),
                             ("post", "/api/export", {"json": {"settings": {}}})]:
        r = getattr(client, method)(path, headers=headers, **kw)
        assert r.status_code == 403, (method, path)
        assert "Forbidden" in r.text


def test_allowed_hosts_and_origins(client):
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"):
        r = client.get("/api/schema", headers={"host": host, "origin": f"http://{host}"})
        assert r.status_code == 200, host


@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"},
                                     {"host": "evil.example"},
                                     {"origin": f"http://localhost:{PORT + 1}"}])
def test_websocket_from_a_foreign_origin_is_refused(client, headers):
    with pytest.raises(Exception) as info:  # noqa: PT011 - the test client raises a denial
        with _ws(client, **headers):
            pass
    response = getattr(info.value, "status_code", None) or getattr(
        getattr(info.value, "response", None), "status_code", None)
    assert response == 403 or isinstance(info.value, WebSocketDisconnect)


def test_local_hosts():
    assert local_hosts("127.0.0.1", 5000) == {"127.0.0.1:5000", "localhost:5000", "[::1]:5000"}
    assert "[::1]:5000" in local_hosts("::1", 5000)
    assert "10.1.2.3:5000" in local_hosts("10.1.2.3", 5000)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


def test_non_loopback_host_warns(capsys):
    server = PlaygroundServer("0.0.0.0", 0)  # bound, never started
    try:
        err = capsys.readouterr().err
        assert "WARNING" in err and "other machines" in err
        assert f"127.0.0.1:{server.port}" in server.allowed_hosts
    finally:
        server.sock.close()
    quiet = PlaygroundServer()
    try:
        assert capsys.readouterr().err == ""
        assert quiet.url == f"http://127.0.0.1:{quiet.port}/"
    finally:
        quiet.sock.close()


# ------------------------------------------------------------------ the training stream
def test_stream_steps_play_pause_save(client):
    with _ws(client) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["schema"]["bounds"]["neurons"] == [1, 8]
        data, frame0 = _config(ws, SPIRAL)
        assert data["settings"]["layers"] == [8, 8] and len(data["train"]) == 250
        assert frame0["epoch"] == 0
        assert len(base64.b64decode(frame0["output"])) == GRID * GRID
        ws.send_json({"type": "step"})
        frame1 = _recv(ws, "frame")
        assert frame1["epoch"] == 1 and frame1["test_loss"] < frame0["test_loss"]
        ws.send_json({"type": "play"})
        assert _recv(ws, "state")["playing"] is True
        epochs = []
        for _ in range(12):
            epochs.append(_recv(ws, "frame")["epoch"])
            ws.send_json({"type": "ack"})
        assert epochs == sorted(epochs) and epochs[-1] > 1
        ws.send_json({"type": "pause"})
        assert _recv(ws, "state")["playing"] is False
        ws.send_json({"type": "save"})
        model = _recv(ws, "model")
        assert model["filename"].endswith(".safetensors")
        state = lightgrad.load(io.BytesIO(base64.b64decode(model["data"])))
        assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                              "4.bias"}
        ws.send_json({"type": "reset"})
        _recv(ws, "data")
        again = _recv(ws, "frame")
        assert again["epoch"] == 0 and again["weights"] == frame0["weights"]


def test_stream_is_deterministic_under_a_seed(client):
    runs = []
    for _ in range(2):
        with _ws(client) as ws:
            _config(ws, {**SPIRAL, "dropout": 0.2})
            for _ in range(3):
                ws.send_json({"type": "step"})
                frame = _recv(ws, "frame")
            runs.append(frame)
    assert runs[0] == runs[1] and runs[0]["epoch"] == 3


def test_stream_validation_and_protocol_errors(client):
    with _ws(client) as ws:
        _recv(ws, "hello")
        ws.send_json({"type": "play"})
        assert _recv(ws, "error")["status"] == 409
        ws.send_json({"type": "config", "settings": {"layers": [1] * 9, "noise": 70}})
        err = _recv(ws, "error")
        assert err["status"] == 422 and {tuple(e["loc"]) for e in err["errors"]} == {
            ("layers",), ("noise",)}
        ws.send_json({"type": "config", "settings": {}, "extra": 1})
        assert _recv(ws, "error")["status"] == 422
        ws.send_json({"type": "eval", "code": "print(1)"})
        assert _recv(ws, "error")["status"] == 422
        ws.send_json([1, 2])
        assert _recv(ws, "error")["status"] == 422
        ws.send_text("{nope")
        assert _recv(ws, "error")["status"] == 400
        ws.send_text("[" * 60000)
        assert _recv(ws, "error")["status"] == 400
        ws.send_bytes(b"\x00\x01")
        assert _recv(ws, "error")["status"] == 400
        _config(ws, {"dataset": "gauss"})  # still usable after the errors


def test_oversized_websocket_message_is_413_and_closes(client):
    with _ws(client) as ws:
        _recv(ws, "hello")
        ws.send_text(json.dumps({"type": "config", "settings": {}, "pad": "x" * MAX_BODY}))
        assert _recv(ws, "error")["status"] == 413
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
        assert info.value.code == 1009


def test_too_many_sessions(client):
    with _ws(client) as a, _ws(client) as b:
        _recv(a, "hello")
        _recv(b, "hello")
        with _ws(client) as c:
            err = c.receive_json()
            assert err["type"] == "error" and err["status"] == 429
    with _ws(client) as d:  # the first two closed: room again
        assert d.receive_json()["type"] == "hello"


def test_a_page_that_does_not_keep_up_gets_at_most_max_unacked_frames(client):
    from lightgrad.playground.server import MAX_UNACKED

    with _ws(client) as ws:
        _config(ws, {"dataset": "gauss", "points": 40})
        ws.send_json({"type": "play"})
        _recv(ws, "state")
        epochs = [_recv(ws, "frame")["epoch"] for _ in range(MAX_UNACKED)]
        ws.send_json({"type": "pause"})  # answered at once: the server was waiting, not busy
        assert ws.receive_json() == {"type": "state", "playing": False}
        ws.send_json({"type": "step"})
        assert _recv(ws, "frame")["epoch"] == epochs[-1] + 1  # no training happened meanwhile


def test_page_going_away_stops_its_session(client):
    with _ws(client) as ws:
        _config(ws, SPIRAL)
        ws.send_json({"type": "play"})
        _recv(ws, "frame")
    # the connection's loop ended: a new page gets a fresh slot and a fresh session
    with _ws(client) as ws, _ws(client) as ws2:
        assert ws.receive_json()["type"] == "hello" and ws2.receive_json()["type"] == "hello"


def test_frames_hold_numbers_only(client):
    with _ws(client) as ws:
        _, frame = _config(ws, {"dataset": "multigauss", "layers": [2], "lr": 10,
                                "optimizer": "sgd", "activation": "relu"})
        for _ in range(3):
            ws.send_json({"type": "step"})
            frame = _recv(ws, "frame")
        for key in ("train_loss", "test_loss"):
            assert frame[key] is None or np.isfinite(frame[key])


# ------------------------------------------------------------------ the real server (uvicorn)
def test_real_server_websocket_checks():
    sync_client = pytest.importorskip("websockets.sync.client")
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    with PlaygroundServer(quiet=True) as server:
        ws_url = f"ws://127.0.0.1:{server.port}/ws"
        origin = f"http://127.0.0.1:{server.port}"
        with sync_client.connect(ws_url, origin=origin, proxy=None) as ws:
            assert json.loads(ws.recv(timeout=30))["type"] == "hello"
            ws.send(json.dumps({"type": "config", "settings": {"dataset": "xor"}}))
            kinds = [json.loads(ws.recv(timeout=30))["type"] for _ in range(3)]
            assert kinds == ["state", "data", "frame"]
        for bad_origin in ("http://evil.example", f"http://localhost:{server.port + 1}"):
            with pytest.raises(InvalidStatus) as info:
                sync_client.connect(ws_url, origin=bad_origin, proxy=None)
            assert info.value.response.status_code == 403
        with pytest.raises(InvalidStatus) as info:  # DNS rebinding: right address, other name
            sync_client.connect(ws_url, origin=origin, proxy=None,
                                additional_headers={"Host": f"rebind.example:{server.port}"})
        assert info.value.response.status_code == 403
        with sync_client.connect(ws_url, origin=origin, proxy=None) as ws:
            ws.recv(timeout=30)
            ws.send("x" * (2 * MAX_BODY))  # over the transport's limit too
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
