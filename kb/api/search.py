"""Search: what a hit matched, and the slow path used where there is no full-text index (yet).

The full-text index (kb.api.textindex, one per version, kb.api.searchindex says when) answers searches. Where
it is not ready within 100 ms and no earlier version's index stands in, and over a remote store, the engine
finds candidates instead (case-insensitive ``CONTAINS`` of every word in one text) and :func:`rank` orders
them here, one hit per node, by what matched (a name beats an alias beats a title beats a label beats a
quote) and how (the whole text, its start, the start of a word, anywhere inside).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from typing import Any

from kb.api import fold, passages
from kb.api.textindex import BOOSTS, ENTITY_KINDS, KIND_WEIGHTS, Doc, Found, Hit
from kb.graph.query import PROLOGUE, literal


class Field(Enum):
    """What a search hit matched, best first."""

    NAME = "name"
    ALIAS = "alias"
    TITLE = "title"
    LABEL = "label"
    DESCRIPTION = "description"
    QUOTE = "quote"
    TEXT = "text"


WEIGHTS = {Field.NAME: 1.0, Field.ALIAS: 0.9, Field.TITLE: 0.8, Field.LABEL: 0.6, Field.DESCRIPTION: 0.55,
           Field.QUOTE: 0.5, Field.TEXT: 0.3}
EXACT, PREFIX, WORD, INSIDE = 1.0, 0.9, 0.75, 0.5


def normalize(text: str) -> str:
    """Return search text lower-cased with runs of white space made single spaces, trimmed."""
    return " ".join(text.lower().split())


_TEXTS = """
          { ?node rdfs:label ?text .
                   FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("label" AS ?field) }
          UNION { ?node skos:prefLabel ?text . BIND("label" AS ?field) }
          UNION { ?node skos:altLabel ?text . BIND("alias" AS ?field) }
          UNION { ?node a org:Membership ; kb:titleAsWritten ?text . BIND("title" AS ?field) }
          UNION { ?node a schema:NewsArticle ; dcterms:creator ?text . BIND("description" AS ?field) }
          UNION { ?node prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("quote" AS ?field) }
          UNION { ?node kb:attributeStatement/prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   BIND("quote" AS ?field) }"""
"""Every short searchable text: ``?node`` (what a hit leads to), ``?field`` (what matched) and ``?text``."""


def candidates_query(needle: str) -> str:
    """Return the SPARQL selecting ``?node ?field ?text`` for every text containing each word of ``needle``
    (normalized). Raises QueryError when a word cannot be put into a query."""
    tests = " && ".join(f"CONTAINS(LCASE(STR(?text)), {literal(word)})" for word in needle.split())
    return PROLOGUE + f"""
        SELECT DISTINCT ?node ?field ?text WHERE {{{_TEXTS}
          FILTER({tests or "false"})
        }}"""


Candidate = tuple[str, str, str]
"""``(node IRI, field, text)``: a text that may match, and what a hit on it leads to."""


def candidates_of(rows: Iterable[Any]) -> list[Candidate]:
    """Return the rows of :func:`candidates_query` (kb's Table rows, or pyoxigraph's solutions: both index by
    variable name and hold terms with a ``value``) as candidates."""
    return [(row["node"].value, row["field"].value, row["text"].value) for row in rows]


_WORD_START = re.compile(r"\w")


def _quality(haystack: str, needle: str) -> float:
    """Return how well ``needle`` matches inside ``haystack`` (both normalized): 0 when it does not."""
    if haystack == needle:
        return EXACT
    if haystack.startswith(needle):
        return PREFIX
    index = haystack.find(needle)
    found = index != -1
    while index != -1:
        if not _WORD_START.match(haystack[index - 1]):
            return WORD
        index = haystack.find(needle, index + 1)
    return INSIDE if found else 0.0


def rank(needle: str, rows: list[tuple[str, str, str, str]]) -> list[Hit]:
    """Rank candidate ``(node IRI, node key, field, text)`` rows for ``needle`` (normalized): each word must
    be in the text, the weakest decides; keep the best hit per node of a searchable kind; order by score, then
    field, then shorter text, then key. Each hit's passage is its whole text, the words highlighted."""
    words = needle.split()
    best: dict[str, tuple[tuple[float, int, int, str], Hit]] = {}
    for node, key, field_name, text in rows:
        kind = key.split("/", 1)[0]
        if kind not in KIND_WEIGHTS or key.count("/") != 1:
            continue
        field = Field(field_name)
        if field is Field.LABEL and kind in ENTITY_KINDS:
            field = Field.NAME
        quality = _quality(normalize(text), needle) or min(_quality(normalize(text), w) for w in words) * 0.9
        if quality == 0.0:
            continue
        score = round(WEIGHTS[field] * quality, 4)
        order = (-score, list(Field).index(field), len(text), key)
        doc = Doc(node, key, ((field.value, text),), (), ())
        hit = Hit(doc, score, passages.best([(field.value, text)], fold.words(needle), BOOSTS))
        if node not in best or order < best[node][0]:
            best[node] = (order, hit)
    return [hit for _, hit in sorted(best.values(), key=lambda entry: entry[0])]


def found(hits: list[Hit], first: int, offset: int, kind: str | None) -> Found:
    """Return the page of ranked ``hits`` (of ``kind`` only when given) the slow path answers."""
    kept = [h for h in hits if kind is None or h.doc.kind == kind]
    return Found(kept[offset:offset + first], len(kept))


def kind_counts(hits: list[Hit]) -> list[tuple[str, str, int]]:
    """Return ``(kind, kind, count)`` of ``hits``, most first: the only facet the slow path knows."""
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.doc.kind] = counts.get(hit.doc.kind, 0) + 1
    return sorted(((k, k, n) for k, n in counts.items()), key=lambda row: (-row[2], row[0]))
