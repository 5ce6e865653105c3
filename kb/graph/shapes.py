"""Check a built graph against the SHACL shapes in ``schema/shapes.ttl`` and say which fact is wrong.

Core constraints run in pyshacl. The shapes' SHACL-SPARQL constraints (anchors equal their quotes, dispute
flags match disputes...) are standard SHACL too, but pyshacl evaluates each one once per focus node through
rdflib's SPARQL engine, which applies the ``$this`` binding only after evaluating the whole query: minutes
on the real graph. So :func:`check` runs each of them once, for all focus nodes together, in Oxigraph
(``$this rdf:type <target class>`` added to the query): the same results in milliseconds.

Each violation is traced back to the YAML record its focus node belongs to (:meth:`kb.vocab.Mint.record_id`)
and reported as a :class:`~kb.errors.CurationError` at that record's file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kb import contracts
from kb.errors import CurationError, CurationErrors, Location
from kb.graph.terms import plain, to_oxigraph
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import PREFIXES, Mint


@cache
def shapes() -> Graph:
    """Return the parsed SHACL shapes graph (read once)."""
    return Graph().parse(contracts.path("shapes.ttl"), format="turtle")


@dataclass(frozen=True)
class SparqlConstraint:
    """One sh:sparql constraint of a node shape, with the class the shape targets."""

    shape: URIRef
    target: URIRef
    select: str
    message: str


@cache
def _split() -> tuple[Graph, tuple[SparqlConstraint, ...]]:
    """Return the shapes without their SPARQL constraints (for pyshacl), and those constraints."""
    graph = shapes()
    core = Graph()
    core += graph
    found: list[SparqlConstraint] = []
    for shape, constraint in graph.subject_objects(SH.sparql):
        core.remove((shape, SH.sparql, constraint))
        targets = list(graph.objects(shape, SH.targetClass))
        if len(targets) != 1:
            raise ValueError(f"{shape}: a SPARQL constraint needs a shape with exactly one sh:targetClass")
        found.append(SparqlConstraint(
            shape=shape, target=targets[0],  # type: ignore[arg-type]
            select=str(graph.value(constraint, SH.select)), message=str(graph.value(constraint, SH.message)),
        ))
    return core, tuple(sorted(found, key=lambda c: (str(c.shape), c.select)))


def global_query(constraint: SparqlConstraint) -> str:
    """Return a constraint's query for every focus node at once: ``$this`` typed with the target class."""
    select = constraint.select
    brace = select.index("{", select.upper().index("WHERE"))
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    return f"{prefixes}{select[:brace + 1]} $this <{RDF.type}> <{constraint.target}> .{select[brace + 1:]}"


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result: the record it concerns, the node and property at fault, and what is wrong."""

    record: str
    focus: str
    path: str
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value {self.value[:60]!r})" if self.value else ""
        return f"{self.record}: shape violation at <{self.focus}>{where}: {self.message}{value}"


def _short(node: Node | None) -> str:
    if node is None:
        return ""
    text = str(node)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace) and isinstance(node, URIRef):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def _record(mint: Mint, focus: str) -> str:
    return mint.record_id(focus) or "(graph)"


def check(graph: Graph, base_iri: str) -> list[Violation]:
    """Validate ``graph`` against the shapes. Returns every violation, sorted (empty when the graph conforms)."""
    mint = Mint(base_iri)
    core, constraints = _split()
    found: set[Violation] = set()
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=core, inference="none")
    if not conforms:
        for result in report.subjects(SH.resultSeverity, SH.Violation):
            focus = report.value(result, SH.focusNode)
            path = report.value(result, SH.resultPath)
            messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
            value = report.value(result, SH.value)
            found.add(Violation(
                record=_record(mint, str(focus)), focus=str(focus),
                path=_short(path) if isinstance(path, URIRef) else "",
                message="; ".join(messages) or "violation",
                value="" if value is None or value == focus else str(value),
            ))
    native = ox.Store()
    native.extend(to_oxigraph((s, p, plain(o), None) for s, p, o in graph))  # type: ignore[misc]
    for constraint in constraints:
        solutions = native.query(global_query(constraint))
        assert isinstance(solutions, ox.QuerySolutions)  # a SELECT query
        for solution in solutions:
            focus, value = solution["this"], solution["value"]
            found.add(Violation(
                record=_record(mint, focus.value), focus=focus.value, path="", message=constraint.message,
                value="" if value is None or value == focus else value.value,
            ))
    return sorted(found)


def as_errors(violations: list[Violation], kb: KnowledgeBase) -> CurationErrors:
    """Return violations as curation errors at the file and line of the record each concerns."""
    return CurationErrors(
        CurationError(kb.locations.get(v.record, Location("curation")), str(v), v.record) for v in violations
    )
