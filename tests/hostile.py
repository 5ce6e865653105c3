"""What the hostile-query tests share: the app over the small fixture KB, and the check that a response leaks
nothing internal (no traceback, no file path, no exception class name)."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from kb.config import Limits, Settings
from kb.graph import snapshot as snapshots
from kb.serve import served as serving
from kb.serve.app import create_app

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"

_LEAKS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"(?<![\w.-])/(?:work|usr|home|root|tmp|opt|srv|var)/[\w./-]+"),
    re.compile(r"[\w/-]+\.py\b"),
    re.compile(r"site-packages"),
    re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b"),
    re.compile(r"\b(?:KeyError|TypeError|ValueError|AttributeError|IndexError|RecursionError|StopIteration)\b"),
    re.compile(r"<(?:[\w.]+) object at 0x[0-9a-f]+>"),
]


def leaks(text: str) -> list[str]:
    """Return every piece of ``text`` that looks like a traceback, a file path or an exception class name."""
    return [m.group(0) for pattern in _LEAKS for m in pattern.finditer(text)]


@cache
def mini_snapshot(store: str = "oxigraph") -> snapshots.Snapshot:
    """The fixture KB, built once per store (snapshots are immutable)."""
    return serving.build(Settings(root=MINI, store=store))


def app(limits: Limits | None = None, store: str = "oxigraph") -> Starlette:
    """Return the real app serving the fixture KB under ``limits``."""
    return create_app(Settings(root=MINI, store=store), mini_snapshot(store), limits)


class Client:
    """A synchronous client of the real ASGI app over httpx (no lifespan: SPARQL workers start on first use)."""

    def __init__(self, asgi: Starlette) -> None:
        self.app = asgi

    async def arequest(self, method: str, url: str, **options: Any) -> httpx.Response:
        """Send one request from a running event loop (to send several at once)."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb.test", timeout=120) as http:
            return await http.request(method, url, **options)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        return asyncio.run(self.arequest(method, url, **options))

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)


def client(limits: Limits | None = None, store: str = "oxigraph") -> Client:
    """Return a client of the real app serving the fixture KB."""
    return Client(app(limits, store))


def graphql(http: Client, query: str, **variables: Any) -> httpx.Response:
    """POST a GraphQL query; return the response after checking it leaks nothing."""
    response = http.post("/graphql", json={"query": query, "variables": variables or None})
    assert leaks(response.text) == [], response.text[:500]
    return response
