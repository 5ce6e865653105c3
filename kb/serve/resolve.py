"""IRIs that resolve: every IRI kb mints answers at its path on the server (W3C "Cool URIs for the Semantic Web").

The routes are the paths of the IRIs under the base IRI (``Settings.base_iri``): with the base
``http://127.0.0.1:8000/``, ``http://127.0.0.1:8000/person/wang-yi`` is the route ``/person/wang-yi``; a base with
a path (``…/kb/``) puts them under it (``/kb/person/wang-yi``). What an IRI answers depends on ``Accept``:

    text/html               303 See Other to the page that shows it: its own (``/people/wang-yi``), its fact's
                            (a time node, an attribute version, an attribute dispute), the article at the span
                            (evidence and its selectors: ``/sources/{id}#ev-{start}-{end}``), the organization
                            (an office), the article (a named graph), ``/disputes`` (a record dispute), ``/``
    text/turtle, application/n-triples, application/ld+json (kb's context)
                            200 with its description (kb.graph.describe); a named graph answers its triples

Pages stay where they are (the IRI names the thing, the page is a document about it), so no link changes. Every
answer says ``Vary: Accept``; nothing acceptable is a 406, an IRI kb never minted a 404 (an id made otherwise
than curation ids are never reaches the store). The vocabulary (``kb:``, ``kbv:``: fixed IRIs under
``https://kb.example.org/ns``) answers at ``/ns`` and ``/ns/value`` from ``schema/kb.ttl``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from functools import cache
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import Graph, URIRef
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from kb import contracts, export
from kb.graph import describe
from kb.graph.pool import off_loop
from kb.graph.snapshot import Snapshot
from kb.serve.middleware.pin import pinned
from kb.serve.negotiate import choose, revalidated
from kb.vocab import KB, PREFIXES, RDF, VALUE_IRI, VOCAB_IRI

HTML = "text/html"
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "jsonld"}
OFFERED = (HTML, *RDF_TYPES)
"""In the server's order of preference: a client that takes anything (``*/*``) is sent to the page."""
PAGES = {
    "source": "/sources/{}", "person": "/people/{}", "organization": "/organizations/{}", "place": "/places/{}",
    "topic": "/topics/{}", "meeting": "/meetings/{}", "role": "/roles/{}", "statement": "/statements/{}",
    "sanction": "/sanctions/{}",
}
"""The first segment of an IRI's path under the base -> the page of the record it names (or belongs to)."""
KINDS = (*PAGES, "post", "dispute", "evidence", "graph", "derivation")
SCHEME = "topics"  # Mint.topic_scheme
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]{0,299}\Z")  # ids (kb.model.records.Id: 120 at most), titles' slugs, numbers
MAX_SEGMENTS = 8  # the longest IRI kb mints, an attribute version's selector, has 6

Handler = Callable[[Request], Awaitable[Response]]


def routes(base_iri: str) -> list[Route]:
    """Return the routes answering every IRI minted under ``base_iri`` and the vocabulary's two documents."""
    base_path = urlsplit(base_iri).path or "/"
    base_path = base_path if base_path.endswith("/") else base_path + "/"
    return [*(Route(f"{base_path}{kind}/{{rest:path}}", _resolver(kind), methods=["GET"]) for kind in KINDS),
            Route(f"{base_path}{SCHEME}", _resolver(SCHEME), methods=["GET"]),
            *(Route(urlsplit(iri).path, vocabulary, methods=["GET"]) for iri in (VOCAB_IRI, VALUE_IRI))]


def _resolver(kind: str) -> Handler:
    """Return the handler of the IRIs ``{base}{kind}/…`` (for the topic scheme, of ``{base}topics`` alone)."""

    async def resolve(request: Request) -> Response:
        rest = request.path_params.get("rest")
        key = kind if rest is None else f"{kind}/{rest}"
        segments = key.split("/")
        if len(segments) > MAX_SEGMENTS or not all(_SEGMENT.match(s) for s in segments):
            return _vary(PlainTextResponse(f"kb mints no IRI at {request.url.path!r}", 404))
        chosen = choose(request.headers.get("accept", ""), OFFERED)
        if chosen is None:
            return _not_acceptable()
        current = pinned(request.scope)
        iri = URIRef(current.mint.base + key)
        missing = f"no {kind} {key!r} in this knowledge base"
        if chosen == HTML:
            page = await off_loop(page_of, current, iri, segments)
            if page is None:
                return _vary(PlainTextResponse(missing, 404))
            return _vary(RedirectResponse(request.scope.get("root_path", "") + page, 303))
        fmt = RDF_TYPES[chosen]
        tag = f'"{current.version}-{fmt}"'
        if revalidated(request.headers, tag):
            return _vary(Response(status_code=304, headers={"etag": tag}))
        body = await off_loop(described, current, iri, kind == "graph", fmt)
        if body is None:
            return _vary(PlainTextResponse(missing, 404))
        return _vary(Response(body, headers={"content-type": f"{chosen}; charset=utf-8", "etag": tag}))

    return resolve


