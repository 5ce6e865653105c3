"""What the server answers from: the one slot that holds the served :class:`~kb.graph.snapshot.Snapshot`.

:class:`Served` holds the current snapshot; a reload builds a new one and
swaps it in with one assignment, so a request that took the old snapshot finishes on the old graph and every
response names the version it was answered from.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from kb.config import Settings
from kb.graph import delta, kept, restart
from kb.graph.kept import Kept
from kb.graph.snapshot import Patch, Snapshot, from_kept, from_knowledge_base
from kb.load import pipeline
from kb.load.version import kb_version
from kb.model.knowledge_base import KnowledgeBase
from kb.progress import Progress, silent
from kb.serve import remote

PATCH_POLL_SECONDS = 0.002


def build(settings: Settings, progress: Progress = silent) -> Snapshot:
    """Read, validate and build the knowledge base under ``settings.root``, or, for a ``sparql+http://…`` store,
    read what ``kb publish`` put there (kb.serve.remote); reports reading, checking and building to ``progress``.
    Raises CurationErrors, StoreError, RemoteError."""
    if remote.is_remote(settings.store):
        return remote.snapshot(settings)
    if settings.keeps_store:
        return restart.start(settings, progress, later=True).snapshot  # answers while its state is saved
    version = kb_version(settings.root)
    kb = pipeline.load(settings.root, progress)
    progress("building", 0, 0)
    snapshot = from_knowledge_base(kb, settings, version)
    progress("building", 1, 1)
    return snapshot


class Served:
    """The slot holding the snapshot being served. Requests read :attr:`current` once and keep what they got.

    A patched version (:func:`patched`) changes the very store the served snapshot reads, so it is applied
    :meth:`exclusively`: requests enter (:meth:`enter`) and leave (:meth:`leave`) around their whole life,
    and a patch waits until none is in flight, while new ones wait for the patch. Every response is still
    answered from one version.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.current = snapshot
        self.on_swap: list[Callable[[Snapshot], None]] = []
        """Called with each snapshot swapped in: work done once per version starts there (kb.serve.app)."""
        self._lock = threading.Condition()
        self._readers = 0
        self._writing = False

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Serve ``snapshot`` from now on (one assignment, atomic for readers) and return the previous one;
        then tell each of :attr:`on_swap` (which must not block: it is called wherever the swap happens)."""
        previous, self.current = self.current, snapshot
        for listener in self.on_swap:
            listener(snapshot)
        return previous

    async def enter(self) -> Snapshot:
        """Return the snapshot to answer a request from, waiting while a patch is being applied."""
        while True:
            with self._lock:
                if not self._writing:
                    self._readers += 1
                    return self.current
            await asyncio.sleep(PATCH_POLL_SECONDS)

    def leave(self) -> None:
        """Say that a request :meth:`enter` let in has finished."""
        with self._lock:
            self._readers -= 1
            self._lock.notify_all()

    @contextmanager
    def exclusively(self, timeout: float = 30.0) -> Iterator[None]:
        """Hold requests back, wait for those in flight, run the block. Call it from a worker thread, never
        the event loop (which the requests in flight need to finish). Raises TimeoutError after ``timeout``."""
        with self._lock:
            if self._writing:
                raise RuntimeError("a patch is already being applied")
            self._writing = True
            try:
                if not self._lock.wait_for(lambda: self._readers == 0, timeout=timeout):
                    raise TimeoutError(f"requests still in flight after {timeout} s")
            except BaseException:
                self._writing = False
                raise
        try:
            yield
        finally:
            with self._lock:
                self._writing = False


def patched(served: Served, old: KnowledgeBase, new: KnowledgeBase, settings: Settings, version: str,
            before_applying: Callable[[], None] = lambda: None,
            before_swap: Callable[[], None] = lambda: None,
            inputs: dict[str, str] | None = None) -> Snapshot | None:
    """Patch the store of the served snapshot (built from ``old``) into the graph of ``new`` and serve it as
    ``version``; return the new snapshot, or None when only a full build will do (kb.graph.delta decides, or the
    store cannot be patched). ``before_applying`` runs once the change is known, before the store changes
    (the reloader checks there that the files did not change meanwhile; it may raise to give up);
    ``before_swap`` runs once the store is patched, just before the new snapshot is served. For a kept store,
    ``inputs`` are the sha256 of the files ``new`` was read from (else they are hashed again).
    """
    current = served.current
    graph_store = current.graph
    if graph_store.native is None or graph_store.shared is None:
        return None
    change = delta.compute(old, new, settings.base_iri, graph_store.shared)
    if change is None:
        return None
    before_applying()
    counts = {kind: n for kind, n in new.counts().items()}
    counts["triples"] = current.counts["triples"] + change.triples
    if graph_store.kept is not None:
        return _patched_copy(served, graph_store.kept, change, settings, version, counts, before_swap, inputs)
    snapshot = Snapshot(version, graph_store, current.backend, current.mint, counts,
                        patch=Patch(current.version, change.remove_nquads, change.add_nquads))
    with served.exclusively():
        delta.apply(graph_store.native, change)
        graph_store.shared = change.shared
        before_swap()
        served.swap(snapshot)
    return snapshot


def _patched_copy(served: Served, found: Kept, change: delta.Delta, settings: Settings, version: str,
                  counts: dict[str, int], before_swap: Callable[[], None],
                  inputs: dict[str, str] | None) -> Snapshot:
    """Patch a copy of the kept build being served and serve it: requests keep reading the old store meanwhile
    (nothing is held back), and the /sparql workers open the new one (kb.serve.sparql.guard)."""
    cache = settings.cache_folder
    with kept.locked(cache):
        wanted = kept.wanted(settings.root, settings.base_iri, version, counts, inputs=inputs)
        manifest = replace(wanted, parent=found.manifest.version)
        built = kept.patch(cache, found, change, manifest)  # older builds are swept after (restart.Keeper)
    snapshot = from_kept(built, settings, change.shared)
    before_swap()
    served.swap(snapshot)
    return snapshot
