"""The pure parts of kb publish and of the remote backend: chunking, the catalogue, literal normalisation."""

from __future__ import annotations

import os
import resource
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kb import publish, remote, store
from kb.query import Term
from tests.kbs import BASE, knowledge_base

XSD = "http://www.w3.org/2001/XMLSchema#"


def test_chunks_keep_whole_lines_and_every_byte() -> None:
    data = b"".join(b"<http://a/%d> <http://p> \"%s\" .\n" % (i, b"x" * (i % 50)) for i in range(500))
    pieces = list(publish.chunks(data, 1000))
    assert b"".join(pieces) == data
    assert all(p.endswith(b"\n") and len(p) <= 1000 for p in pieces)
    assert len(pieces) > 20


def test_chunks_pass_a_line_longer_than_the_limit_whole() -> None:
    data = b"short\n" + b"y" * 50 + b"\nend\n"
    assert list(publish.chunks(data, 10)) == [b"short\n", b"y" * 50 + b"\n", b"end\n"]
    assert list(publish.chunks(b"", 10)) == []


def test_catalogue_is_valid_ntriples_describing_the_version() -> None:
    text = publish.catalogue("https://kb.example.org/", "abc123", 42, {"people": 5, "meetings": 2})
    store = ox.Store()
    store.load(text, ox.RdfFormat.N_TRIPLES)
    query = publish.CATALOGUE_QUERY.replace("?dataset", "<https://kb.example.org/graph>")
    # the catalogue query reads a named graph: put the triples there, as kb publish does
    named = ox.Store()
    named.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("https://kb.example.org/graph"))
                 for q in store)
    rows = {(r["kind"].value, int(r["n"].value)) for r in named.query(query)}
    assert rows == {("people", 5), ("meetings", 2)}
    assert {r["version"].value for r in named.query(query)} == {"abc123"}
    assert {r["graph"].value for r in named.query(query)} == {"https://kb.example.org/graph/version/abc123"}


