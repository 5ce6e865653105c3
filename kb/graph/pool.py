"""The bounded thread pool that store work runs in, so that the event loop only routes, awaits and writes.

Work done once per version runs here (exports, the search index and its searches): pyoxigraph releases the GIL
while it works (docs/performance.md measures it), so the loops keep answering meanwhile. The GraphQL backends'
own queries run inline on the execution loop (kb.serve.execution), so that DataLoader batches stay whole. The
pool is bounded: a burst of requests queues for a thread instead of starting one each.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
DEFAULT_THREADS = min(8, (os.cpu_count() or 1) + 2)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_threads = DEFAULT_THREADS


def configure(threads: int) -> None:
    """Use at most ``threads`` threads from now on (the next pool made; a running pool is left to finish)."""
    global _executor, _threads
    if threads < 1:
        raise ValueError(f"the store pool needs at least one thread, not {threads}")
    with _lock:
        if threads == _threads:
            return
        previous, _executor, _threads = _executor, None, threads
    if previous is not None:
        previous.shutdown(wait=False)


def executor() -> ThreadPoolExecutor:
    """Return the pool, made on first use."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(_threads, thread_name_prefix="kb-store")
        return _executor


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` in the pool and return (or raise) what it does, without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(executor(), partial(fn, *args, **kwargs))
