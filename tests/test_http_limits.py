"""The HTTP server's bounds (kb/serve/http.py) against a real `kb serve` on 127.0.0.1, spoken to over raw
sockets: header size and count (431), slow heads (408 after the header timeout), idle kept-alive connections,
the connection cap (503), and memory that does not grow with what a client sends in a head."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kb.config import Limits

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "tests" / "fixtures" / "mini"
KB = str(Path(sys.executable).parent / "kb")  # the console script pip installed beside this Python
HEADER_TIMEOUT = 2.0
KEEP_ALIVE = 1.0
MAX_CONNECTIONS = 16
MIB = 1024 * 1024

pytestmark = pytest.mark.timeout(120)


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def rss(self) -> int:
        """The server's resident memory (VmRSS), in bytes."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "KB_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
           "KB_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE), "KB_MAX_CONNECTIONS": str(MAX_CONNECTIONS)}
    command = [KB, "serve", "--root", str(ROOT), "--port", str(port), "--production"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "kb serve did not start"
                time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def read_all(sock: socket.socket, timeout: float) -> bytes:
    """Read until the server closes the connection (or ``timeout`` passes: then fail)."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass  # closed with our unread bytes still queued: what it sent before may be lost, not the closing
    return received


def send(server: Server, data: bytes, timeout: float = 20) -> bytes:
    """Send ``data`` on a new connection (the server may close before all of it is taken) and return the
    answer, read until the server closes."""
    with server.connect() as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end of the head: what counts is what came back and that it closed
        return read_all(sock, timeout)


def status(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def request(*headers: bytes, target: bytes = b"/health") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + b"".join(
        h + b"\r\n" for h in headers) + b"\r\n"


def test_a_normal_request_and_a_large_but_allowed_one_are_answered(server: Server) -> None:
    assert status(send(server, request())) == 200
    assert status(send(server, request(b"X-Large: " + b"a" * 60_000))) == 200
    assert status(send(server, request(*(b"X-%d: a" % n for n in range(90))))) == 200


@pytest.mark.parametrize("header", [
    b"X-Big: " + b"a" * 100_000,  # one read can hold it whole: refused once parsed
    b"Cookie: " + b"a" * MIB,
    b"X-Huge: " + b"a" * 32 * MIB,  # refused from h11's bound on an unfinished head, long before its end
])
def test_oversized_headers_get_431(server: Server, header: bytes) -> None:
    answer = send(server, request(header))
    assert status(answer) == 431 or answer == b"", answer[:200]  # a reset may lose the 431: closed either way
    assert status(send(server, request())) == 200


def test_an_oversized_request_target_gets_431(server: Server) -> None:
    answer = send(server, b"GET /health?" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status(answer) == 431 or answer == b"", answer[:200]


def test_the_97_byte_request_is_answered_and_health_with_it(server: Server) -> None:
    # Before, "BASE" * 24 + "!" held the event loop 6.9 s (the pre-filter backtracked), /health waiting behind it.
    freeze = b"/sparql?query=" + b"BASE" * 24 + b"!"
    assert status(send(server, request(target=freeze))) == 400
    assert status(send(server, request())) == 200


def test_thousands_of_headers_get_431(server: Server) -> None:
    answer = send(server, request(*(b"X-%d: a" % n for n in range(5000))))
    assert status(answer) == 431 and b"at most 100 fields" in answer
    empty = send(server, request(*(b"a:" for _ in range(16_000))))  # 64 KiB of empty fields: under the byte bound
    assert status(empty) == 431


def test_a_body_with_many_lines_is_not_counted_as_headers(server: Server) -> None:
    body = b"ASK { ?s ?p ?o }\n" + b"# a comment line\n" * 500
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/sparql-query\r\nContent-Length: %d\r\n\r\n" % len(body))
    assert status(send(server, head + body)) == 200


def test_pipelined_requests_are_answered_in_order(server: Server) -> None:
    keep = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = send(server, keep + keep + request())
    assert answer.count(b"HTTP/1.1 200 OK") == 3


def test_unfinished_heads_do_not_grow_the_server(server: Server) -> None:
    # Before: 8 connections each holding 16 MiB of unfinished header grew the server by 142 MiB.
    before = server.rss()
    answers: list[bytes] = []
    peak = [before]
    sent = threading.Event()

    def sample() -> None:  # the peak while the heads arrive, not what is left after they are refused
        while not sent.is_set():
            peak.append(server.rss())
            time.sleep(0.005)

    def hold() -> None:
        answers.append(send(server, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Unfinished: " + b"a" * 16 * MIB))

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=hold) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sent.set()
    sampler.join()
    grown = max(peak) - before
    assert grown < 24 * MIB, f"the server grew by {grown / MIB:.1f} MiB"
    assert len(answers) == 8 and all(status(a) in (431, None) for a in answers)
    assert status(send(server, request())) == 200


def test_a_slow_head_is_closed_after_the_header_timeout(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        sock.settimeout(0.5)
        received = b""
        while not received and time.monotonic() - started < HEADER_TIMEOUT + 10:  # a byte a half second
            try:
                sock.sendall(b"X")
                received = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        assert status(received) in (408, None), received[:200]
        assert time.monotonic() - started < HEADER_TIMEOUT + 10, "the slow head was never closed"
        assert read_all(sock, 10) == b""  # closed


def test_many_slow_heads_are_all_closed(server: Server) -> None:
    socks = [server.connect() for _ in range(10)]
    try:
        for sock in socks:
            sock.sendall(b"GET /health HTTP/1.1\r\n")
        answers = [read_all(sock, HEADER_TIMEOUT + 10) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert all(status(a) == 408 for a in answers), [a[:40] for a in answers]


def test_a_silent_connection_is_closed_after_the_header_timeout(server: Server) -> None:
    with server.connect() as sock:
        assert read_all(sock, HEADER_TIMEOUT + 10) == b""


def test_an_idle_kept_alive_connection_is_closed(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = read_all(sock, KEEP_ALIVE + 10)  # answered, kept alive, then closed after KEEP_ALIVE idle
    assert status(answer) == 200 and answer.count(b"HTTP/1.1") == 1


def test_a_request_beyond_the_connection_cap_gets_503(server: Server) -> None:
    idle = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)  # accepted by the server
        assert status(send(server, request())) == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    assert status(send(server, request())) == 200


def test_the_defaults_are_documented() -> None:
    limits = Limits()
    assert (limits.max_header_bytes, limits.max_headers, limits.header_timeout_seconds, limits.keep_alive_seconds,
            limits.max_connections) == (64 * 1024, 100, 10.0, 5.0, 1000)
    text = (REPO / "docs" / "reliability.md").read_text("utf-8")
    for variable in ("KB_MAX_HEADER_BYTES", "KB_MAX_HEADERS", "KB_HEADER_TIMEOUT_SECONDS", "KB_KEEP_ALIVE_SECONDS",
                     "KB_MAX_CONNECTIONS"):
        assert variable in text


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_HEADER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("KB_MAX_CONNECTIONS", "7")
    monkeypatch.setenv("KB_MAX_HEADERS", "")
    limits = Limits.from_env(keep_alive_seconds=3.0)
    assert (limits.header_timeout_seconds, limits.max_connections, limits.max_headers, limits.keep_alive_seconds) == (
        2.5, 7, 100, 3.0)
