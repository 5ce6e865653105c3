"""The SPARQL 1.1 Protocol endpoint (/sparql): read-only queries by GET or POST, and its service description.

Updates never reach the engine: kb only ever calls the backends' query methods, and an update request
(``update=`` or ``application/sparql-update``) is refused with 400. ``SERVICE`` is refused before evaluation
too, because both engines would fetch the IRI it names over the network; ``FROM``/``FROM NAMED`` and the
protocol's ``default-graph-uri``/``named-graph-uri`` choose among the graphs the snapshot holds, and a graph
it does not hold is refused (400) before evaluation (kb.serve.sparql.worker), never fetched.

Answers come in the type the Accept header rates best (kb.serve.sparql.formats; 406 when it accepts none of
those offered), and every answer says ``Vary: Accept`` and a ``Cache-Control``: an answer is fixed for a served
version, so a client revalidates it with its ETag (kb.serve.middleware.cache); a refusal is not stored.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kb.errors import QueryError, SparqlRefused
from kb.graph.pool import off_loop
from kb.graph.snapshot import Snapshot
from kb.serve.sparql.description import describe
from kb.serve.sparql.formats import FORMAT_NAMES, GRAPHS, choose, not_acceptable
from kb.serve.sparql.guard import Asked
from kb.serve.sparql.parsed import READ_ONLY
from kb.serve.sparql.protocol import Parsed, ProtocolError, parse_request

# The keyword pre-filter: a cheap first pass before the worker's parser (kb.serve.sparql.parsed). It reads
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
_REFUSED = re.compile(r"(?<![\w?$:-])(SERVICE)(?![\w:-])", re.IGNORECASE)
# Up to this many characters of client input, the slowest input known (benchmarks/adversarial_sparql.py) is
# parsed and checked in under 1 ms on the event loop; longer input is handled in a thread.
INLINE_CHARS = 1024
DESCRIPTION_TYPES = GRAPHS
CACHE_OK = "no-cache"
"""An answer is fixed for a served version, and the next version may differ: a cache keeps it and asks again
with its ETag (answered 304 while the version is served)."""
CACHE_REFUSED = "no-store"

P = ParamSpec("P")
T = TypeVar("T")


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
        """Return why the endpoint will not run the query (an update, SERVICE), or None when it may run."""
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
    """Return why the endpoint will not run ``query`` (an update, SERVICE), or None when it may run."""
    return _Scan(query).refusal()


async def off_the_loop(size: int, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``work(*args, **kwargs)``, run in a thread when ``size`` (characters of client input) is over
    INLINE_CHARS: a 64 KiB form of 16,000 fields takes parse_qs 50 ms, and the event loop serves every other
    request meanwhile (the thread holds the GIL only a switch interval, 5 ms, at a time)."""
    if size <= INLINE_CHARS:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


async def read_request(request: Request) -> Parsed:
    """Return what a SPARQL Protocol request asks. Raises ProtocolError."""
    body = await request.body() if request.method == "POST" else b""
    content_type = request.headers.get("content-type", "")
    url_query = request.url.query
    return await off_the_loop(len(url_query) + len(body), parse_request, request.method, content_type, url_query,
                              body)


def _headers(status: int) -> dict[str, str]:
    return {"vary": "Accept", "cache-control": CACHE_OK if status == 200 else CACHE_REFUSED}


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers={**(headers or {}), **_headers(status)})


async def answer(request: Request, snapshot: Snapshot) -> Response:
    """Answer one SPARQL Protocol request from ``snapshot``: 200 with results (or, to a GET without a query,
    the service description), 4xx with a plain message."""
    accept = request.headers.get("accept", "")
    try:
        parsed = await read_request(request)
        if parsed.query is None:
            return await _description(request, snapshot, parsed, accept)
        reason = await off_the_loop(len(parsed.query), refusal, parsed.query)
        if reason:
            raise ProtocolError(400, reason)
        asked = Asked(parsed.query, accept, parsed.format, parsed.default, parsed.named)
        # In a worker process, under a time limit, a row cap and a bound on concurrent queries (kb.serve.sparql.guard)
        found = await request.app.state.sparql_guard.answer(snapshot, asked)
    except ProtocolError as exc:
        return _refusal(exc.status, exc.message)
    except SparqlRefused as exc:
        metrics = getattr(request.app.state, "metrics", None)  # kb.serve.metrics: time-outs, memory kills
        if metrics is not None:
            metrics.refused(exc.status)
        return _refusal(exc.status, exc.message, exc.headers)
    except QueryError as exc:
        return _refusal(400, f"the query was refused: {exc}")
    return Response(found.body, headers={"content-type": _content_type(found.media_type), **found.headers,
                                         **_headers(200)})


def _content_type(media_type: str) -> str:
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


async def _description(request: Request, snapshot: Snapshot, parsed: Parsed, accept: str) -> Response:
    """Return the service description in the type asked (``format=`` or Accept). Raises ProtocolError (406)."""
    named = FORMAT_NAMES[parsed.format.lower()][1] if parsed.format else None
    media = named if named in DESCRIPTION_TYPES else choose(accept, DESCRIPTION_TYPES)
    if media is None:
        raise ProtocolError(406, not_acceptable(DESCRIPTION_TYPES))
    endpoint = str(request.url.replace(query="", fragment=""))
    body = await off_loop(describe, snapshot, endpoint, media)  # asks the store for every graph: in its pool
    return Response(body, headers={"content-type": _content_type(media), **_headers(200)})
