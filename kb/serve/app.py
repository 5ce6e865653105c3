"""The web app: ``create_app(settings) -> Starlette`` serving one knowledge base snapshot.

    /graphql        the GraphQL API (GraphiQL in a browser, unless production)
    /sparql         SPARQL 1.1 Protocol, read-only (kb.serve.sparql.endpoint)
    /health         status, knowledge base version and counts
    /metrics        Prometheus metrics (kb.serve.metrics)
    /export.ttl     the graph as Turtle; /export.nt N-Triples; /export.jsonld JSON-LD
    /reconcile      the reconciliation service (OpenRefine): kb.serve.reconcile, docs/reconcile.md

Every response names the version it was answered from in ``X-KB-Version``: :class:`PinSnapshot` takes the
current snapshot once per request, and every handler answers from that one, so a reload that swaps
``app.state.served`` mid-request never mixes two versions into one answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from kb import export, pages
from kb.api.context import QUERIES_HEADER, Context, make_context
from kb.api.schema import Schema, make_schema
from kb.api.searchindex import Handoff
from kb.api.strawberry_compat import HTTPException  # what Strawberry's views raise to refuse a request
from kb.config import Limits, Settings
from kb.curate import disputes
from kb.errors import PageQueryError
from kb.graph.pool import configure as configure_pool
from kb.graph.snapshot import Snapshot
from kb.serve import reconcile, remote
from kb.serve import served as serving
from kb.serve.background import run_beside
from kb.serve.execution import OnExecutionLoop
from kb.serve.logs import AccessLog
from kb.serve.metrics import Metrics, Observe
from kb.serve.middleware.admission import Admission
from kb.serve.middleware.body_limit import BodyLimit
from kb.serve.middleware.cache import VersionCache
from kb.serve.middleware.open_cors import OpenCORS
from kb.serve.middleware.pin import VERSION_HEADER, InFlight, PinSnapshot, pinned
from kb.serve.probe import LoopLag
from kb.serve.served import Served
from kb.serve.sparql.endpoint import answer
from kb.serve.sparql.guard import SparqlGuard

EXPORTS = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld"}
WARM_PAUSE_SECONDS = 2.0
"""How long a version swapped in by a live edit waits before its pages are warmed (the picture's query takes
seconds of the interpreter at 100k facts; a quick next edit skips this version's warm-up)."""

log = logging.getLogger("kb.serve")


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, answering from the request's pinned snapshot with fresh DataLoaders."""

    schema: Schema  # kb's own schema class (the base view only knows BaseSchema)

    MAX_JSON_DEPTH: ClassVar[int] = 32
    """Lists and objects nested deeper than this in a request's JSON are refused. A GraphQL request nests three
    or four (body, variables, a value); json.loads itself fails on about a thousand (RecursionError), and how
    deep it gets depends on the stack of the moment: this bound is the same for every request."""

    def __init__(self, limits: Limits, production: bool, introspection: bool = True) -> None:
        """``introspection``: answer ``__schema`` and ``__type`` (Settings.answers_introspection)."""
        super().__init__(make_schema(limits, introspection=introspection),
                         graphql_ide=None if production else "graphiql")
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer as Strawberry does, except that a request refused before it runs (not JSON, not a GraphQL
        request, a batch, a wrong method) is answered in JSON like every other answer of /graphql,
        ``{"errors": [{"message": ...}]}``, where Strawberry answers in plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:
            response = JSONResponse({"errors": [{"message": exc.reason}]}, status_code=exc.status_code)
        await response(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> Context:
        return make_context(pinned(request.scope), self.limits, request, response)

    def decode_json(self, data: str | bytes) -> object:
        """Parse the JSON of a request (a POST body; GET's variables and extensions) or refuse it with a 400,
        never a crash: bytes that are not UTF-8 (RFC 8259), text that is not JSON, nesting deeper than
        :attr:`MAX_JSON_DEPTH`, and a value that is neither an object nor a list (Strawberry reads a body with
        ``.get``, which failed on ``null``, ``"x"`` or ``5`` with a 500; it refuses a list as a batch, and GET's
        variables and extensions other than objects)."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"the body is not UTF-8 (at byte {exc.start})") from None
        too_deep = f"the JSON nests lists and objects more than {self.MAX_JSON_DEPTH} deep"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:  # deeper than the stack allowed the parser
            raise HTTPException(400, too_deep) from None
        if self.nested_deeper(value, self.MAX_JSON_DEPTH):
            raise HTTPException(400, too_deep)
        if not isinstance(value, (dict, list)):
            kind = {type(None): "null", bool: "a boolean", str: "a string"}.get(type(value), "a number")
            raise HTTPException(400, f"expected a JSON object, got {kind}")
        return value

    @staticmethod
    def nested_deeper(value: object, limit: int) -> bool:
        """Return True when ``value`` nests lists and dicts more than ``limit`` deep. Walks one level at a time,
        not recursively: a recursive walk would fail where the parser did not."""
        level = [value]
        for _ in range(limit + 1):
            level = [child for item in level if isinstance(item, (dict, list))
                     for child in (item.values() if isinstance(item, dict) else item)]
            if not level:
                return False
        return True


async def health(request: Request) -> Response:
    """Return status, version, store and record counts of the snapshot being served."""
    current = pinned(request.scope)
    counts = {**current.counts, "disputes": await _disputes(current)}
    body = {"status": "ok", "version": current.version, "store": current.backend.name, "counts": counts,
            "load": dataclasses.asdict(admission_of(request.app).stats),
            "event_loop": request.app.state.loop_lag.summary()}
    extra = getattr(request.app.state, "health_extra", None)  # kb.serve.reload: live-reload status and errors
    return JSONResponse(body | extra() if extra is not None else body)


async def _disputes(snapshot: Snapshot) -> int:
    """Return the snapshot's disputes as the graph, the pages and GraphQL count them, asked once a version."""
    found = snapshot.memo.get("health:disputes")
    if not isinstance(found, int):
        found = snapshot.memo["health:disputes"] = await disputes.in_backend(snapshot.backend)
    return found


def admission_of(app: Starlette) -> Admission:
    """Return the app's admission gate (Starlette builds the middleware stack on first use)."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, Admission):
        layer = getattr(layer, "app", None)
    if layer is None:
        raise LookupError("the app has no admission gate")
    return layer


async def sparql(request: Request) -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    return await answer(request, pinned(request.scope))


def export_route(suffix: str, fmt: str) -> Route:
    """Return the route ``/export.{suffix}``: the whole graph as ``fmt``, serialised once per snapshot."""

    async def exported(request: Request) -> Response:
        current = pinned(request.scope)
        body = await current.computed(f"export:{fmt}", lambda: export.serialize(current.graph.dataset, fmt))
        return Response(body, headers={"content-type": f"{export.MEDIA_TYPES[fmt]}; charset=utf-8"})

    return Route(f"/export.{suffix}", exported, methods=["GET"])


def _prepare(app: Starlette, snapshot: Snapshot, pause: float = 0.0) -> None:
    """Start the work done once per version for ``snapshot`` as it starts being served, and return at once: the
    /sparql workers load it, and the pages draw its who-met-whom picture in a thread of their own. The warm-up
    is not a request in flight: a live edit's patch never waits for it (at 100k facts its query takes seconds).
    A picture drawn while a patch landed belongs to ``snapshot`` alone, which no request reads after the patch
    (a patched version is a new snapshot, with a memo of its own)."""
    app.state.sparql_guard.prepare(snapshot)
    app.state.search_index.serve(snapshot)  # the full-text index, built in the store pool (kb.api.searchindex)
    site: pages.Pages = app.state.pages
    served: Served = app.state.served

    async def warm() -> None:
        if pause:  # a live edit: wait for the next one, if it comes quickly, rather than warm each version
            await asyncio.sleep(pause)
        if served.current is not snapshot:
            return  # a newer version came meanwhile: its own warm-up follows
        try:
            await site.warm(snapshot)
        except PageQueryError as exc:
            log.warning("the pages of version %s were not prepared: %s", snapshot.version, exc)
        except RuntimeError as exc:  # the server stopped meanwhile: its picture process is gone
            log.debug("the pages of version %s were not prepared: %s", snapshot.version, exc)

    # A thread and loop of their own, not the execution loop: at 100k facts the pictures' query holds a loop for
    # seconds, and the first requests after a start would wait behind it (docs/performance.md, "The kept store").
    # One version at a time, and only the one served when its turn comes: quick edits do not pile up warm-ups.
    with contextlib.suppress(RuntimeError):  # the server has stopped: nothing to prepare
        app.state.warmer.submit(lambda: asyncio.run(warm()))


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.sparql_guard.warm()
    _prepare(app, app.state.served.current)
    yield
    app.state.warmer.shutdown(wait=False, cancel_futures=True)
    app.state.pages.close()  # the process that draws the pictures
    app.state.sparql_guard.close()  # end the /sparql worker processes with the server
    await remote.close(app.state.served.current.backend)  # the pooled connections to a remote store


def create_app(settings: Settings, snapshot: Snapshot | None = None, limits: Limits | None = None) -> Starlette:
    """Return the app serving ``snapshot`` (built from ``settings.root`` when None) under ``limits``
    (the defaults when None). Raises CurationErrors when the knowledge base does not validate."""
    limits = limits or Limits()
    app: Starlette  # made last: the metrics read it only once requests come
    started = time.perf_counter()
    served = Served(snapshot if snapshot is not None else serving.build(settings))
    build_seconds = time.perf_counter() - started
    metrics = Metrics(served, lambda: admission_of(app).stats, lambda: getattr(app.state, "reloader", None))
    if snapshot is None:
        metrics.build_seconds.set(build_seconds)
    graphql = GraphQLView(limits, settings.production, settings.answers_introspection)
    configure_pool(limits.store_threads)
    gate = Middleware(Admission, executing=limits.max_executing, queued=limits.max_queued,
                      wait_seconds=limits.max_queue_seconds)
    # Outermost first: a body is read whole before the request queues, queues before it counts as in flight on
    # a snapshot, and is in flight before the answer cache looks it up (answers cached per version, ETag/304).
    middleware = [Middleware(PinSnapshot, served=served), Middleware(BodyLimit, max_bytes=limits.max_body_bytes),
                  gate, Middleware(InFlight, served=served), Middleware(VersionCache)]
    if settings.cors_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["content-type"], expose_headers=[VERSION_HEADER, QUERIES_HEADER], max_age=600,
        ))
    # The reconciliation API requires CORS for any origin: outside the app's own CORS, which may allow fewer.
    middleware.insert(0, Middleware(OpenCORS, prefixes=(reconcile.PREFIX,)))
    # Outside everything: refusals (429, 503, 413) are counted, timed and logged like answers.
    middleware[:0] = [Middleware(Observe, metrics=metrics, routes=lambda: app.router.routes), Middleware(AccessLog)]
    site = pages.Pages(graphql.schema, graphql.get_context, context_for=lambda s: make_context(s, limits))
    page_routes = pages.routes_of(site)
    for route in page_routes:
        if isinstance(route, Route):  # GraphQL and templates: the execution loop (static files stay here)
            route.app = OnExecutionLoop(route.app)
    routes = [
        Route("/graphql", OnExecutionLoop(graphql), methods=["GET", "POST"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        *(export_route(suffix, fmt) for suffix, fmt in EXPORTS.items()),
        *reconcile.routes(limits, settings.base_iri),
        *page_routes,
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=_lifespan)
    app.state.served = served
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.limits = limits
    app.state.sparql_guard = SparqlGuard(limits)
    app.state.loop_lag = LoopLag()
    app.state.pages = site
    app.state.search_index = Handoff()
    app.state.warmer = ThreadPoolExecutor(1, thread_name_prefix="kb-warm-pages")
    served.on_swap.append(lambda snapshot: _prepare(app, snapshot, WARM_PAUSE_SECONDS))
    run_beside(app, app.state.loop_lag.run)
    if remote.is_remote(settings.store):
        remote.attach(app, settings)  # serve each version kb publish puts in the store, without a restart
    return app
