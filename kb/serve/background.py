"""Run one background task for as long as an app serves (the file watcher, the catalogue follower)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette

STOP_TIMEOUT = 5.0


def run_beside(app: Starlette, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Wrap ``app``'s lifespan so ``work(stop)`` starts on startup; on shutdown ``stop`` is set and awaited."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Starlette) -> AsyncIterator[Any]:
        async with original(inner) as state:
            stop = asyncio.Event()
            task = asyncio.create_task(work(stop))
            try:
                yield state
            finally:
                stop.set()
                await asyncio.wait([task], timeout=STOP_TIMEOUT)

    app.router.lifespan_context = lifespan
