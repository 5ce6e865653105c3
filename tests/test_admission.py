"""Admission control (kb/serve/middleware/admission.py) and what never waits: a bounded number of requests
executing, a short queue, an immediate 429 beyond it, a 503 for a wait that runs out, /health never queued, and
a reload that no slow client holds back."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kb.config import Limits, Settings
from kb.load.version import kb_version
from kb.serve.app import admission_of, create_app
from kb.serve.middleware.admission import Admission
from tests.conftest import ROOT
from tests.test_reload import live_server, meetings_labelled, project, save, wait_for  # noqa: F401

MINI = ROOT / "tests" / "fixtures" / "mini"


class Gate:
    """An app whose /slow requests wait until released: what executes is decided by the test, not by time."""

    def __init__(self, executing: int, queued: int, wait_seconds: float) -> None:
        self.release = asyncio.Event()
        self.entered = 0

        async def slow(request: Request) -> Response:
            self.entered += 1
            await self.release.wait()
            return PlainTextResponse("done")

        async def health(request: Request) -> Response:
            return PlainTextResponse("ok")

        self.app = Starlette(routes=[Route("/slow", slow), Route("/health", health)], middleware=[
            Middleware(Admission, executing=executing, queued=queued, wait_seconds=wait_seconds)])

    def gate(self) -> Admission:
        layer = self.app.middleware_stack
        while not isinstance(layer, Admission):
            layer = layer.app  # type: ignore[union-attr]
        return layer


@asynccontextmanager
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as http:
        yield http


async def until(check: object, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.001)


def test_beyond_the_queue_requests_are_refused_at_once_with_retry_after() -> None:
    async def scenario() -> None:
        gate = Gate(executing=1, queued=1, wait_seconds=30)
        async with client(gate.app) as http:
            first = asyncio.create_task(http.get("/slow"))
            await until(lambda: gate.entered == 1)
            second = asyncio.create_task(http.get("/slow"))
            await until(lambda: gate.gate().stats.queued == 1)
            third = await http.get("/slow")  # the queue is full: refused without waiting for anyone
            assert third.status_code == 429 and third.headers["retry-after"] == "1"
            assert third.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
            assert (await http.get("/health")).text == "ok"  # exempt: never queued behind /slow
            assert not first.done() and not second.done()
            gate.release.set()
            assert (await first).text == (await second).text == "done"
            stats = gate.gate().stats
            assert (stats.executing, stats.queued, stats.admitted, stats.refused_full) == (0, 0, 2, 1)

    asyncio.run(scenario())


def test_a_wait_that_runs_out_is_a_503_and_frees_its_place() -> None:
    async def scenario() -> None:
        gate = Gate(executing=1, queued=4, wait_seconds=0.05)
        async with client(gate.app) as http:
            first = asyncio.create_task(http.get("/slow"))
            await until(lambda: gate.entered == 1)
            waited = await http.get("/slow")
            assert waited.status_code == 503 and "retry" in waited.json()["errors"][0]["message"]
            assert waited.headers["retry-after"] == "1"
            assert gate.gate().stats.queued == 0 and gate.gate().stats.refused_waited == 1
            gate.release.set()
            assert (await first).status_code == 200
            assert (await http.get("/slow")).status_code == 200  # the place came back

    asyncio.run(scenario())


def test_places_pass_in_arrival_order_and_a_client_that_leaves_gives_its_place_back() -> None:
    async def scenario() -> None:
        gate = Gate(executing=1, queued=8, wait_seconds=30)
        async with client(gate.app) as http:
            first = asyncio.create_task(http.get("/slow"))
            await until(lambda: gate.entered == 1)
            leaving = asyncio.create_task(http.get("/slow"))
            staying = asyncio.create_task(http.get("/slow"))
            await until(lambda: gate.gate().stats.queued == 2)
            leaving.cancel()
            await until(lambda: gate.gate().stats.queued == 1)
            gate.release.set()
            assert (await first).status_code == (await staying).status_code == 200
            assert gate.gate().stats.executing == 0 and gate.entered == 2

    asyncio.run(scenario())


def test_health_answers_while_a_patch_holds_queries_back() -> None:
    async def scenario() -> None:
        app = create_app(Settings(root=MINI), limits=Limits(max_executing=1, max_queued=1))
        served = app.state.served
        holding, release = threading.Event(), threading.Event()

        def patch() -> None:
            with served.exclusively():
                holding.set()
                release.wait(30)

        writer = threading.Thread(target=patch)
        writer.start()
        holding.wait(30)
        async with client(app) as http:
            assert (await http.get("/health")).json()["load"]["executing"] == 0
            query = asyncio.create_task(http.post("/graphql", json={"query": "{ people { totalCount } }"}))
            await until(lambda: admission_of(app).stats.executing == 1)  # admitted, waiting for the patch
            health = await http.get("/health")  # answered while the patch holds every query
            assert health.status_code == 200 and not query.done()
            assert health.json()["load"]["executing"] == 1
            release.set()
            assert (await query).status_code == 200
        writer.join()

    asyncio.run(scenario())


def test_a_slow_client_does_not_hold_back_a_reload(project) -> None:  # noqa: F811
    meetings = project / "curation" / "meetings.yaml"
    with live_server(project) as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        host, port = url.removeprefix("http://").split(":")
        body = b'{"query": "{ people { totalCount } }"}'
        slow = socket.create_connection((host, int(port)))
        slow.sendall(b"POST /graphql HTTP/1.1\r\nHost: kb\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])  # the rest of its body never comes
        try:
            save(meetings, meetings_labelled(1))
            version = kb_version(project)
            health, _ = wait_for(http, lambda b: b["version"] == version)  # served with the slow client still open
            assert health["reload"]["ok"] is True
            assert http.post("/graphql", json={"query": "{ people { totalCount } }"}).headers["x-kb-version"] \
                == version
            slow.sendall(body[10:])  # the slow client finishes: it is answered from the version now served
            answer = slow.recv(65536).decode()
            assert answer.startswith("HTTP/1.1 200") and f"x-kb-version: {version}" in answer.lower()
        finally:
            slow.close()


@pytest.mark.parametrize("executing,queued,wait", [(0, 1, 1.0), (1, -1, 1.0), (1, 1, 0.0)])
def testadmission_of_refuses_bounds_that_admit_nothing(executing: int, queued: int, wait: float) -> None:
    with pytest.raises(ValueError, match="admission needs"):
        Admission(Starlette(), executing, queued, wait)


@contextmanager
def real_server(app: Starlette) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 (a free port), in a thread; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


HEAVY = ('query ($id: ID!) { person(id: $id) { name meetings(first: 20) { nodes { id label '
         'participants { ... on Person { id name } } evidence { quote start end source { id } } } } } }')


def test_overload_is_refused_quickly_never_a_server_error_and_health_keeps_answering() -> None:
    app = create_app(Settings(root=ROOT, production=True),
                     limits=Limits(max_executing=2, max_queued=4, max_queue_seconds=60))
    served = app.state.served
    holding, release = threading.Event(), threading.Event()

    def hold_queries() -> None:  # a patch that takes its time: admitted requests wait, the queue fills
        with served.exclusively():
            holding.set()
            release.wait(60)

    async def burst(url: str) -> tuple[list[httpx.Response], list[int]]:
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            body = {"query": HEAVY, "variables": {"id": "antony-blinken"}}
            sent = [asyncio.create_task(http.post("/graphql", json=body)) for _ in range(40)]
            await until(lambda: sum(task.done() for task in sent) >= 40 - 6)  # all but 2 + 4 answered at once
            health = [(await http.get("/health")).status_code for _ in range(5)]  # while 6 still wait
            assert not all(task.done() for task in sent)
            release.set()
            return list(await asyncio.gather(*sent)), health

    with real_server(app) as url:
        writer = threading.Thread(target=hold_queries)
        writer.start()
        holding.wait(30)
        answers, health = asyncio.run(burst(url))
        writer.join()
    statuses = sorted(response.status_code for response in answers)
    assert health == [200] * 5
    assert statuses.count(200) == 6 and statuses.count(429) == 34, statuses  # 2 executing + 4 queued
    assert all(r.headers["retry-after"] == "1" for r in answers if r.status_code == 429)
    names = {r.json()["data"]["person"]["name"] for r in answers if r.status_code == 200}
    assert names == {"Antony Blinken"}
