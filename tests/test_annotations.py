"""kb/graph/web_annotations.py, kb/serve/web_annotations.py and ``kb export --format annotations``: the evidence as W3C
Web Annotations. Every annotation re-anchors on its article's seed text, the documents parse as JSON-LD (with the
shipped W3C contexts, never fetched) into one oa:Annotation per evidence node of the graph, and the HTTP routes
follow the Web Annotation Protocol."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import rdflib.plugins.shared.jsonld.context as jsonld_context
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kb import contracts
from kb.cli import main
from kb.config import Settings
from kb.graph import web_annotations
from kb.serve.app import create_app
from kb.serve.web_annotations import KEY
from kb.vocab import KB, OA
from tests import apikit, virtuoso
from tests.kbs import BASE, BOTH, MINI, MINT, ROOTS, knowledge_base, memory_store

ANNO = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
AS = "http://www.w3.org/ns/activitystreams#"
HOSTILE_IDS = ["nope", "..%2F..%2Fetc%2Fpasswd", "%00", "%3Cscript%3E", "a%20b", "x'%22", "x" * 5000, "%E2%80%AE",
               "bloomberg-jakarta%3E%20%3Cx", "%F0%9F%98%80", "bloomberg-jakarta%0A"]
# rdflib's own JSON-LD parser calls its deprecated ConjunctiveGraph internally (as in tests/test_export.py).
PARSER_DEPRECATION = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The collection ``kb export --format annotations -o FILE`` writes, for each knowledge base."""
    found = {}
    for which, root in ROOTS.items():
        out = tmp_path_factory.mktemp("annotations") / "annotations.jsonld"
        result = CliRunner().invoke(main, ["export", "--root", str(root), "--format", "annotations", "-q",
                                           "-o", str(out)])
        assert result.exit_code == 0, result.output
        found[which] = json.loads(out.read_text("utf-8"))
    return found


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """rdflib's JSON-LD parser loads remote contexts only from kb's shipped copies: any other IRI fails."""

    def load(source: object, *args: object, **kwargs: object) -> tuple[dict[str, Any], None]:
        return contracts.context_document(str(source)), None

    monkeypatch.setattr(jsonld_context, "source_to_json", load)


def evidence_nodes(which: str) -> set[str]:
    """Return every evidence node of the built graph, found by SPARQL."""
    rows = memory_store(which).query("SELECT DISTINCT ?e WHERE { ?e oa:hasSource ?s ; oa:hasSelector ?x }")
    return {str(row[0]) for row in rows}  # type: ignore[index]


def seed_texts(which: str) -> dict[str, str]:
    """Return each article's seed file, decoded as kb decodes it (no newline translation), by kb IRI."""
    kb = knowledge_base(which)
    return {str(MINT.record("sources", sid)): (ROOTS[which] / "seeds" / source.file).read_bytes().decode("utf-8")
            for sid, source in kb.sources.items()}


