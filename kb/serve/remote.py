"""A remote SPARQL 1.1 endpoint as kb's backend: ``kb serve --store sparql+http://host:8890/sparql``.

The API replica holds no graph: every query goes over HTTP (SPARQL 1.1 Protocol, POST form) to an engine that
``kb publish`` loaded. ``kb publish`` writes the knowledge base's default graph into a graph named after its
version and describes it in the catalogue graph ``{base}graph`` (VoID, see :mod:`kb.publish.gsp`); a remote
snapshot reads that catalogue once, then asks every query with ``default-graph-uri`` set to that version's
graph, so what a replica serves is exactly one published version, named in ``X-KB-Version``.

Engines differ in how they write some literals back. Virtuoso, tested here, returns ``xsd:duration`` as a
number of seconds (``"5400.0"`` for ``PT1H30M``), ``xsd:boolean`` as ``1``/``0`` and typed literals as the
2008 ``typed-literal``; :func:`normalise` turns each into the canonical form Oxigraph gives, so every backend
answers with identical terms.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import httpx
from rdflib import Dataset
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from kb.config import Settings
from kb.errors import QueryError, RemoteError
from kb.graph.query import (
    PROLOGUE,
    Answer,
    GraphFormat,
    ResultFormat,
    Table,
    Term,
    iri,
    table_from_json,
)
from kb.graph.snapshot import Snapshot
from kb.graph.store import GraphStore
from kb.graph.terms import to_json
from kb.model.records import KINDS
from kb.publish.catalogue import CATALOGUE_QUERY, catalogue_iri
from kb.serve.background import run_beside
from kb.vocab import XSD_IRI, Mint

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from kb.serve.served import Served

log = logging.getLogger("kb.serve.remote")

SCHEME = "sparql+"
TIMEOUT = httpx.Timeout(60.0, connect=5.0)
JSON_RESULTS = "application/sparql-results+json"


def is_remote(store: str) -> bool:
    """Return whether a ``--store`` value names a remote endpoint (``sparql+http://…`` or ``sparql+https://…``)."""
    return store.startswith((SCHEME + "http://", SCHEME + "https://"))


def endpoint_url(store: str) -> str:
    """Return the HTTP URL of a ``sparql+http(s)://…`` store value. Raises RemoteError for anything else."""
    if not is_remote(store):
        raise RemoteError(f"not a remote store: {store!r}; write sparql+http://host:port/sparql")
    return store[len(SCHEME):]


def canonical_duration(seconds: Decimal) -> str:
    """Return the canonical ``xsd:duration`` (as Oxigraph writes it) of a day-time duration in seconds."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    clock = "".join(f"{int(n)}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if secs:
        clock += f"{secs.normalize():f}S"
    if not date and not clock:
        return "PT0S"
    return f"{sign}P{date}" + (f"T{clock}" if clock else "")


def normalise(term: Term) -> Term:
    """Return ``term`` in the lexical form Oxigraph gives for the same value (see the module docstring)."""
    if term.kind != "literal" or term.datatype is None or not term.datatype.startswith(XSD_IRI):
        return term
    kind = term.datatype[len(XSD_IRI):]
    if kind == "duration" and not term.value.lstrip("-").startswith("P"):
        try:
            return replace(term, value=canonical_duration(Decimal(term.value)))
        except InvalidOperation:
            return term
    if kind == "boolean" and term.value in {"1", "0"}:
        return replace(term, value="true" if term.value == "1" else "false")
    return term


def table_to_json(table: Table) -> bytes:
    """Return a Table as SPARQL 1.1 Query Results JSON."""
    bindings = [{name: to_json(term.value, term.kind, term.datatype, term.lang) for name, term in row.items()}
                for row in table.rows]
    document = {"head": {"vars": list(table.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False).encode()


class RemoteBackend:
    """SPARQL answered by a remote SPARQL 1.1 Protocol endpoint, on one graph (``default-graph-uri``).

    Queries share one pooled ``httpx.AsyncClient`` per event loop (HTTP keep-alive: a new TCP connection a
    query costs more than most queries, docs/performance.md). A client belongs to the loop it was made on, so each
    loop gets its own, made on first use; :meth:`aclose` closes them (kb.serve.app does on shutdown), and a loop
    that ends without it (a test's ``asyncio.run``) closes its client as it shuts down (:func:`_closed_at_shutdown`).
    """

    name = "sparql"

    def __init__(self, url: str, graph: str | None = None, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.url = url
        self.graph = graph
        self.timeout = timeout
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pooled] = weakref.WeakKeyDictionary()
        # Queries also run on kb.serve.execution's loop, which never ends: its client is closed with the backend.
        weakref.finalize(self, _close_elsewhere, self._clients)

    def _form(self, sparql: str) -> dict[str, str]:
        form = {"query": sparql}
        if self.graph is not None:
            form["default-graph-uri"] = self.graph
        return form

    async def _client(self) -> httpx.AsyncClient:
        """Return the running loop's pooled client, made (and its closing arranged) on first use."""
        loop = asyncio.get_running_loop()
        pooled = self._clients.get(loop)
        if pooled is None or pooled.client.is_closed:
            client = httpx.AsyncClient(timeout=self.timeout)
            pooled = self._clients[loop] = _Pooled(client, _closed_at_shutdown(client))
            await anext(pooled.closer)  # started, so the loop knows it (sys.set_asyncgen_hooks)
        return pooled.client

    async def aclose(self) -> None:
        """Close the pooled clients of every loop (the next query makes a new one)."""
        here = asyncio.get_running_loop()
        for loop, pooled in list(self._clients.items()):
            del self._clients[loop]
            if loop is here:
                await pooled.closer.aclose()
            elif loop.is_running():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(pooled.closer.aclose(), loop))

    async def _post(self, sparql: str, accept: str) -> httpx.Response:
        try:
            client = await self._client()
            response = await client.post(self.url, data=self._form(sparql), headers={"accept": accept})
        except httpx.HTTPError as exc:
            raise RemoteError(f"SPARQL endpoint {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise QueryError(f"{self.url} answered {response.status_code}: {response.text.strip()[:500]}")
        return response

    async def select(self, sparql: str) -> Table:
        """Return the rows of a SELECT query, terms normalised. Raises QueryError, RemoteError."""
        return _normalised(table_from_json((await self._post(sparql, JSON_RESULTS)).content))

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        """Run any read-only query; SELECT results in JSON are normalised, everything else passed through."""
        accept = f"{results.value}, {graphs.value};q=0.9"
        response = await self._post(sparql, accept)
        media = response.headers.get("content-type", results.value).split(";")[0].strip()
        if media == JSON_RESULTS and b'"boolean"' not in response.content[:200]:
            return Answer(table_to_json(_normalised(table_from_json(response.content))), JSON_RESULTS)
        return Answer(response.content, media)


@dataclass(frozen=True)
class _Pooled:
    client: httpx.AsyncClient
    closer: AsyncGenerator[None, None]


async def _closed_at_shutdown(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Wait (suspended) and close ``client`` when closed. The event loop closes every suspended async
    generator it knows as it shuts down (``loop.shutdown_asyncgens``, which asyncio.run, anyio and uvicorn
    call), so a pooled client never outlives its loop with its sockets open."""
    try:
        yield
    finally:
        await client.aclose()


def _close_elsewhere(clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pooled]) -> None:
    for loop, pooled in list(clients.items()):
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(pooled.closer.aclose(), loop)


async def close(backend: object) -> None:
    """Close the pooled connections of ``backend`` if it is a RemoteBackend (kb.serve.app, on shutdown)."""
    if isinstance(backend, RemoteBackend):
        await backend.aclose()


def _normalised(table: Table) -> Table:
    return Table(table.variables, [{k: normalise(v) for k, v in row.items()} for row in table.rows])


@dataclass(frozen=True)
class Catalogue:
    """What ``kb publish`` recorded about the published knowledge base: its version, graph and counts."""

    version: str
    graph: str
    counts: dict[str, int]


def read_catalogue(url: str, base_iri: str, client: httpx.Client | None = None) -> Catalogue:
    """Return the catalogue of the knowledge base published at ``url``. Raises RemoteError when there is none."""
    query = PROLOGUE + CATALOGUE_QUERY.replace("?dataset", iri(catalogue_iri(base_iri)))
    try:
        with client or httpx.Client(timeout=TIMEOUT) as http:
            response = http.post(url, data={"query": query}, headers={"accept": JSON_RESULTS})
    except httpx.HTTPError as exc:
        raise RemoteError(f"SPARQL endpoint {url} unreachable: {exc}") from exc
    if response.status_code >= 400:
        raise RemoteError(f"{url} answered {response.status_code}: {response.text.strip()[:300]}")
    table = table_from_json(response.content)
    if not table.rows:
        raise RemoteError(f"no knowledge base published at {url} under {base_iri}; run kb publish first")
    first = table.rows[0]
    found = {row["kind"].value: row["n"].as_int() for row in table.rows if "kind" in row}
    counts = {kind: found.pop(kind) for kind in KINDS if kind in found} | found  # the order kb.counts() has
    counts["triples"] = first["triples"].as_int()
    return Catalogue(first["version"].value, first["graph"].value, counts)


def remote_graph(url: str, graph: str) -> GraphStore:
    """Return a read-only rdflib view of one remote graph (for exports), queried through rdflib's SPARQLStore."""
    store = SPARQLStore(url, returnFormat="json", method="POST", params={"default-graph-uri": graph})
    return GraphStore(dataset=Dataset(store=store, default_union=False), backend="sparql")


def snapshot(settings: Settings) -> Snapshot:
    """Return the snapshot of the knowledge base published at ``settings.store`` (``sparql+http://…``): the
    version its catalogue names, answered by the endpoint on that version's graph. Nothing is read from
    ``settings.root``: an API replica needs no data. Raises RemoteError."""
    url = endpoint_url(settings.store)
    catalogue = read_catalogue(url, settings.base_iri)
    return Snapshot(catalogue.version, remote_graph(url, catalogue.graph), RemoteBackend(url, catalogue.graph),
                    Mint(settings.base_iri), dict(catalogue.counts))



POLL_SECONDS = 10.0
"""How often a replica on a remote store asks the catalogue whether a newer version was published."""


async def follow(served: Served, settings: Settings, stop: asyncio.Event, interval: float = POLL_SECONDS) -> None:
    """Until ``stop`` is set, read the catalogue every ``interval`` seconds and serve a newly published version.

    A failed read (the engine restarting, say) is logged and the current version keeps serving; ``kb publish``
    keeps the previous version graph, so the one served stays whole until the next poll swaps it out.
    """
    while True:
        try:
            await asyncio.wait_for(stop.wait(), interval)
            return
        except TimeoutError:
            pass
        try:
            fresh = await asyncio.to_thread(snapshot, settings)
        except (RemoteError, QueryError) as exc:
            log.warning("catalogue not read, still serving %s: %s", served.current.version, exc)
            continue
        if fresh.version != served.current.version:
            served.swap(fresh)
            log.info("serving published version %s", fresh.version)


def attach(app: Starlette, settings: Settings, interval: float = POLL_SECONDS) -> None:
    """Make ``app`` follow the catalogue while it runs (wraps its lifespan, as kb.serve.reload does for files)."""
    run_beside(app, lambda stop: follow(app.state.served, settings, stop, interval))
