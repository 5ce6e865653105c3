"""Why the graph holds a triple: its reason, read from the graph itself with SPARQL (so any backend answers).

Every triple kb serves has one of four kinds of reason (docs/model.md, "Reasons"):

    stated      it carries evidence: spans of the articles (``prov:wasDerivedFrom`` → ``oa:SpecificResource``),
                on the fact node, on a link node backing just that triple (``kb:Link``), or on a version
    derived     a named rule made it from stated triples: a ``kb:Derivation`` node (``rdf:subject``,
                ``rdf:predicate``, ``rdf:object``) or a node made whole by a rule, with ``prov:wasGeneratedBy``
                the rule and ``prov:wasDerivedFrom`` the premises
    curator     metadata a curator supplied, with ``kb:basis`` (stated, inferred, curator) and a ``skos:note``
    vocabulary  terms and controlled values (``kb:``, ``kbv:``) and the curators' topic scheme

The reason of a triple is looked for from the most particular to the least: derivations and links naming the
triple, then the node that owns its subject (the subject itself, or the fact a time node, selector or version
belongs to). :mod:`kb.graph.audit` classifies every triple of a built graph by the same rules, in one pass.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from kb.graph import query as q
from kb.graph.query import Backend, Row, Term
from kb.vocab import DCTERMS, KB, RULE_PREDICATES, SDO, VALUE_IRI, VOCAB_IRI

ReasonKind = Literal["stated", "derived", "curator", "vocabulary"]

_VOCABULARY_NAMESPACES = (VOCAB_IRI, VALUE_IRI)

LINKED = frozenset(str(p) for p in (DCTERMS.creator, DCTERMS.publisher, KB.dateline, SDO.url))
"""Predicates whose triples have a reason only through a link of their own (an article's metadata)."""
LINKED_ON: dict[str, frozenset[str]] = {
    str(SDO.Event): frozenset({str(DCTERMS.subject)}),  # a meeting's topic needs its own words
    str(SDO.NewsArticle): frozenset({str(DCTERMS.date)}),  # an article's date, its own basis or span
}
"""Predicates that need a link of their own on a node of a type."""


@dataclass(frozen=True)
class Reason:
    """One reason for a triple (or a node's own triples)."""

    kind: ReasonKind
    evidence: tuple[str, ...] = ()
    """Evidence node IRIs (``oa:SpecificResource``), for ``stated``."""
    rule: str | None = None
    """The rule's IRI (``kb:rule-met`` ...), for ``derived``."""
    premises: tuple[str, ...] = ()
    """The statement nodes the rule read, for ``derived``."""
    basis: str | None = None
    """``stated`` | ``inferred`` | ``curator``, for ``curator``."""
    note: str | None = None
    node: str | None = None
    """The link, derivation or fact node that carries the reason."""


@dataclass(frozen=True)
class Span:
    """One evidence node as its words: the article, the code-point offsets, the quote and how it words a
    value (``as_written``, for a version's evidence)."""

    node: str
    source: str
    start: int
    end: int
    quote: str
    as_written: str | None = None


async def spans(backend: Backend, evidence: tuple[str, ...]) -> list[Span]:
    """Return the spans of evidence nodes, in the order given (unknown nodes left out). Raises QueryError."""
    if not evidence:
        return []
    table = await backend.select(q.PROLOGUE + f"""
SELECT ?ev ?source ?start ?end ?quote ?written WHERE {{
  {q.values("ev", evidence)}
  ?ev oa:hasSource ?source ; oa:hasSelector ?position, ?words .
  ?position oa:start ?start ; oa:end ?end .
  ?words oa:exact ?quote .
  OPTIONAL {{ ?ev kb:asWritten ?written }}
}}""")
    found = {row["ev"].value: Span(row["ev"].value, row["source"].value, row["start"].as_int(),
                                   row["end"].as_int(), row["quote"].value,
                                   row["written"].value if "written" in row else None)
             for row in table.rows}
    return [found[e] for e in evidence if e in found]


def object_pattern(obj: str | Term) -> str:
    """Return SPARQL text matching ``?o`` to ``obj``: an IRI (a str that looks like an absolute IRI, or an IRI
    Term), else a literal compared by its lexical value (so a datatype or language tag need not be given).
    Raises QueryError for an IRI that cannot be put in a query."""
    if isinstance(obj, Term):
        if obj.is_iri:
            return f"FILTER(?o = {q.iri(obj.value)})"
        return f"FILTER(isLiteral(?o) && STR(?o) = {q.literal(obj.value)})"
    if _looks_like_iri(obj):
        return f"FILTER(?o = {q.iri(obj)})"
    return f"FILTER(isLiteral(?o) && STR(?o) = {q.literal(obj)})"


def _looks_like_iri(text: str) -> bool:
    scheme, colon, rest = text.partition(":")
    return bool(colon) and scheme.isascii() and scheme.isalpha() and bool(rest) and " " not in text


async def holds(backend: Backend, subject: str, predicate: str, obj: str | Term | None = None) -> bool:
    """Return True when the graph holds ``(subject, predicate, obj)`` (any object when ``obj`` is None).
    Raises QueryError as :func:`why` does."""
    match = object_pattern(obj) if obj is not None else ""
    table = await backend.select(q.PROLOGUE + f"SELECT ?o WHERE {{ {q.iri(subject)} {q.iri(predicate)} ?o . "
                                 f"{match} }} LIMIT 1")
    return bool(table.rows)


async def why(backend: Backend, subject: str, predicate: str | None = None,
              obj: str | Term | None = None) -> list[Reason]:
    """Return the reasons the graph gives for ``(subject, predicate, obj)``; with ``predicate`` (and ``obj``)
    left out, for the node ``subject``'s own triples (a fact's evidence, a link's or derivation's reason).

    An empty list means the graph holds no reason (``kb audit`` lists such triples). Reasons naming the triple
    (derivations, links) come first, then the reason of the node that owns the subject. Raises QueryError for
    an IRI that cannot be put in a query, or when the engine refuses the query.
    """
    reasons: list[Reason] = []
    if predicate is not None:
        reasons += await _named(backend, subject, predicate, obj)
    if predicate is None or not needs_own_reason(predicate, await _types(backend, subject)):
        reasons += await _owned(backend, subject)
    if not reasons and subject.startswith(_VOCABULARY_NAMESPACES):
        reasons.append(Reason("vocabulary", node=subject))
    return reasons


OWN_REASON = """  { ?node prov:wasDerivedFrom ?ev . ?ev a oa:SpecificResource }
  UNION { ?node a oa:SpecificResource . BIND(?node AS ?ev) }
  UNION { ?node kb:basis ?basis . OPTIONAL { ?node skos:note ?note } }
  UNION { ?node prov:wasGeneratedBy ?rule .
          OPTIONAL { ?node prov:wasDerivedFrom ?premise . FILTER NOT EXISTS { ?premise a oa:SpecificResource } } }
  UNION { ?node a ?vocabulary . FILTER(?vocabulary IN (skos:Concept, skos:ConceptScheme, kb:Rule)) }
"""
"""The reason a node ``?node`` gives for itself: its evidence ``?ev``, its ``?basis`` and ``?note``, or its
``?rule`` and ``?premise`` facts, or the ``?vocabulary`` class it is (kb.api.whys asks it for a batch of nodes)."""

REASON_NODE = """  FILTER(?class IN (kb:Derivation, kb:Link))
  OPTIONAL { ?node prov:wasGeneratedBy ?rule }
  OPTIONAL { ?node prov:wasDerivedFrom ?from .
             OPTIONAL { ?from a ?fromClass . FILTER(?fromClass = oa:SpecificResource) }
             BIND(IF(BOUND(?fromClass), ?from, ?unbound) AS ?ev)
             BIND(IF(BOUND(?fromClass), ?unbound, ?from) AS ?premise) }
  OPTIONAL { ?node kb:basis ?basis }
  OPTIONAL { ?node skos:note ?note }
"""
"""What a derivation or link node ``?node`` of class ``?class`` says: its rule, premises or evidence (``?from``
sorted into ``?premise`` and ``?ev``), basis and note (kb.api.whys asks it for a batch of triples)."""


async def _named(backend: Backend, subject: str, predicate: str, obj: str | Term | None) -> list[Reason]:
    """Reasons carried by derivation and link nodes that name the triple."""
    match = object_pattern(obj) if obj is not None else ""
    table = await backend.select(q.PROLOGUE + f"""
SELECT ?node ?class ?rule ?premise ?ev ?basis ?note WHERE {{
  ?node rdf:subject {q.iri(subject)} ; rdf:predicate {q.iri(predicate)} ; rdf:object ?o ; a ?class .
  {match}
{REASON_NODE}}}""")
    return _grouped(table.rows)


def needs_own_reason(predicate: str, types: Collection[str]) -> bool:
    """Return True when a triple of ``predicate`` on a node of ``types`` is not stated by that node's own
    evidence or basis: a rule makes it (kb:met, a fact's truthy duration: only a version states its value),
    or it needs a link of its own (a meeting's topic, an article's author, publisher, date, dateline, URL)."""
    if predicate in RULE_PREDICATES:
        return str(KB.AttributeStatement) not in types
    return predicate in LINKED or any(predicate in LINKED_ON.get(t, ()) for t in types)


async def _types(backend: Backend, subject: str) -> set[str]:
    table = await backend.select(q.PROLOGUE + f"SELECT ?t WHERE {{ {q.iri(subject)} a ?t }}")
    return {term.value for term in table.column("t")}


async def _owned(backend: Backend, subject: str) -> list[Reason]:
    """The reason of the node that owns ``subject``: itself, or the fact its time node, selector or version
    belongs to."""
    s = q.iri(subject)
    table = await backend.select(q.PROLOGUE + f"""
SELECT ?node ?rule ?premise ?ev ?basis ?note ?vocabulary WHERE {{
  {{ BIND({s} AS ?node) }}
  UNION {{ ?node time:hasTime|org:memberDuring {s} }}
  UNION {{ ?node time:hasTime|org:memberDuring ?during . ?during time:hasBeginning|time:hasEnd {s} }}
  UNION {{ ?node oa:hasSelector {s} }}
{OWN_REASON}}}""")
    return _grouped(table.rows)


@dataclass
class _Gathered:
    """What the rows of one node and kind say, gathered before it becomes a frozen Reason."""

    evidence: list[str] = field(default_factory=list)
    premises: list[str] = field(default_factory=list)
    rule: str | None = None
    basis: str | None = None
    note: str | None = None

    def add(self, row: Row) -> None:
        for values, name in ((self.evidence, "ev"), (self.premises, "premise")):
            if name in row and row[name].value not in values:
                values.append(row[name].value)
        self.rule = row["rule"].value if "rule" in row else self.rule
        self.note = row["note"].value if "note" in row else self.note
        self.basis = row["basis"].value.removeprefix(VALUE_IRI) if "basis" in row else self.basis


def _kind(row: Row) -> ReasonKind | None:
    if "rule" in row:
        return "derived"
    if "basis" in row:
        return "curator"
    if "ev" in row:
        return "stated"
    if "vocabulary" in row:
        return "vocabulary"
    return None  # a link or derivation node without any reason: kb audit reports its triple


def _grouped(rows: list[Row]) -> list[Reason]:
    """Fold rows (one per evidence or premise) into one Reason per node and kind, in first-seen order."""
    found: dict[tuple[str, ReasonKind], _Gathered] = {}
    for row in rows:
        kind = _kind(row)
        if kind is not None:
            found.setdefault((row["node"].value, kind), _Gathered()).add(row)
    return [Reason(kind, evidence=tuple(sorted(g.evidence)), rule=g.rule, premises=tuple(sorted(g.premises)),
                   basis=g.basis, note=g.note, node=node)
            for (node, kind), g in found.items()]
