"""kb publish into a real Virtuoso, and the remote backend reading it back: the same terms as Oxigraph."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kb import cli
from kb.curate import disputes
from kb.errors import QueryError, RemoteError
from kb.graph import store
from kb.graph.query import OxigraphBackend, Table
from kb.load import pipeline
from kb.load.version import kb_version
from kb.publish import gsp as publish
from kb.serve import remote
from tests.graphkit import sorted_rows
from tests.kbs import BASE, MINI
from tests.virtuoso import PASSWORD, USER, Virtuoso

AUTH = httpx.DigestAuth(USER, PASSWORD)


def _listening(port: int) -> list[str]:
    """Return the local addresses (hex, as /proc/net/tcp has them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_virtuoso_listens_on_loopback_only(virtuoso_server: Virtuoso) -> None:
    for port in (virtuoso_server.sql_port, virtuoso_server.http_port):
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and nothing on 0.0.0.0 or ::


@pytest.fixture(scope="module")
def published(virtuoso_server: Virtuoso) -> tuple[publish.Published, store.GraphStore]:
    kb = pipeline.load(MINI)
    graph_store = store.build_store(kb, BASE, "oxigraph")
    with publish.GraphStoreClient(virtuoso_server.graph_store, AUTH, chunk_bytes=8192) as client:
        done = publish.publish_knowledge_base(kb, kb_version(MINI), BASE, client)
    return done, graph_store


def select(backend: object, sparql: str) -> Table:
    return asyncio.run(backend.select(sparql))  # type: ignore[attr-defined]


def test_publish_writes_the_default_graph_in_chunks(published: tuple[publish.Published, store.GraphStore]) -> None:
    done, graph_store = published
    assert done.triples == len(graph_store)
    assert done.requests > 10  # 8 KiB chunks: the version graph alone needs several POSTs
    assert done.named_graphs == len(graph_store.named_graphs()) == 3


def test_catalogue_names_version_graph_and_counts(virtuoso_server: Virtuoso,
                                                  published: tuple[publish.Published, store.GraphStore]) -> None:
    done, graph_store = published
    catalogue = remote.read_catalogue(virtuoso_server.sparql, BASE)
    assert catalogue.version == kb_version(MINI)
    assert catalogue.graph == done.graph == f"{BASE}graph/version/{kb_version(MINI)}"
    assert catalogue.counts == {**pipeline.load(MINI).counts(), "triples": len(graph_store)}


def test_remote_backend_returns_every_triple_as_oxigraph_does(
        virtuoso_server: Virtuoso, published: tuple[publish.Published, store.GraphStore]) -> None:
    done, graph_store = published
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    remote_rows = sorted_rows(select(remote.RemoteBackend(virtuoso_server.sparql, done.graph), everything))
    local_rows = sorted_rows(select(OxigraphBackend(graph_store.native), everything))
    assert remote_rows == local_rows
    kinds = {(t.datatype or "", bool(t.lang)) for row in local_rows for t in row if t and t.kind == "literal"}
    assert ("http://www.w3.org/2001/XMLSchema#duration", False) in kinds  # Virtuoso's seconds, normalised
    assert ("http://www.w3.org/2001/XMLSchema#gYear", False) in kinds
    assert ("http://www.w3.org/2001/XMLSchema#boolean", False) in kinds


@pytest.mark.parametrize("sparql", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) ?type",
    "SELECT ?s ?year WHERE { ?s ?p ?year FILTER(datatype(?year) = xsd:gYear) } ORDER BY ?year ?s",
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), \"wang\")) } ORDER BY ?s",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o = true) } ORDER BY ?s",
])
def test_typical_queries_answer_identically(virtuoso_server: Virtuoso,
                                            published: tuple[publish.Published, store.GraphStore],
                                            sparql: str) -> None:
    from kb.graph.query import PROLOGUE

    done, graph_store = published
    local = select(OxigraphBackend(graph_store.native), PROLOGUE + sparql)
    assert local.rows, "the query must find something to compare"
    answered = select(remote.RemoteBackend(virtuoso_server.sparql, done.graph), PROLOGUE + sparql)
    assert answered.variables == local.variables
    assert answered.rows == local.rows  # same order too: every ORDER BY here is total


def test_remote_backend_reports_a_refused_query(virtuoso_server: Virtuoso) -> None:
    with pytest.raises(QueryError, match="answered 400"):
        select(remote.RemoteBackend(virtuoso_server.sparql), "SELECT ?s WHERE { ?s ")


def kb_publish(server: Virtuoso, root: Path, base: str, *credentials: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, [
        "publish", "--root", str(root), "--endpoint", server.graph_store, "--base-iri", base, *credentials,
    ])
    return result.exit_code, result.output


