"""The HTTP server's own bounds (``kb serve``): what a connection may send before its request reaches the app.

uvicorn parses with httptools (uvicorn[standard]), which bounds neither the size nor the number of header fields
and reads a request's head for as long as the client takes: a 32 MiB header was answered 200, 8 connections each
holding 16 MiB of unfinished header grew the server by 142 MiB, and 50 connections sending a header byte a
second were all held for 30 s. The protocol below is uvicorn's httptools protocol with these bounds
(``kb.config.Limits``; uvicorn's h11 protocol, which bounds an unfinished head, answers a third fewer requests a
second here: docs/reliability.md):

    max_header_bytes        the request line and header fields together (64 KiB) -> 431, connection closed.
                            An unfinished head is cut off once a whole read beyond its first is over the bound,
                            so a connection holds at most the bound and two reads of it
    max_headers             header fields in one request (100) -> 431, connection closed; httptools stops
                            parsing at the first field over
    header_timeout_seconds  a request's head must be complete this long (10 s) after the connection opened, or
                            after the next request's first byte on a kept-alive connection -> 408, closed
                            (closed without a word when nothing came at all)
    keep_alive_seconds      an idle kept-alive connection is closed after this long (5 s; ``timeout_keep_alive``)
    max_connections         a request on a connection beyond this many (1000) -> 503 (``limit_concurrency``)

``Limits.from_env`` reads each from its ``KB_*`` environment variable for ``kb serve``.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kb.config import Limits

TOO_LARGE = "the request's header fields are too large: at most {size} bytes in at most {count} fields"
TOO_SLOW = "the request's header fields did not arrive within {seconds:g} s"


class _HeadTooLarge(Exception):
    """Raised from a parser callback: httptools stops parsing, and uvicorn answers (send_400_response)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds of :attr:`limits` on each request's head (size, count, time)."""

    limits = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timer: asyncio.TimerHandle | None = None
        self.in_head = False  # a request's first byte has come, the end of its head not yet
        self.head_size = 0  # the request target and the fields parsed so far, in bytes
        self.head_fields = 0
        self.head_fed = 0  # bytes of the reads that fell wholly within the head
        self.too_large = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        within = self.in_head  # when the head began in an earlier read, this one is head up to its end
        super().data_received(data)
        if not self.in_head or self.transport.is_closing():
            return
        if within:  # httptools keeps an unfinished field to itself: only what came can be counted
            self.head_fed += len(data)
            if self.head_fed > self.limits.max_header_bytes:
                self.too_large = True
                self.send_400_response("")
                return
        # A head is timed only once it spans reads: one that came whole (nearly all) costs no timer
        self._await_head()

    def send_400_response(self, msg: str) -> None:
        if self.too_large:
            self.logger.warning("Request header fields too large.")
            self._refuse(431, TOO_LARGE.format(size=self.limits.max_header_bytes, count=self.limits.max_headers))
        else:
            super().send_400_response(msg)

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head, self.head_size, self.head_fields, self.head_fed = True, 0, 0, 0

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        if self.head_size > self.limits.max_header_bytes:
            self.too_large = True
            raise _HeadTooLarge
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4  # and ": ", CRLF
        self.head_fields += 1
        if self.head_size > self.limits.max_header_bytes or self.head_fields > self.limits.max_headers:
            self.too_large = True
            raise _HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done()
        super().on_headers_complete()

    def _await_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.header_timeout_seconds, self._head_timed_out)

    def _head_done(self) -> None:
        self.in_head = False
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.in_head:
            self.logger.warning("Request header timeout.")
            self._refuse(408, TOO_SLOW.format(seconds=self.limits.header_timeout_seconds))
        else:
            self.transport.close()  # not a byte since the connection opened

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` and close the connection."""
        body = message.encode()
        head = (f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


def protocol_class(limits: Limits) -> type[BoundedHttpToolsProtocol]:
    """Return the protocol class uvicorn is to build each connection's protocol from, bound by ``limits``."""

    class Bounded(BoundedHttpToolsProtocol):
        pass

    Bounded.limits = limits
    return Bounded


def uvicorn_options(limits: Limits) -> dict[str, Any]:
    """Return the keyword arguments of ``uvicorn.run`` that put ``limits`` on the server's connections."""
    return {
        "http": protocol_class(limits),
        "timeout_keep_alive": limits.keep_alive_seconds,
        # uvicorn counts the connection asking too: a request beyond max_connections gets 503
        "limit_concurrency": limits.max_connections + 1,
    }

