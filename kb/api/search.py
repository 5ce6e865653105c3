"""Search: names, aliases, titles, labels and quotes containing a text, ranked.

The engine finds candidates (case-insensitive ``CONTAINS``); :func:`rank` orders them here, one hit per
node, by what matched (a name beats an alias beats a title beats a label beats a quote) and how (the whole
text, its start, the start of a word, anywhere inside).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from itertools import accumulate
from typing import Any

from kb.graph.query import PROLOGUE, literal

ENTITY_KINDS = frozenset({"person", "organization", "place", "topic"})


class Field(Enum):
    """What a search hit matched, best first."""

    NAME = "name"
    ALIAS = "alias"
    TITLE = "title"
    LABEL = "label"
    QUOTE = "quote"


WEIGHTS = {Field.NAME: 1.0, Field.ALIAS: 0.9, Field.TITLE: 0.8, Field.LABEL: 0.6, Field.QUOTE: 0.5}
EXACT, PREFIX, WORD, INSIDE = 1.0, 0.9, 0.75, 0.5


@dataclass(frozen=True)
class Hit:
    """One ranked match: the node it leads to, what matched, and where in that text (code points)."""

    node: str
    key: str
    field: Field
    text: str
    start: int | None
    end: int | None
    score: float


def normalize(text: str) -> str:
    """Return search text lower-cased with runs of white space made single spaces, trimmed."""
    return " ".join(text.lower().split())


_TEXTS = """
          { ?node rdfs:label ?text .
                   FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("label" AS ?field) }
          UNION { ?node skos:altLabel ?text . BIND("alias" AS ?field) }
          UNION { ?node a org:Membership ; kb:titleAsWritten ?text . BIND("title" AS ?field) }
          UNION { ?node prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("quote" AS ?field) }
          UNION { ?node kb:attributeStatement/prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   BIND("quote" AS ?field) }"""
"""Every searchable text: ``?node`` (what a hit leads to), ``?field`` (what matched) and ``?text``."""


def candidates_query(needle: str) -> str:
    """Return the SPARQL selecting ``?node ?field ?text`` for every text containing ``needle`` (normalized).
    Raises QueryError when the text cannot be put into a query."""
    return PROLOGUE + f"""
        SELECT DISTINCT ?node ?field ?text WHERE {{{_TEXTS}
          FILTER(CONTAINS(LCASE(STR(?text)), {literal(needle)}))
        }}"""


def texts_query() -> str:
    """Return the SPARQL selecting ``?node ?field ?text`` for every searchable text (:class:`TextIndex`)."""
    return PROLOGUE + f"SELECT DISTINCT ?node ?field ?text WHERE {{{_TEXTS}\n}}"


Candidate = tuple[str, str, str]
"""``(node IRI, field, text)``: a text that may match, and what a hit on it leads to."""


def candidates_of(rows: Iterable[Any]) -> list[Candidate]:
    """Return the rows of :func:`candidates_query` or :func:`texts_query` (kb's Table rows, or pyoxigraph's
    solutions: both index by variable name and hold terms with a ``value``) as candidates."""
    return [(row["node"].value, row["field"].value, row["text"].value) for row in rows]


def texts_of(native: Any) -> list[Candidate]:
    """Return every searchable text of the pyoxigraph store ``native`` (:func:`texts_query`, run natively: no
    row is converted into kb's terms, which would cost more than the query)."""
    return candidates_of(native.query(texts_query()))


@dataclass(frozen=True)
class TextIndex:
    """Every searchable text of one version of the graph, lower-cased into one string, so that finding the
    texts containing a needle is ``str.find`` (C) rather than a SPARQL scan of every label and quote, which
    grows with the graph. A needle is normalized (:func:`normalize`) and so holds no line feed: joined by line
    feeds, no match spans two texts. Built from :func:`texts_query`, once per snapshot, for the embedded
    stores; a remote store keeps its ``CONTAINS`` (the API tier holds no graph)."""

    rows: list[Candidate]
    haystack: str
    starts: list[int]

    @classmethod
    def of(cls, rows: list[Candidate]) -> TextIndex:
        """Return the index of ``rows``."""
        lowered = [text.lower() for _, _, text in rows]
        starts = list(accumulate((len(text) + 1 for text in lowered[:-1]), initial=0)) if rows else []
        return cls(rows, "\n".join(lowered), starts)

    def candidates(self, needle: str) -> list[Candidate]:
        """Return the rows whose lower-cased text contains ``needle`` (normalized), in index order."""
        found: list[Candidate] = []
        at = self.haystack.find(needle)
        while at != -1:
            row = bisect_right(self.starts, at) - 1
            found.append(self.rows[row])
            following = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.haystack)
            at = self.haystack.find(needle, following)
        return found


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
    """Rank candidate ``(node IRI, node key, field, text)`` rows for ``needle`` (normalized); keep the best
    hit per node; order by score, then field, then shorter text, then key."""
    best: dict[str, Hit] = {}
    for node, key, field_name, text in rows:
        kind = key.split("/", 1)[0]
        field = Field(field_name)
        if field is Field.LABEL and kind in ENTITY_KINDS:
            field = Field.NAME
        quality = _quality(normalize(text), needle)
        if quality == 0.0:
            continue
        start = _offset(text, needle)
        end = None if start is None else start + len(needle)
        hit = Hit(node, key, field, text, start, end, round(WEIGHTS[field] * quality, 4))
        if node not in best or _order(hit) < _order(best[node]):
            best[node] = hit
    return sorted(best.values(), key=_order)


def _order(hit: Hit) -> tuple[float, int, int, str]:
    return (-hit.score, list(Field).index(hit.field), len(hit.text), hit.key)


def _offset(text: str, needle: str) -> int | None:
    """Return where ``needle`` first occurs in ``text`` ignoring case, in code points of ``text``; None when
    it only matches once white space is collapsed or lower-casing changes the length."""
    lowered = text.lower()
    found = lowered.find(needle)
    return found if found != -1 and len(lowered) == len(text) else None
