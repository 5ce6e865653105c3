"""The who-met-whom picture of each served version: drawn once, in a worker process, shared by every request.

A page never waits for it. The first to ask for a version's picture starts the drawing (``Pages.warm`` when the
app starts serving the version, else the first page that shows it); every later request for that version shares
the same drawing (one future, kept in the snapshot's ``memo``, so it goes when the version goes). Until it is
done, the pages show everything else and say the picture is being drawn.

Why a process and not a thread: igraph's layout runs in C and holds the GIL from start to end (measured: while a
thread laid out 1972 nodes in 2.8 s, the event loop did not turn once), so a thread would stall every request
just as the old pure-Python layout did on the event loop. The worker is spawned on first use (not forked: the
server runs threads, and a forked copy of a threaded process can deadlock) and kept for the versions that
follow; it draws one picture at a time.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

from kb.graph.snapshot import Snapshot
from kb.pages.network import LIMIT, Picture, draw
from kb.pages.views import Graph

KEY = "pages:who-met-whom"
"""The key of a version's drawing in its snapshot's ``memo``."""

log = logging.getLogger("kb.pages")


@dataclass(frozen=True)
class Drawing:
    """What a page shows of the picture: the ``picture`` once drawn; until then that it is being drawn; or that
    drawing it ``failed`` (logged; the table still lists every pair)."""

    picture: Picture | None = None
    failed: bool = False

    @property
    def pending(self) -> bool:
        return self.picture is None and not self.failed


def draw_graph(graph: Graph) -> Picture:
    """Return the picture of the network ``graph``, cut to :data:`~kb.pages.network.LIMIT` nodes (runs in the
    worker process: a module-level function, so that it pickles)."""
    nodes, edges = graph
    return draw(nodes, edges, limit=LIMIT)


def worker_process() -> Executor:
    """Return a pool of one spawned worker process, which ends with the process that started it."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_end_with_parent)


def _end_with_parent() -> None:
    # Runs in the worker. A server killed outright never shuts its pool down, and the worker, holding both ends
    # of its own task pipe, would wait for work forever: watch the pipe that closes when the parent ends.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_closed, args=(parent.sentinel,), daemon=True,
                         name="kb-parent-watch").start()


def _exit_when_closed(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _shut(pools: list[Executor]) -> None:
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    pools.clear()


def _report(future: Future[Picture]) -> None:
    if not future.cancelled() and (error := future.exception()) is not None:
        log.error("the who-met-whom picture could not be drawn", exc_info=error)


class Pictures:
    """Draws the picture of each version once, off the event loop, with ``draw`` in a pool from ``pool()``
    (made on first use; the tests give a thread pool and a drawing they control)."""

    def __init__(self, pool: Callable[[], Executor] = worker_process,
                 draw: Callable[[Graph], Picture] = draw_graph) -> None:
        self.make_pool = pool
        self.draw = draw
        self.lock = threading.Lock()
        self.pools: list[Executor] = []
        # Pages dropped without close() (an app built in a test) still end their worker.
        self._finalizer = weakref.finalize(self, _shut, self.pools)

    def started(self, snapshot: Snapshot) -> Future[Picture] | None:
        """Return the drawing of ``snapshot``'s picture when one was started, else None (never starts one)."""
        found = snapshot.memo.get(KEY)
        return found if isinstance(found, Future) else None

    def start(self, snapshot: Snapshot, graph: Callable[[], Graph]) -> Future[Picture]:
        """Return the drawing of ``snapshot``'s picture; the first caller starts it with the network ``graph()``.
        Thread-safe, and returns at once."""
        with self.lock:
            found = self.started(snapshot)
            if found is None:
                found = snapshot.memo[KEY] = self._submit(graph())
                found.add_done_callback(_report)
        return found

    def of(self, snapshot: Snapshot, graph: Callable[[], Graph]) -> Drawing:
        """Return what a page of ``snapshot`` shows of the picture now, starting the drawing if need be."""
        future = self.start(snapshot, graph)
        if not future.done() or future.cancelled():
            return Drawing()
        if future.exception() is not None:
            return Drawing(failed=True)
        return Drawing(future.result())

    def _submit(self, graph: Graph) -> Future[Picture]:
        if not self.pools:
            self.pools.append(self.make_pool())
        try:
            return self.pools[-1].submit(self.draw, graph)
        except BrokenExecutor:  # its worker died (killed, out of memory): this version gets a fresh one
            _shut(self.pools)
            self.pools.append(self.make_pool())
            return self.pools[-1].submit(self.draw, graph)

    def close(self) -> None:
        """End the worker process (a later drawing starts another)."""
        with self.lock:
            _shut(self.pools)
