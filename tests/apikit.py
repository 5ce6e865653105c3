"""What the API tests share: knowledge bases served by the real app on each backend, a client that checks
every Evidence it sees against its article, and query fragments.

``tests/fixtures/api`` is a two-article knowledge base written for the API: emoji, flags, ZWJ sequences and
mathematical letters sit before and inside quotes, so code-point and UTF-16 offsets differ; roles with
start and end dates (for ``asOf``), a disputed duration, a record-level dispute, a cancelled call.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from starlette.applications import Starlette

from kb.config import Limits, Settings
from kb.errors import CurationErrors
from kb.graph import restart
from kb.graph.snapshot import Snapshot, from_knowledge_base
from kb.load import pipeline
from kb.load.version import kb_version
from kb.serve.app import create_app
from kb.serve.sparql.guard import SparqlGuard

ROOT = Path(__file__).resolve().parent.parent
API_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "api"
BACKENDS = ("oxigraph", "disk", "rdflib", "virtuoso")
"""disk: Oxigraph kept on disk (kb.graph.kept), built into a temporary cache folder and opened read-only.
virtuoso: the knowledge base published into a private Virtuoso (tests/virtuoso.py) by kb publish and served
through the remote SPARQL backend (kb/serve/remote.py), as ``kb serve --store sparql+http://…`` does."""

EVIDENCE = "id quote start end utf16Start utf16End prefix suffix source { id }"
"""Every field of Evidence: ask for it wherever evidence is returned, so the client checks all of it."""


@cache
def snapshot(root: Path, backend: str) -> Snapshot:
    """Return the snapshot of the knowledge base under ``root`` on ``backend`` (cached: tests only read it).
    Fails, saying why, when the knowledge base does not validate."""
    try:
        kb = pipeline.load(root)
    except CurationErrors as errors:
        pytest.fail(f"{root} does not validate ({len(errors)} errors; run kb validate)")
    if backend == "disk":
        return restart.start(Settings(root=root, store="disk", cache=Path(_caches.enter_context(
            tempfile.TemporaryDirectory(prefix="kb-kept-"))))).snapshot
    return from_knowledge_base(kb, Settings(root=root, store=backend), kb_version(root))


_caches = contextlib.ExitStack()  # the kept builds of the "disk" backend, deleted when the tests end
atexit.register(_caches.close)


class Http:
    """A blocking HTTP client over an ASGI app: httpx's AsyncClient and ASGITransport, driven through an anyio
    portal (an event loop in a thread), so tests read like plain requests."""

    def __init__(self, app: Starlette, portal: Any) -> None:
        self.app = app
        self.portal = portal
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and return its response."""
        response: httpx.Response = self.portal.call(partial(self.client.request, method, url, **kwargs))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def serve(app: Starlette) -> Iterator[Http]:
    """Yield a blocking client over ``app`` for the duration of the block."""
    with anyio.from_thread.start_blocking_portal() as portal:
        http = Http(app, portal)
        try:
            yield http
        finally:
            portal.call(http.client.aclose)


class Api:
    """The real app over HTTP (httpx), with checks on every answer."""

    def __init__(self, client: Http, backend: str) -> None:
        self.client = client
        self.backend = backend
        self._texts: dict[str, str] | None = None

    def post(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Return the raw HTTP response to a GraphQL POST."""
        return self.client.post("/graphql", json={"query": query, "variables": variables or {}})

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Return ``data`` of a query that must succeed, after checking every Evidence in it."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, json.dumps(body["errors"], indent=2)
        check_evidence(body["data"], self.texts())
        return body["data"]

    def errors(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        """Return the error messages of a query that must fail."""
        response = self.post(query, variables)
        body = response.json()
        assert body.get("errors"), body
        return [error["message"] for error in body["errors"]]

    def queries(self, query: str, variables: dict[str, Any] | None = None) -> int:
        """Return how many SPARQL queries answering ``query`` cost (the X-KB-SPARQL-Queries header)."""
        response = self.post(query, variables)
        assert "errors" not in response.json(), response.text
        return int(response.headers["x-kb-sparql-queries"])

    def texts(self) -> dict[str, str]:
        """Return every article's text by global id (asked once through the API itself)."""
        if self._texts is None:
            response = self.post("{ sources(first: 100) { nodes { id text } } }")
            self._texts = {s["id"]: s["text"] for s in response.json()["data"]["sources"]["nodes"]}
        return self._texts


def check_evidence(payload: Any, texts: dict[str, str]) -> int:
    """Assert for every evidence object in ``payload`` that its offsets select its quote in its article, in
    code points and in UTF-16 code units, and that prefix and suffix surround it. Returns how many it checked."""
    checked = 0
    if isinstance(payload, list):
        return sum(check_evidence(item, texts) for item in payload)
    if not isinstance(payload, dict):
        return 0
    source = payload.get("source")
    if "quote" in payload and isinstance(source, dict) and "id" in source:
        text, quote = texts[source["id"]], payload["quote"]
        if "start" in payload:
            assert text[payload["start"] : payload["end"]] == quote
        if "utf16Start" in payload:
            units = text.encode("utf-16-le")
            assert units[2 * payload["utf16Start"] : 2 * payload["utf16End"]].decode("utf-16-le") == quote
        if "prefix" in payload and "start" in payload:
            assert text[: payload["start"]].endswith(payload["prefix"])
            assert text[payload["end"] :].startswith(payload["suffix"])
        checked += 1
    return checked + sum(check_evidence(value, texts) for value in payload.values())


def app(root: Path, backend: str, limits: Limits | None = None, **settings: Any) -> Starlette:
    """Return the app serving ``root`` on ``backend``."""
    return create_app(Settings(root=root, store=backend, **settings), snapshot(root, backend), limits)


def fixture(root: Path = API_FIXTURE, backends: tuple[str, ...] = BACKENDS) -> Any:
    """Return a module-scoped pytest fixture yielding an :class:`Api` over ``root``, once per backend of
    ``backends`` (a test that one backend shows asks for that one rather than skipping the others)."""

    @pytest.fixture(scope="module", params=backends)
    def api(request: pytest.FixtureRequest) -> Iterator[Api]:
        if request.param == "virtuoso":
            from tests import virtuoso

            published = virtuoso.published_snapshot(request.getfixturevalue("virtuoso_server"), root)
            served = create_app(Settings(root=root, store="sparql"), published)
        else:
            served = app(root, request.param)
        with serve(served) as http:
            yield Api(http, request.param)

    return api


def nodes(connection: dict[str, Any]) -> list[Any]:
    """Return the nodes of a connection in the response."""
    found: list[Any] = connection["nodes"]
    return found


def ids(connection: dict[str, Any]) -> list[str]:
    """Return the ids of a connection's nodes."""
    return [node["id"] for node in nodes(connection)]


def worker_requests(guard: SparqlGuard) -> Counter[str]:
    """Count, from now on, what ``guard`` asks of its worker processes, by operation: ``load`` (a whole graph),
    ``patch`` (a patch the worker applied), ``patch refused`` (one it did not: a load follows), ``query``..."""
    sent: Counter[str] = Counter()
    for worker in guard.workers:
        call = worker.call

        def counted(header: dict[str, Any], data: bytes | None, seconds: float,
                    call: Any = call) -> tuple[dict[str, Any], bytes]:
            reply, body = call(header, data, seconds)
            sent[header["op"] if reply.get("ok", True) else f"{header['op']} refused"] += 1
            return reply, body

        worker.call = counted  # on the instance: the guard's own code is left as it runs
    return sent
