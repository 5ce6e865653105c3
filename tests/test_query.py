"""kb.graph.query: both backends give identical rows; values go into query text safely; answers serialise."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import XSD

from kb.errors import QueryError
from kb.graph.query import (
    PROLOGUE,
    CountingBackend,
    GraphFormat,
    OxigraphBackend,
    ResultFormat,
    Table,
    Term,
    iri,
    literal,
    table_from_json,
    values,
)
from kb.graph.terms import to_oxigraph
from tests.graphkit import rdflib_backend, sorted_rows

EX = "http://example.org/"
QUADS: list[tuple[Any, Any, Any, Any]] = [
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "name"), rdflib.Literal("Wang Yi"), None),
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "name"), rdflib.Literal("王毅", lang="zh"), None),
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "age"), rdflib.Literal("70", datatype=XSD.integer), None),
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "note"), rdflib.Literal('say "hi"\n\\ 🙂'), None),
    (rdflib.URIRef(EX + "b"), rdflib.URIRef(EX + "knows"), rdflib.URIRef(EX + "a"), None),
    (rdflib.URIRef(EX + "b"), rdflib.URIRef(EX + "name"), rdflib.Literal("Blinken", datatype=XSD.string), None),
    (rdflib.URIRef(EX + "c"), rdflib.URIRef(EX + "name"), rdflib.Literal("in a named graph only"),
     rdflib.URIRef(EX + "g")),
]


def _oxigraph() -> OxigraphBackend:
    store = ox.Store()
    store.extend(to_oxigraph(QUADS))
    return OxigraphBackend(store)


BACKENDS = {"oxigraph": _oxigraph, "rdflib": lambda: rdflib_backend(QUADS)}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Any:
    return BACKENDS[request.param]()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_select_terms_keep_kind_datatype_and_language(backend: Any) -> None:
    table = run(backend.select(f"SELECT ?o WHERE {{ <{EX}a> ?p ?o }}"))
    assert set(table.column("o")) == {
        Term("Wang Yi"), Term("王毅", "literal", None, "zh"), Term("70", "literal", str(XSD.integer)),
        Term('say "hi"\n\\ 🙂'),
    }


def test_select_leaves_unbound_variables_out_of_rows(backend: Any) -> None:
    table = run(backend.select(f"SELECT ?s ?missing WHERE {{ ?s <{EX}knows> ?o "
                               f"OPTIONAL {{ ?s <{EX}none> ?missing }} }}"))
    assert table.variables == ("s", "missing")
    assert table.rows == [{"s": Term(EX + "b", "uri")}]


def test_select_reads_the_default_graph_only(backend: Any) -> None:
    table = run(backend.select(f"SELECT ?s WHERE {{ ?s <{EX}name> ?o }}"))
    assert {t.value for t in table.column("s")} == {EX + "a", EX + "b"}


def test_backends_give_identical_rows() -> None:
    query = PROLOGUE + "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    tables = [run(make().select(query)) for make in BACKENDS.values()]
    assert sorted_rows(tables[0]) == sorted_rows(tables[1])
    assert len(tables[0]) == 6


def test_select_refuses_a_syntax_error_with_query_error(backend: Any) -> None:
    with pytest.raises(QueryError):
        run(backend.select("SELECT ?s WHERE { ?s"))


def test_select_refuses_an_update(backend: Any) -> None:
    with pytest.raises(QueryError):
        run(backend.select(f"INSERT DATA {{ <{EX}x> <{EX}y> <{EX}z> }}"))
    assert len(run(backend.select(f"SELECT * WHERE {{ <{EX}x> ?p ?o }}"))) == 0


def test_select_refuses_other_query_forms(backend: Any) -> None:
    with pytest.raises(QueryError, match="SELECT"):
        run(backend.select("ASK { ?s ?p ?o }"))


def test_literal_round_trips_every_awkward_character(backend: Any) -> None:
    text = 'say "hi"\n\\ 🙂'
    table = run(backend.select(f"SELECT ?s WHERE {{ ?s <{EX}note> {literal(text)} }}"))
    assert table.column("s") == [Term(EX + "a", "uri")]


def test_literal_cannot_break_out_of_its_string(backend: Any) -> None:
    hostile = '" } ?s ?p ?o { "'
    table = run(backend.select(f"SELECT ?s WHERE {{ ?s <{EX}name> {literal(hostile)} }}"))
    assert len(table) == 0


def test_literal_refuses_unicode_escapes() -> None:
    with pytest.raises(QueryError, match="u"):
        literal("\\u0022 } ")


def test_iri_refuses_what_would_change_the_query() -> None:
    for bad in ["", "no-colon", "http://x/> . ?s ?p ?o", "http://x/ y", 'http://x/"', "http://x/{", "http://x/\\u0041"]:
        with pytest.raises(QueryError):
            iri(bad)
    assert iri(EX + "a-b_c/d#e") == f"<{EX}a-b_c/d#e>"


def test_values_selects_the_given_iris(backend: Any) -> None:
    table = run(backend.select(f"SELECT ?s ?o WHERE {{ {values('s', [EX + 'b', EX + 'zzz'])} ?s <{EX}name> ?o }}"))
    assert table.rows == [{"s": Term(EX + "b", "uri"), "o": Term("Blinken")}]


def test_answer_serialises_select_as_json_and_csv(backend: Any) -> None:
    query = f"SELECT ?o WHERE {{ <{EX}b> <{EX}name> ?o }}"
    answer = run(backend.answer(query, ResultFormat.JSON, GraphFormat.TURTLE))
    assert answer.media_type == "application/sparql-results+json"
    assert table_from_json(answer.body).rows == [{"o": Term("Blinken")}]
    answer = run(backend.answer(query, ResultFormat.CSV, GraphFormat.TURTLE))
    assert answer.media_type == "text/csv"
    assert list(csv.reader(io.StringIO(answer.body.decode()))) == [["o"], ["Blinken"]]


def test_answer_serialises_ask_as_json_even_when_csv_is_asked(backend: Any) -> None:
    answer = run(backend.answer(f"ASK {{ <{EX}b> ?p ?o }}", ResultFormat.CSV, GraphFormat.TURTLE))
    assert answer.media_type == "application/sparql-results+json"
    assert json.loads(answer.body)["boolean"] is True


def test_answer_serialises_construct_as_a_graph(backend: Any) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}named> ?o }} WHERE {{ ?s <{EX}name> ?o FILTER(?s = <{EX}b>) }}"
    for fmt in GraphFormat:
        answer = run(backend.answer(query, ResultFormat.JSON, fmt))
        graph = rdflib.Graph().parse(data=answer.body, format="nt" if fmt is GraphFormat.NTRIPLES else "turtle")
        # RDF 1.1: "Blinken" and "Blinken"^^xsd:string are one literal; rdflib writes the datatype out
        assert {(s, p, str(o)) for s, p, o in graph} == {
            (rdflib.URIRef(EX + "b"), rdflib.URIRef(EX + "named"), "Blinken")}
        assert answer.media_type == fmt.value


def test_table_from_json_reads_every_term_kind() -> None:
    body = json.dumps({"head": {"vars": ["x", "y"]}, "results": {"bindings": [
        {"x": {"type": "uri", "value": EX}, "y": {"type": "literal", "value": "hi", "xml:lang": "en"}},
        {"x": {"type": "bnode", "value": "b0"}, "y": {"type": "typed-literal", "value": "1",
                                                       "datatype": str(XSD.integer)}},
    ]}})
    table = table_from_json(body)
    assert table == Table(("x", "y"), [
        {"x": Term(EX, "uri"), "y": Term("hi", "literal", None, "en")},
        {"x": Term("b0", "bnode"), "y": Term("1", "literal", str(XSD.integer))},
    ])


def test_table_from_json_refuses_other_documents() -> None:
    with pytest.raises(QueryError):
        table_from_json(b'{"boolean": true}')


def test_counting_backend_records_each_query(backend: Any) -> None:
    counting = CountingBackend(backend)
    run(counting.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1"))
    run(counting.answer("ASK { ?s ?p ?o }", ResultFormat.JSON, GraphFormat.TURTLE))
    assert len(counting.queries) == 2
    assert counting.name == backend.name


def test_values_of_nothing_selects_nothing(backend: Any) -> None:
    assert len(run(backend.select(f"SELECT ?s WHERE {{ {values('s', [])} ?s ?p ?o }}"))) == 0


def test_oxigraph_select_converts_each_term_once() -> None:
    backend = _oxigraph()
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    first, again = run(backend.select(query)), run(backend.select(query))
    assert first.rows == again.rows and len(first) == 6
    assert all(row[name] is other[name] for row, other in zip(first.rows, again.rows, strict=True) for name in row)


def test_oxigraph_term_cache_starts_afresh_when_full_and_answers_stay_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.graph import query as module

    monkeypatch.setattr(module, "MAX_CACHED_TERMS", 2)
    backend, reference = _oxigraph(), rdflib_backend(QUADS)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    expected = sorted_rows(run(reference.select(query)))
    for _ in range(3):
        assert sorted_rows(run(backend.select(query))) == expected
        assert len(backend._terms) <= 18  # the distinct terms of one answer, never more
