"""The reasons the builder writes beside the facts: links (one triple of a fact with its own evidence or a
curator's basis), the rules that derive who met whom and who attended what, and an article's metadata links.

:class:`ReasonWriter` sits between :class:`kb.graph.nodes.NodeWriter` and the builder: every method returns or
emits lines the way the rest of the builder does. docs/model.md ("Reasons") is the contract.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from kb import vocab
from kb.graph import ntriples as nt
from kb.graph.nodes import NodeWriter
from kb.graph.ntriples import DCTERMS, KB, KBV, RDF, SDO, SKOS, TextTriple
from kb.model import records as model

MEET_KINDS = frozenset({"meeting", "talks", "visit"})
"""Kinds of gathering whose participants meet each other (kb:rule-met); a call is not a meeting."""
ATTEND_KINDS = frozenset({"summit", "conference", "forum", "news-conference"})
"""Kinds of gathering whose participants attend it (kb:rule-attended) rather than meet each other."""
CONTRADICTING = frozenset({"declined", "cancelled"})

LINK_PREDICATES: dict[str, str] = {
    "topic": DCTERMS.subject, "participant": SDO.attendee, "place": SDO.location, "end-date": SDO.endDate,
    "occasion": SDO.superEvent, "speaker": KB.speaker, "audience": KB.audience, "about": SDO.about,
    "via": KB.via, "meeting": KB.atMeeting, "target": KB.target, "imposed-by": KB.imposedBy,
    "related-statement": KB.relatedStatement, "reason": KB.reason,
}
"""A link's attribute -> the predicate of the triple it backs (``date`` depends on the kind: see link_triple)."""


UNSUPPORTED = "Given by the curator without a span or a basis (kb validate warns)."
"""The note of an article's metadata link that the curator gave no reason for."""

SOURCE_PREDICATES = {"author": DCTERMS.creator, "publisher": DCTERMS.publisher, "published": DCTERMS.date,
                     "dateline": KB.dateline, "url": SDO.url}


