"""Serialise the graph: Turtle, N-Triples, JSON-LD (with the published context), or TriG and N-Quads (with named
graphs).

Turtle, N-Triples and JSON-LD hold the default graph (every triple); TriG and N-Quads hold the default graph and,
again, each article's statements and evidence in its named graph ``{base}graph/{source-id}``. The same graph
always gives the same bytes. :func:`serialize_graph` writes any one graph (a resolved IRI's description) the
same way.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kb import contracts
from kb.errors import ExportError
from kb.graph.store import copy_graph
from kb.graph.terms import Quad, plain, to_oxigraph
from kb.vocab import PREFIXES, VOCABULARY_GRAPH

FORMATS = ("turtle", "nt", "jsonld", "trig", "nquads")
MEDIA_TYPES = {
    "turtle": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
    "trig": "application/trig", "nquads": "application/n-quads",
}
GRAPH_FORMATS = ("turtle", "nt", "jsonld")
"""The formats of one graph (no named graphs): what :func:`serialize_graph` writes."""


@cache
def jsonld_context() -> dict[str, Any]:
    """Return the published JSON-LD ``@context`` (the value inside ``schema/context.jsonld``)."""
    context: dict[str, Any] = json.loads(contracts.path("context.jsonld").read_text("utf-8"))["@context"]
    return context


def _sorted_jsonld(text: str) -> str:
    """Sort the nodes of a JSON-LD document by id, and each node's values: output never depends on hashing."""
    document = json.loads(text)
    nodes = document.get("@graph", [])
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    document["@graph"] = sorted(nodes, key=lambda n: str(n.get("@id", n.get("id", ""))))
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _quads(dataset: Dataset, fmt: str) -> bytes:
    # rdflib's TriG writer uses deprecated Dataset APIs; Oxigraph's writes the same quads, sorted here.
    quads: list[Quad] = []
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        graph = None if name in (None, DATASET_DEFAULT_GRAPH_ID) else name
        if graph is not None and str(graph) == VOCABULARY_GRAPH:
            continue  # the store's copy of schema/kb.ttl (kb.graph.vocabulary), published as a file of its own
        quads.append((s, p, plain(o), graph))  # type: ignore[arg-type]
    quads.sort(key=lambda q: (q[3] is not None, str(q[3] or ""), q[0], q[1], q[2]))
    if fmt == "nquads":  # one quad a line, in TriG's order: the default graph first
        data = ox.serialize(to_oxigraph(quads), format=ox.RdfFormat.N_QUADS)
    else:
        data = ox.serialize(to_oxigraph(quads), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    assert data is not None  # no output given: Oxigraph returns the bytes
    return data


def serialize(dataset: Dataset, fmt: str) -> bytes:
    """Return the dataset serialised as ``fmt`` (one of FORMATS), UTF-8.

    Raises ExportError for another format.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt in ("trig", "nquads"):
        return _quads(dataset, fmt)
    return serialize_graph(copy_graph(dataset.graph(DATASET_DEFAULT_GRAPH_ID)), fmt)


def serialize_graph(graph: Graph, fmt: str) -> bytes:
    """Return an in-memory ``graph`` (kb's prefixes bound, literals plain: :func:`kb.graph.store.copy_graph`)
    serialised as ``fmt``, one of GRAPH_FORMATS, UTF-8. Raises ExportError for another format."""
    if fmt not in GRAPH_FORMATS:
        raise ExportError(f"unknown graph format {fmt!r}; known: {', '.join(GRAPH_FORMATS)}")
    if fmt == "turtle":
        return graph.serialize(format="turtle", encoding="utf-8")
    if fmt == "nt":
        lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
        return b"".join(sorted(line for line in lines if line.strip()))
    context = jsonld_context()
    text = graph.serialize(format="json-ld", context=context, auto_compact=False)
    document = json.loads(_sorted_jsonld(text))
    document["@context"] = context
    return (json.dumps({"@context": context, **{k: v for k, v in document.items() if k != "@context"}},
                       indent=2, ensure_ascii=False) + "\n").encode("utf-8")
