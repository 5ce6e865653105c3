"""What a change does to the knowledge base, as facts rather than lines: for review in a pull request.

Both versions are built into the RDF graph (:mod:`kb.graph.builder`) and compared with rdflib's graph comparison
(``graph_diff``, which canonicalises both graphs as ``to_isomorphic`` does), so reordering records, list
items or files changes nothing. Every triple that differs is then traced to the record that owns it (the
graph's IRIs say which: a fact's versions, time nodes and evidence hang below it) and the report says, per
record, what was added, removed or changed, which evidence was added, removed or moved, and which disputes
were opened or resolved, each with its quote. Everything reported is read from the two graphs.

Pure: :func:`compare` takes two graphs. :func:`load_revision` (git, temporary folders) is the only I/O.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff
from rdflib.term import Node

from kb.graph import builder
from kb.load import pipeline
from kb.curate import revisions
from kb.errors import CurationErrors, KBError, Location
from kb.load.validate import KnowledgeBase
from kb.vocab import (
    DCTERMS,
    KB,
    OA,
    ORG,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    TIME,
    VALUE_IRI,
    VOCAB_IRI,
    Mint,
)

# Links the graph derives from facts (docs/model.md "truthy"): reported apart, as consequences.
TRUTHY_LINKS = frozenset({KB.met, ORG.memberOf, ORG.holds, ORG.heldBy, KB.sanctionedBy})
# Follow from the article text around a quote; a changed article is reported on its source.
CONTEXT = frozenset({OA.prefix, OA.suffix})
# Links from a record to its own parts; the parts are reported by what they hold.
STRUCTURE = frozenset({RDF.type, PROV.wasDerivedFrom, KB.attributeStatement, TIME.hasTime, ORG.memberDuring})
TIME_PARTS = ("during", "start", "end", "date")
PART_NAMES = {("meeting", "start"): "date", ("meeting", "end"): "end_date"}  # as the YAML names them
FIELD_NAMES: dict[Node, str] = {
    RDFS.label: "label", SKOS.prefLabel: "label", SKOS.altLabel: "aliases", SKOS.note: "note",
    SKOS.broader: "broader", SKOS.definition: "description", SKOS.inScheme: "scheme",
    SDO.attendee: "participants", SDO.location: "place", SDO.startDate: "date", SDO.endDate: "end_date",
    SDO.superEvent: "occasion", SDO.description: "description", SDO.about: "about", SDO.url: "url",
    DCTERMS.subject: "topics", DCTERMS.date: "date", DCTERMS.title: "headline", DCTERMS.publisher: "publisher",
    DCTERMS.creator: "authors", DCTERMS.language: "language",
    KB.kind: "kind", KB.status: "status", KB.certainty: "certainty", KB.hedge: "hedge", KB.disputed: "disputed",
    KB.speaker: "speaker", KB.channel: "channel", KB.via: "via", KB.audience: "audience", KB.atMeeting: "meeting",
    KB.target: "target", KB.imposedBy: "imposed_by", KB.reason: "reason", KB.relatedStatement: "related_statements",
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


class DiffError(KBError):
    """A revision could not be read or does not validate; ``errors`` lists its curation errors, if any."""

    def __init__(self, revision: str, message: str, errors: CurationErrors | None = None) -> None:
        self.revision = revision
        self.errors = errors
        super().__init__(f"{revision}: {message}")


@dataclass(frozen=True, order=True)
class Quote:
    """One evidence span: ``of`` names the version it supports ("duration PT1H30M"), empty for the fact."""

    of: str
    source: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Move:
    """The same quote of the same source, at new offsets."""

    of: str
    source: str
    quote: str
    old: tuple[int, int]
    new: tuple[int, int]


@dataclass
class FieldChange:
    """Values of one field that left and that arrived (a changed single value is one of each)."""

    field: str
    removed: list[str]
    added: list[str]


@dataclass
class RecordChange:
    """One record added, removed or changed, with where it is written and what changed in it."""

    kind: str  # as in its IRI: meeting, person, statement ...
    id: str
    label: str
    status: str  # added | removed | changed
    location: str
    fields: list[FieldChange] = field(default_factory=list)
    evidence_added: list[Quote] = field(default_factory=list)
    evidence_removed: list[Quote] = field(default_factory=list)
    evidence_moved: list[Move] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """True for a changed record whose only change is its ``disputed`` flag."""
        evidence = self.evidence_added or self.evidence_removed or self.evidence_moved
        return self.status == "changed" and not evidence and {f.field for f in self.fields} <= {"disputed"}


@dataclass
class DisputedFact:
    """One side of a dispute: the fact (or version of an attribute) and its quotes."""

    id: str
    label: str
    quotes: list[Quote]


@dataclass
class DisputeChange:
    """A dispute opened (only in head), resolved (only in base) or changed (sides added or dropped)."""

    id: str
    label: str
    status: str  # opened | resolved | changed
    facts: list[DisputedFact] = field(default_factory=list)
    dropped: list[DisputedFact] = field(default_factory=list)


@dataclass
class Link:
    """A derived (truthy) link, as labels: ``Antony Blinken`` ``met`` ``Wang Yi``."""

    subject: str
    predicate: str
    object: str


@dataclass
class Report:
    """Everything a change does to the knowledge base."""

    base: str
    head: str
    records: list[RecordChange] = field(default_factory=list)
    disputes: list[DisputeChange] = field(default_factory=list)
    links_added: list[Link] = field(default_factory=list)
    links_removed: list[Link] = field(default_factory=list)
    triples_added: int = 0
    triples_removed: int = 0

    @property
    def empty(self) -> bool:
        return self.triples_added == 0 and self.triples_removed == 0

    def counts(self) -> dict[str, int]:
        """Return how many records were added/removed/changed, evidence added/removed/moved, disputes
        opened/resolved/changed, and triples added/removed."""
        out: dict[str, int] = {}
        for status in ("added", "removed", "changed"):
            out[f"records_{status}"] = sum(1 for r in self.records if r.status == status)
        out["evidence_added"] = sum(len(r.evidence_added) for r in self.records if r.status == "changed")
        out["evidence_removed"] = sum(len(r.evidence_removed) for r in self.records if r.status == "changed")
        out["evidence_moved"] = sum(len(r.evidence_moved) for r in self.records)
        for status in ("opened", "resolved", "changed"):
            out[f"disputes_{status}"] = sum(1 for d in self.disputes if d.status == status)
        out["triples_added"], out["triples_removed"] = self.triples_added, self.triples_removed
        return out


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
    except revisions.GitError as exc:
        raise DiffError(revision, str(exc)) from None
    except CurationErrors as errors:
        raise DiffError(revision, "does not validate", errors) from None
    return side(f"{revision} ({commit[:8]})" if revision != commit else commit[:8], kb, base_iri)


class _View:
    """Reads one side's graph the way the report needs it: records, labels, fields, evidence."""

    def __init__(self, side: Side, mint: Mint) -> None:
        self.graph = side.graph
        self.mint = mint
        self.locations = side.locations
        self.paths = {path: kind for kind, path in Mint.KIND_PATHS.items()}

    def parts(self, node: Node) -> list[str]:
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
        return self.parts(record)[0]

    def rid(self, record: URIRef) -> str:
        return self.parts(record)[1]

    def label(self, node: Node) -> str:
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
        spans = {q for version, (name, text) in versions.items() for q in self.quotes(version, f"{name} {text}")}
        covered = {(q.source, q.start, q.end, q.quote) for q in spans}
        own = [q for q in self.quotes(record) if (q.source, q.start, q.end, q.quote) not in covered]
        return sorted([*own, *spans])

    def location(self, record: URIRef) -> str:
        where = self.locations.get(self.rid(record))
        return f"{where.path}:{where.line}" if where else ""

    def disputed(self, dispute: URIRef) -> list[DisputedFact]:
        facts: list[DisputedFact] = []
        for statement in sorted(URIRef(str(s)) for s in self.graph.objects(dispute, KB.disputedStatement)):
            owner = self.record(statement)
            label = self.label(owner) if owner is not None else self.label(statement)
            if owner is not None and owner != statement:
                name, text = self.versions(owner).get(URIRef(statement), ("", ""))
                label = f"{label}: {name} {text}"
            facts.append(DisputedFact("/".join(self.parts(statement)[1:]), label, self.quotes(statement)))
        return facts


