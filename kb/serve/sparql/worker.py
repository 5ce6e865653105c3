"""The process a /sparql query runs in, so that a runaway query can be killed
(``python -m kb.serve.sparql.worker``).

Neither engine can stop a query from outside (pyoxigraph has no timeout; rdflib none either), and a thread
cannot be killed, so :mod:`kb.serve.sparql.guard` runs each query here and kills this process when time is up.
This module imports only the engines, the light modules of kb.graph that work on their terms and stores
(:mod:`kb.graph.terms`, :mod:`kb.graph.native`) and those of kb.serve.sparql that import nothing more
(``formats``, ``parsed``, ``serialize``), never the web stack, so a fresh worker starts quickly.

Protocol on stdin/stdout: messages framed as a 4-byte big-endian length and the bytes. A request is a JSON
header, followed for ``load`` by the N-Quads of the snapshot to answer from:

    {"op": "load", "engine": "oxigraph" | "rdflib", "graphs": [...]}  + N-Quads   -> {"ok": true}
        (``graphs``: every named graph, the empty ones too, which N-Quads cannot carry)
    {"op": "patch", "remove": n}  + N-Quads to remove (n bytes), then to add   -> {"ok": true}
    {"op": "open", "path": ...}  a kept on-disk store (kb.graph.kept), opened read-only   -> {"ok": true}
    {"op": "check", <query fields>}   -> {"ok": true, "form": ..., "media_type": ...} or a refusal, as below
    {"op": "query", "query": ..., "accept": <Accept header>, "format": <format= or null>, "max_rows": N,
     "base": <base IRI>, "default": [IRI...] | null, "named": [IRI...] | null, "default_name": <IRI>}
        -> {"ok": true, "media_type": ..., "rows": n, "truncated": bool} + body
        -> {"ok": false, "status": 400 | 406, "error": <message for the client>}

Every query is parsed with rdflib's SPARQL 1.1 parser first (kb.serve.sparql.parsed): an update and ``SERVICE``
are refused, a type the client cannot take (406) and a graph this endpoint does not hold (400) too, before the
engine sees the text. Relative IRIs resolve against ``base`` (the knowledge base's base IRI). ``default_name``
names the default graph in a dataset (``default`` and ``named`` from the protocol override FROM).
"""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, BinaryIO

import pyoxigraph as ox
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from kb.graph.native import patch_store
from kb.graph.terms import Parts, from_ox, from_rdflib, to_ox
from kb.serve.sparql import serialize
from kb.serve.sparql.formats import not_acceptable
from kb.serve.sparql.parsed import Dataset, Inspected, dataset_of, inspect, media_type

NO_GRAPH = ("this endpoint holds no graph <{iri}>: name the default graph <{default}>, an article's graph or the "
            "vocabulary graph (GET /sparql without a query lists them)")


# ---------------------------------------------------------------------------------------------------------
# evaluation with a row cap


class Engine:
    """One snapshot's graph, loaded from N-Quads into the engine the server uses."""

    def __init__(self, kind: str, nquads: bytes, path: str | None = None, graphs: Iterable[str] = ()) -> None:
        self.kind = kind
        self._names: frozenset[str] | None = None
        if path is not None:  # shared with the server and the other workers; never written once complete
            self.store = ox.Store.read_only(path)
        elif kind == "oxigraph":
            self.store = ox.Store()
            self.store.load(nquads, format=ox.RdfFormat.N_QUADS)  # in memory, less than bulk_load needs
            for name in graphs:  # an empty named graph has no quad to carry it
                self.store.add_graph(ox.NamedNode(name))
        else:
            self.dataset = rdflib.Dataset(store="Memory")
            self.dataset.parse(data=nquads, format="nquads")
            for name in graphs:
                self.dataset.graph(rdflib.URIRef(name))

    def patch(self, remove: bytes, add: bytes) -> bool:
        """Remove and add quads (N-Quads), as the server patched its own store. Returns False for rdflib's
        engine, which is never patched (the server loads it again)."""
        if self.kind != "oxigraph":
            return False
        patch_store(self.store, remove, add)
        self._names = None
        return True

    def names(self) -> frozenset[str]:
        """Return the IRIs of the named graphs this engine holds (read once a version)."""
        if self._names is None:
            if self.kind == "oxigraph":
                found = (g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))
            else:
                found = (str(g.identifier) for g in self.dataset.graphs()
                         if g.identifier != DATASET_DEFAULT_GRAPH_ID)
            self._names = frozenset(found)
        return self._names

    def unknown(self, dataset: Dataset, default_name: str) -> str | None:
        """Return why ``dataset`` cannot be used (a graph this engine does not hold), or None."""
        defaults, named = dataset
        for iri in defaults:
            if iri != default_name and iri not in self.names():
                return NO_GRAPH.format(iri=iri, default=default_name)
        for iri in named:
            if iri not in self.names():
                why = " (the default graph cannot be a named graph)" if iri == default_name else ""
                return NO_GRAPH.format(iri=iri, default=default_name) + why
        return None

    def run(self, query: str, max_rows: int, base: str | None = None, dataset: Dataset | None = None,
            default_name: str = "") -> tuple[str, Any, bool]:
        """Return ``(form, answer, truncated)``: form is select (variables, rows), ask (bool) or graph
        (triples). ``dataset`` (checked by :meth:`unknown`) replaces the query's own, ``default_name``
        standing for the default graph."""
        if self.kind == "oxigraph":
            options: dict[str, Any] = {}
            if dataset is not None:
                options["default_graph"] = [ox.DefaultGraph() if g == default_name else ox.NamedNode(g)
                                            for g in dataset[0]]
                options["named_graphs"] = [ox.NamedNode(g) for g in dataset[1]]
            outcome = self.store.query(query, base_iri=base, **options)
            if isinstance(outcome, ox.QuerySolutions):
                names = [v.value for v in outcome.variables]
                rows = [_row((s[n] for n in names), from_ox) for s in islice(outcome, max_rows + 1)]
                return "select", (names, rows[:max_rows]), len(rows) > max_rows
            if isinstance(outcome, ox.QueryBoolean):
                return "ask", bool(outcome), False
            triples = list(islice(outcome, max_rows + 1))
            return "graph", triples[:max_rows], len(triples) > max_rows
        if dataset is None:
            result = self.dataset.query(query, base=base)
        else:  # rdflib would fetch a FROM graph over the network: the query runs on a view without its FROM
            prepared = translateQuery(parseQuery(query), base=base)
            prepared.algebra["datasetClause"] = None
            result = self._view(dataset, default_name).query(prepared)
        if result.type == "SELECT":
            names = [str(v) for v in result.vars or []]
            rows = [_row(row, from_rdflib) for row in islice(result, max_rows + 1)]  # type: ignore[arg-type]
            return "select", (names, rows[:max_rows]), len(rows) > max_rows
        if result.type == "ASK":
            return "ask", bool(result.askAnswer), False
        triples = list(islice(iter(result.graph or rdflib.Graph()), max_rows + 1))
        return "graph", [_to_ox_triple(t) for t in triples[:max_rows]], len(triples) > max_rows

    def _view(self, dataset: Dataset, default_name: str) -> rdflib.Dataset:
        """Return a Dataset whose default graph merges the graphs ``dataset[0]`` and whose named graphs are
        ``dataset[1]`` (copies: rdflib has no view of a graph subset)."""
        view = rdflib.Dataset(store="Memory")
        default = view.graph(DATASET_DEFAULT_GRAPH_ID)
        for iri in dataset[0]:
            source = DATASET_DEFAULT_GRAPH_ID if iri == default_name else rdflib.URIRef(iri)
            default += self.dataset.graph(source)
        for iri in dataset[1]:
            view.graph(rdflib.URIRef(iri)).__iadd__(self.dataset.graph(rdflib.URIRef(iri)))
        return view


