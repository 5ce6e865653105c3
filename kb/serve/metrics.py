"""``/metrics``: what the server has done and holds, in the Prometheus text format (docs/operations.md).

Each app has a registry of its own (tests and benchmarks create many apps in one process; the global registry
would refuse the second). :class:`Observe`, the outermost middleware, counts every request by route template
(``/person/{id}``, never the raw path: one series per route, whatever the clients ask) and status, and times
it; the answer cache's ``X-KB-Cache`` header tells hits from misses. What other parts hold already (the
admission gate's counts, the served version, the reloader's status) is read when Prometheus scrapes, by
:class:`_State`, so nothing is counted twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.serve.middleware.admission import AdmissionStats
from kb.serve.served import Served

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SPARQL_REFUSALS = {429: "busy", 503: "timeout", 500: "worker_lost", 400: "refused"}
"""What a /sparql refusal's status means (kb.serve.sparql.guard); a worker lost is, nearly always, one ended by
its memory cap."""
UNMATCHED = "<unmatched>"


class Metrics:
    """The app's registry and the series kb counts itself."""

    def __init__(self, served: Served, admission: Callable[[], AdmissionStats],
                 reloader: Callable[[], Any]) -> None:
        """``admission`` and ``reloader`` return, at scrape time, the gate's counts and the app's Reloader (or
        None): both exist only once the app runs or is made live."""
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter("kb_http_requests", "HTTP requests answered, by route template, method and status",
                                ["route", "method", "status"], registry=registry)
        self.latency = Histogram("kb_http_request_duration_seconds", "Time from request to the end of its answer",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=registry)
        self.cache = Counter("kb_answer_cache", "Answer cache look-ups of /graphql and /sparql, by result",
                             ["result"], registry=registry)
        self.sparql_refused = Counter("kb_sparql_refused", "/sparql queries refused by the guard, by reason "
                                      "(timeout, worker_lost: its memory cap, busy, refused)", ["reason"],
                                      registry=registry)
        self.build_seconds = Gauge("kb_build_seconds", "Seconds the served version took to read and build "
                                   "(at startup; kb_reload_* for reloads)", registry=registry)
        self.served_since = time.time()
        served.on_swap.append(self._swapped)
        registry.register(_State(served, self, admission, reloader))

    def _swapped(self, snapshot: object) -> None:
        self.served_since = time.time()

    def refused(self, status: int) -> None:
        """Count a /sparql refusal of HTTP ``status``."""
        self.sparql_refused.labels(SPARQL_REFUSALS.get(status, str(status))).inc()

    async def endpoint(self, request: Request) -> Response:
        """Answer ``/metrics``: no snapshot, no queue (exempt from admission), nothing but the registry."""
        return Response(generate_latest(self.registry), headers={"content-type": CONTENT_TYPE_LATEST})


class _State(Collector):
    """Read, at each scrape, what the gate, the served slot and the reloader hold."""

    def __init__(self, served: Served, metrics: Metrics, admission: Callable[[], AdmissionStats],
                 reloader: Callable[[], Any]) -> None:
        self.served = served
        self.metrics = metrics
        self.admission = admission
        self.reloader = reloader

    def collect(self) -> Iterator[Metric]:
        stats = self.admission()
        yield GaugeMetricFamily("kb_requests_executing", "Requests admitted and executing now", stats.executing)
        yield GaugeMetricFamily("kb_requests_queued", "Requests waiting for a place to execute", stats.queued)
        yield CounterMetricFamily("kb_requests_admitted", "Requests admitted by the gate", stats.admitted)
        refused = CounterMetricFamily("kb_requests_refused", "Requests refused by the admission gate: full (429, "
                                      "the queue full) or waited (503, no place in time)", labels=["reason"])
        refused.add_metric(["full"], stats.refused_full)
        refused.add_metric(["waited"], stats.refused_waited)
        yield refused
        version = GaugeMetricFamily("kb_served_version_info", "The knowledge base version being served",
                                    labels=["version"])
        version.add_metric([self.served.current.version], 1)
        yield version
        yield GaugeMetricFamily("kb_served_version_age_seconds", "Seconds since the served version was swapped in",
                                time.time() - self.metrics.served_since)
        reloader = self.reloader()
        if reloader is not None:
            yield CounterMetricFamily("kb_reload_successes", "Edits served by live reload", reloader.status.reloads)
            yield CounterMetricFamily("kb_reload_failures", "Edits refused by live reload (the last good version "
                                      "stays)", reloader.failures)
            yield GaugeMetricFamily("kb_reload_stale", "1 while a broken edit waits (/health says stale)",
                                    0 if reloader.status.ok else 1)
            if reloader.status.last_build_seconds is not None:
                yield GaugeMetricFamily("kb_reload_build_seconds", "Seconds the last reload took to build",
                                        reloader.status.last_build_seconds)


class Observe:
    """ASGI middleware, outermost: counts and times every HTTP request into :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Callable[[], list[BaseRoute]]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before it answers

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                cached = dict(message.get("headers", [])).get(b"x-kb-cache")
                if cached in (b"hit", b"miss"):
                    self.metrics.cache.labels(cached.decode()).inc()
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = template(self.routes(), scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


def template(routes: list[BaseRoute], scope: Scope) -> str:
    """Return the path template of the route answering ``scope`` (a Mount's prefix), or ``<unmatched>``."""
    partial = None  # the path matches, the method does not (405)
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED)) or UNMATCHED
        if match is Match.PARTIAL and partial is None:
            partial = route
    return str(getattr(partial, "path", UNMATCHED)) or UNMATCHED
