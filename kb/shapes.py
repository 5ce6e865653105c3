"""Check a built graph against the SHACL shapes in ``schema/shapes.ttl`` (pyshacl) and say which fact is wrong.

Each violation is traced back to the YAML record its focus node belongs to (:meth:`kb.vocab.Mint.record_id`)
and reported as a :class:`~kb.errors.CurationError` at that record's file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kb.errors import CurationError, CurationErrors, Location
from kb.validate import KnowledgeBase
from kb.vocab import PREFIXES, Mint

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


@cache
def shapes() -> Graph:
    """Return the parsed SHACL shapes graph (read once)."""
    return Graph().parse(SCHEMA / "shapes.ttl", format="turtle")


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


def check(graph: Graph, base_iri: str) -> list[Violation]:
    """Validate ``graph`` against the shapes. Returns every violation, sorted (empty when the graph conforms)."""
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes(), inference="none")
    if conforms:
        return []
    mint = Mint(base_iri)
    found: set[Violation] = set()
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        value = report.value(result, SH.value)
        found.add(Violation(
            record=(mint.record_id(str(focus)) if focus is not None else None) or "(graph)",
            focus=str(focus), path=_short(path) if isinstance(path, URIRef) else "",
            message="; ".join(messages) or "violation",
            value="" if value is None or value == focus else str(value),
        ))
    return sorted(found)


def as_errors(violations: list[Violation], kb: KnowledgeBase) -> CurationErrors:
    """Return violations as curation errors at the file and line of the record each concerns."""
    return CurationErrors(
        CurationError(kb.locations.get(v.record, Location("curation")), str(v), v.record) for v in violations
    )