def test_kb_publish_keeps_the_previous_version_and_removes_older_ones(virtuoso_server: Virtuoso,
                                                                     tmp_path: Path) -> None:
    other = "https://other.example.org/"  # its own catalogue: the module's published KB stays as it is
    credentials = ("--user", USER, "--password", PASSWORD)
    count = "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}"

    def triples_in(graph: str) -> int:
        return select(remote.RemoteBackend(virtuoso_server.sparql), count.format(graph)).rows[0]["n"].as_int()

    assert kb_publish(virtuoso_server, MINI, other, *credentials)[0] == 0
    first = remote.read_catalogue(virtuoso_server.sparql, other)
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    people = root / "curation" / "people.yaml"
    versions = [first]
    for name in ("someone-new", "someone-else"):
        people.write_text(people.read_text("utf-8") + f"- id: {name}\n  name: {name.title()}\n", "utf-8")
        code, output = kb_publish(virtuoso_server, root, other, *credentials)
        assert code == 0, output
        versions.append(remote.read_catalogue(virtuoso_server.sparql, other))
    second, third = versions[1], versions[2]
    assert third.version == kb_version(root) != second.version != first.version
    assert third.counts["people"] == second.counts["people"] + 1 == first.counts["people"] + 2
    assert "removed 1 old version(s)" in output
    assert triples_in(first.graph) == 0  # two publishes ago: deleted
    assert triples_in(second.graph) == second.counts["triples"]  # the previous one: kept for running replicas
    assert remote.read_catalogue(virtuoso_server.sparql, BASE).version == kb_version(MINI)


def test_kb_publish_without_credentials_is_refused(virtuoso_server: Virtuoso) -> None:
    code, output = kb_publish(virtuoso_server, MINI, "https://refused.example.org/")
    assert code == 1
    assert "answered 401" in output


def test_remote_store_without_a_published_kb_says_so(virtuoso_server: Virtuoso) -> None:
    with pytest.raises(RemoteError, match="run kb publish first"):
        remote.read_catalogue(virtuoso_server.sparql, "https://never-published.example.org/")


def test_app_serves_the_published_kb_from_the_store_url_alone(
        virtuoso_server: Virtuoso, published: tuple[publish.Published, store.GraphStore], tmp_path: Path) -> None:
    from kb.config import Settings
    from kb.serve.app import create_app
    from tests.apikit import serve

    empty = tmp_path / "no-data"  # an API replica has no seeds/ or curation/
    app = create_app(Settings(root=empty, store=f"sparql+{virtuoso_server.sparql}", production=True))
    with serve(app) as http:
        health = http.get("/health").json()
        people = http.post("/graphql", json={"query": "{ people(first: 100) { totalCount nodes { id } } }"}).json()
    kb = pipeline.load(MINI)
    assert health["version"] == kb_version(MINI)
    assert health["store"] == "sparql"
    # disputes as the graph counts them (kb.curate.disputes): records and attributes with several versions
    assert health["counts"] == {**disputes.counts(kb, disputes.in_knowledge_base(kb, BASE)),
                                "triples": published[0].triples}
    assert people["data"]["people"]["totalCount"] == len(kb.of("people"))


def test_a_replica_follows_each_publish_without_restarting(virtuoso_server: Virtuoso, tmp_path: Path) -> None:
    from kb.config import Settings
    from kb.serve.served import Served

    base = "https://follow.example.org/"
    credentials = ("--user", USER, "--password", PASSWORD)
    assert kb_publish(virtuoso_server, MINI, base, *credentials)[0] == 0
    settings = Settings(root=tmp_path, store=f"sparql+{virtuoso_server.sparql}", base_iri=base)
    served = Served(remote.snapshot(settings))
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    people = root / "curation" / "people.yaml"
    people.write_text(people.read_text("utf-8") + "- id: someone-new\n  name: Someone New\n", "utf-8")

    async def publish_and_follow() -> str:
        stop = asyncio.Event()
        following = asyncio.create_task(remote.follow(served, settings, stop, interval=0.2))
        code, output = await asyncio.to_thread(kb_publish, virtuoso_server, root, base, *credentials)
        assert code == 0, output
        for _ in range(150):
            if served.current.version != kb_version(MINI):
                break
            await asyncio.sleep(0.2)
        stop.set()
        await following
        return served.current.version

    assert asyncio.run(publish_and_follow()) == kb_version(root)
    people_now = select(served.current.backend, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://schema.org/Person> }")
    assert people_now.rows[0]["n"].as_int() == len(pipeline.load(root).of("people"))


def test_sparql_endpoint_on_a_remote_store_answers_like_oxigraph(
        virtuoso_server: Virtuoso, published: tuple[publish.Published, store.GraphStore], tmp_path: Path) -> None:
    from kb.config import Settings
    from kb.graph.query import table_from_json
    from kb.serve.app import create_app
    from tests.apikit import serve

    query = "SELECT ?s ?d WHERE { ?s <https://schema.org/duration> ?d } ORDER BY ?s ?d"
    local = select(OxigraphBackend(published[1].native), query)
    app = create_app(Settings(root=tmp_path, store=f"sparql+{virtuoso_server.sparql}", production=True))
    with serve(app) as http:
        response = http.get("/sparql", params={"query": query}, headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert local.rows and table_from_json(response.content).rows == local.rows  # PT1H30M, not Virtuoso's 5400.0
