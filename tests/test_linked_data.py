"""kb/serve/resolve.py over HTTP: every IRI kb mints resolves on the server (a description by Accept, a 303 to
its page for a browser), 404 for what kb never minted, the base IRI as a setting, and the vocabulary."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import URIRef

from kb.config import Settings
from kb.graph.snapshot import Snapshot, from_knowledge_base
from kb.load import pipeline
from kb.load.version import kb_version
from kb.serve.app import create_app
from kb.vocab import ATTRIBUTES, KB, OA, PROV, RDFS, SDO
from tests import apikit

ROOT = apikit.ROOT  # the project's own seeds and curation
BASE = "https://kb.example.org/"
KB_CLI = str(Path(sys.executable).parent / "kb")
TURTLE = {"accept": "text/turtle"}
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
KINDS = {"source", "person", "organization", "place", "topic", "meeting", "role", "statement", "sanction", "post",
         "record dispute", "attribute dispute", "evidence", "selector", "time", "attribute version", "graph",
         "topic scheme", "derivation", "link"}
"""Every kind of IRI of docs/model.md, "IRI patterns"."""


def kind_of(key: str) -> str:
    """Return the kind (docs/model.md, "IRI patterns") of the IRI ``{base}{key}``."""
    parts = key.split("/")
    if parts[0] == "topics":
        return "topic scheme"
    if parts[0] == "dispute":
        return "record dispute" if len(parts) == 2 else "attribute dispute"
    if parts[0] == "evidence":
        return "selector" if parts[-1] in {"position", "quote"} else "evidence"
    if parts[0] == "derivation":
        return "derivation"
    if len(parts) == 5 and parts[2] == "link":
        return "link"
    if len(parts) == 3 and parts[2] in {"during", "start", "end", "date"}:
        return "time"
    if len(parts) == 4 and parts[2] in ATTRIBUTES:
        return "attribute version"
    assert len(parts) == 2 or parts[0] == "post", key
    return parts[0]


@cache
def minted(backend: str) -> list[str]:
    """Return every IRI under the base that the served graph holds: each subject, and each named graph."""
    store = apikit.snapshot(ROOT, backend).graph
    subjects = {str(s) for s in store.graph.subjects() if str(s).startswith(BASE)}
    return sorted(subjects | {str(g) for g in store.named_graphs()})


def one_of_each_kind(backend: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for iri in minted(backend):
        found.setdefault(kind_of(iri[len(BASE):]), iri)
    return found


@pytest.fixture(scope="module", params=("oxigraph", "disk", "rdflib"))
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(ROOT, request.param)) as client:
        yield client


def path(iri: str) -> str:
    return "/" + iri[len(BASE):]


def test_every_minted_iri_answers_turtle_about_itself() -> None:
    iris = minted("oxigraph")
    assert {kind_of(iri[len(BASE):]) for iri in iris} == KINDS  # the walk covers every kind kb mints
    with apikit.serve(apikit.app(ROOT, "oxigraph")) as http:
        for iri in iris:
            response = http.get(path(iri), headers=TURTLE)
            assert response.status_code == 200, (iri, response.text)
            assert response.headers["content-type"] == "text/turtle; charset=utf-8"
            triples = ox.parse(response.content, format=ox.RdfFormat.TURTLE, base_iri=iri)
            assert any(_about(t.subject, iri) for t in triples), iri


def test_each_kind_resolves_on_every_backend(http: apikit.Http) -> None:
    backend = http.app.state.served.current.backend.name
    for kind, iri in one_of_each_kind("rdflib" if backend == "rdflib" else "oxigraph").items():
        response = http.get(path(iri), headers={"accept": "application/n-triples"})
        assert response.status_code == 200, (kind, iri)
        triples = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
        assert any(_about(t.subject, iri) for t in triples), (kind, iri)


def _about(subject: object, iri: str) -> bool:
    """Whether a triple of the answer for ``iri`` is about it: its subject, or any triple of a named graph."""
    return subject == ox.NamedNode(iri) or iri.startswith(BASE + "graph/")


def test_a_browser_is_sent_to_the_page_that_shows_each_kind(http: apikit.Http) -> None:
    texts: dict[str, str] = {}
    slow_pages = http.app.state.served.current.backend.name == "rdflib"  # its pages take seconds: oxigraph's show them
    for kind, iri in one_of_each_kind("oxigraph").items():
        response = http.get(path(iri), headers=BROWSER)
        assert response.status_code == 303 and response.headers["vary"] == "Accept", (kind, iri)
        page, _, fragment = response.headers["location"].partition("#")
        assert slow_pages or http.get(page).status_code == 200, (kind, page)
        key = iri[len(BASE):].split("/")
        if kind in {"person", "organization", "place", "topic", "source", "meeting", "role", "statement",
                    "sanction", "time", "attribute version"}:
            plural = {"person": "people"}.get(key[0], key[0] + "s")
            assert page == f"/{plural}/{key[1]}", (kind, iri)
        if kind in {"evidence", "selector"}:  # the article, at the span the evidence selects
            start, end = (int(n) for n in fragment.removeprefix("ev-").split("-"))
            evidence = iri.removesuffix("/quote").removesuffix("/position")
            text = texts.get(page) or texts.setdefault(page, _article_text(http, page))
            assert text[start:end] == _exact(http, evidence)
        if kind == "post":
            assert page == f"/organizations/{key[1]}"
        if kind == "graph":
            assert page == f"/sources/{key[1]}"


def _article_text(http: apikit.Http, page: str) -> str:
    described = rdflib.Graph().parse(data=http.get(page.replace("/sources/", "/source/"), headers=TURTLE).text,
                                         format="turtle")
    return str(described.value(URIRef(BASE + page[1:].replace("sources/", "source/")), KB.text))


def _exact(http: apikit.Http, evidence: str) -> str:
    described = rdflib.Graph().parse(data=http.get(path(evidence + "/quote"), headers=TURTLE).text, format="turtle")
    return str(described.value(URIRef(evidence + "/quote"), OA.exact))


@pytest.mark.parametrize(("accept", "status", "media"), [
    ("text/turtle", 200, "text/turtle"),
    ("application/n-triples", 200, "application/n-triples"),
    ("application/ld+json", 200, "application/ld+json"),
    ("text/turtle;q=0.5, application/ld+json", 200, "application/ld+json"),
    ("text/html;q=0.1, text/turtle;q=0.9", 200, "text/turtle"),
    ("text/*;q=0, text/turtle", 200, "text/turtle"),  # the more specific range wins
    ("application/*", 200, "application/n-triples"),
    ("text/html", 303, None),
    ("*/*", 303, None),
    ("", 303, None),
    ("text/html;q=0, */*;q=0.5", 200, "text/turtle"),
    ("application/xml", 406, "text/plain"),
    ("text/turtle;q=0", 406, "text/plain"),
    ("nonsense", 406, "text/plain"),
])
def test_content_negotiation(http: apikit.Http, accept: str, status: int, media: str | None) -> None:
    response = http.get("/person/wang-yi", headers={"accept": accept})
    assert response.status_code == status
    assert response.headers["vary"] == "Accept"
    if media is not None:
        assert response.headers["content-type"].split(";")[0] == media
    if status == 303:
        assert response.headers["location"] == "/people/wang-yi"


def test_every_format_holds_the_same_description(http: apikit.Http) -> None:
    found = {fmt: {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(
        http.get("/meeting/meeting-blinken-wang-jakarta-2023-07-13", headers={"accept": media}).content, format=fmt)}
        for media, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                           ("application/ld+json", ox.RdfFormat.JSON_LD))}
    assert found[ox.RdfFormat.TURTLE] == found[ox.RdfFormat.N_TRIPLES] == found[ox.RdfFormat.JSON_LD]
    assert len(found[ox.RdfFormat.TURTLE]) > 50
    document = http.get("/person/wang-yi", headers={"accept": "application/ld+json"}).json()
    assert document["@context"]["label"] == "rdfs:label"  # kb's context (schema/context.jsonld), compacting


def test_a_description_holds_statements_evidence_selectors_and_provenance(http: apikit.Http) -> None:
    wang = URIRef(BASE + "person/wang-yi")
    graph = rdflib.Graph().parse(data=http.get("/person/wang-yi", headers=TURTLE).text, format="turtle")
    assert graph.value(wang, RDFS.label) == rdflib.Literal("Wang Yi")
    assert graph.value(wang, PROV.wasDerivedFrom) is not None  # the person's own evidence
    meetings = set(graph.subjects(SDO.attendee, wang))
    assert meetings
    for meeting in meetings:  # each statement about the person, with its label and its evidence
        assert graph.value(meeting, RDFS.label) is not None
        evidence = set(graph.objects(meeting, PROV.wasDerivedFrom))
        assert evidence
        for node in evidence:
            source = graph.value(node, OA.hasSource)
            assert graph.value(source, RDFS.label) is not None  # a linked node's label
            exact = [graph.value(s, OA.exact) for s in graph.objects(node, OA.hasSelector)]
            assert any(e is not None for e in exact)
    assert (None, KB.text, None) not in graph  # the articles' text stays in the articles' own descriptions


def test_a_named_graph_answers_its_triples(http: apikit.Http) -> None:
    name = next(iri for iri in minted("oxigraph") if iri.startswith(BASE + "graph/"))
    served = ox.parse(http.get(path(name), headers={"accept": "application/n-triples"}).content,
                      format=ox.RdfFormat.N_TRIPLES)
    stored = apikit.snapshot(ROOT, "oxigraph").graph.native.quads_for_pattern(None, None, None, ox.NamedNode(name))
    assert {(t.subject, t.predicate, t.object) for t in served} == {(q.subject, q.predicate, q.object)
                                                                    for q in stored}


def test_a_description_revalidates(http: apikit.Http) -> None:
    tag = http.get("/topic/sanctions", headers=TURTLE).headers["etag"]
    again = http.get("/topic/sanctions", headers={**TURTLE, "if-none-match": tag})
    assert again.status_code == 304 and again.headers["vary"] == "Accept"
    other = http.get("/topic/sanctions", headers={"accept": "application/n-triples", "if-none-match": tag})
    assert other.status_code == 200


@pytest.mark.parametrize("target", [
    "/person/nobody", "/person/wang-yi/nothing", "/evidence/wang-yi/99", "/evidence/wang-yi/1/elsewhere",
    "/graph/nothing", "/post/nothing/x", "/dispute/nothing", "/dispute/nothing/duration", "/person/",
    "/person/%3Cscript%3E", "/person/%22%3E%3C", "/person/wang%20yi", "/person/%2E%2E", "/person/%2E%2E/%2E%2E/etc",
    "/person/Wang-Yi", "/person/wang_yi", "/person/" + "a" * 301, "/evidence/" + "/a" * 40, "/person/%00",
    "/person/wang-yi%0D%0Ax:y", "/person/%F0%9F%98%80",
])
@pytest.mark.parametrize("accept", ["text/turtle", "text/html"])
def test_unknown_and_hostile_ids_are_404(http: apikit.Http, target: str, accept: str) -> None:
    response = http.get(target, headers={"accept": accept})
    assert response.status_code == 404, response.text
    assert "location" not in response.headers


def test_the_vocabulary_resolves(http: apikit.Http) -> None:
    terms = rdflib.Graph().parse(data=http.get("/ns", headers=TURTLE).text, format="turtle")
    assert terms.value(KB.Statement, RDFS.label) is not None
    values = ox.parse(http.get("/ns/value", headers={"accept": "application/n-triples"}).content,
                      format=ox.RdfFormat.N_TRIPLES)
    assert any(t.subject == ox.NamedNode("https://kb.example.org/ns/value#held") for t in values)
    assert http.get("/ns", headers={"accept": "image/png"}).status_code == 406


@cache
def snapshot_under(base: str) -> Snapshot:
    root = apikit.API_FIXTURE
    return from_knowledge_base(pipeline.load(root), Settings(root=root, base_iri=base), kb_version(root))


def test_a_base_iri_with_a_path_puts_the_iris_under_it() -> None:
    base = "http://kb.test/kb/"
    app = create_app(Settings(root=apikit.API_FIXTURE, base_iri=base), snapshot_under(base))
    with apikit.serve(app) as http:
        response = http.get("/kb/person/wang-yi", headers=TURTLE)
        assert response.status_code == 200
        graph = rdflib.Graph().parse(data=response.text, format="turtle")
        assert graph.value(URIRef(base + "person/wang-yi"), RDFS.label) == rdflib.Literal("Wang Yi")
        assert http.get("/kb/person/wang-yi").headers["location"] == "/people/wang-yi"
        assert http.get("/person/wang-yi", headers=TURTLE).status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_kb_serve_mints_iris_that_resolve_on_it(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    command = [KB_CLI, "serve", "--root", str(apikit.API_FIXTURE), "--port", str(port), "--store", "memory",
               "--base-iri", base, "--quiet"]
    log = (tmp_path / "log").open("w+")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONPATH": str(apikit.ROOT)})
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "log").read_text()
                time.sleep(0.2)
        query = "PREFIX schema: <https://schema.org/> SELECT ?p WHERE { ?p a schema:Person } ORDER BY ?p LIMIT 1"
        answer = httpx.get(f"{base}sparql", params={"query": query},
                           headers={"accept": "application/sparql-results+json"})
        iri = answer.json()["results"]["bindings"][0]["p"]["value"]
        assert iri.startswith(base)
        response = httpx.get(iri, headers=TURTLE)  # the IRI itself, as a client would follow it
        assert response.status_code == 200
        graph = rdflib.Graph().parse(data=response.text, format="turtle")
        assert graph.value(URIRef(iri), RDFS.label) is not None
    finally:
        process.terminate()
        process.communicate(timeout=30)
        log.close()
