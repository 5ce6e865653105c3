"""The SPARQL 1.1 Protocol endpoint (/sparql): read-only queries by GET or POST, JSON, CSV or XML results.

Updates never reach the engine: kb only ever calls the backends' query methods, and an update request
(``update=`` or ``application/sparql-update``) is refused with 400. ``SERVICE`` and ``FROM``/``FROM NAMED``
are refused before evaluation too, because both engines would fetch the IRIs they name over the network.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.errors import QueryError, SparqlRefused
from kb.graph.query import GraphFormat, ResultFormat
from kb.graph.snapshot import Snapshot

FORMAT_NAMES: dict[str, ResultFormat | GraphFormat] = {
    "json": ResultFormat.JSON, "csv": ResultFormat.CSV, "xml": ResultFormat.XML,
    "ttl": GraphFormat.TURTLE, "turtle": GraphFormat.TURTLE, "nt": GraphFormat.NTRIPLES,
    "ntriples": GraphFormat.NTRIPLES,
}
MEDIA_TYPES: dict[str, ResultFormat | GraphFormat] = {
    "application/sparql-results+json": ResultFormat.JSON, "application/json": ResultFormat.JSON,
    "text/csv": ResultFormat.CSV, "application/sparql-results+xml": ResultFormat.XML,
    "application/xml": ResultFormat.XML, "text/turtle": GraphFormat.TURTLE,
    "application/n-triples": GraphFormat.NTRIPLES, "text/plain": GraphFormat.NTRIPLES,
}

# The keyword pre-filter: a cheap first pass before the worker's parser (kb.serve.sparql.worker.refusal). It reads
# client text, so it must be linear in it: every pattern is possessive (*+) over alternatives that begin with
# different characters (nothing to backtrack into), a string that never closes is read once (_Scan.words), and
# the prologue is walked by positions instead of one pattern with a quantifier inside a quantifier (the old
# _UPDATE took 6.9 s on "BASE" * 24 + "!", doubling with each BASE; the old _SKIP was quadratic in '"\\' * n).
_START = re.compile(r"[\"'<#]")
_LONG = {'"': re.compile(r'(?:[^"\\]|\\.|"(?!""))*+'), "'": re.compile(r"(?:[^'\\]|\\.|'(?!''))*+")}
_SHORT = {'"': re.compile(r'(?:[^"\\\n]|\\.)*+'), "'": re.compile(r"(?:[^'\\\n]|\\.)*+")}
_IRI = re.compile(r'[^<>"{}|^`\\\s]*+')
_LINE = re.compile(r"[^\n]*+")
# The prologue an update may hide behind: (PREFIX name: | BASE), each followed by any word and spaces.
_ITEM = re.compile(r"(?=(PREFIX)|(BASE)|(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b)",
                   re.IGNORECASE)
_PREFIX_NAME = re.compile(r"\s++[\w-]*+")
_SPACE = re.compile(r"\s*+")
_WORD = re.compile(r"\S++")
_REFUSED = re.compile(r"(?<![\w?$:-])(SERVICE|FROM)(?![\w:-])", re.IGNORECASE)
# Up to this many characters of client input, the slowest input known (benchmarks/adversarial_sparql.py) is
# parsed and checked in under 1 ms on the event loop; longer input is handled in a thread.
INLINE_CHARS = 1024
READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted"

P = ParamSpec("P")
T = TypeVar("T")


class ProtocolError(Exception):
    """A request the endpoint refuses: its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Scan:
    """The pre-filter over one query. ``steps`` counts what its patterns read plus its loop turns: the tests hold
    it linear in the query's length for every adversarial shape known (each pattern call is linear in what it
    reads, being possessive over alternatives that cannot overlap)."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.steps = 0

    def _read(self, pattern: re.Pattern[str], text: str, pos: int) -> int:
        """Return where ``pattern`` (one that always matches, maybe nothing) stops reading from ``pos``."""
        found = pattern.match(text, pos)
        end = pos if found is None else found.end()
        self.steps += end - pos + 1
        return end

    def words(self) -> str:
        """Return the query with strings, IRIs and comments blanked out, each replaced by one space."""
        text, kept, pos = self.query, 0, 0
        pieces: list[str] = []
        failed: dict[tuple[str, int], int] = {}
        while (found := _START.search(text, pos)) is not None:
            start = found.start()
            self.steps += start - pos + 1
            end = self._token(text, start, failed)
            if end is None:
                pos = start + 1
            else:
                pieces += (text[kept:start], " ")
                kept = pos = end
        self.steps += len(text) - pos
        return "".join(pieces) + text[kept:]

    def _token(self, text: str, start: int, failed: dict[tuple[str, int], int]) -> int | None:
        """Return the end of the string, IRI or comment at ``start``, or None (its character is then a word's).

        A string that does not close read to ``failed[(quote, width)]``: any same string opened before there lies
        inside it, past an escape, so it reads the same characters to the same end and is not read again."""
        char = text[start]
        if char == "#":
            return self._read(_LINE, text, start + 1)
        if char == "<":
            end = self._read(_IRI, text, start + 1)
            return end + 1 if text.startswith(">", end) else None
        for width, bodies in ((3, _LONG), (1, _SHORT)):
            delimiter = char * width
            if not text.startswith(delimiter, start) or start < failed.get((char, width), -1):
                continue
            end = self._read(bodies[char], text, start + width)
            if text.startswith(delimiter, end):
                return end + width
            failed[(char, width)] = end
        return None

    def is_update(self, bare: str) -> bool:
        """Whether ``bare`` (the words) starts with an update keyword after any PREFIX and BASE declarations:
        ``^\\s*(?:(?:PREFIX\\s+[\\w-]*:\\s*|BASE\\s*)\\S*\\s*)*(INSERT|DELETE|…|WITH)\\b``, case-insensitive.

        A declaration ending at ``c`` lets the next one (or the keyword) start anywhere in ``c .. span(c)``, the
        end of ``\\s*\\S*\\s*`` from ``c``: so the positions that may start one are a union of intervals, and
        each candidate (found once, in order) is checked against the intervals begun before it."""
        pending = [(0, self._read(_SPACE, bare, 0))]
        reach = -1  # the furthest end of the intervals begun so far
        limit = pending[0][1]  # the furthest end of any interval: no candidate past it can count
        words: tuple[list[int], list[int]] | None = None
        pos = 0
        # Searched up to 8 characters past the limit, so a keyword's \b still sees the character after it.
        while (found := _ITEM.search(bare, pos, limit + 8)) is not None and found.start() <= limit:
            start = found.start()
            self.steps += start - pos + 1
            pos = start + 1
            while pending and pending[0][0] <= start:
                reach = max(reach, heapq.heappop(pending)[1])
                self.steps += 1
            if start > reach:
                if not pending:
                    return False  # nothing further can start a declaration
                pos = pending[0][0]
                continue
            if found.group(1):
                name = _PREFIX_NAME.match(bare, start + 6)
                self.steps += 1 if name is None else name.end() - start
                if name is None or not bare.startswith(":", name.end()):
                    continue
                end = name.end() + 1
            elif found.group(2):
                end = start + 4
            else:
                return True
            if words is None:
                found_words = list(_WORD.finditer(bare))
                words = ([w.start() for w in found_words], [w.end() for w in found_words])
                self.steps += len(bare)
            span = self._span(bare, words, end)
            heapq.heappush(pending, (end, span))
            limit = max(limit, span)
        self.steps += max(0, min(len(bare), limit + 8) - pos)
        return False

    def _span(self, bare: str, words: tuple[list[int], list[int]], pos: int) -> int:
        """Return the end of ``\\s*\\S*\\s*`` from ``pos``: the start of the word after the first word that ends
        after ``pos`` (``words``: where each word starts, where each ends), or the end of the text."""
        starts, ends = words
        self.steps += 1
        index = bisect.bisect_right(ends, pos) + 1
        return starts[index] if index < len(starts) else len(bare)

    def refusal(self) -> str | None:
        """Return why the endpoint will not run the query (an update, SERVICE, FROM), or None when it may run."""
        bare = self.words()
        if self.is_update(bare):
            return READ_ONLY
        self.steps += len(bare)
        found = _REFUSED.search(bare)
        if found:
            keyword = found.group(1).upper()
            return f"{keyword} is not allowed here: queries run on this knowledge base's own graph only"
        return None


def words(query: str) -> str:
    """Return the query with strings, IRIs and comments blanked out."""
    return _Scan(query).words()


def refusal(query: str) -> str | None:
    """Return why the endpoint will not run ``query`` (an update, SERVICE, FROM), or None when it may run."""
    return _Scan(query).refusal()


def negotiate(format_name: str | None, accept: str) -> tuple[ResultFormat, GraphFormat]:
    """Return the result and graph formats asked by ``format=`` (first) or the Accept header (JSON and Turtle
    by default). Raises ProtocolError for an unknown ``format=``."""
    results, graphs = ResultFormat.JSON, GraphFormat.TURTLE
    asked: list[ResultFormat | GraphFormat] = []
    if format_name:
        if format_name.lower() not in FORMAT_NAMES:
            raise ProtocolError(400, f"unknown format {format_name!r}; known: {', '.join(FORMAT_NAMES)}")
        asked = [FORMAT_NAMES[format_name.lower()]]
    else:
        for part in sorted(_accepted(accept), key=lambda p: -p[1]):
            if part[0] in MEDIA_TYPES:
                asked.append(MEDIA_TYPES[part[0]])
    results = next((f for f in asked if isinstance(f, ResultFormat)), results)
    graphs = next((f for f in asked if isinstance(f, GraphFormat)), graphs)
    return results, graphs


def _accepted(accept: str) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            found.append((media.strip().lower(), quality))
    return found


def parse_request(method: str, media: str, url_query: str, body: bytes) -> tuple[str, dict[str, list[str]]]:
    """Return the query text and the parameters of a SPARQL Protocol request (``media``: the content type, bare
    and lower-case). Raises ProtocolError."""
    params = parse_qs(url_query, keep_blank_values=True)
    query: str | None = None
    if method == "POST":
        text = body.decode("utf-8", errors="replace")
        if media == "application/sparql-update":
            raise ProtocolError(400, READ_ONLY)
        if media == "application/sparql-query":
            query = text
        elif media == "application/x-www-form-urlencoded":
            for name, items in parse_qs(text, keep_blank_values=True).items():
                params.setdefault(name, []).extend(items)
        else:
            raise ProtocolError(415, "send the query as application/sparql-query or as a form field query=")
    if "update" in params:
        raise ProtocolError(400, READ_ONLY)
    if "default-graph-uri" in params or "named-graph-uri" in params:
        raise ProtocolError(400, "default-graph-uri and named-graph-uri are not supported: the default graph "
                                 "holds every triple")
    if query is None:
        given = params.get("query", [])
        if len(given) != 1 or not given[0].strip():
            raise ProtocolError(400, "give exactly one SPARQL query, as query= or an application/sparql-query body")
        query = given[0]
    return query, params


async def off_the_loop(size: int, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``work(*args, **kwargs)``, run in a thread when ``size`` (characters of client input) is over
    INLINE_CHARS: a 64 KiB form of 16,000 fields takes parse_qs 50 ms, and the event loop serves every other
    request meanwhile (the thread holds the GIL only a switch interval, 5 ms, at a time)."""
    if size <= INLINE_CHARS:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


async def read_request(request: Request) -> tuple[str, dict[str, list[str]]]:
    """Return the query text and the parameters of a SPARQL Protocol request. Raises ProtocolError."""
    body = await request.body() if request.method == "POST" else b""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url_query = request.url.query
    return await off_the_loop(len(url_query) + len(body), parse_request, request.method, media, url_query, body)


async def answer(request: Request, snapshot: Snapshot) -> Response:
    """Answer one SPARQL Protocol request from ``snapshot``: 200 with results, 4xx with a plain message."""
    try:
        query, params = await read_request(request)
        reason = await off_the_loop(len(query), refusal, query)
        if reason:
            raise ProtocolError(400, reason)
        results, graphs = negotiate(params.get("format", [""])[0] or None, request.headers.get("accept", ""))
        # In a worker process, under a time limit, a row cap and a bound on concurrent queries (kb.serve.sparql.guard)
        found = await request.app.state.sparql_guard.answer(snapshot, query, results.value, graphs.value)
    except ProtocolError as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    except SparqlRefused as exc:
        metrics = getattr(request.app.state, "metrics", None)  # kb.serve.metrics: time-outs, memory kills
        if metrics is not None:
            metrics.refused(exc.status)
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)
    except QueryError as exc:
        return JSONResponse({"error": f"the query was refused: {exc}"}, status_code=400)
    media = found.media_type + ("; charset=utf-8" if found.media_type.startswith("text/") else "")
    return Response(found.body, headers={"content-type": media, **found.headers})