class ReasonWriter(NodeWriter):
    """Adds links, derivations and an article's metadata links to what NodeWriter makes."""

    @cached_property
    def contradicting(self) -> dict[frozenset[str], list[model.Meeting]]:
        """Declined or cancelled meetings, by every pair of people they list."""
        pairs: dict[frozenset[str], list[model.Meeting]] = defaultdict(list)
        for meeting in self.kb.meetings.values():
            if meeting.status in CONTRADICTING:
                people = sorted(p for p in meeting.participants if self.kb.kinds.get(p) == "people")
                for i, a in enumerate(people):
                    for b in people[i + 1:]:
                        pairs[frozenset((a, b))].append(meeting)
        return pairs

    def gathering(self, node: str, meeting: model.Meeting) -> None:
        """Derive kb:met (kb:rule-met) or kb:attended (kb:rule-attended) from a held meeting."""
        if meeting.status != "held":
            return
        if meeting.kind in ATTEND_KINDS:
            for p in meeting.participants:
                self.derive(meeting.id, (self.ref(p), KB.attended, node), "attended", node)
        if meeting.kind not in MEET_KINDS:
            return
        people = [p for p in meeting.participants if self.kb.kinds.get(p) == "people"]
        for a in people:
            for b in people:
                if a != b and not self.contradicted(meeting, a, b):
                    self.derive(meeting.id, (self.ref(a), KB.met, self.ref(b)), "met", node)

    def contradicted(self, held: model.Meeting, a: str, b: str) -> bool:
        """Return True when a declined or cancelled meeting between ``a`` and ``b`` is about the same gathering:
        beside it or beside the same occasion, or on the same date."""
        for other in self.contradicting.get(frozenset((a, b)), ()):
            same_date = other.date is not None and held.date is not None and other.date.value == held.date.value
            if other.occasion in {held.id, held.occasion} - {None} or same_date:
                return True
        return False

    def links(self, node: str, fact: model.Fact) -> tuple[list[TextTriple], set[str]]:
        """Emit a kb:Link node for each of ``fact``'s links (``{fact}/link/{attribute}/{n}``, n counted per
        attribute, in sorted order); return the fact's own lines (none yet) and the sources they cite."""
        cited: set[str] = set()
        counts: dict[str, int] = defaultdict(int)
        for link in sorted(fact.links, key=_link_order):
            attribute, _, rid = link.of.partition(" ")
            counts[attribute] += 1
            n = counts[attribute]
            ln = self.mint.link(node, attribute, n)
            s, p, o = self.link_triple(node, fact, attribute, rid or None)
            lines: list[TextTriple] = [(ln, RDF.type, KB.Link), (ln, RDF.subject, s), (ln, RDF.predicate, p),
                                       (ln, RDF.object, o), (ln, KB.certainty, KBV[link.certainty])]
            if link.hedge is not None:
                lines.append((ln, KB.hedge, nt.text(link.hedge)))
            if link.in_place_of is not None:
                lines.append((ln, KB.inPlaceOf, self.ref(link.in_place_of)))
            if link.note is not None:
                lines.append((ln, SKOS.note, nt.text(link.note)))
            sources = self.evidence(ln, f"{fact.id}/{attribute}/{n}", link.evidence)
            self.emit(lines, sources)
            cited |= sources
        return [], cited

    def link_triple(self, node: str, fact: model.Fact, attribute: str, rid: str | None) -> TextTriple:
        """Return the triple of ``fact`` a link of ``attribute`` (and id ``rid``) backs."""
        value = getattr(fact, model.link_field(attribute))
        if isinstance(value, model.DateValue):
            prop = SDO.startDate if attribute == "date" and isinstance(fact, model.Meeting) else DCTERMS.date
            return node, (SDO.endDate if attribute == "end-date" else prop), nt.date(value.value)
        if attribute == "reason":
            return node, KB.reason, nt.text(str(value))
        return node, LINK_PREDICATES[attribute], self.ref(rid if rid is not None else str(value))

    def source_links(self, node: str, source: model.Source) -> list[TextTriple]:
        """Return the metadata triples of an article, and emit a kb:Link for each: evidence (a byline's span)
        or a basis (``published_basis`` for the date when no link says more)."""
        given = {link.of: link for link in source.links}
        values = [("author", f"author {a}", nt.text(a)) for a in sorted(source.authors)]
        values.append(("publisher", "publisher", nt.text(source.publisher)))
        if source.published is not None:
            values.append(("published", "published", nt.date(source.published)))
        if source.dateline is not None:
            values.append(("dateline", "dateline", nt.text(source.dateline)))
        if source.url is not None:
            values.append(("url", "url", nt.typed(source.url, vocab.XSD.anyURI)))
        triples: list[TextTriple] = []
        counts: dict[str, int] = defaultdict(int)
        for attribute, of, obj in values:
            counts[attribute] += 1
            ln = self.mint.link(node, attribute, counts[attribute])
            p = SOURCE_PREDICATES[attribute]
            triples.append((node, p, obj))
            lines: list[TextTriple] = [(ln, RDF.type, KB.Link), (ln, RDF.subject, node), (ln, RDF.predicate, p),
                                       (ln, RDF.object, obj)]
            link = given.get(of)
            if link is None:  # the curator wrote the value and said no more (kb validate warns)
                basis = source.published_basis if attribute == "published" else None
                lines.append((ln, KB.basis, KBV[basis or "curator"]))
                if basis is None:
                    lines.append((ln, SKOS.note, nt.text(UNSUPPORTED)))
            else:
                if link.basis is not None:
                    lines.append((ln, KB.basis, KBV[link.basis]))
                if link.note is not None:
                    lines.append((ln, SKOS.note, nt.text(link.note)))
            if link is not None and link.evidence:
                self.evidence(ln, f"{source.id}/{attribute}/{counts[attribute]}", link.evidence)
            self.emit(lines, [source.id])
        return triples


def _link_order(link: model.Link) -> tuple[object, ...]:
    """Links in an order that does not depend on how the YAML lists them or their evidence."""
    spans = sorted((e.source, e.start or 0, e.end or 0, e.quote) for e in link.evidence)
    return link.of, spans, link.certainty, link.hedge or "", link.in_place_of or "", link.note or ""
