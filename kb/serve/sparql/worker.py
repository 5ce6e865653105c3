"""The process a /sparql query runs in, so that a runaway query can be killed
(``python -m kb.serve.sparql.worker``).

Neither engine can stop a query from outside (pyoxigraph has no timeout; rdflib none either), and a thread
cannot be killed, so :mod:`kb.serve.sparql.guard` runs each query here and kills this process when time is up.
This module imports only the engines and the light modules of kb.graph that work on their terms and stores
(:mod:`kb.graph.terms`, :mod:`kb.graph.native`), never the web stack, so a fresh worker starts quickly.

Protocol on stdin/stdout: messages framed as a 4-byte big-endian length and the bytes. A request is a JSON
header, followed for ``load`` by the N-Quads of the snapshot to answer from:

    {"op": "load", "engine": "oxigraph" | "rdflib"}  + N-Quads   -> {"ok": true}
    {"op": "patch", "remove": n}  + N-Quads to remove (n bytes), then to add   -> {"ok": true}
    {"op": "open", "path": ...}  a kept on-disk store (kb.graph.kept), opened read-only   -> {"ok": true}
    {"op": "check", "query": ...}                                -> {"ok": true} or a refusal, as below
    {"op": "query", "query": ..., "results": <media type>, "graphs": <media type>, "max_rows": N}
        -> {"ok": true, "media_type": ..., "rows": n, "truncated": bool} + body
        -> {"ok": false, "status": 400, "error": <message for the client>}

Every query is parsed with rdflib's SPARQL 1.1 parser first (:func:`refusal`): an update, ``SERVICE`` and
``FROM``/``FROM NAMED`` are refused before the engine sees the text; comments and strings cannot hide them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kb.graph.native import patch_store
from kb.graph.terms import Parts, from_ox, from_rdflib, to_json, to_ox

READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted"
NOT_HERE = "{} is not allowed here: queries run on this knowledge base's own graph only"
JSON_RESULTS, XML_RESULTS, CSV_RESULTS = (
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
)


# ---------------------------------------------------------------------------------------------------------
# what is refused, decided on the parse tree


def _walk(node: Any) -> Iterator[CompValue]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def refusal(query: str) -> str | None:
    """Return why ``query`` may not run (an update, SERVICE, FROM, or not SPARQL 1.1), or None."""
    try:
        tree = parseQuery(query)
    except Exception as exc:  # noqa: BLE001 -- pyparsing's ParseException, RecursionError on deep nesting, ...
        try:
            parseUpdate(query)
        except Exception:  # noqa: BLE001 -- neither a query nor an update
            return f"the query is not valid SPARQL 1.1 ({_where(exc, query)})"
        return READ_ONLY
    for part in _walk(tree):
        if part.name == "ServiceGraphPattern":
            return NOT_HERE.format("SERVICE")
        if "datasetClause" in part and part["datasetClause"]:  # noqa: RUF019 -- CompValue.get(k) returns k
            return NOT_HERE.format("FROM")
    return None


def _where(exc: BaseException, query: str) -> str:
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    if isinstance(line, int) and isinstance(column, int):
        return f"syntax error at line {line}, column {column}"
    return "it could not be parsed"


# ---------------------------------------------------------------------------------------------------------
# evaluation with a row cap


class Engine:
    """One snapshot's graph, loaded from N-Quads into the engine the server uses."""

    def __init__(self, kind: str, nquads: bytes, path: str | None = None) -> None:
        self.kind = kind
        if path is not None:  # shared with the server and the other workers; never written once complete
            self.store = ox.Store.read_only(path)
        elif kind == "oxigraph":
            self.store = ox.Store()
            self.store.load(nquads, format=ox.RdfFormat.N_QUADS)  # in memory, less than bulk_load needs
        else:
            self.dataset = rdflib.Dataset(store="Memory")
            self.dataset.parse(data=nquads, format="nquads")

    def patch(self, remove: bytes, add: bytes) -> bool:
        """Remove and add quads (N-Quads), as the server patched its own store. Returns False for rdflib's
        engine, which is never patched (the server loads it again)."""
        if self.kind != "oxigraph":
            return False
        patch_store(self.store, remove, add)
        return True

    def run(self, query: str, max_rows: int) -> tuple[str, Any, bool]:
        """Return ``(form, answer, truncated)``: form is select (variables, rows), ask (bool) or graph
        (triples)."""
        if self.kind == "oxigraph":
            outcome = self.store.query(query)
            if isinstance(outcome, ox.QuerySolutions):
                names = [v.value for v in outcome.variables]
                rows = [_row((s[n] for n in names), from_ox) for s in islice(outcome, max_rows + 1)]
                return "select", (names, rows[:max_rows]), len(rows) > max_rows
            if isinstance(outcome, ox.QueryBoolean):
                return "ask", bool(outcome), False
            triples = list(islice(outcome, max_rows + 1))
            return "graph", triples[:max_rows], len(triples) > max_rows
        result = self.dataset.query(query)
        if result.type == "SELECT":
            names = [str(v) for v in result.vars or []]
            rows = [_row(row, from_rdflib) for row in islice(result, max_rows + 1)]  # type: ignore[arg-type]
            return "select", (names, rows[:max_rows]), len(rows) > max_rows
        if result.type == "ASK":
            return "ask", bool(result.askAnswer), False
        triples = list(islice(iter(result.graph or rdflib.Graph()), max_rows + 1))
        return "graph", [_to_ox_triple(t) for t in triples[:max_rows]], len(triples) > max_rows


