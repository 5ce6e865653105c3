"""Models -> RDF triples: the only module that makes triples (docs/model.md is the model it follows).

Pure: takes a validated KnowledgeBase and a base IRI, returns a :class:`BuiltGraph` (the triples of the
default graph, and which of them also belong to each article's named graph). Where they are stored is
:mod:`kb.store`'s business.

Every fact is a node of its own (``kb:Statement``) linked to its evidence; truthy triples beside the nodes are
written only where every version agrees (see :func:`build`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from kb.errors import CurationError, Location
from kb.models import (
    DateValue,
    Dispute,
    Evidence,
    Fact,
    Meeting,
    Organization,
    Person,
    Place,
    Role,
    Sanction,
    Source,
    Statement,
    Topic,
    Version,
)
from kb.sources import context
from kb.validate import KnowledgeBase
from kb.vocab import DCTERMS, KB, KBV, OA, ORG, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD, Mint

Object = URIRef | Literal
Triple = tuple[URIRef, URIRef, Object]
Quad = tuple[URIRef, URIRef, Object, URIRef | None]

_DATE_TYPES = {4: (XSD.gYear, TIME.inXSDgYear), 7: (XSD.gYearMonth, TIME.inXSDgYearMonth),
               10: (XSD.date, TIME.inXSDDate)}
_PLACE_TYPES = {
    "country": SDO.Country, "city": SDO.City, "region": SDO.AdministrativeArea, "sea": SDO.SeaBodyOfWater,
    "strait": SDO.BodyOfWater, "building": SDO.CivicStructure,
}
# attribute name in the IRI -> the property that carries its value (the same on the version and as truthy)
ATTRIBUTES: dict[str, URIRef] = {
    "duration": SDO.duration, "characterization": KB.characterization, "outcome": KB.outcome,
    "title": KB.titleAsWritten,
}
SINGLE_VALUED = frozenset({"duration", "characterization"})


@dataclass(frozen=True)
class BuiltGraph:
    """The graph of a knowledge base: every triple (the default graph) and each named graph's share of them."""

    triples: frozenset[Triple]
    named: dict[URIRef, frozenset[Triple]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.triples)

    def sorted_triples(self) -> list[Triple]:
        """Return the default graph's triples in a stable order (for diffs and reproducible output)."""
        return sorted(self.triples)

    def quads(self) -> Iterator[Quad]:
        """Yield every triple of the default graph (graph ``None``), then each named graph's triples.

        Unsorted: a store does not care, and sorting rdflib terms in Python cost most of the time of filling
        one (10k facts: 9.5 s with the sort, see the commit). Output that must be stable sorts itself.
        """
        for triple in self.triples:
            yield (*triple, None)
        for name, triples in self.named.items():
            for triple in triples:
                yield (*triple, name)


def date_literal(value: str) -> Literal:
    """Return a date as a literal keeping its precision: xsd:gYear, xsd:gYearMonth or xsd:date."""
    return Literal(value, datatype=_DATE_TYPES[len(value)][0])


def _text(value: str) -> Literal:
    return Literal(value)


