"""Models -> RDF triples: the only module that makes triples (docs/model.md is the model it follows).

Pure: takes a validated KnowledgeBase and a base IRI, returns a :class:`~kb.graph.sinks.BuiltGraph` (the
triples of the default graph, and which of them also belong to each article's named graph). Where they are
stored is :mod:`kb.graph.store`'s business.

Every fact is a node of its own (``kb:Statement``) linked to its evidence; truthy triples beside the nodes are
written only where every version agrees (see :func:`build`). The nodes that records of several kinds share
(evidence, time, attribute versions) are made by :class:`kb.graph.nodes.NodeWriter`; the N-Triples text of
each term by :mod:`kb.graph.ntriples`; where the lines go by :mod:`kb.graph.sinks`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kb import vocab
from kb.graph import ntriples as nt
from kb.graph.ntriples import DCTERMS, KB, KBV, ORG, PROV, RDF, RDFS, SDO, SKOS, TIME, TextTriple
from kb.graph.reasons import ReasonWriter
from kb.graph.sinks import BuiltGraph, Collect, Part, Split, Stream, Tally
from kb.model import records as model
from kb.model.knowledge_base import KnowledgeBase

_PLACE_TYPES = {
    "country": SDO.Country, "city": SDO.City, "region": SDO.AdministrativeArea, "sea": SDO.SeaBodyOfWater,
    "strait": SDO.BodyOfWater, "building": SDO.CivicStructure,
}


class _Builder(ReasonWriter):
    """Makes the lines of every record and hands them to ``sink``: :class:`~kb.graph.sinks.Collect` for a
    built graph, :class:`~kb.graph.sinks.Stream` for a store, :class:`~kb.graph.sinks.Tally` for an edit,
    :class:`~kb.graph.sinks.Split` for ``kb publish``."""

    def source(self, source: model.Source) -> None:
        node = self.mint.record("sources", source.id)
        article = self.kb.articles[source.id]
        # The article's own file states its text, name, hash, headline and language (kb:basis kbv:stated); its
        # authors, publisher, date, dateline and URL each have a link of their own (source_links).
        triples: list[TextTriple] = [
            (node, RDF.type, SDO.NewsArticle), (node, RDFS.label, nt.text(source.headline)),
            (node, DCTERMS.title, nt.text(source.headline)),
            (node, DCTERMS.language, nt.typed(source.language, vocab.XSD.language)),
            (node, KB.file, nt.text(source.file)), (node, KB.sha256, nt.text(source.sha256)),
            (node, KB.text, nt.text(article.text)), (node, KB.basis, KBV.stated),
            *self.source_links(node, source),
        ]
        if source.published_basis is not None:
            triples.append((node, KB.publishedBasis, KBV[source.published_basis]))
        if source.note is not None:
            triples.append((node, SKOS.note, nt.text(source.note)))
        self.emit(triples, [source.id])

    def entity(self, node: str, name: str, aliases: Sequence[str], country: str | None) -> list[TextTriple]:
        triples: list[TextTriple] = [(node, RDFS.label, nt.text(name))]
        triples += [(node, SKOS.altLabel, nt.text(alias)) for alias in aliases]
        if country is not None:
            triples.append((node, KB.country, self.ref(country)))
        return triples

    def entity_reason(self, node: str, rid: str, evidence: Sequence[model.Evidence]) -> None:
        """Emit an entity's evidence, or, when it has none, that a curator supplied it (kb:basis kbv:curator)."""
        if evidence:
            self.evidence(node, rid, evidence)
        else:
            self.emit([(node, KB.basis, KBV.curator)])

    def person(self, person: model.Person) -> None:
        node = self.mint.record("people", person.id)
        triples: list[TextTriple] = [(node, RDF.type, SDO.Person),
                                     *self.entity(node, person.name, person.aliases, person.country)]
        if person.description is not None:
            triples.append((node, SDO.description, nt.text(person.description)))
        self.emit(triples)
        self.entity_reason(node, person.id, person.evidence)

    def organization(self, org: model.Organization) -> None:
        node = self.mint.record("organizations", org.id)
        triples: list[TextTriple] = [(node, RDF.type, ORG.Organization),
                                     (node, ORG.classification, KBV[org.kind]),
                                     *self.entity(node, org.name, org.aliases, org.country)]
        if org.parent is not None:
            triples.append((node, ORG.subOrganizationOf, self.ref(org.parent)))
        self.emit(triples)
        self.entity_reason(node, org.id, org.evidence)

    def place(self, place: model.Place) -> None:
        node = self.mint.record("places", place.id)
        triples: list[TextTriple] = [(node, RDF.type, SDO.Place), (node, KB.kind, KBV[place.kind]),
                   *self.entity(node, place.name, place.aliases, place.country)]
        if place.kind in _PLACE_TYPES:
            triples.append((node, RDF.type, _PLACE_TYPES[place.kind]))
        self.emit(triples)
        self.entity_reason(node, place.id, place.evidence)

    def topic(self, topic: model.Topic) -> None:
        node, scheme = self.mint.record("topics", topic.id), self.mint.topic_scheme()
        triples: list[TextTriple] = [(node, RDF.type, SKOS.Concept),
                                     (node, SKOS.prefLabel, nt.text(topic.label)),
                                     (node, SKOS.inScheme, scheme),
                                     *self.entity(node, topic.label, topic.aliases, None)]
        if topic.broader is not None:
            triples.append((node, SKOS.broader, self.ref(topic.broader)))
        else:
            triples.append((scheme, SKOS.hasTopConcept, node))
        if topic.description is not None:
            triples.append((node, SKOS.definition, nt.text(topic.description)))
        self.emit(triples)

    def topic_scheme(self) -> None:
        scheme = self.mint.topic_scheme()
        self.emit([(scheme, RDF.type, SKOS.ConceptScheme), (scheme, RDFS.label, nt.text("Topics"))])

    def meeting(self, meeting: model.Meeting) -> None:
        node = self.mint.record("meetings", meeting.id)
        triples: list[TextTriple] = [
            (node, RDF.type, SDO.Event), (node, RDFS.label, nt.text(meeting.label)),
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
        self.links(node, meeting)
        self.emit(triples, self.evidence(node, meeting.id, meeting.evidence))
        self.gathering(node, meeting)

    def role(self, role: model.Role) -> None:
        node = self.mint.record("roles", role.id)
        holder, org = self.ref(role.holder), self.ref(role.organization)
        post = self.mint.post(role.organization, role.title)
        holder_name = self.kb.people[role.holder].name
        triples: list[TextTriple] = [
            (node, RDF.type, ORG.Membership), (node, RDFS.label, nt.text(f"{holder_name}: {role.title}")),
            (node, ORG.member, holder), (node, ORG.organization, org), (node, ORG.role, post),
            *self.fact_common(node, role),
            *self.interval(node, ORG.memberDuring, role.start, role.end),
        ]
        titles = [model.Version(value=t.text, evidence=t.evidence) for t in role.titles]
        links, cited = self.versions(node, role.id, role.title, "title", titles)
        triples += links
        self.emit(triples, cited)
        # A role has no evidence of its own: it is derived from the evidence of every wording of its title.
        for n in range(1, len(titles) + 1):
            for ev, source in self.derived.get(self.mint.attribute(node, "title", n), []):
                self.emit([(node, PROV.wasDerivedFrom, ev)], [source])
        self.emit_shared([(post, RDF.type, ORG.Post), (post, RDF.type, ORG.Role),
                          (post, RDFS.label, nt.text(role.title)), (post, ORG.postIn, org),
                          *self.generated(post, "office", [node])])
        for triple in ((holder, ORG.memberOf, org), (holder, ORG.holds, post), (post, ORG.heldBy, holder)):
            self.derive(role.id, triple, "member-of", node)

    def statement(self, statement: model.Statement) -> None:
        node = self.mint.record("statements", statement.id)
        triples: list[TextTriple] = [
            (node, RDF.type, KB.Utterance), (node, RDFS.label, nt.text(statement.summary)),
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
        self.links(node, statement)
        self.emit(triples, self.evidence(node, statement.id, statement.evidence))

    def sanction(self, sanction: model.Sanction) -> None:
        node = self.mint.record("sanctions", sanction.id)
        target, imposer = self.ref(sanction.target), self.ref(sanction.imposed_by)
        triples: list[TextTriple] = [
            (node, RDF.type, KB.Sanction), (node, RDFS.label, nt.text(sanction.label)),
            (node, KB.target, target), (node, KB.imposedBy, imposer),
            *self.fact_common(node, sanction), *self.dated(node, sanction.date),
            *((node, KB.relatedStatement, self.ref(s)) for s in sanction.related_statements),
        ]
        if sanction.reason is not None:
            triples.append((node, KB.reason, nt.text(sanction.reason)))
        self.links(node, sanction)
        self.emit(triples, self.evidence(node, sanction.id, sanction.evidence))
        self.derive(sanction.id, (target, KB.sanctionedBy, imposer), "sanctioned-by", node)

    def dispute(self, dispute: model.Dispute) -> None:
        node = self.mint.record("disputes", dispute.id)
        triples: list[TextTriple] = [(node, RDF.type, KB.Dispute), (node, RDFS.label, nt.text(dispute.label)),
                                     (node, KB.basis, KBV.curator),
                                     *((node, KB.disputedStatement, self.ref(f)) for f in dispute.facts)]
        if dispute.description is not None:
            triples.append((node, SDO.description, nt.text(dispute.description)))
        self.emit(triples)

    def truthy_triples(self) -> Iterator[None]:
        """Emit truthy triples: a disputed fact contributes only what every fact of its dispute agrees on.
        Pauses after each fact's, so that a stream takes them in chunks: made in one step, they were one chunk
        of 21 MB at 10k facts, and the bulk loader's largest piece at 100k."""
        groups = {d.id: d.facts for d in self.kb.disputes.values()}
        for fact, made in self.truthy.items():
            kept = set(made)
            dispute = self.disputed.get(fact)
            if dispute is not None:
                for other in groups[dispute]:
                    kept = kept & self.truthy.get(other, {}).keys()
            for triple in sorted(kept):
                self.emit_shared(self.derivation(triple, *made[triple]))
            yield



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
    sink = Collect()
    mint = nt.TextMint(base_iri)
    for _ in _steps(_Builder(kb, mint, sink)):
        pass
    named = {str(mint.named_graph(source)): frozenset(lines) for source, lines in sink.named.items()}
    return BuiltGraph(lines=frozenset(sink.default), named_lines=named)


def nquads(kb: KnowledgeBase, base_iri: str, chunk_bytes: int = 1 << 22,
           shared: Counter[nt.LineKey] | None = None) -> Iterator[bytes]:
    """Yield the graph of a validated knowledge base as N-Quads, in chunks of about ``chunk_bytes``.

    The same quads as ``build(kb, base_iri).nquads()``, possibly some more than once, without ever holding the
    whole graph: the built line sets and their N-Quads would take about as much memory again as the store.
    When ``shared`` is given, counts in it how many records make each shared line (for :func:`partial`
    edits later). Raises CurationError as :func:`build` does.
    """
    mint = nt.TextMint(base_iri)
    sink = Stream(mint, shared)
    yield from _chunked(_Builder(kb, mint, sink), sink, chunk_bytes)


def graphs(kb: KnowledgeBase, base_iri: str,
           chunk_bytes: int = 1 << 22) -> Iterator[tuple[bytes, dict[str, bytes]]]:
    """Yield the graph of a validated knowledge base as ``(default graph, {named graph IRI: its part})``
    pieces of N-Triples, together about ``chunk_bytes``, for a store that takes one graph at a time.

    Every default-graph triple comes exactly once (a record's own lines are its alone, and shared lines are
    written the first time they are made), so counting lines counts triples. Raises CurationError as
    :func:`build` does.
    """
    mint = nt.TextMint(base_iri)
    sink = Split(mint)
    yield from _chunked(_Builder(kb, mint, sink), sink, chunk_bytes)


def partial(kb: KnowledgeBase, base_iri: str, ids: Iterable[str]) -> Part:
    """Return what the records ``ids`` of ``kb`` contribute to its graph (ids not in ``kb`` contribute
    nothing).

    Every line of the graph is either some record's own (its IRI, its evidence, its versions and time nodes,
    in the named graphs of the articles it cites) or shared (truthy triples and offices, counted). The truthy
    triples of a disputed fact depend on every fact of its dispute: ``ids`` must hold all of them (see
    :mod:`kb.graph.delta`). Raises CurationError as :func:`build` does.
    """
    mint = nt.TextMint(base_iri)
    sink = Tally(mint)
    for _ in _steps(_Builder(kb, mint, sink), frozenset(ids)):
        pass
    return Part(sink.own, sink.shared)


def _chunked(builder: _Builder, sink: Stream | Split, chunk_bytes: int) -> Iterator[Any]:
    """Build everything, yielding what ``sink`` (the builder's) holds whenever it reaches ``chunk_bytes``,
    and what is left at the end."""
    for _ in _steps(builder):
        if sink.size >= chunk_bytes:
            yield sink.take()
    if sink.size:
        yield sink.take()


def _steps(builder: _Builder, only: frozenset[str] | None = None) -> Iterator[None]:
    """Build every record (or the records ``only``) in a fixed order (kind, then id), pausing after each;
    truthy triples come last."""
    kb = builder.kb
    if only is None:
        builder.topic_scheme()
    for kind, method in _ORDER:
        make = getattr(builder, method)
        records = kb.of(kind)
        for rid in sorted(records if only is None else only & records.keys()):
            make(records[rid])
            yield
    yield from builder.truthy_triples()
