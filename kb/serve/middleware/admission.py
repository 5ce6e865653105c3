"""Admission control: a bounded number of requests executing, a short bounded queue, and beyond it an
immediate refusal, so that overload costs the clients over the line a quick 429 or 503 instead of costing
every client a time-out.

A request is admitted when fewer than ``executing`` run; otherwise it waits in a first-come queue of at most
``queued`` places for at most ``wait_seconds`` (then 503); with the queue full it is refused at once (429).
Both refusals say ``Retry-After``. Paths in ``exempt`` (``/health``, static files) never wait: an operator's
probe must answer while queries queue.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = ("/health", "/metrics", "/static/")


@dataclass
class AdmissionStats:
    """What the gate has done since the server started, and what it holds now (``/health`` shows it)."""

    executing: int = 0
    queued: int = 0
    admitted: int = 0
    refused_full: int = 0
    refused_waited: int = 0


class Admission:
    """ASGI middleware: the gate described in the module docstring."""

    def __init__(self, app: ASGIApp, executing: int, queued: int, wait_seconds: float,
                 exempt: tuple[str, ...] = EXEMPT) -> None:
        if executing < 1 or queued < 0 or wait_seconds <= 0:
            raise ValueError("admission needs executing >= 1, queued >= 0 and wait_seconds > 0")
        self.app = app
        self.limit = executing
        self.room = queued
        self.wait_seconds = wait_seconds
        self.exempt = exempt
        self.stats = AdmissionStats()
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        refusal = await self._enter()
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave()

    async def _enter(self) -> tuple[int, str] | None:
        stats = self.stats
        if stats.executing < self.limit and not self._waiting:
            stats.executing += 1
            stats.admitted += 1
            return None
        if len(self._waiting) >= self.room:
            stats.refused_full += 1
            return 429, f"the server is at its limit ({self.limit} executing, {self.room} waiting); retry shortly"
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        stats.queued = len(self._waiting)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.wait_seconds)
        except asyncio.CancelledError:  # the client went away while waiting: give back what it holds
            if turn.done():
                self._leave()
            else:
                self._waiting.remove(turn)
                stats.queued = len(self._waiting)
            raise
        except TimeoutError:
            if turn.done():  # handed a place just as the wait ran out: take it
                stats.admitted += 1
                return None
            self._waiting.remove(turn)
            turn.cancel()
            stats.queued = len(self._waiting)
            stats.refused_waited += 1
            return 503, f"the server is busy: no place to run within {self.wait_seconds:g} s; retry shortly"
        stats.admitted += 1
        return None

    def _leave(self) -> None:
        stats = self.stats
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the place passes straight on: executing stays the same
                stats.queued = len(self._waiting)
                return
        stats.queued = 0
        stats.executing -= 1


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "OVERLOADED"}}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
