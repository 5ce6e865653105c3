"""Where GraphQL and the pages execute: an event loop of their own, in a thread, beside the server's loop.

The server's loop (uvicorn's) then only reads requests, routes them, awaits and writes answers: executing a
GraphQL document is Python work from end to end (strawberry and graphql-core build and complete every field),
and a few heavy requests executing on the server's loop would keep ``/health`` and every other request waiting
behind them. Here they wait for the GIL instead, which the interpreter hands round every switch interval
(5 ms), so the server's loop answers within a few of those whatever executes. Store queries leave this loop
too, for the pool of kb.graph.pool, where pyoxigraph runs them without the GIL.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """Return the execution loop, started (in a daemon thread) on first use; one per process."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="kb-execute", daemon=True).start()
        return _loop


class OnExecutionLoop:
    """ASGI app: runs ``app`` on the execution loop; its ``receive`` and ``send`` stay on the server's loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = asyncio.get_running_loop()

        async def receive_here() -> Message:
            message: Message = await _on(server, receive())
            return message

        async def send_there(message: Message) -> None:
            await _on(server, send(message))

        await _on(loop(), self.app(scope, receive_here, send_there))


async def _on(target: asyncio.AbstractEventLoop, work: Any) -> Any:
    """Run the coroutine ``work`` on ``target`` and await its result from the running loop (cancelling it
    there when this await is cancelled: a client that goes away stops its execution)."""
    if asyncio.get_running_loop() is target:
        return await work
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, target))
