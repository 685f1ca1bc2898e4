"""The API's gunicorn worker (``backend/config/gunicorn_worker.py``) against gunicorn's own sync
worker, each serving a small WSGI application under a real gunicorn: a new connection wakes one
idle worker, a request read whole frees its worker at once, and one whose body was left unread
still gets gunicorn's lingering close. Each test runs gunicorn's worker too, to show it can fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from backend.config import gunicorn_worker
from tests.integration.realservices import free_port, stop_process_group

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OURS, GUNICORNS = "backend.config.gunicorn_worker.SyncWorker", "sync"

APP = textwrap.dedent(
    """
    def application(environ, start_response):
        if environ["PATH_INFO"] != "/unread":
            environ["wsgi.input"].read()
        body = b"answered"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    """
)

pytestmark = pytest.mark.skipif(
    not gunicorn_worker.EXCLUSIVE_WAKEUP,
    reason="EPOLLEXCLUSIVE is Linux's (4.5+): elsewhere the worker is gunicorn's",
)


@contextlib.contextmanager
def serving(tmp_path: Path, worker_class: str, workers: int) -> Iterator[tuple[int, list[int]]]:
    """gunicorn with ``workers`` of ``worker_class``; yields its port and its workers' pids."""
    (tmp_path / "tinyapp.py").write_text(APP, encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "tinyapp:application",
            "--pythonpath",
            str(tmp_path),
            "--worker-class",
            worker_class,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                assert answer(request(port)) == b"answered"
                break
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.1)
        while len(workers_of := psutil.Process(server.pid).children()) < workers:
            assert time.monotonic() < deadline, "gunicorn did not start its workers"
            time.sleep(0.05)
        yield port, [worker.pid for worker in workers_of]
    finally:
        stop_process_group(server)


