"""The evidence as W3C Web Annotations over HTTP, read-only, as the Web Annotation Protocol serves them:

    /annotations                    every annotation of the knowledge base: an Annotation Container
    /sources/{id}/annotations       one article's annotations (404 for an article kb does not hold); also at the
                                    collection's IRI path, /source/{id}/annotations under the base IRI's path
    ... ?page=N                     page N (from 0) of either: an AnnotationPage of kb.graph.web_annotations.PAGE_SIZE
    /annotation/{key}               one annotation, at the path of the IRI kb mints for it (Mint.annotation)

A container embeds its first page and names its last; a page names the pages beside it (``prev``, ``next``)
and the container it is part of. Every answer is JSON-LD with the anno.jsonld profile, says ``Vary: Accept``
and carries an ETag of its version; a container also says it is an LDP Basic Container constrained by the
protocol (``Link``). The spans are read from the graph once per served version, in the store pool
(``Snapshot.computed``); each answer is rendered in the pool too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kb.graph import web_annotations
from kb.graph.pool import off_loop
from kb.graph.snapshot import Snapshot
from kb.graph.web_annotations import Annotations, Span
from kb.serve.middleware.pin import pinned
from kb.serve.negotiate import revalidated
from kb.vocab import Mint

KEY = "annotations"
CONTAINER_LINKS = ('<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
                   '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"')
PAGE_LINKS = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
MAX_PAGE_DIGITS = 9


def routes(base_iri: str) -> list[Route]:
    """Return the routes of the whole knowledge base's annotations, of one article's, and of each annotation
    at its IRI's path under ``base_iri`` (so the IRIs an annotation client is given resolve)."""
    base_path = urlsplit(base_iri).path.rstrip("/") + "/"
    found = [Route("/annotations", whole, methods=["GET"]),
             Route("/sources/{id}/annotations", article, methods=["GET"]),
             Route(f"{base_path}{Mint.KIND_PATHS['sources']}/{{id}}/annotations", article, methods=["GET"]),
             Route(f"{base_path}annotation/{{key:path}}", one, methods=["GET"])]
    if base_path != "/":
        found.append(Route(f"{base_path}annotations", whole, methods=["GET"]))
    return found


async def read(snapshot: Snapshot) -> Annotations:
    """Return the annotations of ``snapshot``, read once for its version in the store pool: natively from an
    Oxigraph store held here, else through its backend (on a loop of the pool thread's own). Raises QueryError
    when the engine refuses a query."""
    native = snapshot.graph.native

    def make() -> Annotations:
        if native is not None:
            return web_annotations.read_native(native)
        return asyncio.run(web_annotations.read(snapshot.backend))

    return await snapshot.computed(KEY, make)


async def whole(request: Request) -> Response:
    """``/annotations``: every annotation of the knowledge base, as a container or one of its pages."""
    current = pinned(request.scope)
    found = await read(current)
    return await _answer(request, current, found, found.spans, "Evidence in kb")


async def article(request: Request) -> Response:
    """``/sources/{id}/annotations``: one article's annotations; 404 when kb holds no article ``id``."""
    current = pinned(request.scope)
    source_id = request.path_params["id"]
    found = await read(current)
    # a plain string, not Mint.record: an id from the URL is never made an IRI, nor kept in Mint's cache
    source = f"{current.mint.base}{Mint.KIND_PATHS['sources']}/{source_id}"
    known = found.articles.get(source)
    if known is None:
        return JSONResponse({"error": f"no article {source_id!r}"}, status_code=404)
    spans = found.by_source.get(source, ())
    return await _answer(request, current, found, spans, web_annotations.article_label(known, source))


async def one(request: Request) -> Response:
    """``/annotation/{key}``: the annotation of the evidence ``{base}evidence/{key}``; 404 when there is none."""
    current = pinned(request.scope)
    found = await read(current)
    evidence = f"{current.mint.base}evidence/{request.path_params['key']}"
    span = found.by_evidence.get(evidence)
    if span is None:
        return JSONResponse({"error": f"no annotation {request.path_params['key'][:200]!r}"}, status_code=404)
    headers = _headers(current, evidence, PAGE_LINKS)
    unchanged = _unchanged(request, headers)
    if unchanged is not None:
        return unchanged
    document = {"@context": [web_annotations.ANNO_CONTEXT, web_annotations.LOCAL_CONTEXT],
                **web_annotations.annotation(span, found.articles.get(span.source), current.mint)}
    return Response(json.dumps(document, ensure_ascii=False).encode("utf-8"), headers=headers)


def _headers(snapshot: Snapshot, key: str, link: str) -> dict[str, str]:
    """Return the headers of an answer about ``key`` (its URL, or an evidence IRI): its ETag names ``snapshot``'s
    version and the key."""
    etag = f'"{snapshot.version}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"'
    return {"content-type": web_annotations.MEDIA_TYPE, "vary": "Accept", "allow": "GET, HEAD", "etag": etag,
            "link": link}


def _unchanged(request: Request, headers: dict[str, str]) -> Response | None:
    """Return a 304 when the request's ``If-None-Match`` names the answer's ETag (as every route of kb reads it:
    :func:`kb.serve.negotiate.revalidated`), else None."""
    if revalidated(request.headers, headers["etag"]):
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "content-type"})
    return None


def _page_number(request: Request) -> int | None | str:
    """Return the page asked for (None: the container), or why the ``page`` parameter is refused."""
    values = request.query_params.getlist("page")
    if not values:
        return None
    if len(values) > 1:
        return "give page once"
    value = values[0]
    if not value.isascii() or not value.isdigit() or len(value) > MAX_PAGE_DIGITS:
        return f"page must be a whole number from 0, not {value[:40]!r}"
    return int(value)


async def _answer(request: Request, snapshot: Snapshot, found: Annotations, spans: Sequence[Span],
                  label: str) -> Response:
    number = _page_number(request)
    if isinstance(number, str):
        return JSONResponse({"error": number}, status_code=400)
    count = web_annotations.pages(len(spans), web_annotations.PAGE_SIZE)
    if number is not None and number >= count:
        return JSONResponse({"error": f"page {number} does not exist: this collection has {count} page(s), "
                                      "numbered from 0"}, status_code=404)
    headers = _headers(snapshot, str(request.url), CONTAINER_LINKS if number is None else PAGE_LINKS)
    unchanged = _unchanged(request, headers)
    if unchanged is not None:
        return unchanged
    collection_id = str(request.url.replace(query=""))
    body = await off_loop(_render, found, spans, number, collection_id, label, snapshot.mint)
    return Response(body, headers=headers)


def _render(found: Annotations, spans: Sequence[Span], number: int | None, collection_id: str, label: str,
            mint: Mint) -> bytes:
    size = web_annotations.PAGE_SIZE  # read at each answer, not bound once as a default argument would be
    if number is None:
        document = web_annotations.collection(found, spans, collection_id, label, mint, size)
    else:
        document = web_annotations.page(found, spans, number, collection_id, label, mint, size)
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