def _changed_fields(old: dict[str, set[str]], new: dict[str, set[str]]) -> list[FieldChange]:
    changes = []
    for name in sorted(set(old) | set(new)):
        removed, added = old.get(name, set()) - new.get(name, set()), new.get(name, set()) - old.get(name, set())
        if removed or added:
            changes.append(FieldChange(name, sorted(removed), sorted(added)))
    return changes


def _evidence_changes(old: list[Quote], new: list[Quote]) -> tuple[list[Quote], list[Quote], list[Move]]:
    """Match spans by (version, source, quote): same offsets are unchanged, different ones moved."""
    before: dict[tuple[str, str, str], list[Quote]] = defaultdict(list)
    after: dict[tuple[str, str, str], list[Quote]] = defaultdict(list)
    for q in old:
        before[(q.of, q.source, q.quote)].append(q)
    for q in new:
        after[(q.of, q.source, q.quote)].append(q)
    added: list[Quote] = []
    removed: list[Quote] = []
    moved: list[Move] = []
    for key in sorted(set(before) | set(after)):
        gone = [q for q in before[key] if q not in after[key]]
        came = [q for q in after[key] if q not in before[key]]
        for a, b in zip(gone, came, strict=False):
            moved.append(Move(key[0], key[1], key[2], (a.start, a.end), (b.start, b.end)))
        removed += gone[len(came):]
        added += came[len(gone):]
    return added, removed, moved


