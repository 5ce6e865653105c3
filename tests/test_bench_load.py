"""benchmarks/load.py against a real uvicorn server on 127.0.0.1: both generators (wrk and httpx) send
numbered requests, stop at the request limit, and count a failed answer as an error rather than throughput.

The server answers the warm-up and even-numbered requests, and fails odd ones half with a GraphQL error and
half without the expected bytes, so a generator that counted answers without checking them would be caught.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from benchmarks.load import Outcome, Request, hammer
from tests.conftest import needs_debian


class Recorder:
    """A raw ASGI app that keeps every body it is sent and answers by the request's number."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        answer = self.answer(body, dict(scope["headers"]).get(b"content-type", b""))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer})

    @staticmethod
    def answer(body: bytes, kind: bytes) -> bytes:
        if kind.startswith(b"application/json"):
            number = json.loads(body).get("variables", {}).get("benchmarkRequest")
        else:
            query = urllib.parse.parse_qs(body.decode())["query"][0]
            number = int(query.rsplit("# request ", 1)[1]) if "# request " in query else None
        if number is None or number % 2 == 0:
            return b'{"data": {"quote": "fine"}}'
        return b'{"errors": [{"message": "odd"}]}' if number % 4 == 1 else b'{"data": {"other": 1}}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    """The recorder served by uvicorn in a thread of this process."""
    app = Recorder()
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/graphql", app
    running.should_exit = True
    thread.join(10)


def generators() -> list[str]:
    """httpx always; wrk where installed (.ci/run installs it; outside CI its absence skips, under CI fails)."""
    return ["httpx", "wrk"]


@pytest.fixture(params=generators())
def using(request: pytest.FixtureRequest) -> str:
    if request.param == "wrk":
        needs_debian("wrk", "wrk")
    return str(request.param)


def run(request: Request, using: str, limit: int, seconds: float = 3) -> Outcome:
    """Hammer ``request`` from 4 clients; wrk waits out ``seconds`` even when it stops at ``limit`` first."""
    return asyncio.run(hammer(request, seconds, limit, concurrency=4, using=using))


def test_hammer_numbers_requests_and_counts_failed_answers_as_errors(server: tuple[str, Recorder], using: str) -> None:
    url, app = server
    outcome = run(Request(url, json={"query": "{ x }", "variables": {"id": "a"}}, expect=b'"quote"'), using, 200)
    numbers = [json.loads(body)["variables"].get("benchmarkRequest") for body in app.bodies[1:]]  # past the warm-up
    assert len(numbers) == len(set(numbers)) and None not in numbers  # every request unique
    assert 200 <= outcome.requests <= 200 + 4  # stopped at the limit (clients in flight may finish)
    answered = sum(n % 2 == 0 for n in numbers[:outcome.requests])
    assert outcome.errors == pytest.approx(outcome.requests - answered, abs=4)
    assert 0.3 < outcome.errors / outcome.requests < 0.7
    result = outcome.as_dict()
    assert result["generator"] == using and result["rps"] > 0 and 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["rps"] == pytest.approx((outcome.requests - outcome.errors) / outcome.seconds, rel=0.01)


def test_hammer_numbers_sparql_forms_with_a_comment(server: tuple[str, Recorder], using: str) -> None:
    url, app = server
    sparql = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    outcome = run(Request(url, form={"query": sparql}, headers={"accept": "application/sparql-results+json"},
                          expect=b'"quote"'), using, 60)
    queries = [urllib.parse.parse_qs(body.decode())["query"][0] for body in app.bodies[1:]]
    assert all(q.startswith(sparql + "\n# request ") for q in queries)
    assert len(set(queries)) == len(queries) >= 60
    assert outcome.errors > 0 and outcome.requests >= 60


def test_hammer_repeats_the_same_body_when_not_fresh(server: tuple[str, Recorder], using: str) -> None:
    url, app = server
    body = {"query": "{ x }", "variables": {"id": "b"}}
    outcome = run(Request(url, json=body, expect=b'"quote"', fresh=False), using, 50)
    assert {json.dumps(json.loads(sent), sort_keys=True) for sent in app.bodies} == {json.dumps(body, sort_keys=True)}
    assert outcome.errors == 0 and outcome.requests >= 50


def test_hammer_stops_at_the_time_limit(server: tuple[str, Recorder], using: str) -> None:
    url, _ = server
    start = time.perf_counter()
    outcome = run(Request(url, json={"query": "{ x }"}, expect=b'"quote"'), using, 10**9, seconds=1)
    assert outcome.requests > 0 and time.perf_counter() - start < 10
    assert 0.5 < outcome.seconds < 5


def test_a_slow_system_is_driven_by_httpx_which_waits_for_answers_in_flight(server: tuple[str, Recorder],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = server
    monkeypatch.setattr("benchmarks.load.SLOW", 0.0)  # every warm-up now counts as slow
    outcome = asyncio.run(hammer(Request(url, json={"query": "{ x }"}, expect=b'"quote"'), 1, 20, concurrency=4))
    assert outcome.generator == "httpx" and outcome.requests >= 20
