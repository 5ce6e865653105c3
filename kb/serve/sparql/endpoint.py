"""The SPARQL 1.1 Protocol endpoint (/sparql): read-only queries by GET or POST, JSON, CSV or XML results.

Updates never reach the engine: kb only ever calls the backends' query methods, and an update request
(``update=`` or ``application/sparql-update``) is refused with 400. ``SERVICE`` and ``FROM``/``FROM NAMED``
are refused before evaluation too, because both engines would fetch the IRIs they name over the network.
"""

from __future__ import annotations

import re
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

# Strings, IRIs and comments, so keywords are only looked for in the query's own words.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)
_REFUSED = re.compile(r"(?<![\w?$:-])(SERVICE|FROM)(?![\w:-])", re.IGNORECASE)
_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+[\w-]*:\s*|BASE\s*)\S*\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted"


class ProtocolError(Exception):
    """A request the endpoint refuses: its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def words(query: str) -> str:
    """Return the query with strings, IRIs and comments blanked out."""
    return _SKIP.sub(" ", query)


def refusal(query: str) -> str | None:
    """Return why the endpoint will not run ``query`` (an update, SERVICE, FROM), or None when it may run."""
    bare = words(query)
    if _UPDATE.match(bare):
        return READ_ONLY
    found = _REFUSED.search(bare)
    if found:
        keyword = found.group(1).upper()
        return f"{keyword} is not allowed here: queries run on this knowledge base's own graph only"
    return None


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


async def read_request(request: Request) -> tuple[str, dict[str, list[str]]]:
    """Return the query text and the parameters of a SPARQL Protocol request. Raises ProtocolError."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    query: str | None = None
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = (await request.body()).decode("utf-8", errors="replace")
        if media == "application/sparql-update":
            raise ProtocolError(400, READ_ONLY)
        if media == "application/sparql-query":
            query = body
        elif media == "application/x-www-form-urlencoded":
            for name, items in parse_qs(body, keep_blank_values=True).items():
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


async def answer(request: Request, snapshot: Snapshot) -> Response:
    """Answer one SPARQL Protocol request from ``snapshot``: 200 with results, 4xx with a plain message."""
    try:
        query, params = await read_request(request)
        reason = refusal(query)
        if reason:
            raise ProtocolError(400, reason)
        results, graphs = negotiate(params.get("format", [""])[0] or None, request.headers.get("accept", ""))
        # In a worker process, under a time limit, a row cap and a bound on concurrent queries (kb.serve.sparql.guard)
        found = await request.app.state.sparql_guard.answer(snapshot, query, results.value, graphs.value)
    except ProtocolError as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    except SparqlRefused as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)
    except QueryError as exc:
        return JSONResponse({"error": f"the query was refused: {exc}"}, status_code=400)
    media = found.media_type + ("; charset=utf-8" if found.media_type.startswith("text/") else "")
    return Response(found.body, headers={"content-type": media, **found.headers})
