"""The files a client downloads at stable URLs: the whole graph in every export format, the JSON-LD context and the
GraphQL schema.

    /export.ttl  .nt  .jsonld   the default graph (every triple): Turtle, N-Triples, JSON-LD (kb's context)
    /export.trig  .nq           the same plus each article's named graph: TriG, N-Quads
    /context.jsonld             schema/context.jsonld, the context every JSON-LD answer uses
    /schema.graphql             the GraphQL schema of /graphql as SDL, printed from the served schema

An export is serialised once per version on first use, in the store pool, and shared by every request that asks
meanwhile (:meth:`Snapshot.computed`); its gzip coding is made once the same way, so no request compresses.
Every answer carries a strong ``ETag`` (the version and format for an export, a digest of the bytes
otherwise) and answers ``If-None-Match`` with 304 before anything is computed. An export is named
``kb-<version>.<suffix>`` by ``Content-Disposition``, so a saved file says which version it holds.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kb import contracts, export
from kb.graph.snapshot import Snapshot
from kb.serve.middleware.pin import pinned
from kb.serve.negotiate import accepts_gzip, revalidated

EXPORTS = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld", "trig": "trig", "nq": "nquads"}
"""The suffix of ``/export.{suffix}`` -> the format of kb.export."""
GZIP_LEVEL = 6
"""zlib's default: done once per version, so the smaller file is worth the time (docs/linked-data.md)."""


def routes(schema_sdl: str) -> list[Route]:
    """Return the routes of the exports, ``/context.jsonld`` and ``/schema.graphql`` (``schema_sdl``: the SDL of
    the served GraphQL schema)."""
    sdl = schema_sdl.encode("utf-8")
    sdl_tag = _digest_tag(sdl)
    context_body = contracts.path("context.jsonld").read_bytes()  # read once, as the app is made
    context_tag = _digest_tag(context_body)

    async def schema(request: Request) -> Response:
        return _answer(request, sdl, "text/plain; charset=utf-8", sdl_tag)

    async def context(request: Request) -> Response:
        answer = _answer(request, context_body, "application/ld+json", context_tag)
        answer.headers["access-control-allow-origin"] = "*"  # JSON-LD processors in browsers fetch it from anywhere
        return answer

    return [*(Route(f"/export.{suffix}", _export(suffix, fmt), methods=["GET"]) for suffix, fmt in EXPORTS.items()),
            Route("/context.jsonld", context, methods=["GET"]),
            Route("/schema.graphql", schema, methods=["GET"])]


def _export(suffix: str, fmt: str) -> Callable[[Request], Awaitable[Response]]:
    async def exported(request: Request) -> Response:
        current = pinned(request.scope)
        coded = accepts_gzip(request.headers)
        tag = f'"{current.version}-{suffix}{"-gzip" if coded else ""}"'
        headers = {"etag": tag, "vary": "accept-encoding",
                   "content-disposition": f'attachment; filename="kb-{current.version}.{suffix}"'}
        if revalidated(request.headers, tag):
            return Response(status_code=304, headers=headers)
        body = await exported_bytes(current, fmt, coded)
        if coded:
            headers["content-encoding"] = "gzip"
        return Response(body, headers={**headers, "content-type": f"{export.MEDIA_TYPES[fmt]}; charset=utf-8"})

    return exported


async def exported_bytes(snapshot: Snapshot, fmt: str, coded: bool = False) -> bytes:
    """Return the export of ``snapshot`` as ``fmt`` (gzip-coded when ``coded``), made once per version in the
    pool. Raises ExportError for an unknown format."""
    body = await snapshot.computed(f"export:{fmt}", lambda: export.serialize(snapshot.graph.dataset, fmt))
    if not coded:
        return body
    return await snapshot.computed(f"export:{fmt}:gzip", lambda: gzip.compress(body, GZIP_LEVEL, mtime=0))


def _answer(request: Request, body: bytes, media_type: str, tag: str) -> Response:
    if revalidated(request.headers, tag):
        return Response(status_code=304, headers={"etag": tag})
    return Response(body, headers={"etag": tag, "content-type": media_type})


def _digest_tag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'
