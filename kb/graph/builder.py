"""Models -> RDF triples: the only module that makes triples (docs/model.md is the model it follows).

Pure: takes a validated KnowledgeBase and a base IRI, returns a :class:`BuiltGraph` (the triples of the
default graph, and which of them also belong to each article's named graph). Where they are stored is
:mod:`kb.graph.store`'s business.

Every fact is a node of its own (``kb:Statement``) linked to its evidence; truthy triples beside the nodes are
written only where every version agrees (see :func:`build`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rdflib import Literal, URIRef

from kb import vocab
from kb.errors import CurationError, Location
from kb.model.records import (
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
from kb.model.sources import context
from kb.load.validate import KnowledgeBase
from kb.vocab import Mint

Object = URIRef | Literal
Triple = tuple[URIRef, URIRef, Object]
Quad = tuple[URIRef, URIRef, Object, URIRef | None]
_Triple = tuple[str, str, str]  # the builder's triples: N-Triples text of each term
Line = bytes
"""One triple as UTF-8 N-Triples without the final `` .``: ``<s> <p> <o>`` or ``<s> <p> "literal"^^<type>``.

Bytes rather than str: one emoji in an article makes a Python str four bytes a character, and joining
hundreds of thousands of lines into one N-Quads document is then several times slower."""


class _Terms:
    """A namespace whose terms come out as N-Triples text (``RDF.type`` -> ``<http://...#type>``).

    The builder writes N-Triples text, never rdflib terms: making an rdflib ``URIRef`` checks the IRI and a
    ``Literal`` parses its value, which was most of the time of building a graph (10k facts: 3 s). Each term
    is looked up in the wrapped namespace once (undefined terms still raise) and kept as an attribute.
    """

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        text = f"<{getattr(self._namespace, name)}>"
        setattr(self, name, text)
        return text

    def __getitem__(self, name: str) -> str:
        text: str = getattr(self, name)
        return text


DCTERMS, KB, KBV, OA, ORG, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD = (
    _Terms(ns) for ns in (vocab.DCTERMS, vocab.KB, vocab.KBV, vocab.OA, vocab.ORG, vocab.PROV, vocab.RDF,
                          vocab.RDFS, vocab.SDO, vocab.SKOS, vocab.TIME, vocab.XSD))

_DATE_TYPES = {4: (vocab.XSD.gYear, TIME.inXSDgYear), 7: (vocab.XSD.gYearMonth, TIME.inXSDgYearMonth),
               10: (vocab.XSD.date, TIME.inXSDDate)}
_PLACE_TYPES = {
    "country": SDO.Country, "city": SDO.City, "region": SDO.AdministrativeArea, "sea": SDO.SeaBodyOfWater,
    "strait": SDO.BodyOfWater, "building": SDO.CivicStructure,
}
# attribute name in the IRI -> the property that carries its value (the same on the version and as truthy)
ATTRIBUTES: dict[str, URIRef] = {
    "duration": vocab.SDO.duration, "characterization": vocab.KB.characterization, "outcome": vocab.KB.outcome,
    "title": vocab.KB.titleAsWritten,
}
_ATTRIBUTES = {name: f"<{prop}>" for name, prop in ATTRIBUTES.items()}
SINGLE_VALUED = frozenset({"duration", "characterization"})


def escape(text: str) -> str:
    """Return ``text`` escaped for an N-Triples string literal (backslash, quote, line feed, carriage return)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


_UNESCAPE = re.compile(r'\\([\\"nrt])')
_UNESCAPED = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], text) if "\\" in text else text


def _text(value: str) -> str:
    return f'"{escape(value)}"'


def _typed(value: object, datatype: URIRef) -> str:
    return f'"{escape(str(value))}"^^<{datatype}>'


def _integer(value: int) -> str:
    return f'"{value}"^^<{vocab.XSD.integer}>'


_BOOLEAN = {True: f'"true"^^<{vocab.XSD.boolean}>', False: f'"false"^^<{vocab.XSD.boolean}>'}


def _date(value: str) -> str:
    return f'"{value}"^^<{_DATE_TYPES[len(value)][0]}>'


