"""One version of the knowledge base for :mod:`kb.curate.diff`: its graph, loaded from a git revision or the
working tree, and a view that reads records, fields and evidence out of that graph.

:func:`load_revision` (git, temporary folders) is the only I/O of a diff.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SDO, SKOS, TIME
from rdflib.term import Node

from kb.curate import revisions
from kb.curate.changes import DisputedFact, Quote
from kb.errors import CurationErrors, DiffError, GitError, Location
from kb.graph import builder
from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import KB, OA, PREFIXES, VALUE_IRI, VOCAB_IRI, Mint

# Links the graph derives from facts (docs/model.md "truthy"): reported apart, as consequences.
TRUTHY_LINKS = frozenset({KB.met, ORG.memberOf, ORG.holds, ORG.heldBy, KB.sanctionedBy})
# Links from a record to its own parts; the parts are reported by what they hold.
STRUCTURE = frozenset({RDF.type, PROV.wasDerivedFrom, KB.attributeStatement, TIME.hasTime, ORG.memberDuring})
TIME_PARTS = ("during", "start", "end", "date")
PART_NAMES = {("meeting", "start"): "date", ("meeting", "end"): "end_date"}  # as the YAML names them
FIELD_NAMES: dict[Node, str] = {
    RDFS.label: "label", SKOS.prefLabel: "label", SKOS.altLabel: "aliases", SKOS.note: "note",
    SKOS.broader: "broader", SKOS.definition: "description", SKOS.inScheme: "scheme",
    SDO.attendee: "participants", SDO.location: "place", SDO.startDate: "date", SDO.endDate: "end_date",
    SDO.superEvent: "occasion", SDO.description: "description", SDO.about: "about", SDO.url: "url",
    DCTERMS.subject: "topics", DCTERMS.date: "date", DCTERMS.title: "headline",
    DCTERMS.publisher: "publisher", DCTERMS.creator: "authors", DCTERMS.language: "language",
    KB.kind: "kind", KB.status: "status", KB.certainty: "certainty", KB.hedge: "hedge",
    KB.disputed: "disputed", KB.speaker: "speaker", KB.channel: "channel", KB.via: "via",
    KB.audience: "audience", KB.atMeeting: "meeting", KB.target: "target", KB.imposedBy: "imposed_by",
    KB.reason: "reason", KB.relatedStatement: "related_statements",
    KB.country: "country", KB.file: "file", KB.sha256: "sha256", KB.text: "text", KB.dateline: "dateline",
    KB.publishedBasis: "published_basis", KB.asWritten: "as_written", KB.resolvedAgainst: "resolved_against",
    ORG.member: "holder", ORG.organization: "organization", ORG.role: "office", ORG.classification: "kind",
    ORG.subOrganizationOf: "parent",
    SDO.duration: "duration", KB.characterization: "characterization", KB.outcome: "outcomes",
    KB.titleAsWritten: "titles",
}
ATTRIBUTE_FIELDS = {"duration": "duration", "characterization": "characterization", "outcome": "outcomes",
                    "title": "titles"}
MAX_VALUE = 120


@dataclass
class Side:
    """One version of the knowledge base: its name, its graph, and where each record is written."""

    name: str
    graph: Graph
    locations: dict[str, Location] = field(default_factory=dict)


def side(name: str, kb: KnowledgeBase, base_iri: str) -> Side:
    """Build the graph of a validated knowledge base as one side of a comparison."""
    built = builder.build(kb, base_iri)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    graph.addN((s, p, o, graph) for s, p, o in built.triples)
    return Side(name, graph, dict(kb.locations))


def load_revision(root: Path, revision: str | None, base_iri: str) -> Side:
    """Load the knowledge base of a git ``revision`` of the project at ``root`` (None: the working tree).

    The revision's seeds/ and curation/ are exported into a temporary folder with ``git archive``, never
    checked out. Raises DiffError when git cannot read it or it does not validate.
    """
    if revision is None:
        try:
            return side("working tree", pipeline.load(root), base_iri)
        except CurationErrors as errors:
            raise DiffError("working tree", "does not validate", errors) from None
    try:
        commit = revisions.resolve(root, revision)
        with tempfile.TemporaryDirectory(prefix="kb-diff-") as tmp:
            kb = pipeline.load(revisions.export(root, commit, Path(tmp)))
    except GitError as exc:
        raise DiffError(revision, str(exc)) from None
    except CurationErrors as errors:
        raise DiffError(revision, "does not validate", errors) from None
    return side(f"{revision} ({commit[:8]})" if revision != commit else commit[:8], kb, base_iri)


class View:
    """Reads one side's graph the way the report needs it: records, labels, fields, evidence."""

    def __init__(self, side: Side, mint: Mint) -> None:
        self.graph = side.graph
        self.mint = mint
        self.locations = side.locations
        self.paths = {path: kind for kind, path in Mint.KIND_PATHS.items()}

    def parts(self, node: Node) -> list[str]:
        """Return the parts of an instance IRI's key (``["person", "wang-yi"]``), [] for any other node."""
        if str(node).startswith((VOCAB_IRI, VALUE_IRI)):
            return []
        try:
            return self.mint.key(URIRef(node)).split("/") if isinstance(node, URIRef) else []
        except ValueError:
            return []

    def record(self, node: Node) -> URIRef | None:
        """Return the record IRI that owns ``node`` (itself, a fact for its parts and evidence), or None."""
        parts = self.parts(node)
        if len(parts) < 2 or parts[0] in {"post", "graph"}:
            return None
        if parts[0] == "evidence":
            for kind in self.paths:
                candidate = URIRef(f"{self.mint.base}{kind}/{parts[1]}")
                if (candidate, RDF.type, None) in self.graph:
                    return candidate
            return None
        if parts[0] == "dispute" and len(parts) > 2:
            return None  # an attribute dispute: reported as a dispute
        return URIRef(f"{self.mint.base}{parts[0]}/{parts[1]}") if parts[0] in self.paths else None

    def kind(self, record: URIRef) -> str:
        """Return the kind of record an IRI names, as in the IRI: meeting, person, statement ..."""
        return self.parts(record)[0]

    def rid(self, record: URIRef) -> str:
        """Return the id of the record an IRI names."""
        return self.parts(record)[1]

    def label(self, node: Node) -> str:
        """Return a node's label, or its id when it has none."""
        value = self.graph.value(node, RDFS.label) or self.graph.value(node, SKOS.prefLabel)
        if value is not None:
            return str(value)
        parts = self.parts(node)
        return "/".join(parts[1:]) if parts else str(node)

    def render(self, value: Node) -> str:
        """Return a value as a reviewer reads it: a record by its id, a controlled value by its name."""
        if isinstance(value, Literal):
            text = str(value)
            return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
        parts = self.parts(value)
        if len(parts) >= 2:
            return "/".join(parts[1:])
        text = str(value)
        return text.rsplit("#", 1)[-1] if "#" in text else text.rsplit("/", 1)[-1]

    def field_name(self, predicate: Node) -> str:
        """Return the YAML field a predicate comes from, or its prefixed name."""
        return FIELD_NAMES.get(predicate) or self.graph.namespace_manager.normalizeUri(str(predicate))

    def versions(self, record: URIRef) -> dict[URIRef, tuple[str, str]]:
        """Return each attribute version of ``record``: (field, description of the version)."""
        out: dict[URIRef, tuple[str, str]] = {}
        for version in self.graph.objects(record, KB.attributeStatement):
            attribute = self.parts(version)[-2]
            prop = self.graph.value(version, KB.attribute)
            value = self.graph.value(version, prop) if prop is not None else None
            words = self.graph.value(version, KB.asWritten)
            said = self.graph.value(version, KB.saidBy)
            text = self.render(value) if value is not None else ""
            if words is not None and str(words) != text:
                text = f"{text} (“{self.render(words)}”)" if text else f"“{self.render(words)}”"
            if said is not None:
                text += f", said by {self.render(said)}"
            out[URIRef(str(version))] = (ATTRIBUTE_FIELDS.get(attribute, attribute), text)
        return out

    def fields(self, record: URIRef) -> dict[str, set[str]]:
        """Return the record's fields as rendered values: its own triples, its time parts, its versions."""
        out: dict[str, set[str]] = defaultdict(set)
        for predicate, value in self.graph.predicate_objects(record):
            if predicate in STRUCTURE or predicate in TRUTHY_LINKS:
                continue
            if predicate == KB.text:
                out["text"].add(f"{len(str(value))} characters")
                continue
            out[self.field_name(predicate)].add(self.render(value))
        for part in TIME_PARTS:
            node = URIRef(f"{record}/{part}")
            name = PART_NAMES.get((self.kind(record), part), part)
            for predicate, value in self.graph.predicate_objects(node):
                if predicate in (KB.asWritten, KB.resolvedAgainst):
                    out[f"{name}.{self.field_name(predicate)}"].add(self.render(value))
        for name, text in self.versions(record).values():
            out[f"{name} versions"].add(text)
        return dict(out)

    def quotes(self, node: Node, of: str = "") -> list[Quote]:
        """Return the evidence spans ``node`` is derived from."""
        found: list[Quote] = []
        for evidence in self.graph.objects(node, PROV.wasDerivedFrom):
            source = self.graph.value(evidence, OA.hasSource)
            position = URIRef(f"{evidence}/position")
            words = self.graph.value(URIRef(f"{evidence}/quote"), OA.exact)
            start, end = self.graph.value(position, OA.start), self.graph.value(position, OA.end)
            if source is None or words is None or start is None or end is None:
                continue
            found.append(Quote(of, self.render(source), int(str(start)), int(str(end)), str(words)))
        return sorted(found)

    def evidence(self, record: URIRef) -> list[Quote]:
        """Return every span of ``record`` and of its versions (a role's own spans are its titles')."""
        versions = self.versions(record)
        spans = {q for version, (name, text) in versions.items()
                 for q in self.quotes(version, f"{name} {text}")}
        covered = {(q.source, q.start, q.end, q.quote) for q in spans}
        own = [q for q in self.quotes(record) if (q.source, q.start, q.end, q.quote) not in covered]
        return sorted([*own, *spans])

    def location(self, record: URIRef) -> str:
        """Return ``path:line`` where the record is written, or "" when unknown."""
        where = self.locations.get(self.rid(record))
        return f"{where.path}:{where.line}" if where else ""

    def disputed(self, dispute: URIRef) -> list[DisputedFact]:
        """Return the facts (or attribute versions) a dispute sets against each other, with their quotes."""
        facts: list[DisputedFact] = []
        for statement in sorted(URIRef(str(s)) for s in self.graph.objects(dispute, KB.disputedStatement)):
            owner = self.record(statement)
            label = self.label(owner) if owner is not None else self.label(statement)
            if owner is not None and owner != statement:
                name, text = self.versions(owner).get(URIRef(statement), ("", ""))
                label = f"{label}: {name} {text}"
            facts.append(DisputedFact("/".join(self.parts(statement)[1:]), label, self.quotes(statement)))
        return facts