def compare(base: Side, head: Side, base_iri: str) -> Report:
    """Return what changed from ``base`` to ``head``: records, evidence, disputes and derived links."""
    # graph_diff canonicalises both graphs (to_canonical_graph), so blank nodes, if a future graph had any,
    # would compare by structure rather than by their arbitrary labels.
    _, in_base, in_head = graph_diff(base.graph, head.graph)
    mint = Mint(base_iri)
    old, new = _View(base, mint), _View(head, mint)
    report = Report(base.name, head.name, triples_added=len(in_head), triples_removed=len(in_base))
    records: set[URIRef] = set()
    disputes: set[URIRef] = set()
    for view, triples, links in ((old, in_base, report.links_removed), (new, in_head, report.links_added)):
        for s, p, o in triples:
            if p in CONTEXT:
                continue
            if p in TRUTHY_LINKS:
                links.append(Link(view.label(s), view.field_name(p), view.label(o)))
                continue
            parts = view.parts(s)
            if parts[:1] == ["dispute"]:
                disputes.add(URIRef(str(s)) if len(parts) > 2 else URIRef(f"{mint.base}dispute/{parts[1]}"))
                continue
            record = view.record(s)
            if record is not None:
                records.add(record)
    for record in sorted(records):
        change = _record_change(old, new, record)
        # A fact that only became (un)disputed is told in the Disputes section.
        if not change.quiet:
            report.records.append(change)
    for dispute in sorted(disputes):
        report.disputes.append(_dispute_change(old, new, dispute))
    report.links_added.sort(key=lambda link: (link.subject, link.predicate, link.object))
    report.links_removed.sort(key=lambda link: (link.subject, link.predicate, link.object))
    return report


def _record_change(old: _View, new: _View, record: URIRef) -> RecordChange:
    in_old, in_new = (record, RDF.type, None) in old.graph, (record, RDF.type, None) in new.graph
    view = new if in_new else old
    status = "changed" if in_old and in_new else "added" if in_new else "removed"
    change = RecordChange(view.kind(record), view.rid(record), view.label(record), status, view.location(record))
    before = old.fields(record) if in_old else {}
    after = new.fields(record) if in_new else {}
    change.fields = _changed_fields(before, after)
    added, removed, moved = _evidence_changes(old.evidence(record) if in_old else [],
                                              new.evidence(record) if in_new else [])
    change.evidence_added, change.evidence_removed, change.evidence_moved = added, removed, moved
    return change


def _dispute_change(old: _View, new: _View, dispute: URIRef) -> DisputeChange:
    in_old, in_new = (dispute, RDF.type, KB.Dispute) in old.graph, (dispute, RDF.type, KB.Dispute) in new.graph
    view = new if in_new else old
    status = "changed" if in_old and in_new else "opened" if in_new else "resolved"
    change = DisputeChange("/".join(view.parts(dispute)[1:]), view.label(dispute), status)
    facts = view.disputed(dispute)
    if status == "changed":
        before = {f.id for f in old.disputed(dispute)}
        after = new.disputed(dispute)
        change.facts = [f for f in after if f.id not in before]
        change.dropped = [f for f in old.disputed(dispute) if f.id not in {a.id for a in after}]
    else:
        change.facts = facts
    return change


def diff(root: Path, base: str, head: str | None, base_iri: str) -> Report:
    """Return what the change from git revision ``base`` to ``head`` (None: the working tree) does.

    Raises DiffError when either side cannot be read or does not validate.
    """
    return compare(load_revision(root, base, base_iri), load_revision(root, head, base_iri), base_iri)
