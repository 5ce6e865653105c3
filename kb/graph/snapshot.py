"""One built version of the knowledge base as served: its graph, the SPARQL backend over it, its version (a
hash of the seed and curation bytes) and counts. A :class:`Snapshot` never changes while it is served."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeVar

from kb.config import Settings
from kb.graph import kept, store
from kb.graph.kept import Kept
from kb.graph.ntriples import LineKey
from kb.graph.pool import executor
from kb.graph.query import Backend, OxigraphBackend, RdflibBackend
from kb.graph.store import GraphStore
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import Mint

T = TypeVar("T")
_FUTURE = "future:"
_memo_lock = threading.Lock()


def backend_for(graph_store: GraphStore) -> Backend:
    """Return the SPARQL backend over a built store: native Oxigraph, else rdflib's engine."""
    if graph_store.native is not None:
        return OxigraphBackend(graph_store.native)
    return RdflibBackend(graph_store.dataset)


@dataclass(frozen=True)
class Patch:
    """How a snapshot was made from the one served before it: the N-Quads removed and added."""

    parent: str
    remove: bytes
    add: bytes


@dataclass(frozen=True)
class Snapshot:
    """One version of the knowledge base as served: never changes while it is served. A snapshot replaced by
    a patched one (:func:`patched`) shares its store with it, and is then stale: no request still holds it.

    ``memo`` caches what is derived from this version alone (serialised exports, text indexes); it is
    dropped with the snapshot, so nothing derived from an old version outlives it.
    """

    version: str
    graph: GraphStore
    backend: Backend
    mint: Mint
    counts: dict[str, int]
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    patch: Patch | None = field(default=None, compare=False, repr=False)
    """For a patched snapshot: the version it was patched from, and how (kb.serve.sparql.guard patches its workers)."""

    def cached(self, key: str, make: Callable[[], T]) -> T:
        """Return ``memo[key]``, computing it with ``make()`` the first time."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]  # type: ignore[return-value]

    def started(self, key: str, make: Callable[[], T]) -> Future[T]:
        """Return the computation of ``make()`` for ``key`` in the store pool, started by the first caller:
        everyone who asks for ``key`` of this version shares the one computation (and its error, if any)."""
        with _memo_lock:
            found = self.memo.get(_FUTURE + key)
            if found is None:
                found = self.memo[_FUTURE + key] = executor().submit(make)
        return found  # type: ignore[return-value]

    async def computed(self, key: str, make: Callable[[], T]) -> T:
        """Return ``make()`` computed once for this version, off the event loop (see :meth:`started`)."""
        return await asyncio.wrap_future(self.started(key, make))

    def ready(self, key: str) -> Future[object] | None:
        """Return the computation for ``key`` when one was started, else None (never starts one)."""
        found = self.memo.get(_FUTURE + key)
        return found if isinstance(found, Future) else None


def from_knowledge_base(kb: KnowledgeBase, settings: Settings, version: str) -> Snapshot:
    """Build the graph of a validated knowledge base into the store ``settings.store`` names and return the
    snapshot. For a kept store (``disk``) the build is written into the cache folder and made current
    (kb.graph.kept). Raises StoreError for an unknown store or one that cannot be written."""
    if settings.keeps_store:
        cache = settings.cache_folder
        with kept.locked(cache):
            manifest = kept.wanted(settings.root, settings.base_iri, version, kb.counts())
            built, shared = kept.build(cache, kb, manifest)
            kept.sweep(cache)
        return from_kept(built, settings, shared)
    graph_store = store.build_store(kb, settings.base_iri, _store_name(settings.store))
    counts = {kind: n for kind, n in kb.counts().items()}
    counts["triples"] = len(graph_store)
    return Snapshot(version, graph_store, backend_for(graph_store), Mint(settings.base_iri), counts)


def from_kept(built: Kept, settings: Settings, shared: Counter[LineKey] | None = None) -> Snapshot:
    """Return the snapshot serving a kept build, opened read-only: its version and counts come from its
    manifest, so nothing is read from seeds/ or curation/. Raises StoreError when it cannot be opened."""
    graph_store = store.opened(built, shared)
    return Snapshot(built.manifest.version, graph_store, backend_for(graph_store), Mint(settings.base_iri),
                    dict(built.manifest.counts))


def _store_name(name: str) -> str:
    # Settings speaks of "rdflib" for rdflib's own engine and "memory" (or "oxigraph") for Oxigraph in memory;
    # kb.graph.store calls them "memory" and "oxigraph".
    return {"rdflib": "memory", "memory": "oxigraph"}.get(name, name)