def selectors(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    by_type = {s["type"]: s for s in item["target"]["selector"]}
    return by_type["TextQuoteSelector"], by_type["TextPositionSelector"]


# ---------------------------------------------------------------- the collection kb export writes


@BOTH
def test_export_writes_one_collection_holding_every_evidence_span(exported: dict[str, Any], which: str) -> None:
    document = exported[which]
    assert document["@context"][0] == ANNO
    assert document["type"] == "AnnotationCollection" and document["id"] == f"{BASE}annotations"
    first = document["first"]
    assert first["type"] == "AnnotationPage" and first["startIndex"] == 0 and "next" not in first
    assert document["last"] == first["id"]
    items = first["items"]
    assert document["total"] == len(items) == len(evidence_nodes(which)) > 0
    assert {item["target"]["id"] for item in items} == evidence_nodes(which)
    assert {item["id"] for item in items} == {str(MINT.annotation(e)) for e in evidence_nodes(which)}
    assert all(item["type"] == "Annotation" and item["motivation"] == "kb:stating" for item in items)


@BOTH
def test_every_annotation_reanchors_on_its_article_text(exported: dict[str, Any], which: str) -> None:
    texts = seed_texts(which)
    items = exported[which]["first"]["items"]
    for item in items:
        text = texts[item["target"]["source"]]
        quote, position = selectors(item)
        start, end = position["start"], position["end"]
        assert text[start:end] == quote["exact"], item["id"]
        prefix, suffix = quote.get("prefix", ""), quote.get("suffix", "")
        assert prefix == text[max(0, start - 32):start] and suffix == text[end:end + 32], item["id"]
        whole = prefix + quote["exact"] + suffix
        # The quote with its context occurs where the position says. It may occur again: an article that
        # repeats its lede (the mini fixture's does) repeats 32 code points of context too; the position
        # selector, given beside it, tells the two apart, as a client anchoring a quote near a position does.
        found = [i for i in range(len(text)) if text.startswith(whole, i)]
        assert start - len(prefix) in found, item["id"]


@BOTH
def test_bodies_name_every_node_the_span_supports(exported: dict[str, Any], which: str) -> None:
    rows = memory_store(which).query("SELECT ?f ?e WHERE { ?f prov:wasDerivedFrom ?e . ?e oa:hasSource ?s }")
    supported = {(str(row[0]), str(row[1])) for row in rows}  # type: ignore[index]
    named = set()
    for item in exported[which]["first"]["items"]:
        bodies = item.get("body", [])
        texts = [b for b in bodies if b["type"] == "TextualBody"]
        nodes = [b for b in bodies if b["type"] == "SpecificResource"]
        assert len(texts) == len(nodes) and all(t["value"] and t["purpose"] == "describing" for t in texts)
        assert all(n["purpose"] == "identifying" for n in nodes)
        named |= {(n["source"], item["target"]["id"]) for n in nodes}
    assert named == supported


@BOTH
@PARSER_DEPRECATION
def test_collection_parses_as_json_ld_into_one_annotation_per_evidence_node(
        exported: dict[str, Any], which: str, offline: None) -> None:
    graph = Graph().parse(data=json.dumps(exported[which]), format="json-ld", base=BASE)
    found = set(graph.subjects(RDF.type, OA.Annotation))
    assert len(found) == len(evidence_nodes(which))
    targets = {str(graph.value(a, OA.hasTarget)) for a in found}
    assert targets == evidence_nodes(which)
    assert set(graph.objects(None, OA.motivatedBy)) == {KB.stating}
    collection = URIRef(f"{BASE}annotations")
    assert (collection, RDF.type, URIRef(f"{AS}OrderedCollection")) in graph
    assert int(str(graph.value(collection, URIRef(f"{AS}totalItems")))) == len(found)
    page = graph.value(collection, URIRef(f"{AS}first"))
    assert page is not None and (page, RDF.type, URIRef(f"{AS}OrderedCollectionPage")) in graph


@PARSER_DEPRECATION
def test_json_ld_gives_the_graph_own_evidence_triples(exported: dict[str, Any], offline: None) -> None:
    graph = Graph().parse(data=json.dumps(exported["mini"]), format="json-ld", base=BASE)
    reference = memory_store("mini").graph
    for evidence in map(URIRef, evidence_nodes("mini")):
        for predicate in (OA.hasSource, OA.hasSelector):
            assert set(graph.objects(evidence, predicate)) == set(reference.objects(evidence, predicate))
        position, quote = URIRef(f"{evidence}/position"), URIRef(f"{evidence}/quote")
        for node, predicate in ((position, OA.start), (position, OA.end)):
            assert int(str(graph.value(node, predicate))) == int(str(reference.value(node, predicate)))
        assert str(graph.value(quote, OA.exact)) == str(reference.value(quote, OA.exact))


def test_the_documented_annotation_is_the_one_kb_exports(exported: dict[str, Any]) -> None:
    doc = (ROOTS["real"] / "docs" / "annotations.md").read_text("utf-8")
    example = json.loads(re.findall(r"```json\n(.*?)```", doc, re.DOTALL)[0])
    [found] = [item for item in exported["mini"]["first"]["items"] if item["id"] == example["id"]]
    assert found == example


def test_shipped_contexts_serve_http_and_https_and_refuse_others() -> None:
    assert contracts.context_document(ANNO) is contracts.context_document(ANNO.replace("http:", "https:"))
    assert contracts.context_document(ANNO)["@context"]["TextQuoteSelector"] == "oa:TextQuoteSelector"
    assert "BasicContainer" in contracts.context_document("http://www.w3.org/ns/ldp.jsonld")["@context"]
    with pytest.raises(LookupError):
        contracts.context_document("http://example.org/context.jsonld")


def test_kb_stating_is_a_motivation_narrower_than_describing() -> None:
    vocabulary = Graph().parse(contracts.path("kb.ttl"))
    assert (KB.stating, RDF.type, OA.Motivation) in vocabulary
    assert (KB.stating, SKOS.broader, OA.describing) in vocabulary
    assert vocabulary.value(KB.stating, SKOS.prefLabel) == Literal("stating")


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(params=["oxigraph", "rdflib"])
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(MINI, request.param)) as client:
        yield client


