"""When each version's full-text index is built, and what a search uses until it is ready.

The index of a version is built once, in the store pool (``Snapshot.started``: concurrent first searches share
the one build), started when the version starts being served (:meth:`Handoff.serve`, called by kb.serve.app) or
else by its first search. A search waits at most :data:`WAIT_SECONDS` for it; meanwhile it uses the index of the
version served before (handed over by :class:`Handoff`, dropped once the new one is ready), or, with none, the
slow path (the engine's ``CONTAINS``, kb.api.search). The stores this process holds are indexed (Oxigraph read
natively, rdflib's engine through its backend); a remote store is not held here: its searches always take the
slow path.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future

from kb.api.textindex import TextIndex, read, read_from
from kb.graph.snapshot import Snapshot

KEY = "search"
FALLBACK = "search:fallback"
WAIT_SECONDS = 0.1
"""The longest a search waits for its version's index before answering from the fallback."""

log = logging.getLogger("kb.api")


INDEXED = frozenset({"oxigraph", "rdflib"})
"""The backends over a graph this process holds."""


def build(snapshot: Snapshot) -> TextIndex:
    """Return the index of ``snapshot`` (its store must be held here: :data:`INDEXED`). Runs seconds at 100k
    facts: call it in the store pool (:func:`start`), never on an event loop."""
    native, base = snapshot.graph.native, snapshot.mint.base
    if native is not None:
        return TextIndex(read(native, base))
    # rdflib's backend answers inline (no I/O to await): a loop of this pool thread's own runs it
    return TextIndex(asyncio.run(read_from(snapshot.backend, base)))


def start(snapshot: Snapshot) -> Future[TextIndex] | None:
    """Return the build of ``snapshot``'s index, started by the first caller; None when the store is not held
    in this process (no index: the slow path)."""
    if snapshot.graph.native is None and snapshot.backend.name not in INDEXED:
        return None
    found = snapshot.ready(KEY)
    if found is not None:
        return found  # type: ignore[return-value]
    return snapshot.started(KEY, lambda: build(snapshot))


async def index_for(snapshot: Snapshot) -> TextIndex | None:
    """Return the index to search ``snapshot`` with: its own, waiting at most :data:`WAIT_SECONDS` for it; else
    the previous version's; else None (the slow path). A build that failed is logged and gives None."""
    future = start(snapshot)
    if future is None:
        return None
    if not future.done():
        await asyncio.wait({asyncio.wrap_future(future)}, timeout=WAIT_SECONDS)
    if not future.done():
        fallback = snapshot.memo.get(FALLBACK)
        return fallback if isinstance(fallback, TextIndex) else None
    if future.exception() is not None:
        log.error("the search index of version %s failed", snapshot.version, exc_info=future.exception())
        return None
    return future.result()


class Handoff:
    """Starts each served version's index as it is served, and hands the latest ready index to a version whose
    own is not ready yet. Holds no snapshot: only the index of the version served last that finished."""

    def __init__(self) -> None:
        self._latest: TextIndex | None = None
        self._serial = 0
        self._ready_serial = -1
        self._lock = threading.Lock()
        self._building = False
        self._pending: tuple[Snapshot, int] | None = None

    def serve(self, snapshot: Snapshot) -> Future[TextIndex] | None:
        """Start building ``snapshot``'s index (once) and return at once; until it is ready, its searches use
        the latest index built for an earlier version. One build at a time: a version served while another's
        index is being built waits for it (and returns None here), and is skipped when a newer one is served
        meanwhile, so quick edits of a large knowledge base do not build an index per save."""
        with self._lock:
            self._serial += 1
            serial = self._serial
            if self._latest is not None and snapshot.ready(KEY) is None:
                snapshot.memo[FALLBACK] = self._latest
            if self._building:
                self._pending = (snapshot, serial)
                return None
            self._building = True
        return self._start(snapshot, serial)

    def _start(self, snapshot: Snapshot, serial: int) -> Future[TextIndex] | None:
        future = start(snapshot)
        if future is None:
            self._next()
            return None
        future.add_done_callback(lambda done: self._built(snapshot, serial, done))
        return future

    def _built(self, snapshot: Snapshot, serial: int, done: Future[TextIndex]) -> None:
        snapshot.memo.pop(FALLBACK, None)
        if not done.cancelled() and done.exception() is None:
            with self._lock:
                if serial > self._ready_serial:  # an older version finishing late never replaces a newer index
                    self._latest, self._ready_serial = done.result(), serial
        self._next()

    def _next(self) -> None:
        with self._lock:
            job, self._pending = self._pending, None
            if job is None:
                self._building = False
                return
        self._start(*job)
