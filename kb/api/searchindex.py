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
import contextlib
import hashlib
import logging
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from kb.api.textindex import TextIndex, read, read_from
from kb.errors import StoreError
from kb.graph.kept import Kept
from kb.graph.snapshot import Snapshot

KEY = "search"
FALLBACK = "search:fallback"
WAIT_SECONDS = 0.1
"""The longest a search waits for its version's index before answering from the fallback."""
SLOW_BUILD_SECONDS = 5.0
"""A build longer than this makes the next one wait for a pause in new versions (:class:`Handoff`)."""
PAUSE_SECONDS = 3.0
INDEX_FOLDER = "search-" + hashlib.sha256(b"".join(
    (Path(__file__).parent / name).read_bytes() for name in ("textindex.py", "fold.py"))).hexdigest()[:12]
"""Where a kept build (kb.graph.kept) keeps its search index, beside its store: named by the code that decides
what the index holds, so a kb whose indexing changed builds its own beside an older kb's."""

log = logging.getLogger("kb.api")


INDEXED = frozenset({"oxigraph", "rdflib"})
"""The backends over a graph this process holds."""


def build(snapshot: Snapshot) -> TextIndex:
    """Return the index of ``snapshot`` (its store must be held here: :data:`INDEXED`). Runs seconds at 100k
    facts: call it in the store pool (:func:`start`), never on an event loop. A kept build's index is kept with
    it (:func:`kept_index`); any other is built in this process, in memory."""
    native, base = snapshot.graph.native, snapshot.mint.base
    if snapshot.graph.kept is not None:
        return kept_index(snapshot.graph.kept, base)
    if native is not None:
        return TextIndex(read(native, base))
    # rdflib's backend answers inline (no I/O to await): a loop of this pool thread's own runs it
    return TextIndex(asyncio.run(read_from(snapshot.backend, base)))


def kept_index(kept: Kept, base: str) -> TextIndex:
    """Return the index kept in the build ``kept``'s folder, built first when it has none: by a process of its
    own (kb.api.indexworker) into a folder of its own, renamed into place when complete, so a crash never leaves
    half an index and a restart opens it in milliseconds. Raises StoreError when the build fails."""
    folder = kept.path / INDEX_FOLDER
    if not folder.is_dir():
        partial = kept.path / f"{INDEX_FOLDER}.{secrets.token_hex(4)}.partial"
        try:
            done = subprocess.run([sys.executable, "-m", "kb.api.indexworker", str(kept.store_path), base,
                                   str(partial)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise StoreError(f"the search index of {kept.path.name} was not built: {done.stderr.strip()}")
            with contextlib.suppress(OSError):  # another process may have kept its own first: either will do
                partial.rename(folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    try:
        return TextIndex.open(folder)
    except OSError as exc:
        raise StoreError(f"cannot open the search index {folder}: {exc}") from exc


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
    own is not ready yet. Holds no snapshot: only the index of the version served last that finished.

    One build at a time; a version served meanwhile waits for it, and is skipped when a newer one is served
    first. When the last build was slow (over :data:`SLOW_BUILD_SECONDS`: 25 s at 100k facts, of the
    interpreter's lock mostly), the next one also waits until versions stop coming for :data:`PAUSE_SECONDS`, so
    the builds of a large knowledge base do not slow down a curator's quick edits (searches use the previous
    index meanwhile)."""

    def __init__(self) -> None:
        self._latest: TextIndex | None = None
        self._serial = 0
        self._ready_serial = -1
        self._lock = threading.Lock()
        self._building = False
        self._waiting = False
        self._pending: tuple[Snapshot, int] | None = None
        self._asked = 0.0
        self.last_build_seconds = 0.0

    def serve(self, snapshot: Snapshot) -> Future[TextIndex] | None:
        """Start building ``snapshot``'s index (once) and return at once, or None when it waits its turn (see
        the class); until it is ready, its searches use the latest index built for an earlier version."""
        with self._lock:
            self._serial += 1
            serial = self._serial
            if self._latest is not None and snapshot.ready(KEY) is None:
                snapshot.memo[FALLBACK] = self._latest
            if self._building or self.last_build_seconds > SLOW_BUILD_SECONDS:
                self._pending, self._asked = (snapshot, serial), time.monotonic()
                if not self._building:
                    self._wait_for_a_pause()
                return None
            self._building = True
        return self._start(snapshot, serial)

    def _wait_for_a_pause(self) -> None:
        """Start the pending build once versions stop coming (call with the lock held)."""
        if not self._waiting:
            self._waiting = True
            threading.Thread(target=self._after_pause, name="kb-search-index-pause", daemon=True).start()

    def _after_pause(self) -> None:
        while True:
            with self._lock:
                left = self._asked + PAUSE_SECONDS - time.monotonic()
                if left <= 0:
                    self._waiting = False
                    job, self._pending = self._pending, None
                    if self._building or job is None:
                        self._pending = self._pending or job
                        return
                    self._building = True
                    break
            time.sleep(left)
        self._start_unless_ending(job)

    def _start_unless_ending(self, job: tuple[Snapshot, int]) -> None:
        try:
            self._start(*job)
        except RuntimeError:  # the process is ending: its pool takes no more work
            log.debug("the search index of version %s was not built: shutting down", job[0].version)

    def _start(self, snapshot: Snapshot, serial: int) -> Future[TextIndex] | None:
        future = start(snapshot)
        if future is None:
            self._next()
            return None
        began = time.monotonic()
        future.add_done_callback(lambda done: self._built(snapshot, serial, done, time.monotonic() - began))
        return future

    def _built(self, snapshot: Snapshot, serial: int, done: Future[TextIndex], seconds: float) -> None:
        snapshot.memo.pop(FALLBACK, None)
        if not done.cancelled() and done.exception() is None:
            with self._lock:
                self.last_build_seconds = seconds
                if serial > self._ready_serial:  # an older version finishing late never replaces a newer index
                    self._latest, self._ready_serial = done.result(), serial
        self._next()

    def _next(self) -> None:
        with self._lock:
            self._building = False
            if self._pending is None:
                return
            if self.last_build_seconds > SLOW_BUILD_SECONDS:
                self._wait_for_a_pause()
                return
            job, self._pending = self._pending, None
            self._building = True
        self._start_unless_ending(job)  # called back as a build ends, maybe while the process ends
