"""kb/graph/store.py: the graph in an embedded Oxigraph store or rdflib's Memory store, the same in both."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kb import contracts
from kb.errors import CurationError, Location, StoreError
from kb.graph import builder as graph
from kb.graph import store
from kb.graph.builder import build
from kb.graph.native import fill
from kb.graph.sinks import BuiltGraph
from kb.graph.terms import escape, plain, to_oxigraph
from kb.vocab import KB, VOCABULARY_GRAPH
from tests.kbs import BASE, BOTH, MINT, built, knowledge_base


def quads(graph_store: store.GraphStore) -> set[tuple[object, ...]]:
    """Every quad of a store, literals made plain, graph named by IRI (None for the default graph)."""
    out: set[tuple[object, ...]] = set()
    for s, p, o, g in graph_store.dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        out.add((s, p, plain(o), None if str(name) == "urn:x-rdflib:default" else name))
    return out


def vocabulary() -> Graph:
    """Return schema/kb.ttl, which every store holds in the vocabulary graph (kb.graph.vocabulary)."""
    return Graph().parse(contracts.path("kb.ttl"), format="turtle")


@BOTH
def test_load_puts_the_same_quads_in_oxigraph_and_memory(which: str) -> None:
    graph = built(which)
    memory, oxigraph = store.load(graph, "memory"), store.load(graph, "oxigraph")
    expected = {(*t, None) for t in graph.triples} | {(*t, n) for n, ts in graph.named.items() for t in ts}
    expected |= {(s, p, plain(o), URIRef(VOCABULARY_GRAPH)) for s, p, o in vocabulary()}
    assert quads(memory) == expected
    assert quads(oxigraph) == expected
    assert len(memory) == len(oxigraph) == len(graph)


def test_oxigraph_backend_is_one_store_for_rdflib_and_native_sparql() -> None:
    graph_store = store.load(built("mini"), "oxigraph")
    native = graph_store.native
    assert isinstance(native, ox.Store)
    solutions = native.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert isinstance(solutions, ox.QuerySolutions)
    [row] = list(solutions)
    assert int(row["n"].value) == len(graph_store)
    added = (URIRef(f"{BASE}person/someone"), KB.met, URIRef(f"{BASE}person/wang-yi"))
    graph_store.graph.add(added)  # through rdflib ...
    ask = native.query(f"ASK {{ <{added[0]}> <{added[1]}> <{added[2]}> }}")  # ... seen natively
    assert bool(ask)


def test_named_graphs_hold_each_article_in_both_backends() -> None:
    for backend in store.BACKENDS:
        graph_store = store.load(built("mini"), backend)
        assert graph_store.named_graphs() == sorted(built("mini").named)
        for name, triples in built("mini").named.items():
            assert len(graph_store.dataset.graph(name)) == len(triples)


def test_oxigraph_answers_graph_queries_natively() -> None:
    native = store.load(built("mini"), "oxigraph").native
    rows = native.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {URIRef(row["g"].value): int(row["n"].value) for row in rows}
    assert counts == {URIRef(VOCABULARY_GRAPH): len(vocabulary()),
                      **{name: len(triples) for name, triples in built("mini").named.items()}}


def test_query_knows_kb_prefixes_and_gives_the_same_rows_in_both_backends() -> None:
    sparql = 'SELECT ?who WHERE { ?wang rdfs:label "Wang Yi" . ?who kb:met ?wang }'
    answers = []
    for backend in store.BACKENDS:
        rows = store.load(built("mini"), backend).query(sparql)
        answers.append({row[0] for row in rows})  # type: ignore[index]
    assert answers[0] == answers[1] == {MINT.record("people", "antony-blinken")}


def test_build_store_equals_load_of_build() -> None:
    kb = knowledge_base("mini")
    assert quads(store.build_store(kb, BASE)) == quads(store.load(build(kb, BASE), "oxigraph"))


def test_unknown_backend_raises_store_error() -> None:
    with pytest.raises(StoreError, match="sqlite"):
        store.build_store(knowledge_base("mini"), BASE, "sqlite")
    with pytest.raises(StoreError):
        store.load(built("mini"), "sqlite")


def test_plain_drops_only_an_explicit_xsd_string() -> None:
    assert plain(Literal("x", datatype=XSD.string)) == Literal("x")
    assert plain(Literal("2018", datatype=XSD.gYear)) == Literal("2018", datatype=XSD.gYear)
    assert plain(Literal("x", lang="en")) == Literal("x", lang="en")
    assert plain(KB.met) == KB.met


def test_copy_graph_of_oxigraph_equals_the_built_graph() -> None:
    copy = store.copy_graph(store.load(built("mini"), "oxigraph").graph)
    assert set(copy) == set(built("mini").triples)


def test_nquads_carry_every_character_and_datatype_to_oxigraph_and_back_to_rdflib() -> None:
    texts = ['a "quoted" \\ back\\slash\nnew line\r\ttab 🙂 “curly” \\n', "", "\\", '"']
    subject = "<https://kb.example.org/x> <https://kb.example.org/ns#p>"
    lines = {f'{subject} "{escape(t)}"'.encode() for t in texts}
    lines |= {f'{subject} "2018"^^<{XSD.gYear}>'.encode(), f'{subject} "7"^^<{XSD.integer}>'.encode(),
              f"{subject} <https://kb.example.org/y>".encode()}
    built = BuiltGraph(lines=frozenset(lines), named_lines={"https://kb.example.org/graph/a": frozenset(lines)})
    native = ox.Store()
    native.bulk_load(built.nquads(), format=ox.RdfFormat.N_QUADS)
    assert set(native) == set(to_oxigraph(built.quads()))
    assert {q.object.value for q in native if isinstance(q.object, ox.Literal)} >= set(texts)
    parsed = Graph().parse(data=b"".join(line + b" .\n" for line in lines), format="nt")
    assert set(parsed) == set(built.triples)
    assert {Literal(t) for t in texts} | {Literal(7), Literal("2018", datatype=XSD.gYear)} <= {
        o for _, _, o in built.triples}


def test_fill_reraises_what_the_builder_raised_and_never_hangs() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"<https://kb.example.org/a> <https://kb.example.org/ns#p> <https://kb.example.org/b> .\n" * 1000
        raise CurationError(Location("curation/meetings.yaml", 3, 5), "evidence has no start/end offsets")

    with pytest.raises(CurationError, match="evidence has no start/end offsets"):
        fill(ox.Store(), chunks())


def test_fill_stops_the_builder_when_the_store_refuses_its_text() -> None:
    made: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(10_000):  # far more than the queue holds: the builder must not block forever
            made.append(n)
            yield b"this is not N-Quads\n"

    with pytest.raises(SyntaxError):
        fill(ox.Store(), chunks())
    assert len(made) < 10_000


def test_build_store_streams_the_same_quads_as_the_built_graph() -> None:
    kb = knowledge_base("real")
    streamed = store.build_store(kb, BASE, "oxigraph")
    loaded = store.load(build(kb, BASE), "oxigraph")
    assert set(streamed.native) == set(loaded.native)
    assert len(streamed) == len(build(kb, BASE)) == len(loaded)


def test_fill_loads_chunk_by_chunk_into_the_same_graph_as_one_load() -> None:
    """fill loads each chunk as its own transaction; that is the same graph only while the builder mints no
    blank nodes (a label in two loads would be two nodes)."""
    kb = knowledge_base("real")
    chunks = list(graph.nquads(kb, BASE, chunk_bytes=4096))
    assert len(chunks) > 10 and all(chunk.endswith(b"\n") for chunk in chunks)
    native, whole = ox.Store(), ox.Store()
    fill(native, iter(chunks))
    whole.load(b"".join(chunks), format=ox.RdfFormat.N_QUADS)
    assert set(native) == set(whole)
    assert not any(isinstance(term, ox.BlankNode) for quad in native for term in (quad.subject, quad.object))
