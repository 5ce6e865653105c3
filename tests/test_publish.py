"""The pure parts of kb publish and of the remote backend: chunking, the catalogue, literal normalisation."""

from __future__ import annotations

import os
import resource
import shutil
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kb.errors import PublishError, RemoteError
from kb.graph import store
from kb.graph.query import Term
from kb.model.knowledge_base import KnowledgeBase
from kb.publish import catalogue as catalogues
from kb.publish import gsp as publish
from kb.serve import remote
from kb.vocab import VOCABULARY_GRAPH
from tests.kbs import BASE, MINI, knowledge_base

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
    text = catalogues.catalogue("https://kb.example.org/", "abc123", 42, {"people": 5, "meetings": 2})
    store = ox.Store()
    store.load(text, ox.RdfFormat.N_TRIPLES)
    query = catalogues.CATALOGUE_QUERY.replace("?dataset", "<https://kb.example.org/graph>")
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
    with pytest.raises(RemoteError, match="sparql\\+http://host"):
        remote.endpoint_url("http://h:1/sparql")


def test_table_to_json_round_trips() -> None:
    from kb.graph.query import Table, table_from_json

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
    named = {g.value for g in built.named_graphs()} - {VOCABULARY_GRAPH}  # schema/kb.ttl: not published
    assert done.named_graphs == len(named) and named <= fake.graphs.keys()
    for name in named:
        assert fake.graphs[name] == {ox.Triple(q.subject, q.predicate, q.object)
                                     for q in built.quads_for_pattern(None, None, None, ox.NamedNode(name))}
    writes = [graph for method, graph in fake.log if method in ("PUT", "POST")]
    assert writes[-1] == catalogues.catalogue_iri(BASE)  # readers switch only once everything is there
    assert writes.count(done.graph) > 1  # the default graph went out in pieces, as it was built


def test_publish_keeps_one_file_open_however_many_articles(tmp_path: Path) -> None:
    # At a million facts (25,000 articles) one open file per article met the limit of 20,000 open files.
    from benchmarks import generate
    from kb.load import pipeline

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
    for name in {g.value for g in built.named_graphs()} - {VOCABULARY_GRAPH}:  # schema/kb.ttl: not published
        assert fake.graphs[name] == {ox.Triple(q.subject, q.predicate, q.object)
                                     for q in built.quads_for_pattern(None, None, None, ox.NamedNode(name))}


def test_succession_keeps_the_previous_version_and_removes_older_ones() -> None:
    v1, v2, v3 = (catalogues.version_graph(BASE, v) for v in ("v1", "v2", "v3"))
    assert catalogues.succession(None, [], v1) == (None, [])  # the first publish
    assert catalogues.succession(v1, [], v2) == (v1, [])
    assert catalogues.succession(v2, [v1], v3) == (v2, [v1])  # v1: two publishes ago
    assert catalogues.succession(v3, [v2], v3) == (v2, [])  # the same version again: v2 stays the one kept


# -- re-publishing: unchanged article graphs are skipped (kb:digest in the catalogue) -------------------------

def gsp_publish(kb: KnowledgeBase, fake: FakeGraphStore, version: str) -> publish.Published:
    """Publish ``kb`` at ``version`` into ``fake``; return what was published."""
    with publish.GraphStoreClient("http://graph-store.test/", transport=httpx.MockTransport(fake)) as client:
        return publish.publish_knowledge_base(kb, version, BASE, client)


def article_writes(fake: FakeGraphStore, since: int = 0) -> list[str]:
    """Return the article graphs PUT into ``fake`` since its request number ``since``."""
    versions = catalogues.version_graph(BASE, "")
    return [graph for method, graph in fake.log[since:]
            if method == "PUT" and graph.startswith(f"{BASE}graph/") and not graph.startswith(versions)]


def articles_held(fake: FakeGraphStore) -> dict[str, set[ox.Triple]]:
    """Return the article graphs ``fake`` holds (neither the catalogue nor a version graph)."""
    return {g: t for g, t in fake.graphs.items()
            if g != catalogues.catalogue_iri(BASE) and not g.startswith(catalogues.version_graph(BASE, ""))}


def full_publish(kb: KnowledgeBase, version: str) -> FakeGraphStore:
    """Return a store that ``kb`` was published into, and nothing before it."""
    fake = FakeGraphStore()
    gsp_publish(kb, fake, version)
    return fake


def recorded_digests(fake: FakeGraphStore) -> dict[str, str]:
    return {t.subject.value: t.object.value for t in fake.graphs[catalogues.catalogue_iri(BASE)]
            if t.predicate == ox.NamedNode(catalogues.KB_DIGEST)}


def test_digest_depends_only_on_the_triples() -> None:
    lines = [b'<http://a/s> <http://a/p> "x\\ny" .\n', b"<http://a/s> <http://a/p> <http://a/o> .\n"]
    assert catalogues.digest(b"".join(lines)) == catalogues.digest(b"".join(reversed(lines)) + lines[0])
    assert catalogues.digest(b"".join(lines)) != catalogues.digest(lines[0])
    assert len(catalogues.digest(b"")) == 64


