"""/sparql as the SPARQL 1.1 Protocol has it, through the real app: content negotiation (q-values, 406), every
result and graph format parsed back, Vary and Cache-Control, the service description, dataset selection and
its refusals, UTF-8 bodies, relative IRIs, and the vocabulary graph (kb.serve.sparql, kb.graph.vocabulary)."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from kb import export
from kb.config import Settings
from kb.graph.query import Answer, GraphFormat, ResultFormat, Table
from kb.serve.app import create_app
from kb.serve.sparql.formats import CSV, GRAPHS, JSON, JSONLD, NQUADS, NTRIPLES, RDFXML, RESULTS, TSV, TURTLE, XML
from kb.vocab import VOCABULARY_GRAPH
from tests import apikit

ROOT = apikit.API_FIXTURE
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
BASE = "https://kb.example.org/"
ARTICLE = f"{BASE}graph/wire-jakarta"
LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JAKARTA = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = <https://kb.example.org/place/jakarta>) }"
RDFLIB_FORMATS = {TURTLE: "turtle", NTRIPLES: "nt", JSONLD: "json-ld", RDFXML: "xml", NQUADS: "nquads"}
QUERY_BODY = {"content-type": "application/sparql-query"}

# rdflib's JSON-LD and N-Quads parsers call its own deprecated APIs internally.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.contexts is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module", params=("oxigraph", "rdflib", "disk"))
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(ROOT, request.param)) as client:
        yield client


def get(http: apikit.Http, query: str | None = None, accept: str | None = None, **params: Any) -> httpx.Response:
    headers = {} if accept is None else {"accept": accept}
    return http.get("/sparql", params={**({} if query is None else {"query": query}), **params}, headers=headers)


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def rows(response: httpx.Response) -> list[tuple[str, ...]]:
    """Return the rows of SELECT results in any of the four formats, each value as its lexical form."""
    kind = media(response)
    if kind == JSON:
        document = response.json()
        return [tuple(b[v]["value"] for v in document["head"]["vars"]) for b in document["results"]["bindings"]]
    if kind == XML:
        ns = "{http://www.w3.org/2005/sparql-results#}"
        return [tuple("".join(b.itertext()) for b in r.iter(f"{ns}binding"))
                for r in ElementTree.fromstring(response.content).iter(f"{ns}result")]
    if kind == CSV:
        return [tuple(r) for r in list(csv.reader(io.StringIO(response.text)))[1:]]
    assert kind == TSV
    lines = response.text.splitlines()
    assert lines[0] == "?s\t?label"
    return [tuple(str(rdflib.util.from_n3(v)) for v in line.split("\t")) for line in lines[1:]]


# ---------------------------------------------------------------- content negotiation


@pytest.mark.parametrize("kind", RESULTS)
def test_select_answers_in_each_result_format_with_the_same_rows(http: apikit.Http, kind: str) -> None:
    response = get(http, LABELS, kind)
    assert (response.status_code, media(response)) == (200, kind)
    assert rows(response) == rows(get(http, LABELS)) and len(rows(response)) > 10


@pytest.mark.parametrize("kind", GRAPHS)
def test_construct_answers_in_each_graph_format_with_the_same_triples(http: apikit.Http, kind: str) -> None:
    response = get(http, JAKARTA, kind)
    assert (response.status_code, media(response)) == (200, kind)
    parsed = rdflib.Dataset().parse(data=response.content, format=RDFLIB_FORMATS[kind]) if kind == NQUADS \
        else Graph().parse(data=response.content, format=RDFLIB_FORMATS[kind])
    turtle = Graph().parse(data=get(http, JAKARTA, TURTLE).content, format="turtle")
    assert {(s, p, Literal(str(o)) if isinstance(o, Literal) else o) for s, p, o, *_ in parsed} == \
        {(s, p, Literal(str(o)) if isinstance(o, Literal) else o) for s, p, o in turtle}
    assert (URIRef(f"{BASE}place/jakarta"), rdflib.RDFS.label, Literal("Jakarta")) in \
        {(s, p, Literal(str(o))) for s, p, o in turtle}


@pytest.mark.parametrize(("accept", "chosen"), [
    ("application/sparql-results+json;q=0, text/csv", CSV),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.9", TSV),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.5", CSV),  # equal q: the server's order
    ("text/csv;q=0, */*;q=0.1", JSON),
    ("application/json", JSON),
    ("text/*;q=0.3, application/sparql-results+xml;q=0.2", CSV),
    ("", JSON),
])
def test_the_best_rated_type_is_chosen_and_q0_never(http: apikit.Http, accept: str, chosen: str) -> None:
    response = get(http, LABELS, accept)
    assert (response.status_code, media(response)) == (200, chosen)


@pytest.mark.parametrize(("query", "accept"), [
    (LABELS, "text/csv;q=0"), ("ASK {}", "text/csv"), (JAKARTA, "application/json"),
    (None, "application/sparql-results+json"),
])
def test_nothing_acceptable_is_406_listing_what_is(http: apikit.Http, query: str | None, accept: str) -> None:
    response = get(http, query, accept)
    assert response.status_code == 406
    message = response.json()["error"]
    offered = RESULTS if query == LABELS else (JSON, XML) if query == "ASK {}" else GRAPHS
    assert all(kind in message for kind in offered)


@pytest.mark.parametrize(("method", "kwargs", "status"), [
    ("GET", {"params": {"query": LABELS}}, 200),
    ("POST", {"content": "ASK {}", "headers": QUERY_BODY}, 200),
    ("GET", {}, 200),
    ("GET", {"params": {"query": "SELECT WHERE"}}, 400),
    ("POST", {"content": LABELS, "headers": {**QUERY_BODY, "accept": "text/html"}}, 406),
    ("GET", {"params": {"query": COUNT, "default-graph-uri": "http://example.org/nowhere"}}, 400),
])
def test_every_answer_varies_on_accept_and_says_how_to_cache(http: apikit.Http, method: str, kwargs: dict[str, Any],
                                                             status: int) -> None:
    response = http.request(method, "/sparql", **kwargs)
    assert response.status_code == status
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == ("no-cache" if status == 200 else "no-store")
    assert ("etag" in response.headers) is (status == 200)


def test_format_parameter_overrides_accept_where_it_names_a_type_for_the_form(http: apikit.Http) -> None:
    assert media(get(http, LABELS, "text/csv", format="tsv")) == TSV
    assert media(get(http, JAKARTA, "text/turtle", format="jsonld")) == JSONLD
    assert media(get(http, JAKARTA, "application/n-triples", format="csv")) == NTRIPLES  # csv: no graph type


# ---------------------------------------------------------------- the service description


@pytest.mark.parametrize(("accept", "fmt"), [(None, "turtle"), (TURTLE, "turtle"), (JSONLD, "json-ld"),
                                             (RDFXML, "xml"), (NTRIPLES, "nt")])
def test_get_without_a_query_describes_the_service(http: apikit.Http, accept: str | None, fmt: str) -> None:
    response = get(http, None, accept)
    assert response.status_code == 200 and media(response) == (accept or TURTLE)
    graph = Graph().parse(data=response.content, format=fmt)
    service = URIRef("http://kb.test/sparql")
    assert (service, RDF.type, SD.Service) in graph and (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert len(list(graph.objects(service, SD.resultFormat))) == len(RESULTS) + len(GRAPHS)
    dataset = graph.value(service, SD.defaultDataset)
    names = {str(graph.value(g, SD.name)) for g in graph.objects(dataset, SD.namedGraph)}
    assert names == {f"{BASE}graph/post-beijing", ARTICLE, VOCABULARY_GRAPH}
    default = str(graph.value(dataset, SD.defaultGraph))
    total = http.get("/health").json()["counts"]["triples"]
    assert count(get(http, COUNT, **{"default-graph-uri": default})) == count(get(http, COUNT)) == total


# ---------------------------------------------------------------- dataset selection


def test_default_graph_uri_merges_the_graphs_it_names(http: apikit.Http) -> None:
    article = count(get(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ARTICLE}> {{ ?s ?p ?o }} }}"))
    vocabulary = count(get(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?s ?p ?o }} }}"))
    assert 0 < article < count(get(http, COUNT)) and vocabulary > 100
    assert count(get(http, COUNT, **{"default-graph-uri": ARTICLE})) == article
    both = http.get("/sparql", params=[("query", COUNT), ("default-graph-uri", ARTICLE),
                                       ("default-graph-uri", VOCABULARY_GRAPH)])
    assert count(both) == article + vocabulary
    assert count(get(http, f"SELECT (COUNT(*) AS ?n) FROM <{ARTICLE}> WHERE {{ ?s ?p ?o }}")) == article


def test_named_graph_uri_limits_what_graph_sees(http: apikit.Http) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    every = [r["g"]["value"] for r in get(http, query).json()["results"]["bindings"]]
    assert every == sorted([f"{BASE}graph/post-beijing", ARTICLE, VOCABULARY_GRAPH])
    chosen = get(http, query, **{"named-graph-uri": ARTICLE}).json()["results"]["bindings"]
    assert [r["g"]["value"] for r in chosen] == [ARTICLE]
    from_named = get(http, f"SELECT DISTINCT ?g FROM NAMED <{VOCABULARY_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert [r["g"]["value"] for r in from_named.json()["results"]["bindings"]] == [VOCABULARY_GRAPH]
    # FROM NAMED alone leaves the default graph empty, as SPARQL has it
    assert count(get(http, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{ARTICLE}> WHERE {{ ?s ?p ?o }}")) == 0


def test_the_protocol_dataset_overrides_the_querys(http: apikit.Http) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{VOCABULARY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert count(get(http, query, **{"default-graph-uri": ARTICLE})) == count(get(http, COUNT, **{
        "default-graph-uri": ARTICLE}))


@pytest.mark.parametrize(("query", "params", "named"), [
    (COUNT, {"default-graph-uri": "http://example.org/elsewhere"}, "http://example.org/elsewhere"),
    (COUNT, {"named-graph-uri": f"{BASE}graph/no-such-article"}, f"{BASE}graph/no-such-article"),
    ("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", {}, "http://127.0.0.1:9/data.ttl"),
    ("PREFIX g: <https://kb.example.org/graph/>\nASK FROM NAMED g:nope { }", {}, f"{BASE}graph/nope"),
    ("ASK FROM <graph/elsewhere> { }", {}, f"{BASE}graph/elsewhere"),  # relative: against the base IRI
])
def test_a_graph_not_held_is_refused_by_name(http: apikit.Http, query: str, params: dict[str, str],
                                             named: str) -> None:
    response = get(http, query, **params)
    assert response.status_code == 400
    assert f"holds no graph <{named}>" in response.json()["error"]


# ---------------------------------------------------------------- bodies, characters, IRIs


def test_a_query_body_is_utf8_whatever_it_declares(http: apikit.Http) -> None:
    query = 'SELECT ("Jakarta – 雅加达 😀" AS ?x) {}'
    for content_type in ("application/sparql-query", "application/sparql-query; charset=UTF-8",
                         'application/sparql-query;charset="utf-8"'):
        response = http.post("/sparql", content=query.encode(), headers={"content-type": content_type})
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "Jakarta – 雅加达 😀"
    refused = http.post("/sparql", content=query.encode("utf-16"),
                        headers={"content-type": "application/sparql-query; charset=UTF-16"})
    assert refused.status_code == 415 and "charset=utf-16" in refused.json()["error"]


@pytest.mark.parametrize(("kwargs", "what"), [
    ({"content": b"ASK { \xff }", "headers": QUERY_BODY}, "the query body is not valid UTF-8 (byte 6)"),
    ({"content": "SELECT ('é' AS ?x) {}".encode("latin-1"), "headers": QUERY_BODY}, "not valid UTF-8"),
    ({"content": b"query=ASK%20%7B%FF%7D", "headers": {"content-type": "application/x-www-form-urlencoded"}},
     "the form holds percent-escapes that are not UTF-8"),
])
def test_bytes_that_are_not_utf8_are_refused(http: apikit.Http, kwargs: dict[str, Any], what: str) -> None:
    response = http.post("/sparql", **kwargs)
    assert response.status_code == 400 and what in response.json()["error"]
    url = http.get("/sparql?query=ASK%20%7B%FF%7D")
    assert url.status_code == 400 and "the URL holds percent-escapes" in url.json()["error"]


def test_relative_iris_resolve_against_the_base_iri(http: apikit.Http) -> None:
    response = http.post("/sparql", content=b"CONSTRUCT { <s> <p> 1 } WHERE {}", headers=QUERY_BODY)
    triples = set(Graph().parse(data=response.content, format="turtle"))
    assert triples == {(URIRef(f"{BASE}s"), URIRef(f"{BASE}p"), Literal(1))}
    place = get(http, "SELECT ?l WHERE { <place/jakarta> <http://www.w3.org/2000/01/rdf-schema#label> ?l }")
    assert rows(place) == [("Jakarta",)]
    based = get(http, "BASE <http://example.org/> SELECT ?x WHERE { BIND(<y> AS ?x) }")
    assert rows(based) == [("http://example.org/y",)]


# ---------------------------------------------------------------- the vocabulary graph


def test_the_vocabulary_is_a_graph_of_its_own(http: apikit.Http) -> None:
    label = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "SELECT ?l WHERE { GRAPH <https://kb.example.org/ns> { <https://kb.example.org/ns#Statement> "
             "rdfs:label ?l } }")
    assert rows(get(http, label)) == [("statement",)]
    outside = "ASK { <https://kb.example.org/ns#Statement> ?p ?o }"
    assert get(http, outside).json()["boolean"] is False  # not in the default graph: exports and counts unchanged
    assert get(http, outside, **{"default-graph-uri": VOCABULARY_GRAPH}).json()["boolean"] is True


def test_export_leaves_the_vocabulary_graph_out() -> None:
    snapshot = apikit.snapshot(ROOT, "oxigraph")
    assert f"<{VOCABULARY_GRAPH}>" not in export.serialize(snapshot.graph.dataset, "trig").decode()
    names = [str(name) for name in snapshot.graph.named_graphs()]
    assert VOCABULARY_GRAPH not in names and len(names) == 2


def test_the_description_names_the_url_it_was_asked_at(http: apikit.Http) -> None:
    for host in ("a.example", "b.example:8080"):
        graph = Graph().parse(data=http.get(f"http://{host}/sparql").content, format="turtle")
        assert {str(s) for s in graph.subjects(RDF.type, SD.Service)} == {f"http://{host}/sparql"}


# ---------------------------------------------------------------- a remote store


class Remote:
    """A stand-in for a remote engine (kb.serve.remote) that records what it is asked."""

    name = "sparql"

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def select(self, sparql: str) -> Table:
        raise AssertionError("/sparql asks a remote engine for serialised answers only")

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        self.asked.append(sparql)
        return Answer(b'{"head": {}, "boolean": true}', results.value)


def test_a_remote_store_refuses_dataset_selection_and_types_it_cannot_give() -> None:
    remote = Remote()
    snapshot = dataclasses.replace(apikit.snapshot(ROOT, "oxigraph"), backend=remote, memo={})
    with apikit.serve(create_app(Settings(root=ROOT), snapshot)) as client:
        assert get(client, "ASK {}").json()["boolean"] is True
        for params in ({"default-graph-uri": ARTICLE}, {"named-graph-uri": ARTICLE}):
            refused = get(client, "ASK {}", **params)
            assert refused.status_code == 400 and "remote store" in refused.json()["error"]
        assert get(client, f"ASK FROM <{ARTICLE}> {{}}").status_code == 400
        assert get(client, LABELS, TSV).status_code == 406
    assert remote.asked == ["ASK {}"]


@pytest.mark.parametrize("query", [LABELS, None])
def test_html_is_the_editor_on_a_get_and_not_acceptable_on_a_post(http: apikit.Http, query: str | None) -> None:
    # a browser's GET is the SPARQL editor's (kb.serve.editors); the endpoint itself offers no HTML
    page = get(http, query, "text/html,application/xhtml+xml")
    assert (page.status_code, media(page)) == (200, "text/html")
    refused = http.post("/sparql", content=query or "ASK {}", headers={**QUERY_BODY, "accept": "text/html"})
    assert refused.status_code == 406 and all(kind in refused.json()["error"] for kind in (JSON, XML))