def date_literal(value: str) -> Literal:
    """Return a date as a literal keeping its precision: xsd:gYear, xsd:gYearMonth or xsd:date."""
    return Literal(value, datatype=_DATE_TYPES[len(value)][0])


class _Parser:
    """Turns kb's own N-Triples lines back into rdflib terms, each distinct term once (for rdflib consumers)."""

    def __init__(self) -> None:
        self.terms: dict[str, Object] = {}

    def term(self, text: str) -> Object:
        found = self.terms.get(text)
        if found is None:
            if text.startswith("<"):
                found = URIRef(text[1:-1])
            else:
                close = text.rindex('"')
                lexical, rest = _unescape(text[1:close]), text[close + 1:]
                if rest.startswith("^^<"):
                    found = Literal(lexical, datatype=URIRef(rest[3:-1]))
                elif rest.startswith("@"):
                    found = Literal(lexical, lang=rest[1:])
                else:
                    found = Literal(lexical)
            self.terms[text] = found
        return found

    def triple(self, line: Line) -> Triple:
        subject, rest = line.decode().split(" ", 1)
        predicate, obj = rest.split(" ", 1)
        return self.term(subject), self.term(predicate), self.term(obj)  # type: ignore[return-value]


@dataclass(frozen=True)
class BuiltGraph:
    """The graph of a knowledge base as N-Triples lines: every triple (the default graph) and each named
    graph's share of them (keyed by the graph's IRI).

    The lines go to a store as they are (:meth:`nquads`); rdflib terms (:attr:`triples`, :attr:`named`,
    :meth:`quads`) are made only when asked for, for the rdflib consumers (diffs, the memory store, tests).
    """

    lines: frozenset[Line]
    named_lines: dict[str, frozenset[Line]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def nquads(self) -> bytes:
        """Return the whole graph as N-Quads: the default graph, then each named graph, each unsorted."""
        chunks = [b" .\n".join(self.lines), b" .\n" if self.lines else b""]
        for name, lines in self.named_lines.items():
            end = f" <{name}> .\n".encode()
            chunks += [end.join(lines), end if lines else b""]
        return b"".join(chunks)

    @cached_property
    def _parser(self) -> _Parser:
        return _Parser()

    @cached_property
    def triples(self) -> frozenset[Triple]:
        """Every triple of the default graph, as rdflib terms."""
        return frozenset(map(self._parser.triple, self.lines))

    @cached_property
    def named(self) -> dict[URIRef, frozenset[Triple]]:
        """Each named graph's triples, as rdflib terms, by the graph's IRI."""
        return {URIRef(name): frozenset(map(self._parser.triple, lines)) for name, lines in self.named_lines.items()}

    def sorted_triples(self) -> list[Triple]:
        """Return the default graph's triples in a stable order (for diffs and reproducible output)."""
        return sorted(self.triples)

    def quads(self) -> Iterator[Quad]:
        """Yield every triple of the default graph (graph ``None``), then each named graph's triples.

        Unsorted: a store does not care. Output that must be stable sorts itself.
        """
        for triple in self.triples:
            yield (*triple, None)
        for name, triples in self.named.items():
            for triple in triples:
                yield (*triple, name)


class _Mint(Mint):
    """The builder's :class:`~kb.vocab.Mint`: the same IRIs, as N-Triples text (``<iri>``)."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self._texts: dict[tuple[str, str], str] = {}

    def record(self, kind: str, rid: str) -> str:  # type: ignore[override]
        found = self._texts.get((kind, rid))
        if found is None:
            found = self._texts[(kind, rid)] = f"<{self.base}{self.KIND_PATHS[kind]}/{rid}>"
        return found

    def attribute(self, fact: str, attribute: str, n: int) -> str:  # type: ignore[override]
        return f"{fact[:-1]}/{attribute}/{n}>"

    def evidence(self, key: str, n: int) -> str:  # type: ignore[override]
        return f"<{self.base}evidence/{key}/{n}>"

    def selector(self, evidence: str, kind: str) -> str:  # type: ignore[override]
        return f"{evidence[:-1]}/{kind}>"

    def time(self, fact: str, part: str) -> str:  # type: ignore[override]
        return f"{fact[:-1]}/{part}>"

    def post(self, organization: str, title: str) -> str:  # type: ignore[override]
        return f"<{super().post(organization, title)}>"

    def attribute_dispute(self, fact_id: str, attribute: str) -> str:  # type: ignore[override]
        return f"<{super().attribute_dispute(fact_id, attribute)}>"

    def topic_scheme(self) -> str:  # type: ignore[override]
        return f"<{super().topic_scheme()}>"


class _Collect:
    """Where the builder's lines go for a :class:`BuiltGraph`: ``default`` holds all, ``named[source id]`` each
    article's statements and evidence."""

    def __init__(self) -> None:
        self.default: set[Line] = set()
        self.named: dict[str, set[Line]] = defaultdict(set)

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        self.default.update(batch)
        for source in sources:
            self.named[source].update(batch)

    def add_shared(self, batch: list[Line]) -> None:
        self.default.update(batch)


class _Stream:
    """Where the builder's lines go for a store: N-Quads text, taken in chunks as it grows.

    Nothing is deduplicated (a store keeps a set of quads anyway), so no line outlives its chunk.
    """

    def __init__(self, mint: _Mint, shared: Counter[Line] | None = None) -> None:
        self.mint = mint
        self.parts: list[bytes] = []
        self.size = 0
        self.ends: dict[str, bytes] = {}  # source id -> b" <named graph> .\n"
        self.shared = shared

    def add_shared(self, batch: list[Line]) -> None:
        if self.shared is not None:
            self.shared.update(batch)
        self.add(batch, ())

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        if not batch:
            return
        parts = [b" .\n".join(batch), b" .\n"]
        for source in sources:
            end = self.ends.get(source)
            if end is None:
                end = self.ends[source] = f" <{self.mint.named_graph(source)}> .\n".encode()
            parts += [end.join(batch), end]
        self.parts += parts
        self.size += sum(map(len, parts))

    def take(self) -> bytes:
        chunk = b"".join(self.parts)
        self.parts, self.size = [], 0
        return chunk


class _Tally:
    """Where the builder's lines go for an edit (:func:`partial`): each record's own quads, and how many times
    the shared lines were made."""

    def __init__(self, mint: _Mint) -> None:
        self.mint = mint
        self.own: set[tuple[Line, str | None]] = set()  # (line, named graph IRI or None for the default graph)
        self.shared: Counter[Line] = Counter()

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        graphs = [None, *(str(self.mint.named_graph(source)) for source in sources)]
        self.own.update((line, graph) for line in batch for graph in graphs)

    def add_shared(self, batch: list[Line]) -> None:
        self.shared.update(batch)


class _Split:
    """Where the builder's lines go for ``kb publish``: the default graph as N-Triples in chunks, each shared
    line once, and each named graph's lines on their own (:func:`graphs`)."""

    def __init__(self, mint: _Mint) -> None:
        self.mint = mint
        self.default: list[bytes] = []
        self.named: dict[str, list[bytes]] = defaultdict(list)
        self.size = 0
        self.seen: set[Line] = set()  # shared lines already written

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        if not batch:
            return
        text = b" .\n".join(batch) + b" .\n"
        self.default.append(text)
        self.size += len(text)
        for source in sources:
            self.named[str(self.mint.named_graph(source))].append(text)
            self.size += len(text)

    def add_shared(self, batch: list[Line]) -> None:
        fresh = [line for line in batch if line not in self.seen]
        self.seen.update(fresh)
        self.add(fresh, ())

    def take(self) -> tuple[bytes, dict[str, bytes]]:
        taken = b"".join(self.default), {name: b"".join(parts) for name, parts in self.named.items()}
        self.default, self.named, self.size = [], defaultdict(list), 0
        return taken


class _Builder:
    """Makes the lines of every record and hands them to ``sink``: :class:`_Collect` for a built graph,
    :class:`_Stream` for a store, :class:`_Tally` for an edit, :class:`_Split` for ``kb publish``."""

    def __init__(self, kb: KnowledgeBase, mint: _Mint, sink: _Collect | _Stream | _Tally | _Split) -> None:
        self.kb = kb
        self.mint = mint
        self.sink = sink
        self.truthy: dict[str, set[_Triple]] = {}
        self.derived: dict[str, list[tuple[str, str]]] = {}
        self.disputed = kb.disputed()

    # -- plumbing -----------------------------------------------------------------------------------------

    def emit(self, triples: Iterable[_Triple], sources: Iterable[str] = ()) -> None:
        """Add triples to the default graph and to the named graph of each source."""
        self.sink.add([f"{s} {p} {o}".encode() for s, p, o in triples], sources)

    def emit_shared(self, triples: Iterable[_Triple]) -> None:
        """Add default-graph triples that several records may make (truthy triples, offices): the sink
        counts them per record, so that an edit removes one only when no record makes it any more."""
        self.sink.add_shared([f"{s} {p} {o}".encode() for s, p, o in triples])

    def ref(self, rid: str) -> str:
        """Return the IRI of any record by id (validation guarantees the id exists)."""
        return self.mint.record(self.kb.kinds[rid], rid)

    def evidence(self, node: str, key: str, entries: Sequence[Evidence]) -> set[str]:
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

    def evidence_node(self, ev: str, source: str, start: int, end: int, quote: str) -> list[_Triple]:
        position, words = self.mint.selector(ev, "position"), self.mint.selector(ev, "quote")
        prefix, suffix = context(self.kb.articles[source].text, start, end)
        triples: list[_Triple] = [
            (ev, RDF.type, OA.SpecificResource),
            (ev, OA.hasSource, self.mint.record("sources", source)),
            (ev, OA.hasSelector, position),
            (ev, OA.hasSelector, words),
            (position, RDF.type, OA.TextPositionSelector),
            # xsd:integer, not xsd:nonNegativeInteger: Oxigraph stores the latter as the former, and the graph
            # must be the same in every store (the shapes check that offsets are not negative).
            (position, OA.start, _integer(start)),
            (position, OA.end, _integer(end)),
            (words, RDF.type, OA.TextQuoteSelector),
            (words, OA.exact, _text(quote)),
        ]
        if prefix:
            triples.append((words, OA.prefix, _text(prefix)))
        if suffix:
            triples.append((words, OA.suffix, _text(suffix)))
        return triples

    def instant(self, node: str, date: DateValue) -> list[_Triple]:
        """Return a time:Instant holding ``date`` with its precision, its words and how it was resolved."""
        triples: list[_Triple] = [
            (node, RDF.type, TIME.Instant),
            (node, _DATE_TYPES[len(date.value)][1], _date(date.value)),
        ]
        if date.as_written is not None:
            triples.append((node, KB.asWritten, _text(date.as_written)))
        if date.resolved_against is not None:
            triples.append((node, KB.resolvedAgainst, self.mint.record("sources", date.resolved_against)))
        return triples

    def interval(self, node: str, link: str, start: DateValue | None, end: DateValue | None) -> list[_Triple]:
        """Return ``node link {node}/during``, a time:Interval with what is known of its beginning and end."""
        if start is None and end is None:
            return []
        during = self.mint.time(node, "during")
        triples: list[_Triple] = [(node, link, during), (during, RDF.type, TIME.Interval)]
        for part, date, prop, direct in (("start", start, TIME.hasBeginning, SDO.startDate),
                                         ("end", end, TIME.hasEnd, SDO.endDate)):
            if date is not None:
                instant = self.mint.time(node, part)
                triples += [(during, prop, instant), (node, direct, _date(date.value))]
                triples += self.instant(instant, date)
        return triples

    def dated(self, node: str, date: DateValue | None) -> list[_Triple]:
        """Return ``dcterms:date`` and a ``time:hasTime`` instant for a fact that happened on one date."""
        if date is None:
            return []
        instant = self.mint.time(node, "date")
        return [(node, DCTERMS.date, _date(date.value)), (node, TIME.hasTime, instant),
                *self.instant(instant, date)]

    def fact_common(self, node: str, fact: Fact | Role) -> list[_Triple]:
        """Return what every curated fact carries: certainty, hedge, note, disputed."""
        triples: list[_Triple] = [
            (node, RDF.type, KB.Statement),
            (node, KB.certainty, KBV[fact.certainty]),
            (node, KB.disputed, _BOOLEAN[fact.id in self.disputed]),
        ]
        if fact.hedge is not None:
            triples.append((node, KB.hedge, _text(fact.hedge)))
        if fact.note is not None:
            triples.append((node, SKOS.note, _text(fact.note)))
        return triples

    def versions(self, fact: str, fact_id: str, label: str, name: str,
                 versions: Sequence[Version], evidence_of: str | None = None) -> tuple[list[_Triple], set[str]]:
        """Emit one attribute statement per version; return the fact's links to them (plus truthy values)
        and the sources the versions cite. Several versions of a single-valued attribute make a dispute."""
        prop = _ATTRIBUTES[name]
        ordered = sorted(versions, key=lambda v: (v.value or "", v.as_written or ""))
        disputed = name in SINGLE_VALUED and len(ordered) > 1
        links: list[_Triple] = []
        cited: set[str] = set()
        for n, version in enumerate(ordered, start=1):
            node = self.mint.attribute(fact, name, n)
            value = _value(name, version.value)
            triples: list[_Triple] = [
                (node, RDF.type, KB.AttributeStatement), (node, RDF.type, KB.Statement),
                (node, KB.attribute, prop), (node, KB.disputed, _BOOLEAN[disputed]),
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
        triples: list[_Triple] = [
            (node, RDF.type, SDO.NewsArticle), (node, RDFS.label, _text(source.headline)),
            (node, DCTERMS.title, _text(source.headline)), (node, DCTERMS.publisher, _text(source.publisher)),
            (node, DCTERMS.language, _typed(source.language, vocab.XSD.language)),
            (node, KB.file, _text(source.file)), (node, KB.sha256, _text(source.sha256)),
            (node, KB.text, _text(article.text)),
            *((node, DCTERMS.creator, _text(author)) for author in source.authors),
        ]
        if source.published is not None:
            triples.append((node, DCTERMS.date, _date(source.published)))
        if source.published_basis is not None:
            triples.append((node, KB.publishedBasis, KBV[source.published_basis]))
        if source.dateline is not None:
            triples.append((node, KB.dateline, _text(source.dateline)))
        if source.url is not None:
            triples.append((node, SDO.url, _typed(source.url, vocab.XSD.anyURI)))
        if source.note is not None:
            triples.append((node, SKOS.note, _text(source.note)))
        self.emit(triples, [source.id])

    def entity(self, node: str, name: str, aliases: Sequence[str], country: str | None) -> list[_Triple]:
        triples: list[_Triple] = [(node, RDFS.label, _text(name))]
        triples += [(node, SKOS.altLabel, _text(alias)) for alias in aliases]
        if country is not None:
            triples.append((node, KB.country, self.ref(country)))
        return triples

    def person(self, person: Person) -> None:
        node = self.mint.record("people", person.id)
        triples: list[_Triple] = [(node, RDF.type, SDO.Person), *self.entity(node, person.name, person.aliases, person.country)]
        if person.description is not None:
            triples.append((node, SDO.description, _text(person.description)))
        self.emit(triples)
        self.evidence(node, person.id, person.evidence)

    def organization(self, org: Organization) -> None:
        node = self.mint.record("organizations", org.id)
        triples: list[_Triple] = [(node, RDF.type, ORG.Organization), (node, ORG.classification, KBV[org.kind]),
                   *self.entity(node, org.name, org.aliases, org.country)]
        if org.parent is not None:
            triples.append((node, ORG.subOrganizationOf, self.ref(org.parent)))
        self.emit(triples)
        self.evidence(node, org.id, org.evidence)

    def place(self, place: Place) -> None:
        node = self.mint.record("places", place.id)
        triples: list[_Triple] = [(node, RDF.type, SDO.Place), (node, KB.kind, KBV[place.kind]),
                   *self.entity(node, place.name, place.aliases, place.country)]
        if place.kind in _PLACE_TYPES:
            triples.append((node, RDF.type, _PLACE_TYPES[place.kind]))
        self.emit(triples)
        self.evidence(node, place.id, place.evidence)

    def topic(self, topic: Topic) -> None:
        node, scheme = self.mint.record("topics", topic.id), self.mint.topic_scheme()
        triples: list[_Triple] = [(node, RDF.type, SKOS.Concept), (node, SKOS.prefLabel, _text(topic.label)),
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
        triples: list[_Triple] = [
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
        triples: list[_Triple] = [
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
        self.emit_shared([(post, RDF.type, ORG.Post), (post, RDF.type, ORG.Role),
                          (post, RDFS.label, _text(role.title)), (post, ORG.postIn, org)])
        self.truthy.setdefault(role.id, set()).update(
            {(holder, ORG.memberOf, org), (holder, ORG.holds, post), (post, ORG.heldBy, holder)})

    def statement(self, statement: Statement) -> None:
        node = self.mint.record("statements", statement.id)
        triples: list[_Triple] = [
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
        triples: list[_Triple] = [
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
        triples: list[_Triple] = [(node, RDF.type, KB.Dispute), (node, RDFS.label, _text(dispute.label)),
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
            self.emit_shared(triples)


def _value(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    return _typed(value, vocab.XSD.duration) if name == "duration" else _text(value)


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
    sink = _Collect()
    mint = _Mint(base_iri)
    for _ in _steps(_Builder(kb, mint, sink)):
        pass
    named = {str(mint.named_graph(source)): frozenset(lines) for source, lines in sink.named.items()}
    return BuiltGraph(lines=frozenset(sink.default), named_lines=named)


def nquads(kb: KnowledgeBase, base_iri: str, chunk_bytes: int = 1 << 22,
           shared: Counter[Line] | None = None) -> Iterator[bytes]:
    """Yield the graph of a validated knowledge base as N-Quads, in chunks of about ``chunk_bytes``.

    The same quads as ``build(kb, base_iri).nquads()``, possibly some more than once, without ever holding the
    whole graph: at 100,000 facts the built line sets and their N-Quads would take 2.6 GB beside the store.
    When ``shared`` is given, counts in it how many records make each shared line (for :func:`partial`
    edits later). Raises CurationError as :func:`build` does.
    """
    mint = _Mint(base_iri)
    sink = _Stream(mint, shared)
    yield from _chunked(_Builder(kb, mint, sink), sink, chunk_bytes)


def graphs(kb: KnowledgeBase, base_iri: str, chunk_bytes: int = 1 << 22) -> Iterator[tuple[bytes, dict[str, bytes]]]:
    """Yield the graph of a validated knowledge base as ``(default graph, {named graph IRI: its part})``
    pieces of N-Triples, together about ``chunk_bytes``, for a store that takes one graph at a time.

    Every default-graph triple comes exactly once (a record's own lines are its alone, and shared lines are
    written the first time they are made), so counting lines counts triples. Raises CurationError as
    :func:`build` does.
    """
    mint = _Mint(base_iri)
    sink = _Split(mint)
    yield from _chunked(_Builder(kb, mint, sink), sink, chunk_bytes)


@dataclass
class Part:
    """What some records of a knowledge base contribute to its graph (:func:`partial`)."""

    own: set[tuple[Line, str | None]]
    """Quads only these records make: (line, named graph IRI, or None for the default graph)."""
    shared: Counter[Line]
    """Default-graph lines other records may make too, with how many of these records make each."""


def partial(kb: KnowledgeBase, base_iri: str, ids: Iterable[str]) -> Part:
    """Return what the records ``ids`` of ``kb`` contribute to its graph (ids not in ``kb`` contribute nothing).

    Every line of the graph is either some record's own (its IRI, its evidence, its versions and time nodes,
    in the named graphs of the articles it cites) or shared (truthy triples and offices, counted). The truthy
    triples of a disputed fact depend on every fact of its dispute: ``ids`` must hold all of them (see
    :mod:`kb.graph.delta`). Raises CurationError as :func:`build` does.
    """
    mint = _Mint(base_iri)
    sink = _Tally(mint)
    for _ in _steps(_Builder(kb, mint, sink), frozenset(ids)):
        pass
    return Part(sink.own, sink.shared)


def _chunked(builder: _Builder, sink: _Stream | _Split, chunk_bytes: int) -> Iterator[Any]:
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
        records = kb.records[kind]
        for rid in sorted(records if only is None else only & records.keys()):
            make(records[rid])
            yield
    builder.truthy_triples()
    yield