def _row(values: Iterable[Any], convert: Callable[[Any], Parts]) -> list[Parts | None]:
    return [None if value is None else convert(value) for value in values]


def _to_ox_triple(triple: tuple[Any, Any, Any]) -> Any:
    return ox.Triple(*(to_ox(t) for t in triple))


# ---------------------------------------------------------------------------------------------------------
# one request


def _refused(status: int, error: str) -> tuple[dict[str, Any], bytes]:
    return {"ok": False, "status": status, "error": error}, b""


def check(request: dict[str, Any]) -> tuple[Inspected, str | None, tuple[str, ...]]:
    """Return what the query of ``request`` asks for and the type to answer it in (None: nothing acceptable)
    with the types offered for its form."""
    inspected = inspect(request["query"], request.get("base"))
    if inspected.reason is not None:
        return inspected, None, ()
    chosen, offered = media_type(inspected.form, request)
    return inspected, chosen, offered


def answer(engine: Engine, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Return the reply header and body for one query request: refused (400), not acceptable (406) or a
    graph not held (400) before the engine sees it."""
    inspected, chosen, offered = check(request)
    if inspected.reason is not None:
        return _refused(400, inspected.reason)
    if chosen is None:
        return _refused(406, not_acceptable(offered))
    dataset = dataset_of(inspected, request)
    default_name = str(request.get("default_name") or "")
    if dataset is not None and (problem := engine.unknown(dataset, default_name)) is not None:
        return _refused(400, problem)
    max_rows = int(request["max_rows"])
    try:
        form, found, truncated = engine.run(request["query"], max_rows, request.get("base"), dataset, default_name)
    except SyntaxError as exc:  # Oxigraph's parser: its own words (a position and what it expected)
        message = str(exc).splitlines()[0][:300]
        return _refused(400, f"the query was refused: {message}")
    except Exception:  # noqa: BLE001 -- anything else is the engine's business: never its internals in a response
        return _refused(400, "the query was refused: the engine could not evaluate it")
    if form == "select":
        names, rows = found
        body = serialize.select(names, rows, chosen, truncated, max_rows)
        count = len(rows)
    elif form == "ask":
        body, count = serialize.ask(found, chosen), 1
    else:
        body, count = serialize.triples(found, chosen), len(found)
    return {"ok": True, "media_type": chosen, "rows": count, "truncated": truncated}, body


# ---------------------------------------------------------------------------------------------------------
# the loop


def _checked(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Return the reply to ``check`` (a query for a remote engine): its form and type, or a refusal."""
    inspected, chosen, offered = check(request)
    if inspected.reason is not None:
        return _refused(400, inspected.reason)
    if chosen is None:
        return _refused(406, not_acceptable(offered))
    if dataset_of(inspected, request) is not None:
        return _refused(400, "a dataset (FROM, default-graph-uri, named-graph-uri) cannot be chosen when kb "
                             "serves a remote store")
    return {"ok": True, "form": inspected.form, "media_type": chosen}, b""


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
                engine = Engine(request["engine"], data, graphs=request.get("graphs", ()))
            elif engine is None or not engine.patch(data[:request["remove"]], data[request["remove"]:]):
                reply = {"ok": False, "status": 500, "error": "nothing to patch"}
            data = b""
            if allowance is not None:
                cap_memory(allowance)
            body = b""
        elif request["op"] == "check":
            reply, body = _checked(request)
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
