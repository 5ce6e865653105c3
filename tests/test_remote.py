"""kb.serve.remote's connections: one pooled HTTP client per event loop, closed on shutdown, errors as before.

The endpoint is a real SPARQL 1.1 Protocol server started by the test (pyoxigraph behind Python's threaded
HTTP server, HTTP/1.1 keep-alive) that records the client port of every request, so a test sees how many TCP
connections the backend opened.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pyoxigraph as ox
import pytest

from kb.config import Settings
from kb.errors import QueryError, RemoteError
from kb.serve import remote
from kb.serve.app import create_app
from tests import apikit

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Endpoint:
    url: str
    ports: list[int] = field(default_factory=list)
    """The client port of every request answered, in order: one per TCP connection the client opened."""

    @property
    def connections(self) -> int:
        return len(set(self.ports))


@pytest.fixture()
def endpoint() -> Iterator[Endpoint]:
    store = ox.Store()
    for i in range(3):
        store.add(ox.Quad(ox.NamedNode(f"https://e.example/{i}"), ox.NamedNode("https://e.example/p"),
                          ox.Literal(str(i))))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    found = Endpoint(f"http://127.0.0.1:{server.server_port}/sparql")
    server.endpoint = found  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join()


def _handler(store: ox.Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def do_POST(self) -> None:
            self.server.endpoint.ports.append(self.client_address[1])  # type: ignore[attr-defined]
            length = int(self.headers["content-length"])
            form = parse_qs(self.rfile.read(length).decode())
            if self.path == "/slow":
                time.sleep(0.5)
            try:
                solutions = store.query(form["query"][0])
                assert isinstance(solutions, ox.QuerySolutions)
                body = solutions.serialize(format=ox.QueryResultsFormat.JSON) or b""
                status, media = 200, remote.JSON_RESULTS
            except SyntaxError as exc:
                body, status, media = str(exc).encode(), 400, "text/plain"
            try:
                self.send_response(status)
                self.send_header("content-type", media)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (the timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _count(backend: remote.RemoteBackend) -> int:
    return asyncio.run(backend.select(COUNT)).rows[0]["n"].as_int()


def test_remote_backend_keeps_one_connection_across_queries(endpoint: Endpoint) -> None:
    backend = remote.RemoteBackend(endpoint.url)

    async def many() -> list[int]:
        return [(await backend.select(COUNT)).rows[0]["n"].as_int() for _ in range(5)]

    assert asyncio.run(many()) == [3] * 5
    assert len(endpoint.ports) == 5 and endpoint.connections == 1


def test_remote_backend_keeps_one_connection_across_concurrent_queries(endpoint: Endpoint) -> None:
    backend = remote.RemoteBackend(endpoint.url)

    async def together() -> None:
        await backend.select(COUNT)
        await asyncio.gather(*(backend.select(COUNT) for _ in range(4)))
        await asyncio.gather(*(backend.select(COUNT) for _ in range(4)))

    asyncio.run(together())
    # a burst of 4 opens at most 4 connections, kept for the next burst: never one per query
    assert len(endpoint.ports) == 9 and endpoint.connections <= 4


def test_remote_backend_answers_on_every_new_event_loop(endpoint: Endpoint) -> None:
    backend = remote.RemoteBackend(endpoint.url)
    clients: list[httpx.AsyncClient] = []

    async def once() -> int:
        answer = await backend.select(COUNT)
        clients.append(await backend._client())
        return answer.rows[0]["n"].as_int()

    assert [asyncio.run(once()) for _ in range(3)] == [3, 3, 3]
    # each loop had its own client, closed as that loop shut down (no socket outlives its loop)
    assert len({id(c) for c in clients}) == 3 and all(c.is_closed for c in clients)
    assert endpoint.connections == 3


def test_remote_backend_aclose_closes_and_the_next_query_reconnects(endpoint: Endpoint) -> None:
    backend = remote.RemoteBackend(endpoint.url)

    async def close_between() -> list[bool]:
        await backend.select(COUNT)
        first = await backend._client()
        await backend.aclose()
        await backend.select(COUNT)
        return [first.is_closed, (await backend._client()).is_closed]

    assert asyncio.run(close_between()) == [True, False]
    assert endpoint.connections == 2


def test_app_shutdown_closes_the_remote_connections(endpoint: Endpoint) -> None:
    served = replace(apikit.snapshot(apikit.API_FIXTURE, "oxigraph"), backend=remote.RemoteBackend(endpoint.url))
    app = create_app(Settings(root=apikit.API_FIXTURE, store="sparql"), served)
    backend = served.backend
    assert isinstance(backend, remote.RemoteBackend)

    async def run_app() -> tuple[bool, bool]:
        async with app.router.lifespan_context(app):
            await backend.select(COUNT)
            client = await backend._client()
            open_while_serving = not client.is_closed
        return open_while_serving, client.is_closed

    assert asyncio.run(run_app()) == (True, True)


def test_remote_backend_still_reports_a_refused_query(endpoint: Endpoint) -> None:
    backend = remote.RemoteBackend(endpoint.url)

    async def refused_then_fine() -> int:
        with pytest.raises(QueryError, match="answered 400"):
            await backend.select("SELECT ?s WHERE { ?s ")
        return (await backend.select(COUNT)).rows[0]["n"].as_int()

    assert asyncio.run(refused_then_fine()) == 3
    assert endpoint.connections == 1


def test_remote_backend_timeout_is_a_remote_error(endpoint: Endpoint) -> None:
    slow = remote.RemoteBackend(endpoint.url.replace("/sparql", "/slow"), timeout=httpx.Timeout(0.1))
    with pytest.raises(RemoteError, match="unreachable"):
        _count(slow)


def test_remote_backend_unreachable_is_a_remote_error() -> None:
    closed = remote.RemoteBackend("http://127.0.0.1:9/sparql")  # discard: nothing listens
    with pytest.raises(RemoteError, match="unreachable"):
        _count(closed)
