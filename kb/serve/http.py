"""The HTTP server's own bounds (``kb serve``): what a connection may send before a request reaches the app.

uvicorn as installed (uvicorn[standard]) parses with httptools, which bounds neither the size nor the number of
header fields, and reads a request's head for as long as the client takes: a 32 MiB header was answered 200,
8 connections each holding 16 MiB of unfinished header grew the server by 142 MiB, and 50 connections sending a
header byte now and then were all held for 30 s. ``kb serve`` therefore runs uvicorn's h11 protocol (about as
fast here: docs/reliability.md has the measurement), subclassed below, with these ``kb.config.Limits``:

    max_header_bytes        the request line and header fields together (64 KiB). h11 keeps at most that much
                            of a head still unfinished (``h11_max_incomplete_event_size``); a whole head over it
                            is refused once parsed -> 431 and the connection closed
    max_headers             header fields in one request (100) -> 431 and the connection closed
    header_timeout_seconds  a request's head must be complete this long (10 s) after the connection opened, or
                            after the first byte of the next request on a kept-alive connection -> 408 and closed
                            (closed without a word when nothing came at all)
    keep_alive_seconds      an idle kept-alive connection is closed after this long (5 s; ``timeout_keep_alive``)
    max_connections         a request on a connection beyond this many (1000) -> 503 (``limit_concurrency``)

Each is read from its ``KB_*`` environment variable by ``Limits.from_env`` (``kb serve``).
"""

from __future__ import annotations

import asyncio
import http
import re
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from kb.config import Limits

TOO_LARGE = "the request's header fields are too large: at most {size} bytes in at most {count} fields"
TOO_SLOW = "the request's header fields did not arrive within {seconds:g} s"
HEAD_END = re.compile(rb"\n\r?\n")  # where h11 ends a head: a blank line


class _Connection(h11.Connection):
    """h11's server side, which also refuses a complete head over the bounds: h11 itself bounds only a head that
    is still incomplete, and a large one arriving in one read is complete at once."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self.limits = limits
        self.too_large = False

    def next_event(self) -> Any:
        """Return h11's next event; raise RemoteProtocolError (hint 431) for a head over the bounds."""
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.too_large = exc.error_status_hint == 431
            raise
        if isinstance(event, h11.Request):
            size = len(event.method) + len(event.target) + sum(len(n) + len(v) + 4 for n, v in event.headers)
            if size > self.limits.max_header_bytes or len(event.headers) > self.limits.max_headers:
                self.too_large = True
                raise h11.RemoteProtocolError("request header fields too large", error_status_hint=431)
        return event


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the bounds of :attr:`limits` on each request's head (size, count, time)."""

    limits = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bounded = _Connection(self.limits)
        self.conn = self.bounded
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_begun = False  # whether a byte of the awaited head has come
        self.head_lines = 0  # its line breaks so far
        self.head_tail = b""  # its last two bytes, where a blank line may begin

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._await_head()  # the first byte of a request on a kept-alive connection starts its clock
            self.head_begun = self.head_begun or bool(data)
            if self._too_many_lines(data):
                self.bounded.too_large = True
                self.send_400_response("")
                return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_done()

    def send_400_response(self, msg: str) -> None:
        if self.bounded.too_large:
            self._refuse(431, TOO_LARGE.format(size=self.limits.max_header_bytes, count=self.limits.max_headers))
        else:
            super().send_400_response(msg)

    def _too_many_lines(self, data: bytes) -> bool:
        """Count the head's lines as they come, before h11 parses them (h11 takes about 1.5 µs a header field: 24 ms
        for 64 KiB of empty ones, on the event loop); the fields, the request line and the blank line."""
        seen = self.head_tail + data
        end = HEAD_END.search(seen)
        stop = len(data) if end is None else max(0, end.end() - len(self.head_tail))
        self.head_lines += data.count(b"\n", 0, stop)
        self.head_tail = seen[-2:]
        return self.head_lines > self.limits.max_headers + 2

    def _await_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.header_timeout_seconds, self._head_timed_out)

    def _head_done(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        self.head_begun, self.head_lines, self.head_tail = False, 0, b""

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.head_begun:
            self.logger.warning("Request header timeout.")
            self._refuse(408, TOO_SLOW.format(seconds=self.limits.header_timeout_seconds))
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` and close: written as bytes, since h11's state after a refused head is no use."""
        body = message.encode()
        head = (f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


def protocol_class(limits: Limits) -> type[BoundedH11Protocol]:
    """Return the protocol class uvicorn is to build each connection's protocol from, bound by ``limits``."""

    class Bounded(BoundedH11Protocol):
        pass

    Bounded.limits = limits
    return Bounded


def uvicorn_options(limits: Limits) -> dict[str, Any]:
    """Return the keyword arguments of ``uvicorn.run`` that put ``limits`` on the server's connections."""
    return {
        "http": protocol_class(limits),
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "timeout_keep_alive": limits.keep_alive_seconds,
        # uvicorn counts the connection asking too: a request beyond max_connections gets 503
        "limit_concurrency": limits.max_connections + 1,
    }
