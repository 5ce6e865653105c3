"""Writing N-Quads into a live pyoxigraph store: filling it while the builder makes them, and patching it with
an edit's delta (:mod:`kb.graph.delta`).

Imports only pyoxigraph: the /sparql worker process (:mod:`kb.serve.sparql.worker`) patches its own copy of
the graph with :func:`patch_store`, and a fresh worker must start quickly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from queue import Full, Queue
from typing import Any

import pyoxigraph as ox


def fill(native: Any, chunks: Iterator[bytes], load: Callable[[bytes], None] | None = None) -> None:
    """Load N-Quads ``chunks`` (each of whole lines) into the pyoxigraph store ``native`` while they are made.

    ``chunks`` runs in a thread of its own; Oxigraph parses and inserts without holding the GIL, so building
    the graph in Python and storing it in Rust share the two cores instead of taking turns. Each chunk is
    loaded as a transaction of its own: one transaction over the whole graph keeps its undo log to the end,
    which takes more memory in no less time. Separate loads would give one blank-node label in two chunks two
    nodes; the builder mints no blank nodes. ``load``, when given, loads each chunk instead (kb.graph.kept
    bulk-loads a store on disk). Re-raises what ``chunks`` raised; the store is then partial and must be
    dropped.
    """
    queue: Queue[bytes | None] = Queue(maxsize=4)
    failed: list[BaseException] = []
    stop = threading.Event()

    def offer(item: bytes | None) -> bool:
        while not stop.is_set():  # the loader stops reading when it fails: then give up, never block
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
        except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread)
            failed.append(exc)
        offer(None)

    producer = threading.Thread(target=produce, name="kb-graph-build", daemon=True)
    producer.start()
    try:
        while (chunk := queue.get()) is not None:
            if load is None:
                native.load(chunk, format=ox.RdfFormat.N_QUADS)
            else:
                load(chunk)
    finally:
        stop.set()
        producer.join()
    if failed:
        raise failed[0]


def patch_store(store: Any, remove: bytes, add: bytes) -> None:
    """Remove the N-Quads ``remove`` from the pyoxigraph ``store``, then add the N-Quads ``add``
    (kb.graph.delta's patches, in the server's store and in each worker's)."""
    for quad in ox.parse(remove, format=ox.RdfFormat.N_QUADS):
        store.remove(quad)
    store.extend(ox.parse(add, format=ox.RdfFormat.N_QUADS))
