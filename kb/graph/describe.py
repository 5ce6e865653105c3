"""What a client gets when it dereferences an IRI kb minted (kb.serve.resolve): a bounded description of it.

A symmetric concise bounded description, widened where kb's model puts a fact's meaning one node away:

- the node's own triples both ways (it as subject, it as object), and those of its *parts*, the nodes minted
  below its IRI (``{fact}/during``, ``{fact}/duration/1``, ``{evidence}/quote``), reached by its links;
- every statement or dispute linked to it (a meeting a person attended, the dispute grouping a fact): their
  own triples;
- the evidence those and the node derive from (``prov:wasDerivedFrom``), with its selectors;
- the label of every other IRI the description names, so that a client can show them.

Nothing is followed further, so a description is bounded by the node's degree, whatever the graph's size. The
description is a list of pyoxigraph triples, looked up by triple patterns: in Oxigraph's own indexes when the
store has them (no term crosses into rdflib), else through any rdflib store. Lookups block: callers run them in
the store pool (kb.graph.pool).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kb.graph.store import GraphStore
from kb.graph.terms import plain, to_ox
from kb.vocab import KB, OA, PROV, RDF, RDFS

MAX_PARTS = 64
"""Parts followed below one node at most (a fact has a handful: time nodes, attribute versions, selectors)."""

Lookup = Callable[[Any, Any, Any], Iterable[Any]]
"""``(subject, predicate, object)``, each a pyoxigraph term or None for any -> the matching triples (anything
with ``subject``, ``predicate`` and ``object``: pyoxigraph Triples or Quads)."""

_TYPE, _LABEL, _DERIVED = (ox.NamedNode(str(t)) for t in (RDF.type, RDFS.label, PROV.wasDerivedFrom))
_SOURCE, _SELECTOR, _START, _END = (ox.NamedNode(str(t)) for t in (OA.hasSource, OA.hasSelector, OA.start, OA.end))
STATEMENT_TYPES = (ox.NamedNode(str(KB.Statement)), ox.NamedNode(str(KB.Dispute)))
"""Nodes linked to the described one whose own triples are part of its description."""


def lookup(graph_store: GraphStore, named: str | None = None) -> Lookup:
    """Return the lookup over the default graph of ``graph_store``, or over its named graph ``named``."""
    native = graph_store.native
    if native is not None:
        graph_name = ox.DefaultGraph() if named is None else ox.NamedNode(named)
        return lambda s, p, o: native.quads_for_pattern(s, p, o, graph_name)
    graph = graph_store.graph if named is None else Graph(store=graph_store.dataset.store, identifier=URIRef(named))

    def through_rdflib(s: Any, p: Any, o: Any) -> Iterator[ox.Triple]:
        pattern = tuple(None if t is None else URIRef(t.value) for t in (s, p, o))
        for found in graph.triples(pattern):  # type: ignore[arg-type]
            yield ox.Triple(*(to_ox(plain(t)) for t in found))

    return through_rdflib


def describe(find: Lookup, iri: str) -> list[ox.Triple] | None:
    """Return the description of ``iri`` (sorted triples), or None when ``iri`` is the subject of no triple."""
    node = ox.NamedNode(iri)
    if not holds(find, node):
        return None
    out: set[ox.Triple] = set()
    core = parts(find, node)
    linked: set[ox.NamedNode] = set()
    for part in core:
        for t in (*find(part, None, None), *find(None, None, part)):
            out.add(ox.Triple(t.subject, t.predicate, t.object))
            linked.update(n for n in (t.subject, t.object) if isinstance(n, ox.NamedNode) and n not in core)
    statements = [n for n in linked if any(holds(find, n, _TYPE, kind) for kind in STATEMENT_TYPES)]
    _add(out, (t for n in statements for t in find(n, None, None)))
    evidence = {t.object for n in (*core, *statements) for t in find(n, _DERIVED, None)}
    for found in evidence:
        _add(out, (t for n in parts(find, found) for t in find(n, None, None)))
    described = {t.subject for t in out}
    named = {n for t in out for n in (t.subject, t.object) if isinstance(n, ox.NamedNode)} - described
    _add(out, (t for n in named for t in find(n, _LABEL, None)))
    return sorted(out, key=str)


def contents(find: Lookup) -> list[ox.Triple] | None:
    """Return every triple ``find`` reaches (a named graph's), sorted, or None when there is none."""
    out: set[ox.Triple] = set()
    _add(out, find(None, None, None))
    return sorted(out, key=str) or None


def holds(find: Lookup, subject: Any, predicate: Any = None, obj: Any = None) -> bool:
    """Return whether a triple matches the pattern, reading one at most."""
    return next(iter(find(subject, predicate, obj)), None) is not None


def parts(find: Lookup, node: Any) -> list[Any]:
    """Return ``node`` and the nodes minted below it that its links reach (``{iri}/…``), at most MAX_PARTS."""
    if not isinstance(node, ox.NamedNode):
        return [node]
    below = node.value + "/"
    found, queue = [node], [node]
    while queue and len(found) < MAX_PARTS:
        for t in find(queue.pop(), None, None):
            o = t.object
            if isinstance(o, ox.NamedNode) and o.value.startswith(below) and o not in found:
                found.append(o)
                queue.append(o)
    return found


def evidence_anchor(find: Lookup, iri: str) -> tuple[str, int, int] | None:
    """Return the article an evidence node (or one of its selectors) points into and its span (start, end), or
    None when ``iri`` is no evidence node."""
    for node in (ox.NamedNode(iri), ox.NamedNode(iri.rsplit("/", 1)[0])):
        for source in find(node, _SOURCE, None):
            for selector in find(node, _SELECTOR, None):
                start = next(iter(find(selector.object, _START, None)), None)
                end = next(iter(find(selector.object, _END, None)), None)
                if start is not None and end is not None:
                    return source.object.value, int(start.object.value), int(end.object.value)
    return None


def value(find: Lookup, iri: str, predicate: URIRef) -> str | None:
    """Return the IRI or lexical value of one object of ``iri``'s ``predicate``, or None when it has none."""
    found = next(iter(find(ox.NamedNode(iri), ox.NamedNode(str(predicate)), None)), None)
    return None if found is None else str(found.object.value)


def _add(out: set[ox.Triple], triples: Iterable[Any]) -> None:
    out.update(ox.Triple(t.subject, t.predicate, t.object) for t in triples)
