"""Refuse a request body over the limit before anything parses it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware refusing a request body over ``max_bytes`` with 413, before anything parses it.

    A declared Content-Length over the limit is refused without reading; otherwise the body is read up to
    the limit and replayed to the app, so a body streamed without a length is bounded too.
    """

    def __init__(self, app: ASGIApp, max_bytes: int,
                 paths: tuple[str, ...] = ("/graphql", "/sparql")) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self.refuse(send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self.refuse(send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def refuse(self, send: Send) -> None:
        """Send a 413 with a JSON error body in the GraphQL errors shape."""
        message = f"request body too large: the limit is {self.max_bytes} bytes"
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body.encode()})


def _replay(body: bytes, receive: Receive) -> Callable[[], Any]:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
