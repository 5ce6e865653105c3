"""What a client gets when it dereferences an IRI kb minted (kb.serve.resolve): a bounded description of it.

A symmetric concise bounded description, widened where kb's model puts a fact's meaning one node away:

- the node's own triples both ways (it as subject, it as object), and those of its *parts*, the nodes minted
  below its IRI (``{fact}/during``, ``{fact}/duration/1``, ``{evidence}/quote``), reached by its links;
- every statement or dispute linked to it (a meeting a person attended, the dispute grouping a fact): their
  own triples;
- the evidence those and the node derive from (``prov:wasDerivedFrom``), with its selectors;
- the label of every other IRI the description names, so that a client can show them.

Nothing is followed further, so a description is bounded by the node's degree, whatever the graph's size. The
lookups are triple patterns on any rdflib store (Oxigraph through oxrdflib answers each from its indexes);
they are blocking: callers run them in the store pool (kb.graph.pool).
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kb.graph.terms import plain
from kb.vocab import KB, OA, PREFIXES, PROV, RDF, RDFS

STATEMENT_TYPES = (KB.Statement, KB.Dispute)
"""Nodes linked to the described one whose own triples are part of its description."""
MAX_PARTS = 64
"""Parts followed below one node at most (a fact has a handful: time nodes, attribute versions, selectors)."""

Triple = tuple[Node, Node, Node]


def empty() -> Graph:
    """Return an in-memory graph with kb's prefixes bound, for a description to be written into."""
    out = Graph(bind_namespaces="none")  # rdflib's default bindings cost most of a small description's time
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace, replace=True)
    return out


def describe(graph: Graph, iri: URIRef) -> Graph | None:
    """Return the description of ``iri`` in ``graph`` (the served store's default graph) as a new in-memory
    graph with kb's prefixes bound, or None when ``iri`` is the subject of no triple (kb never minted it)."""
    if next(iter(graph.triples((iri, None, None))), None) is None:
        return None
    out = empty()
    core = parts(graph, iri)
    linked: set[URIRef] = set()
    for node in core:
        for s, p, o in (*graph.triples((node, None, None)), *graph.triples((None, None, node))):
            out.add((s, p, plain(o)))
            linked.update(n for n in (s, o) if isinstance(n, URIRef) and n not in core)
    statements = [n for n in sorted(linked) if any((n, RDF.type, t) in graph for t in STATEMENT_TYPES)]
    _add(out, (t for n in statements for t in graph.triples((n, None, None))))
    evidence = {o for n in (*core, *statements) for o in graph.objects(n, PROV.wasDerivedFrom)}
    for found in sorted(e for e in evidence if isinstance(e, URIRef)):
        _add(out, (t for n in parts(graph, found) for t in graph.triples((n, None, None))))
    described = {s for s in out.subjects() if isinstance(s, URIRef)}
    named = {n for t in out for n in (t[0], t[2]) if isinstance(n, URIRef)} - described
    _add(out, (t for n in sorted(named) for t in graph.triples((n, RDFS.label, None))))
    return out


def contents(graph: Graph) -> Graph | None:
    """Return a copy of ``graph`` (a named graph of the store), or None when it holds no triple."""
    out = empty()
    _add(out, graph.triples((None, None, None)))
    return out if len(out) else None


def parts(graph: Graph, iri: URIRef) -> list[URIRef]:
    """Return ``iri`` and the nodes minted below it that its links reach (``{iri}/…``), at most MAX_PARTS."""
    below = f"{iri}/"
    found, queue = [iri], [iri]
    while queue and len(found) < MAX_PARTS:
        node = queue.pop()
        for o in graph.objects(node, None):
            if isinstance(o, URIRef) and o.startswith(below) and o not in found:
                found.append(o)
                queue.append(o)
    return found


def evidence_anchor(graph: Graph, evidence: URIRef) -> tuple[URIRef, int, int] | None:
    """Return the article an evidence node (or one of its selectors) points into and its span (start, end), or
    None when ``evidence`` is no evidence node."""
    for node in (evidence, URIRef(evidence.rsplit("/", 1)[0])):
        source = graph.value(node, OA.hasSource)
        if isinstance(source, URIRef):
            for selector in graph.objects(node, OA.hasSelector):
                start, end = graph.value(selector, OA.start), graph.value(selector, OA.end)
                if isinstance(start, Literal) and isinstance(end, Literal):
                    return source, int(start), int(end)
    return None


def _add(out: Graph, triples: Iterable[Triple]) -> None:
    out.addN((s, p, plain(o), out) for s, p, o in triples)
