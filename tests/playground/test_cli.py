"""``lightgrad playground``: flags, and a real server process on a free loopback port."""

import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from lightgrad.cli import build_parser

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
    HAVE_SERVER = True
except ImportError:
    HAVE_SERVER = False
needs_server = pytest.mark.skipif(not HAVE_SERVER, reason="needs the playground extra")


def test_flags():
    parser = build_parser()
    args = parser.parse_args(["playground"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 0, False)
    args = parser.parse_args(["playground", "--open", "--port", "8123", "--host", "::1"])
    assert (args.host, args.port, args.open) == ("::1", 8123, True)
    assert parser.parse_args(["playground", "--no-browser"]).open is False
    for bad in (["--port", "70000"], ["--port", "x"], ["--open", "--no-browser"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["playground", *bad])
    assert parser.parse_args(["examples", "--list"]).command == "examples"  # still there


@needs_server
def test_the_command_serves_the_page_on_loopback_only():
    proc = subprocess.Popen([sys.executable, "-m", "lightgrad.cli", "playground", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("lightgrad playground: http://127.0.0.1:"), line
        url = line.split()[2]
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
        with direct.open(url, timeout=30) as r:
            assert r.status == 200 and b'id="heatmap"' in r.read()
        forged = urllib.request.Request(url, headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as info:
            direct.open(forged, timeout=30)
        assert info.value.code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()


@needs_server
def test_port_in_use_is_a_clear_error():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        port = sock.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "lightgrad.cli", "playground", "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    finally:
        sock.close()
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