@pytest.mark.parametrize(("seconds", "expected"), [
    ("5400.0", "PT1H30M"), ("3600", "PT1H"), ("93600", "P1DT2H"), ("86400", "P1D"), ("0", "PT0S"),
    ("90.5", "PT1M30.5S"), ("-60", "-PT1M"),
])
def test_canonical_duration_matches_oxigraph(seconds: str, expected: str) -> None:
    assert remote.canonical_duration(Decimal(seconds)) == expected
    oxigraph = ox.Store()
    literal = ox.Literal(expected, datatype=ox.NamedNode(XSD + "duration"))
    oxigraph.add(ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://p"), literal))
    assert next(iter(oxigraph)).object.value == expected  # already Oxigraph's canonical form


def test_normalise_turns_virtuoso_forms_into_oxigraph_forms() -> None:
    duration, boolean = XSD + "duration", XSD + "boolean"
    assert remote.normalise(Term("5400.0", "literal", duration)).value == "PT1H30M"
    assert remote.normalise(Term("PT2H", "literal", duration)).value == "PT2H"
    assert remote.normalise(Term("1", "literal", boolean)).value == "true"
    assert remote.normalise(Term("0", "literal", boolean)).value == "false"
    unchanged = [Term("1", "literal"), Term("x", "uri"), Term("2023", "literal", XSD + "gYear"),
                 Term("1", "literal", None, "en")]
    assert [remote.normalise(t) for t in unchanged] == unchanged


def test_store_urls() -> None:
    assert remote.is_remote("sparql+http://127.0.0.1:8890/sparql")
    assert remote.is_remote("sparql+https://db.example.org/sparql")
    assert not remote.is_remote("oxigraph")
    assert remote.endpoint_url("sparql+http://h:1/sparql") == "http://h:1/sparql"
    with pytest.raises(remote.RemoteError, match="sparql\\+http://host"):
        remote.endpoint_url("http://h:1/sparql")


def test_table_to_json_round_trips() -> None:
    from kb.query import Table, table_from_json

    table = Table(("a", "b"), [{"a": Term("x", "uri"), "b": Term("hé 🙂", "literal", None, "fr")},
                               {"a": Term("2", "literal", XSD + "integer")}])
    assert table_from_json(remote.table_to_json(table)) == table


class FakeGraphStore:
    """A Graph Store Protocol server in memory (httpx.MockTransport): named graphs of parsed triples."""

    def __init__(self) -> None:
        self.graphs: dict[str, set[ox.Triple]] = {}
        self.log: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        graph = request.url.params["graph"]
        self.log.append((request.method, graph))
        if request.method == "GET":
            if graph not in self.graphs:
                return httpx.Response(404)
            return httpx.Response(200, content=ox.serialize(list(self.graphs[graph]), format=ox.RdfFormat.TURTLE))
        if request.method == "DELETE":
            self.graphs.pop(graph, None)
            return httpx.Response(204)
        triples = {ox.Triple(q.subject, q.predicate, q.object)
                   for q in ox.parse(request.content, format=ox.RdfFormat.TURTLE)}
        if request.method == "PUT":
            self.graphs[graph] = triples
        else:
            self.graphs.setdefault(graph, set()).update(triples)
        return httpx.Response(201)


@pytest.mark.parametrize("which", ["mini", "real"])
def test_publish_streams_every_graph_exactly_and_switches_last(which: str) -> None:
    kb = knowledge_base(which)
    built = store.build_store(kb, BASE, "oxigraph").native
    fake = FakeGraphStore()
    with publish.GraphStoreClient("http://graph-store.test/", chunk_bytes=8192,
                                  transport=httpx.MockTransport(fake)) as client:
        done = publish.publish_knowledge_base(kb, "v1", BASE, client)
    default = {ox.Triple(q.subject, q.predicate, q.object)
               for q in built.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert fake.graphs[done.graph] == default and done.triples == len(default)
    named = {g.value for g in built.named_graphs()}
    assert done.named_graphs == len(named) and named <= fake.graphs.keys()
    for name in named:
        assert fake.graphs[name] == {ox.Triple(q.subject, q.predicate, q.object)
                                     for q in built.quads_for_pattern(None, None, None, ox.NamedNode(name))}
    writes = [graph for method, graph in fake.log if method in ("PUT", "POST")]
    assert writes[-1] == remote.catalogue_iri(BASE)  # readers switch only once everything is there
    assert writes.count(done.graph) > 1  # the default graph went out in pieces, as it was built


def test_publish_keeps_one_file_open_however_many_articles(tmp_path: Path) -> None:
    # At a million facts (25,000 articles) one open file per article met the limit of 20,000 open files.
    from benchmarks import generate
    from kb import pipeline

    generate.write(tmp_path, facts=800)
    kb = pipeline.load(tmp_path)
    assert kb.counts()["sources"] == 20
    fake = FakeGraphStore()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 8, hard))  # 8 to spare
    try:
        with publish.GraphStoreClient("http://graph-store.test/", transport=httpx.MockTransport(fake)) as client:
            done = publish.publish_knowledge_base(kb, "v1", BASE, client)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    built = store.build_store(kb, BASE, "oxigraph").native
    assert done.named_graphs == 20
    for name in (g.value for g in built.named_graphs()):
        assert fake.graphs[name] == {ox.Triple(q.subject, q.predicate, q.object)
                                     for q in built.quads_for_pattern(None, None, None, ox.NamedNode(name))}


def test_succession_keeps_the_previous_version_and_removes_older_ones() -> None:
    v1, v2, v3 = (publish.version_graph(BASE, v) for v in ("v1", "v2", "v3"))
    assert publish.succession(None, [], v1) == (None, [])  # the first publish
    assert publish.succession(v1, [], v2) == (v1, [])
    assert publish.succession(v2, [v1], v3) == (v2, [v1])  # v1: two publishes ago
    assert publish.succession(v3, [v2], v3) == (v2, [])  # the same version again: v2 stays the one kept
