"""Take the served snapshot once per request and name its version in the response (``X-KB-Version``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.graph.snapshot import Snapshot
from kb.serve.served import Served

VERSION_HEADER = "X-KB-Version"


def pinned(scope: Scope) -> Snapshot:
    """Return the snapshot :class:`PinSnapshot` took for this request."""
    found: Snapshot = scope["state"]["kb_snapshot"]
    return found


class PinSnapshot:
    """ASGI middleware, outermost: takes the served snapshot for the request and names, on the response, the
    version it was answered from (refusals included: they name the version being served)."""

    def __init__(self, app: ASGIApp, served: Served) -> None:
        self.app = app
        self.served = served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["kb_snapshot"] = self.served.current

        async def send_versioned(message: Message) -> None:
            if message["type"] == "http.response.start":
                version = pinned(scope).version.encode()  # InFlight may have pinned a newer one
                message["headers"] = [*message.get("headers", []), (VERSION_HEADER.lower().encode(), version)]
            await send(message)

        await self.app(scope, receive, send_versioned)


class InFlight:
    """ASGI middleware, inside admission: counts a request as in flight (:meth:`Served.enter`) only while it
    executes, from the moment it reaches the app (its body already read, its place admitted) until its response
    starts, and pins the snapshot it executes on. A patched version (kb.serve.served.patched) waits for these
    alone, so a client that trickles its body in, waits in the queue or reads its answer slowly never holds a
    reload back. Paths in ``unpinned`` (``/health``) are not counted: they never wait for a patch.
    """

    def __init__(self, app: ASGIApp, served: Served, unpinned: tuple[str, ...] = ("/health", "/metrics")) -> None:
        self.app = app
        self.served = served
        self.unpinned = unpinned

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.unpinned):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["kb_snapshot"] = await self.served.enter()
        counted = True

        def done() -> None:
            nonlocal counted
            if counted:
                counted = False
                self.served.leave()

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                done()  # the answer is made: the store is no longer read
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            done()