def request(
    port: int, line: str = "GET / HTTP/1.1", body: bytes = b"", length: int | None = None
) -> socket.socket:
    """A connection that has sent a request (``length``: its Content-Length, if not the body's)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    length = len(body) if length is None else length
    sock.sendall(f"{line}\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n".encode() + body)
    return sock


def answer(sock: socket.socket) -> bytes:
    """The body of the answer on ``sock``, read until the server closes; the socket is closed."""
    with sock:
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return body


def read_answer_keep_open(sock: socket.socket) -> None:
    """Read the answer to its end (the server's FIN) without closing our side."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    assert data.endswith(b"answered"), data


@pytest.mark.parametrize("worker_class, frees_at_once", [(OURS, True), (GUNICORNS, False)])
def test_a_request_read_whole_frees_its_worker_at_once(
    tmp_path: Path, worker_class: str, frees_at_once: bool
) -> None:
    """One worker. A client reads its answer and keeps the connection open; the next client is
    answered at once. gunicorn's worker lingers on the first (up to 2 s) before it takes the next."""
    with (
        serving(tmp_path, worker_class, 1) as (port, _pids),
        request(port, "POST / HTTP/1.1", b"read") as first,
    ):
        read_answer_keep_open(first)
        started = time.monotonic()
        assert answer(request(port)) == b"answered"
        waited = time.monotonic() - started
    assert (waited < 0.5) if frees_at_once else (waited > 1.5), waited


@pytest.mark.parametrize("worker_class", [OURS, GUNICORNS])
def test_a_body_left_unread_still_gets_the_lingering_close(tmp_path: Path, worker_class: str) -> None:
    """The application answers without reading the body, which is still coming: the worker
    drains it (RFC 9112, 9.6) until the client closes, whoever's worker it is."""
    with serving(tmp_path, worker_class, 1) as (port, _pids):
        with request(port, "POST /unread HTTP/1.1", b"x" * 1000, length=100_000) as first:
            read_answer_keep_open(first)
            second = request(port)
            second.settimeout(0.5)
            with pytest.raises(TimeoutError):  # the worker still drains the first
                second.recv(1)
            first.sendall(b"x" * 5000)  # more of the body: drained, not reset
        second.settimeout(10)
        started = time.monotonic()
        assert answer(second) == b"answered"
        assert time.monotonic() - started < 1.0  # taken as soon as the first client closed


def wakeups(pids: list[int]) -> int:
    """Times the workers ``pids`` went to sleep and were woken (voluntary context switches)."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(status.split("voluntary_ctxt_switches:")[1].split()[0])
    return total


@pytest.mark.parametrize("worker_class, at_most_per_request", [(OURS, 3), (GUNICORNS, None)])
def test_a_new_connection_wakes_one_idle_worker(
    tmp_path: Path, worker_class: str, at_most_per_request: int | None
) -> None:
    """Eight idle workers, forty requests one after another, each on a new connection: with
    gunicorn's worker every connection wakes the idle workers (measured: 6 to 8 wake-ups a
    request); with ours one worker wakes, reads, answers (measured: 1.1 to 1.2)."""
    requests, workers = 40, 8
    with serving(tmp_path, worker_class, workers) as (port, pids):
        time.sleep(0.3)  # every worker waiting
        before = wakeups(pids)
        for _ in range(requests):
            assert answer(request(port)) == b"answered"
        per_request = (wakeups(pids) - before) / requests
    if at_most_per_request is None:
        assert per_request >= workers / 2, per_request
    else:
        assert per_request <= at_most_per_request, per_request


# ---------------------------------------------------------------------------------------------
# The pieces, in this process
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def worker_on(listener: socket.socket) -> Iterator[gunicorn_worker.SyncWorker]:
    from gunicorn.config import Config

    worker = gunicorn_worker.SyncWorker(0, 0, [listener], None, 30, Config(), None)
    worker.PIPE = list(os.pipe())
    try:
        yield worker
    finally:
        worker.tmp.close()
        for fd in worker.PIPE:
            os.close(fd)


def test_wait_says_what_is_ready() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener, worker_on(listener) as worker:
        listener.setblocking(False)
        assert worker.wait(0.05) == []  # nothing yet: the timeout
        with socket.create_connection(listener.getsockname()):
            assert worker.wait(1) == [listener]
            listener.accept()[0].close()
        os.write(worker.PIPE[1], b"1")  # a signal's wake-up, read off the pipe
        assert worker.wait(1) == [worker.PIPE[0]]
        assert worker.wait(0.05) == []


def parsed(sock: socket.socket) -> object:
    from gunicorn.config import Config
    from gunicorn.http import get_parser

    return next(get_parser(Config(), sock, ("127.0.0.1", 0)))


@pytest.mark.parametrize(
    "head, body_read, whole",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, True),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 5, True),
        # gunicorn takes the body off the connection ahead of the application's reads
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 2, True),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 0, False),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nhello", 0, False),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            5,
            False,
        ),
    ],
)
def test_read_whole(head: bytes, body_read: int, whole: bool) -> None:
    server, client = socket.socketpair()
    with server, client:
        client.sendall(head)
        req = parsed(server)
        req.body.read(body_read)  # type: ignore[attr-defined]
        # A chunked body has no length known beforehand: always gunicorn's lingering close.
        assert gunicorn_worker.read_whole(req) is whole
    assert gunicorn_worker.read_whole(object()) is False


def test_client_sent_more() -> None:
    server, client = socket.socketpair()
    with server, client:
        assert gunicorn_worker.client_sent_more(server) is False
        client.sendall(b"GET /next HTTP/1.1\r\n")  # a pipelined request
        assert gunicorn_worker.client_sent_more(server) is True
        assert server.recv(100) == b"GET /next HTTP/1.1\r\n"  # peeked, not taken
        client.close()
        assert gunicorn_worker.client_sent_more(server) is False  # closed: nothing to drain
    assert gunicorn_worker.client_sent_more(server) is True  # closed here: cannot tell


def test_a_tls_connection_keeps_gunicorns_close() -> None:
    import ssl

    server, client = socket.socketpair()
    with server, client:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls = context.wrap_socket(server, server_side=True, do_handshake_on_connect=False)
        assert gunicorn_worker.client_sent_more(tls) is True  # it cannot peek: cannot tell