def _row(values: Iterable[Any], convert: Callable[[Any], Parts]) -> list[Parts | None]:
    return [None if value is None else convert(value) for value in values]


def _to_ox_triple(triple: tuple[Any, Any, Any]) -> Any:
    return ox.Triple(*(to_ox(t) for t in triple))


# ---------------------------------------------------------------------------------------------------------
# serialisation of what was kept


def _csv_value(term: Parts | None) -> str:
    if term is None:
        return ""
    value, kind = term[0], term[1]
    return f"_:{value}" if kind == "bnode" else value


def _xml_term(term: Parts) -> str:
    value, kind, datatype, lang = term
    if kind == "uri":
        return f"<uri>{escape(value)}</uri>"
    if kind == "bnode":
        return f"<bnode>{escape(value)}</bnode>"
    attrs = (f" xml:lang={quoteattr(lang)}" if lang
             else f" datatype={quoteattr(datatype)}" if datatype else "")
    return f"<literal{attrs}>{escape(value)}</literal>"


def serialize_select(names: list[str], rows: list[list[Parts | None]], media_type: str, truncated: bool,
                     max_rows: int) -> bytes:
    """Return SELECT results as SPARQL JSON (with ``truncated`` and ``rowLimit`` when cut), XML or CSV."""
    if media_type == CSV_RESULTS:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
        return out.getvalue().encode()
    if media_type == XML_RESULTS:
        head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        body = "".join(
            "<result>" + "".join(f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                                 for n, t in zip(names, row, strict=True) if t is not None) + "</result>"
            for row in rows
        )
        return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{head}</head>'
                f"<results>{body}</results></sparql>").encode()
    document: dict[str, Any] = {
        "head": {"vars": names},
        "results": {"bindings": [{n: to_json(*t) for n, t in zip(names, row, strict=True) if t is not None}
                                 for row in rows]},
    }
    if truncated:
        document["truncated"] = True
        document["rowLimit"] = max_rows
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serialize_ask(answer: bool, media_type: str) -> tuple[bytes, str]:
    """Return an ASK answer as SPARQL XML, or JSON (also for CSV, which has no boolean form)."""
    if media_type == XML_RESULTS:
        return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{str(answer).lower()}</boolean></sparql>").encode(), XML_RESULTS
    return json.dumps({"head": {}, "boolean": answer}).encode("utf-8"), JSON_RESULTS


GRAPH_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES}


