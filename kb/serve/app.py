"""The web app: ``create_app(settings) -> Starlette`` serving one knowledge base snapshot.

    /graphql        the GraphQL API (GraphiQL in a browser, unless production: kb.serve.editors)
    /sparql         SPARQL 1.1 Protocol, read-only (kb.serve.sparql.endpoint); YASGUI in a browser
    /health         status, knowledge base version and counts
    /metrics        Prometheus metrics (kb.serve.metrics)
    /export.ttl     the graph as Turtle; .nt, .jsonld, .trig, .nq; /context.jsonld, /schema.graphql
                    (kb.serve.downloads)
    /person/{id}…   every IRI kb mints, by content negotiation (kb.serve.resolve; docs/linked-data.md)
    /annotations    the evidence as W3C Web Annotations; /sources/{id}/annotations one article's (web_annotations)
    /reconcile      the reconciliation service (OpenRefine): kb.serve.reconcile, docs/reconcile.md

Every response names the version it was answered from in ``X-KB-Version``: :class:`PinSnapshot` takes the
current snapshot once per request, and every handler answers from that one, so a reload that swaps
``app.state.served`` mid-request never mixes two versions into one answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kb import pages
from kb.api.context import QUERIES_HEADER, make_context
from kb.api.searchindex import Handoff
from kb.config import Limits, Settings
from kb.curate import disputes
from kb.errors import PageQueryError
from kb.graph.pool import configure as configure_pool
from kb.graph.snapshot import Snapshot
from kb.serve import downloads, editors, reconcile, remote, resolve
from kb.serve import served as serving
from kb.serve.background import run_beside
from kb.serve.execution import OnExecutionLoop
from kb.serve.graphql import GraphQLView
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
from kb.serve.web_annotations import routes as annotation_routes

WARM_PAUSE_SECONDS = 2.0
"""How long a version swapped in by a live edit waits before its pages are warmed (the picture's query takes
seconds of the interpreter at 100k facts; a quick next edit skips this version's warm-up)."""

log = logging.getLogger("kb.serve")


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
    """Answer a SPARQL 1.1 Protocol request; give a browser opening /sparql the editor."""
    if editors.wants_editor(request):
        return editors.sparql_editor(request)
    return await answer(request, pinned(request.scope))


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
    editors.versions()  # the editors' files hashed now, not by the first request for a page
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
        *downloads.routes(str(graphql.schema) + "\n"),
        *annotation_routes(settings.base_iri),  # before resolve's: an article's collection is under source/
        *resolve.routes(settings.base_iri),
        *editors.routes(),  # /static/editors/, before the pages' /static
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
