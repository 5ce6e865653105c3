"""The app over HTTP: /health, the version on every response, /sparql, exports, GraphiQL, CORS, swapping
snapshots, and `kb serve` as a real server."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from kb.config import Settings
from kb.graph.snapshot import Snapshot
from kb.serve.app import create_app
from kb.serve.middleware.pin import VERSION_HEADER
from tests import apikit

ROOT = apikit.API_FIXTURE
KB = str(Path(sys.executable).parent / "kb")  # the console script pip installed beside this Python


@pytest.fixture(scope="module", params=("oxigraph", "rdflib"))
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(ROOT, request.param)) as client:
        yield client


def test_health_names_version_store_and_counts(http: apikit.Http) -> None:
    response = http.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["store"] in {"oxigraph", "rdflib"}
    assert body["version"] == response.headers[VERSION_HEADER] == apikit.snapshot(ROOT, "oxigraph").version
    assert body["counts"]["people"] == 4 and body["counts"]["meetings"] == 2 and body["counts"]["triples"] > 300


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "/health", {}),
    ("POST", "/graphql", {"json": {"query": "{ people { totalCount } }"}}),
    ("POST", "/graphql", {"json": {"query": "{ nope }"}}),
    ("GET", "/sparql?query=ASK%20%7B%7D", {}),
    ("GET", "/sparql", {}),
    ("GET", "/export.nt", {}),
    ("GET", "/no-such-page", {}),
    ("POST", "/graphql", {"content": b"x" * 70_000, "headers": {"content-type": "application/json"}}),
])
def test_every_response_names_the_version(http: apikit.Http, method: str, path: str, kwargs: dict[str, Any]) -> None:
    response = http.request(method, path, **kwargs)
    assert response.headers[VERSION_HEADER] == apikit.snapshot(ROOT, "oxigraph").version


def test_graphql_response_counts_its_sparql_queries(http: apikit.Http) -> None:
    response = http.post("/graphql", json={"query": '{ person(id: "wang-yi") { name } }'})
    assert response.headers["x-kb-sparql-queries"] == "1"


def test_sparql_get_answers_json_by_default(http: apikit.Http) -> None:
    query = ("SELECT ?name WHERE { <https://kb.example.org/person/wang-yi> "
             "<http://www.w3.org/2000/01/rdf-schema#label> ?name }")
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.json()["results"]["bindings"][0]["name"]["value"] == "Wang Yi"


@pytest.mark.parametrize(("how", "kwargs"), [
    ("accept", {"headers": {"accept": "text/csv"}}),
    ("format", {"params": {"format": "csv"}}),
])
def test_sparql_answers_csv_when_asked(http: apikit.Http, how: str, kwargs: dict[str, Any]) -> None:
    query = "PREFIX schema: <https://schema.org/> SELECT ?p WHERE { ?p a schema:Person } ORDER BY ?p"
    params = {"query": query, **kwargs.get("params", {})}
    response = http.get("/sparql", params=params, headers=kwargs.get("headers", {}))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["p"] and len(rows) == 5


def test_sparql_post_as_query_body_and_as_form(http: apikit.Http) -> None:
    query = "ASK { ?s ?p ?o }"
    direct = http.post("/sparql", content=query, headers={"content-type": "application/sparql-query"})
    form = http.post("/sparql", data={"query": query})
    assert direct.json()["boolean"] is True and form.json()["boolean"] is True


def test_sparql_construct_gives_turtle(http: apikit.Http) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = <https://kb.example.org/place/jakarta>) }"
    response = http.get("/sparql", params={"query": query}, headers={"accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (rdflib.URIRef("https://kb.example.org/place/jakarta"), rdflib.RDFS.label, rdflib.Literal("Jakarta")) in {
        (s, p, rdflib.Literal(str(o))) for s, p, o in graph}


@pytest.mark.parametrize(("method", "kwargs"), [
    ("POST", {"content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
              "headers": {"content-type": "application/sparql-update"}}),
    ("POST", {"data": {"update": "DELETE WHERE { ?s ?p ?o }"}}),
    ("GET", {"params": {"query": "DELETE WHERE { ?s ?p ?o }"}}),
    ("GET", {"params": {"query": "PREFIX x: <urn:x> CLEAR ALL"}}),
])
def test_sparql_refuses_updates(http: apikit.Http, method: str, kwargs: dict[str, Any]) -> None:
    response = http.request(method, "/sparql", **kwargs)
    assert response.status_code == 400
    assert "read-only" in response.json()["error"]
    assert http.get("/health").json()["counts"]["triples"] == apikit.snapshot(ROOT, "oxigraph").counts["triples"]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
])
def test_sparql_refuses_what_would_fetch_from_the_network(http: apikit.Http, query: str) -> None:
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 400


@pytest.mark.parametrize(("params", "status"), [({"query": ""}, 400), ({"query": "SELECT WHERE"}, 400),
                                                 ({"query": "ASK {}", "format": "yaml"}, 400)])
def test_sparql_bad_requests_are_explained(http: apikit.Http, params: dict[str, str], status: int) -> None:
    response = http.get("/sparql", params=params)
    assert response.status_code == status
    assert response.json()["error"]


def test_sparql_refuses_other_content_types(http: apikit.Http) -> None:
    assert http.post("/sparql", content="{}", headers={"content-type": "application/json"}).status_code == 415


@pytest.mark.parametrize(("path", "fmt", "media"), [
    ("/export.ttl", ox.RdfFormat.TURTLE, "text/turtle"),
    ("/export.nt", ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    ("/export.jsonld", ox.RdfFormat.JSON_LD, "application/ld+json"),
])
def test_exports_hold_the_whole_graph(http: apikit.Http, path: str, fmt: Any, media: str) -> None:
    response = http.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    triples = {(q.subject, q.predicate, q.object) for q in ox.parse(response.content, format=fmt)}
    assert len(triples) == http.get("/health").json()["counts"]["triples"]


def test_graphiql_in_development_not_in_production() -> None:
    snapshot = apikit.snapshot(ROOT, "oxigraph")
    for production, status in ((False, 200), (True, 404)):
        app = create_app(Settings(root=ROOT, production=production), snapshot)
        with apikit.serve(app) as http:
            response = http.get("/graphql", headers={"accept": "text/html"})
            assert response.status_code == status
            assert ("graphiql" in response.text.lower()) is (not production)
            # the API itself answers either way
            assert http.post("/graphql", json={"query": "{ people { totalCount } }"}).json()["data"]


def test_cors_is_off_by_default_and_configurable() -> None:
    snapshot = apikit.snapshot(ROOT, "oxigraph")
    preflight = {"origin": "https://front.example", "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"}
    with apikit.serve(create_app(Settings(root=ROOT), snapshot)) as http:
        assert "access-control-allow-origin" not in http.request("OPTIONS", "/graphql", headers=preflight).headers
    app = create_app(Settings(root=ROOT, cors_origins=("https://front.example",)), snapshot)
    with apikit.serve(app) as http:
        response = http.request("OPTIONS", "/graphql", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://front.example"
        answer = http.post("/graphql", json={"query": "{ people { totalCount } }"}, headers={"origin": "https://front.example"})
        assert VERSION_HEADER.lower() in answer.headers["access-control-expose-headers"].lower()
        other = http.post("/graphql", json={"query": "{ people { totalCount } }"}, headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_swapped_snapshot_answers_the_next_request() -> None:
    fixture, mini = (apikit.snapshot(ROOT, "oxigraph"),
                     apikit.snapshot(apikit.ROOT / "tests" / "fixtures" / "mini", "oxigraph"))
    app = create_app(Settings(root=ROOT), fixture)
    with apikit.serve(app) as http:
        before = http.post("/graphql", json={"query": "{ people { totalCount } }"})
        previous = app.state.served.swap(mini)
        after = http.post("/graphql", json={"query": "{ people { totalCount } }"})
    assert previous is fixture
    assert before.headers[VERSION_HEADER] == fixture.version != after.headers[VERSION_HEADER] == mini.version
    assert before.json()["data"]["people"]["totalCount"] == 4
    assert after.json()["data"]["people"]["totalCount"] == mini.counts["people"]


def test_a_request_keeps_the_snapshot_it_started_with() -> None:
    fixture, mini = (apikit.snapshot(ROOT, "oxigraph"),
                     apikit.snapshot(apikit.ROOT / "tests" / "fixtures" / "mini", "oxigraph"))
    app = create_app(Settings(root=ROOT), fixture)
    swapped: list[Snapshot] = []

    class SwapMidway:
        """A backend that swaps the served snapshot after the first query of a request."""

        name = "oxigraph"

        async def select(self, sparql: str) -> Any:
            if not swapped:
                swapped.append(app.state.served.swap(mini))
            return await fixture.backend.select(sparql)

        async def answer(self, *args: Any) -> Any:
            raise AssertionError("not used")

    pinned = Snapshot(fixture.version, fixture.graph, SwapMidway(), fixture.mint, fixture.counts)
    app.state.served.on_swap.clear()  # the pages' per-version work would be the first to query SwapMidway
    app.state.served.swap(pinned)
    with apikit.serve(app) as http:
        response = http.post("/graphql", json={"query": '{ people { nodes { name meetings { totalCount } } } }'})
    assert swapped and response.headers[VERSION_HEADER] == fixture.version
    assert [p["name"] for p in response.json()["data"]["people"]["nodes"]] == [
        "Antony Blinken", "Matthew Miller", "Qin Gang", "Wang Yi"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_kb_serve_starts_a_real_server() -> None:
    port = _free_port()
    command = [KB, "serve", "--root", str(ROOT), "--port", str(port), "--production"]
    env = {**os.environ, "PYTHONPATH": str(apikit.ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "kb serve did not start"
                time.sleep(0.2)
        assert health.json()["version"] == apikit.snapshot(ROOT, "oxigraph").version
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": '{ person(id: "wang-yi") { name } }'})
        assert answer.json() == {"data": {"person": {"name": "Wang Yi"}}}
        assert httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"}).status_code == 404
    finally:
        process.terminate()
        process.communicate(timeout=30)  # reads and closes the pipe


def test_kb_serve_refuses_an_invalid_knowledge_base(tmp_path: Any) -> None:
    from tests.conftest import write_project

    root = write_project(tmp_path, {"people.yaml": "- id: x\n  nam: X\n"})
    done = subprocess.run([KB, "serve", "--root", str(root)], capture_output=True, check=False,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(apikit.ROOT)})
    assert done.returncode == 2
    assert "curation/people.yaml:2:3: nam: unknown field" in done.stderr