def test_digests_are_the_same_on_two_builds() -> None:
    first, second = (recorded_digests(full_publish(knowledge_base("real"), "v1")) for _ in range(2))
    assert first == second and len(first) == knowledge_base("real").counts()["sources"]
    built = store.build_store(knowledge_base("real"), BASE, "oxigraph").native
    for name, value in first.items():  # the digest of what kb builds, whichever order it was sent in
        quads = built.quads_for_pattern(None, None, None, ox.NamedNode(name))
        text = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                            format=ox.RdfFormat.N_TRIPLES)
        assert catalogues.digest(text or b"") == value


def test_republish_of_an_unchanged_knowledge_base_sends_no_article_graph() -> None:
    kb = knowledge_base("real")
    fake = FakeGraphStore()
    first = gsp_publish(kb, fake, "v1")
    assert (first.sent, first.skipped) == (first.named_graphs, 0) and first.named_graphs > 1
    before, held = len(fake.log), articles_held(fake)
    again = gsp_publish(kb, fake, "v2")
    assert article_writes(fake, before) == [] and (again.sent, again.skipped) == (0, first.named_graphs)
    assert articles_held(fake) == held and again.removed_articles == []
    assert recorded_digests(fake).keys() == held.keys()


def test_republish_after_one_edit_sends_only_the_graphs_that_changed(tmp_path: Path) -> None:
    from kb.load import pipeline

    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    old = pipeline.load(root)
    fake = FakeGraphStore()
    gsp_publish(old, fake, "v1")
    statements = root / "curation" / "statements.yaml"
    text = statements.read_text("utf-8")
    assert "military contacts restart" in text
    statements.write_text(text.replace("military contacts restart", "military contacts restart (edited)", 1), "utf-8")
    new = pipeline.load(root)
    before = len(fake.log)
    done = gsp_publish(new, fake, "v2")
    expected, previous = articles_held(full_publish(new, "v2")), articles_held(full_publish(old, "v1"))
    differ = sorted(g for g in expected if expected[g] != previous.get(g))
    assert differ and len(differ) < len(expected)  # the edit changed some article graphs, not all
    assert article_writes(fake, before) == differ
    assert (done.sent, done.skipped) == (len(differ), len(expected) - len(differ))
    assert articles_held(fake) == expected  # exactly the graphs a full publish gives
    assert fake.graphs[done.graph] == full_publish(new, "v2").graphs[done.graph]


def test_republish_deletes_the_graphs_of_removed_articles(tmp_path: Path) -> None:
    from benchmarks import generate
    from kb.load import pipeline

    generate.write(tmp_path / "big", facts=200)
    generate.write(tmp_path / "small", facts=120)
    big, small = pipeline.load(tmp_path / "big"), pipeline.load(tmp_path / "small")
    fake = FakeGraphStore()
    gsp_publish(big, fake, "v1")
    done = gsp_publish(small, fake, "v2")
    gone = [f"{BASE}graph/src-000003", f"{BASE}graph/src-000004"]
    assert done.removed_articles == gone and not set(gone) & fake.graphs.keys()
    assert articles_held(fake) == articles_held(full_publish(small, "v2"))
    assert recorded_digests(fake).keys() == articles_held(fake).keys()


def test_republish_over_a_catalogue_without_digests_sends_every_graph() -> None:
    kb = knowledge_base("mini")
    fake = FakeGraphStore()
    gsp_publish(kb, fake, "v1")
    dataset = catalogues.catalogue_iri(BASE)
    fake.graphs[dataset] = {t for t in fake.graphs[dataset] if t.predicate != ox.NamedNode(catalogues.KB_DIGEST)}
    before = len(fake.log)  # the catalogue as the previous kb wrote it: no digest
    done = gsp_publish(kb, fake, "v2")
    assert sorted(article_writes(fake, before)) == sorted(articles_held(fake)) and done.skipped == 0
    assert catalogues.catalogue_iri(BASE) in fake.graphs and recorded_digests(fake).keys() == articles_held(fake).keys()


def test_a_failed_republish_leaves_no_digest_of_content_the_store_lost(tmp_path: Path) -> None:
    from kb.load import pipeline

    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    fake = FakeGraphStore()
    gsp_publish(pipeline.load(root), fake, "v1")
    statements = root / "curation" / "statements.yaml"
    original = statements.read_text("utf-8")
    statements.write_text(original.replace("military contacts restart", "restart (edited)", 1), "utf-8")
    edited = pipeline.load(root)
    articles, sent = set(articles_held(fake)), []

    def failing(request: httpx.Request) -> httpx.Response:  # the store goes away after the article graphs
        graph = request.url.params["graph"]
        if request.method == "PUT" and graph in articles:
            sent.append(graph)
        elif sent and request.method == "PUT" and graph == catalogues.catalogue_iri(BASE):
            return httpx.Response(503)  # the switch never happens
        return fake(request)

    with publish.GraphStoreClient("http://graph-store.test/", transport=httpx.MockTransport(failing)) as client, \
            pytest.raises(PublishError, match="503"):
        publish.publish_knowledge_base(edited, "v2", BASE, client)
    assert sent and sent[0] not in recorded_digests(fake)  # its old digest went before its new content came
    statements.write_text(original, "utf-8")  # the edit undone: the graph the store holds is edited, resent
    before = len(fake.log)
    gsp_publish(pipeline.load(root), fake, "v3")
    assert sent[0] in article_writes(fake, before)
    assert articles_held(fake) == articles_held(full_publish(pipeline.load(root), "v3"))