def test_an_article_collection_is_an_annotation_container(http: apikit.Http) -> None:
    response = http.get("/sources/cnn-jakarta/annotations")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["vary"] == "Accept" and response.headers["etag"]
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in response.headers["link"]
    assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in response.headers["link"]
    document = response.json()
    assert document["@context"][:2] == [ANNO, "http://www.w3.org/ns/ldp.jsonld"]
    assert document["type"] == ["BasicContainer", "AnnotationCollection"]
    assert document["id"] == "http://kb.test/sources/cnn-jakarta/annotations"
    source = f"{BASE}source/cnn-jakarta"
    expected = {e for e in evidence_nodes("mini") if str(memory_store("mini").graph.value(
        URIRef(e), OA.hasSource)) == source}
    items = document["first"]["items"]
    assert document["total"] == len(items) == len(expected) > 0
    assert {item["target"]["id"] for item in items} == expected
    url = "https://edition.cnn.com/2023/07/13/politics/blinken-wang-yi-meeting/index.html"
    assert {item["target"]["scope"] for item in items} == {url}
    assert http.get("/sources/cnn-jakarta/annotations", headers={"if-none-match": response.headers["etag"]}
                    ).status_code == 304
    head = http.request("HEAD", "/sources/cnn-jakarta/annotations")
    assert head.status_code == 200 and head.headers["content-type"] == MEDIA_TYPE and head.content == b""


def test_pages_walk_the_whole_collection_in_order(http: apikit.Http, exported: dict[str, Any],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_annotations, "PAGE_SIZE", 5)
    container = http.get("/annotations").json()
    total = container["total"]
    assert container["last"] == f"http://kb.test/annotations?page={-(-total // 5) - 1}"
    items: list[dict[str, Any]] = []
    url: str | None = container["first"]["id"]
    previous = None
    while url is not None:
        response = http.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == MEDIA_TYPE
        page = response.json()
        assert page["type"] == "AnnotationPage" and page["id"] == url and page["startIndex"] == len(items)
        assert page["partOf"] == {"id": "http://kb.test/annotations", "label": "Evidence in kb", "total": total}
        assert page.get("prev") == previous
        assert 0 < len(page["items"]) <= 5
        items += page["items"]
        previous, url = url, page.get("next")
    assert previous == container["last"]
    assert items == exported["mini"]["first"]["items"]
    assert items[:5] == container["first"]["items"]


@pytest.mark.parametrize("source_id", HOSTILE_IDS)
def test_unknown_or_hostile_source_ids_are_404(http: apikit.Http, source_id: str) -> None:
    response = http.get(f"/sources/{source_id}/annotations")
    assert response.status_code == 404
    if "/" not in urllib.parse.unquote(source_id):  # else no route matches: the router's own 404
        assert "no article" in response.json()["error"]


@pytest.mark.parametrize(("query", "status"), [
    ("page=-1", 400), ("page=abc", 400), ("page=1.5", 400), ("page=%D9%A1", 400), ("page=1&page=2", 400),
    ("page=99999999999999999999", 400), ("page=", 400), ("page=3", 404), ("page=0", 200),
])
def test_page_parameter_is_checked(http: apikit.Http, query: str, status: int) -> None:
    response = http.get(f"/sources/geo-jakarta/annotations?{query}")
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]


def test_annotations_are_read_once_per_version(http: apikit.Http) -> None:
    http.get("/annotations")
    snapshot = http.app.state.served.current
    first = snapshot.ready(KEY)
    http.get("/sources/bloomberg-jakarta/annotations?page=0")
    assert first is not None and snapshot.ready(KEY) is first


def test_a_remote_store_serves_the_annotations_kb_exports(virtuoso_server: object,
                                                          exported: dict[str, Any]) -> None:
    published = virtuoso.published_snapshot(virtuoso_server, MINI)  # type: ignore[arg-type]
    with apikit.serve(create_app(Settings(root=MINI, store="sparql"), published)) as client:
        container = client.get("/annotations").json()
        article = client.get("/sources/bloomberg-jakarta/annotations?page=0").json()
    assert container["first"]["items"] == exported["mini"]["first"]["items"]
    assert article["items"] == [item for item in exported["mini"]["first"]["items"]
                                if item["target"]["source"] == f"{BASE}source/bloomberg-jakarta"]


def test_every_annotation_iri_and_the_article_collection_iri_resolve(http: apikit.Http,
                                                                     exported: dict[str, Any]) -> None:
    items = exported["mini"]["first"]["items"]
    assert items
    for item in items:
        path = urllib.parse.urlsplit(item["id"]).path
        response = http.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == MEDIA_TYPE
        assert {k: v for k, v in response.json().items() if k != "@context"} == item
    assert http.get(urllib.parse.urlsplit(items[0]["id"]).path + "x").status_code == 404
    assert http.get("/annotation/%3C%22%3E").status_code == 404
    collection = http.get(urllib.parse.urlsplit(f"{BASE}source/cnn-jakarta/annotations").path)
    assert collection.status_code == 200 and collection.json()["total"] > 0