def described(snapshot: Snapshot, iri: URIRef, named_graph: bool, fmt: str) -> bytes | None:
    """Return the description of ``iri`` in ``snapshot`` serialised as ``fmt`` (a named graph: its triples), or
    None when kb minted no such IRI. Blocking: runs in the store pool."""
    if named_graph:
        found = describe.contents(describe.lookup(snapshot.graph, str(iri)))
    else:
        found = describe.describe(describe.lookup(snapshot.graph), str(iri))
    return None if found is None else serialized(found, fmt)


def serialized(triples: list[ox.Triple], fmt: str) -> bytes:
    """Return sorted triples as Turtle or N-Triples (written by Oxigraph, in their order), or as JSON-LD
    compacted with kb's context (kb.export, through rdflib)."""
    if fmt == "jsonld":
        graph = Graph(bind_namespaces="none")
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return export.serialize_graph(graph, fmt)
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES,
                        prefixes=PREFIXES if fmt == "turtle" else None)
    assert data is not None  # no output given: Oxigraph returns the bytes
    return bytes(data)


def page_of(snapshot: Snapshot, iri: URIRef, segments: list[str]) -> str | None:
    """Return the path of the page that shows ``iri`` (``segments``: its path under the base, split), or None
    when kb minted no such IRI. Blocking: runs in the store pool."""
    kind = segments[0]
    if kind == "graph":
        found = describe.holds(describe.lookup(snapshot.graph, str(iri)), None)
        return PAGES["source"].format(segments[1]) if found else None
    find = describe.lookup(snapshot.graph)
    if not describe.holds(find, ox.NamedNode(str(iri))):
        return None
    if kind in PAGES:
        return PAGES[kind].format(segments[1])  # a fact's parts are shown on its page
    if kind == "post":
        return PAGES["organization"].format(segments[1])
    if kind == "evidence":
        anchor = describe.evidence_anchor(find, str(iri))
        return None if anchor is None else f"{_page(snapshot, anchor[0])}#ev-{anchor[1]}-{anchor[2]}"
    if kind == "derivation":  # a derived triple is shown on the page of its subject (met: a person's page)
        subject = describe.value(find, str(iri), RDF.subject)
        return "/" if subject is None else _page(snapshot, subject)
    if kind == "dispute" and len(segments) > 2:  # one attribute of one fact: shown on the fact's page
        version = describe.value(find, str(iri), KB.disputedStatement)
        return "/disputes" if version is None else _page(snapshot, version)
    return "/disputes" if kind == "dispute" else "/"


def _page(snapshot: Snapshot, iri: str) -> str:
    try:
        segments = snapshot.mint.key(URIRef(iri)).split("/")
    except ValueError:  # not under the base: no page of kb's
        return "/"
    pattern = PAGES.get(segments[0])
    return pattern.format(segments[1]) if pattern and len(segments) > 1 else "/"


async def vocabulary(request: Request) -> Response:
    """``/ns``, ``/ns/value``: schema/kb.ttl, the vocabulary both namespaces are defined in, by Accept."""
    chosen = choose(request.headers.get("accept", ""), tuple(RDF_TYPES))
    if chosen is None:
        return _not_acceptable(tuple(RDF_TYPES))
    body, tag = await off_loop(_vocabulary, RDF_TYPES[chosen])
    if revalidated(request.headers, tag):
        return _vary(Response(status_code=304, headers={"etag": tag}))
    return _vary(Response(body, headers={"content-type": f"{chosen}; charset=utf-8", "etag": tag}))


@cache
def _vocabulary(fmt: str) -> tuple[bytes, str]:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    graph.parse(contracts.path("kb.ttl"), format="turtle")
    body = export.serialize_graph(graph, fmt)
    return body, f'"vocabulary-{hashlib.sha256(body).hexdigest()[:24]}"'


def _not_acceptable(offered: tuple[str, ...] = OFFERED) -> Response:
    return _vary(PlainTextResponse(f"not acceptable: this IRI answers {', '.join(offered)}", 406))


def _vary(response: Response) -> Response:
    response.headers["vary"] = "Accept"
    return response
