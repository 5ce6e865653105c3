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
    """ASGI middleware: takes the served snapshot once per request and adds its version to the response.

    The request counts as in flight (:meth:`Served.enter`) until its response is sent, so a patched version
    (kb.serve.served.patched) never changes the store under it.
    """

    def __init__(self, app: ASGIApp, served: Served) -> None:
        self.app = app
        self.served = served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = await self.served.enter()  # held until the response is sent: a patch waits for it
        try:
            scope.setdefault("state", {})["kb_snapshot"] = current
            version = current.version.encode()

            async def send_versioned(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (VERSION_HEADER.lower().encode(), version)]
                await send(message)

            await self.app(scope, receive, send_versioned)
        finally:
            self.served.leave()
