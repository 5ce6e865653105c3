"""Answers cached by knowledge base version, and ``ETag``/``If-None-Match`` revalidation (304).

A snapshot never changes (kb.serve.served), so the answer to a request against one version is fixed: the same
GraphQL query with the same variables, or the same SPARQL request, always gets the same bytes. The key is
the version the request was pinned to (kb.serve.middleware.pin, which must run first) plus everything that
can change the answer: method, path, query string, the ``Accept``, ``Content-Type`` and ``Host`` headers and the body.

- A cached answer is replayed without running anything (header ``X-KB-Cache: hit``); a request that arrives
  while the same one is being answered waits for that answer and shares it (``X-KB-Cache: shared``), so a burst of
  one cold page renders it once.
- Every cacheable answer carries ``ETag: "<version>-<key>"``; a request whose ``If-None-Match`` names it gets
  304 without running anything, cached or not — the ETag is a function of the request and the version alone.
- Only 200 answers without GraphQL ``errors`` are cached or tagged: a deadline or a refusal is not an answer.
- The cache holds at most ``entries`` answers and ``max_bytes`` in total, least recently used out first;
  entries of older versions are never hit again and age out the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_HEADER = "x-kb-cache"
PATHS = ("/graphql", "/sparql")
PAGES = ("/", "/network", "/disputes")
PAGE_PREFIXES = ("/sources/", "/people/", "/organizations/", "/meetings/", "/roles/", "/statements/", "/sanctions/")
VARYING = (b"accept", b"content-type", b"host")  # host: /sparql's service description names its own URL


@dataclass(frozen=True)
class Entry:
    """One cached answer: status, headers (without per-request ones) and body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class VersionCache:
    """ASGI middleware: the version-keyed answer cache and ETag revalidation described above."""

    def __init__(self, app: ASGIApp, entries: int = 2048, max_bytes: int = 64 << 20) -> None:
        self.app = app
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = 0
        self.cache: OrderedDict[str, Entry] = OrderedDict()
        self.running: dict[str, asyncio.Future[Entry | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snapshot = scope.get("state", {}).get("kb_snapshot")
        if scope["type"] != "http" or not cacheable(scope) or snapshot is None:
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        key = self.key(snapshot.version, scope, body)
        etag = f'"{snapshot.version}-{key[:20]}"'.encode()
        headers = dict(scope["headers"])
        if etag in [t.strip() for t in headers.get(b"if-none-match", b"").split(b",")]:
            await _send(send, Entry(304, [(b"etag", etag)], b""), b"revalidated")
            return
        found = self.cache.get(key)
        if found is not None:
            self.cache.move_to_end(key)
            await _send(send, found, b"hit")
            return
        running = self.running.get(key)
        if running is not None:  # the same request is being answered: share its answer, if it is clean
            shared = await asyncio.shield(running)
            if shared is not None:
                await _send(send, shared, b"shared")
                return
        self.running[key] = done = asyncio.get_running_loop().create_future()
        answer: Entry | None = None
        try:
            answer = await self.run(scope, body, send, key, etag)
        finally:
            if self.running.get(key) is done:
                del self.running[key]
            done.set_result(answer)

    def key(self, version: str, scope: Scope, body: bytes) -> str:
        """Return the cache key of a request pinned to ``version``."""
        headers = dict(scope["headers"])
        digest = hashlib.sha256()
        for part in (version.encode(), scope["method"].encode(), scope["path"].encode(), scope["query_string"],
                     *(headers.get(name, b"") for name in VARYING), body):
            digest.update(b"%d:" % len(part) + part)
        return digest.hexdigest()

    async def run(self, scope: Scope, body: bytes, send: Send, key: str, etag: bytes) -> Entry | None:
        """Run the app on the buffered request; cache and tag its answer when it is a clean 200, and return
        it then (None otherwise)."""
        start: Message = {}
        chunks: list[bytes] = []
        kept: Entry | None = None

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    nonlocal kept
                    kept = await self.finish(send, start, b"".join(chunks), key, etag)

        await self.app(scope, replay, capture)
        return kept

    async def finish(self, send: Send, start: Message, body: bytes, key: str, etag: bytes) -> Entry | None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in {b"content-length", b"etag"}]
        entry = Entry(start["status"], headers, body)
        stored = (b"no-store" not in v for k, v in headers if k.lower() == b"cache-control")
        clean = entry.status == 200 and b'"errors"' not in body[:64] and b'"errors":' not in body and all(stored)
        if clean:
            entry = Entry(entry.status, [*headers, (b"etag", etag)], body)
            self.store(key, entry)
        await _send(send, entry, b"miss" if clean else b"none")
        return entry if clean else None

    def store(self, key: str, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 8:
            return  # one huge answer must not flush everything else
        self.cache[key] = entry
        self.size += len(entry.body)
        while len(self.cache) > self.entries or self.size > self.max_bytes:
            _, old = self.cache.popitem(last=False)
            self.size -= len(old.body)


def cacheable(scope: Scope) -> bool:
    """Return whether a request's answer is fixed by its version: GraphQL and SPARQL (GET or POST), and the
    pages (GET: the same page of the same version is the same HTML; a page that will change, such as one showing
    the picture still being drawn, says ``Cache-Control: no-store`` and is not kept)."""
    path, method = scope["path"], scope["method"]
    if path in PATHS:
        return method in {"GET", "POST"}
    return method == "GET" and (path in PAGES or path.startswith(PAGE_PREFIXES))


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        body.extend(message.get("body", b""))
        if not message.get("more_body", False):
            return bytes(body), False


async def _send(send: Send, entry: Entry, state: bytes) -> None:
    headers = [*entry.headers, (CACHE_HEADER.encode(), state)]
    if entry.status != 304:
        headers.append((b"content-length", str(len(entry.body)).encode()))
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})
