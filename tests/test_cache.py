"""The answer cache keyed by knowledge base version, and ETag / If-None-Match revalidation, through the app."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from kb.graph import snapshot as snapshots
from kb.graph.query import CountingBackend
from tests import apikit

QUERY = "{ people(first: 5) { totalCount nodes { id name } } }"


@pytest.fixture()
def served() -> Iterator[tuple[apikit.Http, CountingBackend]]:
    app = apikit.app(apikit.API_FIXTURE, "oxigraph")
    current = app.state.served.current
    counting = CountingBackend(current.backend)
    app.state.served.swap(snapshots.Snapshot(current.version, current.graph, counting, current.mint, current.counts))
    with apikit.serve(app) as http:
        yield http, counting


def test_identical_query_is_answered_from_the_cache(served: tuple[apikit.Http, CountingBackend]) -> None:
    http, counting = served
    first = http.post("/graphql", json={"query": QUERY})
    asked = len(counting.queries)
    second = http.post("/graphql", json={"query": QUERY})
    assert (first.headers["x-kb-cache"], second.headers["x-kb-cache"]) == ("miss", "hit")
    assert second.content == first.content and len(counting.queries) == asked > 0
    assert second.headers["x-kb-version"] == first.headers["x-kb-version"]
    other = http.post("/graphql", json={"query": QUERY, "variables": {"unused": 1}})
    assert other.headers["x-kb-cache"] == "miss"  # the body is part of the key


def test_if_none_match_gets_304_without_running(served: tuple[apikit.Http, CountingBackend]) -> None:
    http, counting = served
    first = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    etag = first.headers["etag"]
    assert etag.startswith(f'"{first.headers["x-kb-version"]}-')
    asked = len(counting.queries)
    again = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                     headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert len(counting.queries) == asked
    csv = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                   headers={"if-none-match": etag, "accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["etag"] != etag  # another representation, another tag


def test_a_new_version_is_never_answered_from_the_old_cache(served: tuple[apikit.Http, CountingBackend]) -> None:
    http, _ = served
    first = http.post("/graphql", json={"query": QUERY})
    current = http.app.state.served.current
    http.app.state.served.swap(snapshots.Snapshot("0" * 16, current.graph, current.backend, current.mint,
                                                  current.counts))
    after = http.post("/graphql", json={"query": QUERY}, headers={"if-none-match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["x-kb-cache"] == "miss"
    assert after.headers["x-kb-version"] == "0" * 16


def test_errors_are_neither_cached_nor_tagged(served: tuple[apikit.Http, CountingBackend]) -> None:
    http, _ = served
    for _ in range(2):
        response = http.post("/graphql", json={"query": "{ nosuchfield }"})
        assert "etag" not in response.headers and response.headers["x-kb-cache"] == "none"


def test_a_burst_of_one_cold_request_runs_it_once_and_shares_the_answer() -> None:
    app = apikit.app(apikit.API_FIXTURE, "oxigraph")
    current = app.state.served.current
    counting = CountingBackend(current.backend)
    app.state.served.on_swap.clear()  # only the burst may query
    app.state.served.swap(snapshots.Snapshot(current.version, current.graph, counting, current.mint, current.counts))

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb") as http:
            alone = await http.post("/graphql", json={"query": QUERY, "variables": {"alone": 1}})
            assert alone.status_code == 200
            asked = len(counting.queries)
            answers = await asyncio.gather(*(http.post("/graphql", json={"query": QUERY}) for _ in range(10)))
            assert len(counting.queries) == 2 * asked  # the ten ran once
            return list(answers)

    answers = asyncio.run(burst())
    assert {a.content for a in answers} == {answers[0].content} and answers[0].status_code == 200
    states = [a.headers["x-kb-cache"] for a in answers]
    assert states.count("miss") == 1 and "shared" in states and set(states) <= {"miss", "shared", "hit"}