class _Builder:
    """Collects triples: ``default`` holds all, ``named[source id]`` each article's statements and evidence."""

    def __init__(self, kb: KnowledgeBase, mint: Mint) -> None:
        self.kb = kb
        self.mint = mint
        self.default: set[Triple] = set()
        self.named: dict[str, set[Triple]] = defaultdict(set)
        self.truthy: dict[str, set[Triple]] = {}
        self.derived: dict[URIRef, list[tuple[URIRef, str]]] = {}
        self.disputed = kb.disputed()

    # -- plumbing -----------------------------------------------------------------------------------------

    def emit(self, triples: Iterable[Triple], sources: Iterable[str] = ()) -> None:
        """Add triples to the default graph and to the named graph of each source."""
        batch = list(triples)
        self.default.update(batch)
        for source in sources:
            self.named[source].update(batch)

    def ref(self, rid: str) -> URIRef:
        """Return the IRI of any record by id (validation guarantees the id exists)."""
        return self.mint.record(self.kb.kinds[rid], rid)

    def evidence(self, node: URIRef, key: str, entries: Sequence[Evidence]) -> set[str]:
        """Emit ``node``'s evidence as oa:SpecificResources. Returns the ids of the sources it cites."""
        spans = sorted({(e.source, *self.offsets(e, key), e.quote) for e in entries})
        for n, (source, start, end, quote) in enumerate(spans, start=1):
            ev = self.mint.evidence(key, n)
            self.emit(self.evidence_node(ev, source, start, end, quote), [source])
            self.emit([(node, PROV.wasDerivedFrom, ev)], [source])
            self.derived.setdefault(node, []).append((ev, source))
        return {span[0] for span in spans}

    def offsets(self, evidence: Evidence, key: str) -> tuple[int, int]:
        """Return an evidence's (start, end). Raises CurationError when they are missing (unvalidated input)."""
        if evidence.start is None or evidence.end is None:
            rid = key.split("/")[0]
            raise CurationError(self.kb.locations.get(rid, Location("curation")),
                                f"{rid}: evidence has no start/end offsets; run kb anchor --fix", "evidence")
        return evidence.start, evidence.end

    def evidence_node(self, ev: URIRef, source: str, start: int, end: int, quote: str) -> list[Triple]:
        position, words = self.mint.selector(ev, "position"), self.mint.selector(ev, "quote")
        prefix, suffix = context(self.kb.articles[source].text, start, end)
        triples: list[Triple] = [
            (ev, RDF.type, OA.SpecificResource),
            (ev, OA.hasSource, self.mint.record("sources", source)),
            (ev, OA.hasSelector, position),
            (ev, OA.hasSelector, words),
            (position, RDF.type, OA.TextPositionSelector),
            # xsd:integer, not xsd:nonNegativeInteger: Oxigraph stores the latter as the former, and the graph
            # must be the same in every store (the shapes check that offsets are not negative).
            (position, OA.start, Literal(start)),
            (position, OA.end, Literal(end)),
            (words, RDF.type, OA.TextQuoteSelector),
            (words, OA.exact, _text(quote)),
        ]
        if prefix:
            triples.append((words, OA.prefix, _text(prefix)))
        if suffix:
            triples.append((words, OA.suffix, _text(suffix)))
        return triples

    def instant(self, node: URIRef, date: DateValue) -> list[Triple]:
        """Return a time:Instant holding ``date`` with its precision, its words and how it was resolved."""
        triples: list[Triple] = [
            (node, RDF.type, TIME.Instant),
            (node, _DATE_TYPES[len(date.value)][1], date_literal(date.value)),
        ]
        if date.as_written is not None:
            triples.append((node, KB.asWritten, _text(date.as_written)))
        if date.resolved_against is not None:
            triples.append((node, KB.resolvedAgainst, self.mint.record("sources", date.resolved_against)))
        return triples

    def interval(self, node: URIRef, link: URIRef, start: DateValue | None, end: DateValue | None) -> list[Triple]:
        """Return ``node link {node}/during``, a time:Interval with what is known of its beginning and end."""
        if start is None and end is None:
            return []
        during = self.mint.time(node, "during")
        triples: list[Triple] = [(node, link, during), (during, RDF.type, TIME.Interval)]
        for part, date, prop, direct in (("start", start, TIME.hasBeginning, SDO.startDate),
                                         ("end", end, TIME.hasEnd, SDO.endDate)):
            if date is not None:
                instant = self.mint.time(node, part)
                triples += [(during, prop, instant), (node, direct, date_literal(date.value))]
                triples += self.instant(instant, date)
        return triples

    def dated(self, node: URIRef, date: DateValue | None) -> list[Triple]:
        """Return ``dcterms:date`` and a ``time:hasTime`` instant for a fact that happened on one date."""
        if date is None:
            return []
        instant = self.mint.time(node, "date")
        return [(node, DCTERMS.date, date_literal(date.value)), (node, TIME.hasTime, instant),
                *self.instant(instant, date)]

    def fact_common(self, node: URIRef, fact: Fact | Role) -> list[Triple]:
        """Return what every curated fact carries: certainty, hedge, note, disputed."""
        triples: list[Triple] = [
            (node, RDF.type, KB.Statement),
            (node, KB.certainty, KBV[fact.certainty]),
            (node, KB.disputed, Literal(fact.id in self.disputed)),
        ]
        if fact.hedge is not None:
            triples.append((node, KB.hedge, _text(fact.hedge)))
        if fact.note is not None:
            triples.append((node, SKOS.note, _text(fact.note)))
        return triples

    def versions(self, fact: URIRef, fact_id: str, label: str, name: str,
                 versions: Sequence[Version], evidence_of: str | None = None) -> tuple[list[Triple], set[str]]:
        """Emit one attribute statement per version; return the fact's links to them (plus truthy values)
        and the sources the versions cite. Several versions of a single-valued attribute make a dispute."""
        prop = ATTRIBUTES[name]
        ordered = sorted(versions, key=lambda v: (v.value or "", v.as_written or ""))
        disputed = name in SINGLE_VALUED and len(ordered) > 1
        links: list[Triple] = []
        cited: set[str] = set()
        for n, version in enumerate(ordered, start=1):
            node = self.mint.attribute(fact, name, n)
            value = _value(name, version.value)
            triples: list[Triple] = [
                (node, RDF.type, KB.AttributeStatement), (node, RDF.type, KB.Statement),
                (node, KB.attribute, prop), (node, KB.disputed, Literal(disputed)),
            ]
            if value is not None:
                triples.append((node, prop, value))
                if not disputed:
                    self.truthy.setdefault(fact_id, set()).add((fact, prop, value))
            if version.as_written is not None:
                triples.append((node, KB.asWritten, _text(version.as_written)))
            if version.said_by is not None:
                triples.append((node, KB.saidBy, self.ref(version.said_by)))
            sources = self.evidence(node, f"{fact_id}/{name}/{n}", version.evidence)
            self.emit(triples, sources)
            cited |= sources
            links.append((fact, KB.attributeStatement, node))
        if disputed:
            dispute = self.mint.attribute_dispute(fact_id, name)
            self.emit([
                (dispute, RDF.type, KB.Dispute), (dispute, RDFS.label, _text(f"{label}: {name}")),
                (dispute, SDO.description, _text(f"The sources give {len(ordered)} versions of the {name}.")),
                (dispute, KB.attribute, prop),
                *((dispute, KB.disputedStatement, self.mint.attribute(fact, name, n))
                  for n in range(1, len(ordered) + 1)),
            ])
        return links, cited

    # -- records ------------------------------------------------------------------------------------------

    def source(self, source: Source) -> None:
        node = self.mint.record("sources", source.id)
        article = self.kb.articles[source.id]
        triples: list[Triple] = [
            (node, RDF.type, SDO.NewsArticle), (node, RDFS.label, _text(source.headline)),
            (node, DCTERMS.title, _text(source.headline)), (node, DCTERMS.publisher, _text(source.publisher)),
            (node, DCTERMS.language, Literal(source.language, datatype=XSD.language)),
            (node, KB.file, _text(source.file)), (node, KB.sha256, _text(source.sha256)),
            (node, KB.text, _text(article.text)),
            *((node, DCTERMS.creator, _text(author)) for author in source.authors),
        ]
        if source.published is not None:
            triples.append((node, DCTERMS.date, date_literal(source.published)))
        if source.published_basis is not None:
            triples.append((node, KB.publishedBasis, KBV[source.published_basis]))
        if source.dateline is not None:
            triples.append((node, KB.dateline, _text(source.dateline)))
        if source.url is not None:
            triples.append((node, SDO.url, Literal(source.url, datatype=XSD.anyURI)))
        if source.note is not None:
            triples.append((node, SKOS.note, _text(source.note)))
        self.emit(triples, [source.id])

    def entity(self, node: URIRef, name: str, aliases: Sequence[str], country: str | None) -> list[Triple]:
        triples: list[Triple] = [(node, RDFS.label, _text(name))]
        triples += [(node, SKOS.altLabel, _text(alias)) for alias in aliases]
        if country is not None:
            triples.append((node, KB.country, self.ref(country)))
        return triples

    def person(self, person: Person) -> None:
        node = self.mint.record("people", person.id)
        triples: list[Triple] = [(node, RDF.type, SDO.Person), *self.entity(node, person.name, person.aliases, person.country)]
        if person.description is not None:
            triples.append((node, SDO.description, _text(person.description)))
        self.emit(triples)
        self.evidence(node, person.id, person.evidence)

    def organization(self, org: Organization) -> None:
        node = self.mint.record("organizations", org.id)
        triples: list[Triple] = [(node, RDF.type, ORG.Organization), (node, ORG.classification, KBV[org.kind]),
                   *self.entity(node, org.name, org.aliases, org.country)]
        if org.parent is not None:
            triples.append((node, ORG.subOrganizationOf, self.ref(org.parent)))
        self.emit(triples)
        self.evidence(node, org.id, org.evidence)

    def place(self, place: Place) -> None:
        node = self.mint.record("places", place.id)
        triples: list[Triple] = [(node, RDF.type, SDO.Place), (node, KB.kind, KBV[place.kind]),
                   *self.entity(node, place.name, place.aliases, place.country)]
        if place.kind in _PLACE_TYPES:
            triples.append((node, RDF.type, _PLACE_TYPES[place.kind]))
        self.emit(triples)
        self.evidence(node, place.id, place.evidence)

    def topic(self, topic: Topic) -> None:
        node, scheme = self.mint.record("topics", topic.id), self.mint.topic_scheme()
        triples: list[Triple] = [(node, RDF.type, SKOS.Concept), (node, SKOS.prefLabel, _text(topic.label)),
                   (node, SKOS.inScheme, scheme), *self.entity(node, topic.label, topic.aliases, None)]
        if topic.broader is not None:
            triples.append((node, SKOS.broader, self.ref(topic.broader)))
        else:
            triples.append((scheme, SKOS.hasTopConcept, node))
        if topic.description is not None:
            triples.append((node, SKOS.definition, _text(topic.description)))
        self.emit(triples)

    def topic_scheme(self) -> None:
        scheme = self.mint.topic_scheme()
        self.emit([(scheme, RDF.type, SKOS.ConceptScheme), (scheme, RDFS.label, _text("Topics"))])

    def meeting(self, meeting: Meeting) -> None:
        node = self.mint.record("meetings", meeting.id)
        triples: list[Triple] = [
            (node, RDF.type, SDO.Event), (node, RDFS.label, _text(meeting.label)),
            (node, KB.kind, KBV[meeting.kind]), (node, KB.status, KBV[meeting.status]),
            *self.fact_common(node, meeting),
            *((node, SDO.attendee, self.ref(p)) for p in meeting.participants),
            *((node, DCTERMS.subject, self.ref(t)) for t in meeting.topics),
            *self.interval(node, TIME.hasTime, meeting.date, meeting.end_date),
        ]
        if meeting.place is not None:
            triples.append((node, SDO.location, self.ref(meeting.place)))
        if meeting.occasion is not None:
            triples.append((node, SDO.superEvent, self.ref(meeting.occasion)))
        for name, versions in (("duration", meeting.duration), ("characterization", meeting.characterization),
                               ("outcome", meeting.outcomes)):
            links, _ = self.versions(node, meeting.id, meeting.label, name, versions)
            triples += links
        self.emit(triples, self.evidence(node, meeting.id, meeting.evidence))
        if meeting.status == "held":
            agents = [self.ref(p) for p in meeting.participants]
            self.truthy.setdefault(meeting.id, set()).update(
                (a, KB.met, b) for a in agents for b in agents if a != b)

    def role(self, role: Role) -> None:
        node = self.mint.record("roles", role.id)
        holder, org = self.ref(role.holder), self.ref(role.organization)
        post = self.mint.post(role.organization, role.title)
        holder_name: str = self.kb.records["people"][role.holder].name  # type: ignore[attr-defined]
        triples: list[Triple] = [
            (node, RDF.type, ORG.Membership), (node, RDFS.label, _text(f"{holder_name}: {role.title}")),
            (node, ORG.member, holder), (node, ORG.organization, org), (node, ORG.role, post),
            *self.fact_common(node, role),
            *self.interval(node, ORG.memberDuring, role.start, role.end),
        ]
        titles = [Version(value=t.text, evidence=t.evidence) for t in role.titles]
        links, cited = self.versions(node, role.id, role.title, "title", titles)
        triples += links
        self.emit(triples, cited)
        # A role has no evidence of its own: it is derived from the evidence of every wording of its title.
        for n in range(1, len(titles) + 1):
            for ev, source in self.derived.get(self.mint.attribute(node, "title", n), []):
                self.emit([(node, PROV.wasDerivedFrom, ev)], [source])
        self.emit([(post, RDF.type, ORG.Post), (post, RDF.type, ORG.Role),
                   (post, RDFS.label, _text(role.title)), (post, ORG.postIn, org)])
        self.truthy.setdefault(role.id, set()).update(
            {(holder, ORG.memberOf, org), (holder, ORG.holds, post), (post, ORG.heldBy, holder)})

    def statement(self, statement: Statement) -> None:
        node = self.mint.record("statements", statement.id)
        triples: list[Triple] = [
            (node, RDF.type, KB.Utterance), (node, RDFS.label, _text(statement.summary)),
            (node, KB.speaker, self.ref(statement.speaker)), (node, KB.channel, KBV[statement.channel]),
            *self.fact_common(node, statement),
            *((node, KB.audience, self.ref(a)) for a in statement.audience),
            *((node, SDO.about, self.ref(a)) for a in statement.about),
            *((node, DCTERMS.subject, self.ref(t)) for t in statement.topics),
            *self.dated(node, statement.date),
        ]
        if statement.via is not None:
            triples.append((node, KB.via, self.ref(statement.via)))
        if statement.meeting is not None:
            triples.append((node, KB.atMeeting, self.ref(statement.meeting)))
        self.emit(triples, self.evidence(node, statement.id, statement.evidence))

    def sanction(self, sanction: Sanction) -> None:
        node = self.mint.record("sanctions", sanction.id)
        target, imposer = self.ref(sanction.target), self.ref(sanction.imposed_by)
        triples: list[Triple] = [
            (node, RDF.type, KB.Sanction), (node, RDFS.label, _text(sanction.label)),
            (node, KB.target, target), (node, KB.imposedBy, imposer),
            *self.fact_common(node, sanction), *self.dated(node, sanction.date),
            *((node, KB.relatedStatement, self.ref(s)) for s in sanction.related_statements),
        ]
        if sanction.reason is not None:
            triples.append((node, KB.reason, _text(sanction.reason)))
        self.emit(triples, self.evidence(node, sanction.id, sanction.evidence))
        self.truthy.setdefault(sanction.id, set()).add((target, KB.sanctionedBy, imposer))

    def dispute(self, dispute: Dispute) -> None:
        node = self.mint.record("disputes", dispute.id)
        triples: list[Triple] = [(node, RDF.type, KB.Dispute), (node, RDFS.label, _text(dispute.label)),
                                 *((node, KB.disputedStatement, self.ref(f)) for f in dispute.facts)]
        if dispute.description is not None:
            triples.append((node, SDO.description, _text(dispute.description)))
        self.emit(triples)

    def truthy_triples(self) -> None:
        """Emit truthy triples: a disputed fact contributes only what every fact of its dispute agrees on."""
        groups: dict[str, list[str]] = {d.id: d.facts for d in self.kb.records["disputes"].values()}  # type: ignore[attr-defined]
        for fact, triples in self.truthy.items():
            dispute = self.disputed.get(fact)
            if dispute is not None:
                for other in groups[dispute]:
                    triples = triples & self.truthy.get(other, set())
            self.emit(triples)


def _value(name: str, value: str | None) -> Literal | None:
    if value is None:
        return None
    return Literal(value, datatype=XSD.duration) if name == "duration" else _text(value)


_ORDER: tuple[tuple[str, str], ...] = (
    ("sources", "source"), ("people", "person"), ("organizations", "organization"), ("places", "place"),
    ("topics", "topic"), ("meetings", "meeting"), ("roles", "role"), ("statements", "statement"),
    ("sanctions", "sanction"), ("disputes", "dispute"),
)


def build(kb: KnowledgeBase, base_iri: str) -> BuiltGraph:
    """Return the graph of a validated knowledge base with instance IRIs under ``base_iri``.

    The result depends only on the records, never on their order. Raises CurationError when a record
    reaches here without what validation guarantees (evidence offsets).
    """
    builder = _Builder(kb, Mint(base_iri))
    builder.topic_scheme()
    for kind, method in _ORDER:
        for rid in sorted(kb.records[kind]):
            getattr(builder, method)(kb.records[kind][rid])
    builder.truthy_triples()
    named = {builder.mint.named_graph(source): frozenset(triples) for source, triples in builder.named.items()}
    return BuiltGraph(triples=frozenset(builder.default), named=named)