def answer(engine: Engine, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Return the reply header and body for one query request."""
    query, max_rows = request["query"], int(request["max_rows"])
    reason = refusal(query)
    if reason is not None:
        return {"ok": False, "status": 400, "error": reason}, b""
    try:
        form, found, truncated = engine.run(query, max_rows)
    except SyntaxError as exc:  # Oxigraph's parser: its own words (a position and what it expected)
        message = str(exc).splitlines()[0][:300]
        return {"ok": False, "status": 400, "error": f"the query was refused: {message}"}, b""
    except Exception:  # noqa: BLE001 -- anything else is the engine's business: never its internals in a response
        error = "the query was refused: the engine could not evaluate it"
        return {"ok": False, "status": 400, "error": error}, b""
    if form == "select":
        names, rows = found
        media_type = request["results"]
        body = serialize_select(names, rows, media_type, truncated, max_rows)
        count = len(rows)
    elif form == "ask":
        body, media_type = serialize_ask(found, request["results"])
        count = 1
    else:
        media_type = request["graphs"]
        body = ox.serialize(found, format=GRAPH_FORMATS[media_type]) or b""
        count = len(found)
    return {"ok": True, "media_type": media_type, "rows": count, "truncated": truncated}, body


# ---------------------------------------------------------------------------------------------------------
# the loop


def read_message(stream: BinaryIO) -> bytes | None:
    """Return the next framed message, or None at end of stream."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    return data if len(data) == size else None


def frame(*parts: bytes) -> bytes:
    """Return ``parts`` framed, ready to write in one call."""
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _address_space() -> int:
    """Return this process's virtual memory size in bytes (VmSize), or 0 where /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cap_memory(allowance: int | None) -> None:
    """Let this process grow by at most ``allowance`` bytes beyond what it holds now (its graph), or lift
    the cap (None) while a graph loads. The hard limit stays unlimited, so the cap can be moved again."""
    if allowance is None:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    else:
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + allowance, resource.RLIM_INFINITY))


def serve(requests: BinaryIO, replies: BinaryIO, allowance: int | None = None) -> None:
    """Answer requests until the parent closes the pipe. With ``allowance``, a query may take at most that
    many bytes beyond the graph loaded (kb.serve.sparql.guard: more ends this process, not the machine)."""
    engine: Engine | None = None
    while (message := read_message(requests)) is not None:
        request = json.loads(message)
        reply: dict[str, Any]
        if request["op"] == "open":
            if allowance is not None:
                cap_memory(None)
            try:
                engine, reply = Engine("oxigraph", b"", request["path"]), {"ok": True}
            except OSError as exc:
                engine, reply = None, {"ok": False, "status": 500, "error": f"cannot open the store: {exc}"}
            if allowance is not None:
                cap_memory(allowance)
            body = b""
        elif request["op"] in ("load", "patch"):
            if allowance is not None:
                cap_memory(None)  # the graph takes what it takes; the cap bounds queries
            data = read_message(requests) or b""
            reply = {"ok": True}
            if request["op"] == "load":
                engine = Engine(request["engine"], data)
            elif engine is None or not engine.patch(data[:request["remove"]], data[request["remove"]:]):
                reply = {"ok": False, "status": 500, "error": "nothing to patch"}
            data = b""
            if allowance is not None:
                cap_memory(allowance)
            body = b""
        elif request["op"] == "check":
            reason = refusal(request["query"])
            reply = {"ok": True} if reason is None else {"ok": False, "status": 400, "error": reason}
            body = b""
        elif engine is None:
            reply, body = {"ok": False, "status": 500, "error": "no snapshot loaded"}, b""
        else:
            reply, body = answer(engine, request)
        replies.write(frame(json.dumps(reply).encode("utf-8"), body))
        replies.flush()


def main() -> None:
    """Serve on stdin/stdout; anything a library prints goes to stderr, never into the replies.

    The optional argument is how many bytes of address space a query may take beyond the graph loaded, so a
    query that would exhaust memory ends this process rather than the machine, at any size of graph.
    """
    allowance = int(sys.argv[1]) if len(sys.argv) > 1 else None
    if allowance is not None:
        cap_memory(allowance)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, replies, allowance)


if __name__ == "__main__":
    main()
