"""The web app: ``create_app(settings) -> Starlette`` serving one knowledge base snapshot.

    /graphql        the GraphQL API (GraphiQL in a browser, unless production)
    /sparql         SPARQL 1.1 Protocol, read-only (kb.serve.sparql.endpoint)
    /health         status, knowledge base version and counts
    /export.ttl     the graph as Turtle; /export.nt N-Triples; /export.jsonld JSON-LD

Every response names the version it was answered from in ``X-KB-Version``: :class:`PinSnapshot` takes the
current snapshot once per request, and every handler answers from that one, so a reload that swaps
``app.state.served`` mid-request never mixes two versions into one answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from kb import export, pages
from kb.api.context import QUERIES_HEADER, Context, make_context
from kb.api.schema import Schema, make_schema
from kb.config import Limits, Settings
from kb.graph.snapshot import Snapshot
from kb.serve import remote
from kb.serve import served as serving
from kb.serve.middleware.body_limit import BodyLimit
from kb.serve.middleware.cache import VersionCache
from kb.serve.middleware.pin import VERSION_HEADER, PinSnapshot, pinned
from kb.serve.served import Served
from kb.serve.sparql.endpoint import answer
from kb.serve.sparql.guard import SparqlGuard

EXPORTS = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld"}


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, answering from the request's pinned snapshot with fresh DataLoaders."""

    schema: Schema  # kb's own schema class (the base view only knows BaseSchema)

    def __init__(self, limits: Limits, production: bool) -> None:
        super().__init__(make_schema(limits), graphql_ide=None if production else "graphiql")
        self.limits = limits

    async def get_context(self, request: Any, response: Any) -> Context:
        return make_context(pinned(request.scope), self.limits, request, response)

    def decode_json(self, data: str | bytes) -> object:
        """Parse a request body as JSON, which is UTF-8 (RFC 8259): other bytes are a 400, never a crash."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None
        return json.loads(text)


async def health(request: Request) -> Response:
    """Return status, version, store and record counts of the snapshot being served."""
    current = pinned(request.scope)
    body = {"status": "ok", "version": current.version, "store": current.backend.name, "counts": current.counts}
    extra = getattr(request.app.state, "health_extra", None)  # kb.serve.reload: live-reload status and errors
    return JSONResponse(body | extra() if extra is not None else body)


async def sparql(request: Request) -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    return await answer(request, pinned(request.scope))


def export_route(suffix: str, fmt: str) -> Route:
    """Return the route ``/export.{suffix}``: the whole graph as ``fmt``, serialised once per snapshot."""

    async def exported(request: Request) -> Response:
        current = pinned(request.scope)
        body = current.cached(f"export:{fmt}", lambda: export.serialize(current.graph.dataset, fmt))
        return Response(body, headers={"content-type": f"{export.MEDIA_TYPES[fmt]}; charset=utf-8"})

    return Route(f"/export.{suffix}", exported, methods=["GET"])


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.sparql_guard.warm()
    yield
    app.state.sparql_guard.close()  # end the /sparql worker processes with the server
    await remote.close(app.state.served.current.backend)  # the pooled connections to a remote store


def create_app(settings: Settings, snapshot: Snapshot | None = None, limits: Limits | None = None) -> Starlette:
    """Return the app serving ``snapshot`` (built from ``settings.root`` when None) under ``limits``
    (the defaults when None). Raises CurationErrors when the knowledge base does not validate."""
    limits = limits or Limits()
    served = Served(snapshot if snapshot is not None else serving.build(settings))
    graphql = GraphQLView(limits, settings.production)
    middleware = [Middleware(PinSnapshot, served=served), Middleware(BodyLimit, max_bytes=limits.max_body_bytes),
                  Middleware(VersionCache)]  # answers cached per version, ETag/304 (kb.serve.middleware.cache)
    if settings.cors_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["content-type"], expose_headers=[VERSION_HEADER, QUERIES_HEADER], max_age=600,
        ))
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        *(export_route(suffix, fmt) for suffix, fmt in EXPORTS.items()),
        *pages.routes(graphql.schema, graphql.get_context),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=_lifespan)
    app.state.served = served
    app.state.settings = settings
    app.state.limits = limits
    app.state.sparql_guard = SparqlGuard(limits)
    if remote.is_remote(settings.store):
        remote.attach(app, settings)  # serve each version kb publish puts in the store, without a restart
    return app
