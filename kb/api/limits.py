"""What protects the server from expensive requests, on by default, and how errors reach the client.

Query depth, aliases and tokens are checked before execution (:func:`kb.api.guard.extensions`); the request
body is capped before it is parsed (:class:`BodyLimit`); ``first`` is bounded in every connection. The bounds
themselves are :class:`kb.config.Limits`. A :class:`UserError` (a bad argument) reaches the client as
written; any other exception inside a resolver is logged with its traceback and masked as "Unexpected error."
so nothing internal leaks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.config import Limits
from kb.errors import KBError

log = logging.getLogger("kb.api")
MASKED_MESSAGE = "Unexpected error."


class UserError(KBError):
    """A request the API refuses for a reason the client can fix; its message is shown as is."""

    # graphql-core copies these into the error: clients (and tools like Schemathesis) tell "you asked for
    # something wrong" from "the server failed" by this code, as Apollo's servers spell it.
    extensions: ClassVar[dict[str, str]] = {"code": "BAD_USER_INPUT"}


def should_mask(error: GraphQLError) -> bool:
    """Return True for errors raised by code rather than by the request: those are masked (and were logged)."""
    original = error.original_error
    return original is not None and not isinstance(original, (UserError, GraphQLError))


def check_first(first: int | None, limits: Limits) -> int:
    """Return the page size to use for ``first``. Raises UserError outside 0..max_page_size."""
    if first is None:
        return limits.default_page_size
    if not 0 <= first <= limits.max_page_size:
        raise UserError(f"first must be between 0 and {limits.max_page_size}, got {first}")
    return first


class BodyLimit:
    """ASGI middleware refusing a request body over ``max_bytes`` with 413, before anything parses it.

    A declared Content-Length over the limit is refused without reading; otherwise the body is read up to
    the limit and replayed to the app, so a body streamed without a length is bounded too.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, paths: tuple[str, ...] = ("/graphql", "/sparql")) -> None:
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
        body = json.dumps({"errors": [{"message": f"request body too large: the limit is {self.max_bytes} bytes"}]})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
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
