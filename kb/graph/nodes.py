"""The nodes that records of several kinds are made of: evidence, time nodes, a fact's flags and the versions
of its attributes; and the plumbing that hands their lines to a sink.

:class:`NodeWriter` is the base of :class:`kb.graph.builder._Builder`, which adds a method per kind of record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from kb import vocab
from kb.errors import CurationError, Location
from kb.graph import ntriples as nt
from kb.graph.ntriples import DCTERMS, KB, KBV, OA, PROV, RDF, RDFS, SDO, SKOS, TIME, TextTriple
from kb.graph.sinks import Sink
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import DateValue, Evidence, Fact, Role, Version
from kb.model.sources import context
from kb.vocab import ATTRIBUTES

_ATTRIBUTES = {name: f"<{prop}>" for name, prop in ATTRIBUTES.items()}
Made = tuple[str, str]
"""How a fact makes a truthy triple: the rule's name and its premises (statement nodes, space-separated)."""

SINGLE_VALUED = frozenset({"duration", "characterization"})
"""The attributes a fact has one true value of: several versions of one make a dispute."""


class NodeWriter:
    """Makes the nodes that records share the shape of, and hands every line to ``sink``."""

    def __init__(self, kb: KnowledgeBase, mint: nt.TextMint, sink: Sink) -> None:
        self.kb = kb
        self.mint = mint
        self.sink = sink
        self.truthy: dict[str, dict[TextTriple, Made]] = {}
        """Fact id -> the truthy triples it makes, each with the rule and its premises (kb:Derivation)."""
        self.derived: dict[str, list[tuple[str, str]]] = {}
        self.disputed = kb.disputed()

    # -- plumbing -----------------------------------------------------------------------------------------

    def emit(self, triples: Iterable[TextTriple], sources: Iterable[str] = ()) -> None:
        """Add triples to the default graph and to the named graph of each source."""
        self.sink.add([f"{s} {p} {o}".encode() for s, p, o in triples], sources)

    def emit_shared(self, triples: Iterable[TextTriple]) -> None:
        """Add default-graph triples that several records may make (truthy triples, offices): the sink
        counts them per record, so that an edit removes one only when no record makes it any more."""
        self.sink.add_shared([f"{s} {p} {o}".encode() for s, p, o in triples])

    def derive(self, fact_id: str, triple: TextTriple, rule: str, premise: str) -> None:
        """Record that the fact ``fact_id`` makes the truthy ``triple`` by ``rule`` (a key of kb.vocab.RULES),
        from the statement node ``premise``."""
        made = self.truthy.setdefault(fact_id, {})
        before = made.get(triple)
        made[triple] = (rule, premise if before is None else f"{before[1]} {premise}")

    def derivation(self, triple: TextTriple, rule: str, premises: str) -> list[TextTriple]:
        """Return ``triple`` and its kb:Derivation node: which rule made it from which premises (a
        space-separated list of statement nodes)."""
        s, p, o = triple
        # IRIs under the base written relative to it: a deployment's base IRI does not change the key
        text = f"{s} {p} {o}".replace(f"<{self.mint.base}", "<")
        node = self.mint.derivation(rule, hashlib.sha1(text.encode()).hexdigest()[:16])
        return [triple, (node, RDF.type, KB.Derivation), (node, RDF.subject, s), (node, RDF.predicate, p),
                (node, RDF.object, o), (node, PROV.wasGeneratedBy, KB[f"rule-{rule}"]),
                *((node, PROV.wasDerivedFrom, premise) for premise in premises.split(" "))]

    def generated(self, node: str, rule: str, premises: Iterable[str]) -> list[TextTriple]:
        """Return the lines saying that a whole node (an office, an attribute dispute) was made by ``rule``."""
        return [(node, PROV.wasGeneratedBy, KB[f"rule-{rule}"]),
                *((node, PROV.wasDerivedFrom, premise) for premise in premises)]

    def ref(self, rid: str) -> str:
        """Return the IRI of any record by id (validation guarantees the id exists)."""
        return self.mint.record(self.kb.kinds[rid], rid)

    def evidence(self, node: str, key: str, entries: Sequence[Evidence]) -> set[str]:
        """Emit ``node``'s evidence as oa:SpecificResources. Returns the ids of the sources it cites."""
        spans = sorted({(e.source, *self.offsets(e, key), e.quote, e.as_written or "") for e in entries})
        for n, (source, start, end, quote, written) in enumerate(spans, start=1):
            ev = self.mint.evidence(key, n)
            lines = self.evidence_node(ev, source, start, end, quote)
            if written:
                lines.append((ev, KB.asWritten, nt.text(written)))
            self.emit(lines, [source])
            self.emit([(node, PROV.wasDerivedFrom, ev)], [source])
            self.derived.setdefault(node, []).append((ev, source))
        return {span[0] for span in spans}

    def offsets(self, evidence: Evidence, key: str) -> tuple[int, int]:
        """Return an evidence's (start, end). Raises CurationError when they are missing (unvalidated
        input)."""
        if evidence.start is None or evidence.end is None:
            rid = key.split("/")[0]
            raise CurationError(self.kb.locations.get(rid, Location("curation")),
                                f"{rid}: evidence has no start/end offsets; run kb anchor --fix", "evidence")
        return evidence.start, evidence.end

    def evidence_node(self, ev: str, source: str, start: int, end: int, quote: str) -> list[TextTriple]:
        position, words = self.mint.selector(ev, "position"), self.mint.selector(ev, "quote")
        prefix, suffix = context(self.kb.articles[source].text, start, end)
        triples: list[TextTriple] = [
            (ev, RDF.type, OA.SpecificResource),
            (ev, OA.hasSource, self.mint.record("sources", source)),
            (ev, OA.hasSelector, position),
            (ev, OA.hasSelector, words),
            (position, RDF.type, OA.TextPositionSelector),
            # xsd:integer, not xsd:nonNegativeInteger: Oxigraph stores the latter as the former, and the graph
            # must be the same in every store (the shapes check that offsets are not negative).
            (position, OA.start, nt.integer(start)),
            (position, OA.end, nt.integer(end)),
            (words, RDF.type, OA.TextQuoteSelector),
            (words, OA.exact, nt.text(quote)),
        ]
        if prefix:
            triples.append((words, OA.prefix, nt.text(prefix)))
        if suffix:
            triples.append((words, OA.suffix, nt.text(suffix)))
        return triples

    def instant(self, node: str, date: DateValue) -> list[TextTriple]:
        """Return a time:Instant holding ``date`` with its precision, its words and how it was resolved."""
        triples: list[TextTriple] = [
            (node, RDF.type, TIME.Instant),
            (node, nt.date_property(date.value), nt.date(date.value)),
        ]
        if date.as_written is not None:
            triples.append((node, KB.asWritten, nt.text(date.as_written)))
        if date.resolved_against is not None:
            triples.append((node, KB.resolvedAgainst, self.mint.record("sources", date.resolved_against)))
        return triples

    def interval(self, node: str, link: str, start: DateValue | None,
                 end: DateValue | None) -> list[TextTriple]:
        """Return ``node link {node}/during``, a time:Interval with what is known of its beginning and end."""
        if start is None and end is None:
            return []
        during = self.mint.time(node, "during")
        triples: list[TextTriple] = [(node, link, during), (during, RDF.type, TIME.Interval)]
        for part, date, prop, direct in (("start", start, TIME.hasBeginning, SDO.startDate),
                                         ("end", end, TIME.hasEnd, SDO.endDate)):
            if date is not None:
                instant = self.mint.time(node, part)
                triples += [(during, prop, instant), (node, direct, nt.date(date.value))]
                triples += self.instant(instant, date)
        return triples

    def dated(self, node: str, date: DateValue | None) -> list[TextTriple]:
        """Return ``dcterms:date`` and a ``time:hasTime`` instant for a fact that happened on one date."""
        if date is None:
            return []
        instant = self.mint.time(node, "date")
        return [(node, DCTERMS.date, nt.date(date.value)), (node, TIME.hasTime, instant),
                *self.instant(instant, date)]

    def fact_common(self, node: str, fact: Fact | Role) -> list[TextTriple]:
        """Return what every curated fact carries: certainty, hedge, note, disputed."""
        triples: list[TextTriple] = [
            (node, RDF.type, KB.Statement),
            (node, KB.certainty, KBV[fact.certainty]),
            (node, KB.disputed, nt.BOOLEAN[fact.id in self.disputed]),
        ]
        if fact.hedge is not None:
            triples.append((node, KB.hedge, nt.text(fact.hedge)))
        if fact.note is not None:
            triples.append((node, SKOS.note, nt.text(fact.note)))
        return triples

    def versions(self, fact: str, fact_id: str, label: str, name: str,
                 versions: Sequence[Version],
                 evidence_of: str | None = None) -> tuple[list[TextTriple], set[str]]:
        """Emit one attribute statement per version; return the fact's links to them (plus truthy values)
        and the sources the versions cite. Several versions of a single-valued attribute make a dispute."""
        prop = _ATTRIBUTES[name]
        ordered = sorted(versions, key=lambda v: (v.value or "", v.as_written or ""))
        disputed = name in SINGLE_VALUED and len(ordered) > 1
        links: list[TextTriple] = []
        cited: set[str] = set()
        for n, version in enumerate(ordered, start=1):
            node = self.mint.attribute(fact, name, n)
            value = _value(name, version.value)
            triples: list[TextTriple] = [
                (node, RDF.type, KB.AttributeStatement), (node, RDF.type, KB.Statement),
                (node, KB.attribute, prop), (node, KB.disputed, nt.BOOLEAN[disputed]),
            ]
            if value is not None:
                triples.append((node, prop, value))
                if not disputed:
                    self.derive(fact_id, (fact, prop, value), "agreed-value", node)
            if version.as_written is not None:
                triples.append((node, KB.asWritten, nt.text(version.as_written)))
            if version.said_by is not None:
                triples.append((node, KB.saidBy, self.ref(version.said_by)))
            sources = self.evidence(node, f"{fact_id}/{name}/{n}", version.evidence)
            self.emit(triples, sources)
            cited |= sources
            links.append((fact, KB.attributeStatement, node))
        if disputed:
            dispute = self.mint.attribute_dispute(fact_id, name)
            self.emit([
                (dispute, RDF.type, KB.Dispute), (dispute, RDFS.label, nt.text(f"{label}: {name}")),
                (dispute, SDO.description,
                 nt.text(f"The sources give {len(ordered)} versions of the {name}.")),
                (dispute, KB.attribute, prop),
                *((dispute, KB.disputedStatement, self.mint.attribute(fact, name, n))
                  for n in range(1, len(ordered) + 1)),
                *self.generated(dispute, "attribute-dispute",
                                (self.mint.attribute(fact, name, n) for n in range(1, len(ordered) + 1))),
            ])
        return links, cited


def _value(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    return nt.typed(value, vocab.XSD.duration) if name == "duration" else nt.text(value)

