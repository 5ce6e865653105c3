"""The W3C SPARQL 1.1 Protocol tests (tests/fixtures/w3c-protocol, from w3c/rdf-tests) against the real app.

The manifest is read with rdflib: each test's requests (``ht:`` method, path, headers, body and its character
encoding) are sent as written, to ``/sparql`` in place of the manifest's ``/sparql/`` (as its comment asks),
and each response is checked as its ``ht:resp`` says: the status class, the format (boolean, tabular or RDF, in
a type the test names) and the boolean. The store is the API fixture's knowledge base plus every graph the
tests load (``ut:graphData``: data1.nt etc. under their labels) and, empty, every other graph their requests
name (``data0.rdf``). A test that needs an update to succeed does not apply to a read-only endpoint: it is
skipped, saying so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kb.config import Settings
from kb.graph.snapshot import Snapshot, from_knowledge_base
from kb.load import pipeline
from kb.load.version import kb_version
from kb.serve.app import create_app
from kb.serve.sparql.formats import GRAPHS, JSON, RESULTS, XML
from tests import apikit

FOLDER = Path(__file__).resolve().parent / "fixtures" / "w3c-protocol"
MANIFEST = FOLDER / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
GRAPH_PARAMETERS = ("default-graph-uri", "named-graph-uri")
RESULTS_XML = "http://www.w3.org/2005/sparql-results#"
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}
"""The types the describe and construct tests accept ("RDF/XML, Turtle, N-Triples, RDFa"), as rdflib reads them."""


@dataclass(frozen=True)
class Request:
    """One ``ht:Request`` and what its response must be."""

    method: str
    path: str
    authority: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[int]
    format: str | None
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        """Whether this request asks for an update (direct, by form or by URL)."""
        form = self.body.decode("ascii", "replace") if self.body is not None else ""
        return (self.headers.get("content-type", "").startswith("application/sparql-update")
                or "update" in parse_qs(urlsplit(self.path).query) or form.startswith("update="))


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[Request, ...]
    graphs: dict[str, Path]

    @property
    def not_applicable(self) -> str | None:
        """Why a read-only endpoint cannot pass this test (an update that must succeed), or None."""
        if any(r.is_update and r.statuses & {2, 3} for r in self.requests):
            return "an update that must succeed: kb's /sparql is read-only"
        return None


def _items(graph: Graph, head: Node | None) -> list[Node]:
    return [] if head is None else list(Collection(graph, head))


def _request(graph: Graph, node: Node, authority: str) -> Request:
    headers = {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
               for h in _items(graph, graph.value(node, HT.headers))}
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(int(str(s).removeprefix(str(HTS.StatusCode))[0])
                         for s in graph.objects(response, MF.expectedStatus))
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return Request(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)), authority,
                   headers, body, statuses, None if expected_format is None else str(expected_format),
                   None if expected_boolean is None else str(expected_boolean) == "true")


@cache
def protocol_tests() -> tuple[ProtocolTest, ...]:
    """Return the manifest's tests, in its order."""
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    found = []
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        authority = str(graph.value(action, HT.connectionAuthority))
        requests = tuple(_request(graph, r, authority) for r in _items(graph, graph.value(action, HT.requests)))
        data = {str(graph.value(d, RDFS.label)): Path(str(graph.value(d, UT.graph)).removeprefix("file://"))
                for d in graph.objects(entry, UT.graphData)}
        name = str(entry).rsplit("#", 1)[-1]
        found.append(ProtocolTest(name, str(graph.value(entry, MF.name)), requests, data))
    return tuple(found)


def named_graphs() -> tuple[dict[str, Path], set[str]]:
    """Return the graphs the tests load (IRI -> N-Triples file) and the other graphs their requests name."""
    loaded: dict[str, Path] = {}
    named: set[str] = set()
    for test in protocol_tests():
        loaded.update(test.graphs)
        for request in test.requests:
            fields = parse_qs(urlsplit(request.path).query)
            named.update(iri for parameter in GRAPH_PARAMETERS for iri in fields.get(parameter, []))
    return loaded, named - loaded.keys()


def protocol_store(backend: str) -> Snapshot:
    """Return a snapshot of the API fixture's knowledge base holding the tests' graphs as well."""
    root = apikit.API_FIXTURE
    snapshot = from_knowledge_base(pipeline.load(root), Settings(root=root, store=backend), kb_version(root))
    loaded, empty = named_graphs()
    native, dataset = snapshot.graph.native, snapshot.graph.dataset
    for iri, path in loaded.items():
        if native is not None:
            native.load(path.read_bytes(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri))
        else:
            dataset.graph(URIRef(iri)).parse(path, format="nt")
    for iri in empty:
        if native is not None:
            native.add_graph(ox.NamedNode(iri))
        else:
            dataset.graph(URIRef(iri))
    return snapshot


@pytest.fixture(scope="module", params=("oxigraph", "rdflib"))
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    root = apikit.API_FIXTURE
    app = create_app(Settings(root=root, store=request.param), protocol_store(request.param))
    with apikit.serve(app) as client:
        yield client


def check(request: Request, response: Any) -> None:
    """Assert that ``response`` is what ``request``'s ht:resp asks for."""
    assert response.status_code // 100 in request.statuses, (response.status_code, response.text[:300])
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if request.format == "boolean":
        assert media in (JSON, XML)
        answer = (json.loads(response.content)["boolean"] if media == JSON
                  else ElementTree.fromstring(response.content).findtext(f"{{{RESULTS_XML}}}boolean") == "true")
        if request.boolean is not None:
            assert answer is request.boolean
    elif request.format == "tabular":
        assert media in RESULTS
        assert response.content.strip()
    elif request.format == "RDF":
        assert media in RDF_TYPES and media in GRAPHS
        Graph().parse(data=response.content, format=RDF_TYPES[media])


@pytest.mark.parametrize("test", protocol_tests(), ids=lambda t: t.name)
def test_w3c_protocol(http: apikit.Http, test: ProtocolTest) -> None:
    if test.not_applicable:
        pytest.skip(test.not_applicable)
    for request in test.requests:
        path = request.path.replace("/sparql/", "/sparql", 1)
        url = f"http://{request.authority}{path}"
        response = http.request(request.method, url, content=request.body, headers=request.headers)
        check(request, response)


def test_the_manifest_is_read_whole() -> None:
    tests = protocol_tests()
    assert len({t.name for t in tests}) == len(tests) > 30
    assert all(t.requests and all(r.statuses for r in t.requests) for t in tests)
    loaded, empty = named_graphs()
    assert all(path.name in {"data1.nt", "data2.nt", "data3.nt"} for path in loaded.values()) and empty
