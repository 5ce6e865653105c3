"""Search: names, aliases, titles, labels and quotes containing a text, ranked.

The engine finds candidates (case-insensitive ``CONTAINS``); :func:`rank` orders them here, one hit per
node, by what matched (a name beats an alias beats a title beats a label beats a quote) and how (the whole
text, its start, the start of a word, anywhere inside).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from kb.query import PROLOGUE, literal

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


def candidates_query(needle: str) -> str:
    """Return the SPARQL selecting ``?node ?field ?text`` for every text containing ``needle`` (normalized).
    Raises QueryError when the text cannot be put into a query."""
    return PROLOGUE + f"""
        SELECT DISTINCT ?node ?field ?text WHERE {{
          {{ ?node rdfs:label ?text . FILTER NOT EXISTS {{ ?node a kb:AttributeStatement }} BIND("label" AS ?field) }}
          UNION {{ ?node skos:altLabel ?text . BIND("alias" AS ?field) }}
          UNION {{ ?node a org:Membership ; kb:titleAsWritten ?text . BIND("title" AS ?field) }}
          UNION {{ ?node prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   FILTER NOT EXISTS {{ ?node a kb:AttributeStatement }} BIND("quote" AS ?field) }}
          UNION {{ ?node kb:attributeStatement/prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
                   BIND("quote" AS ?field) }}
          FILTER(CONTAINS(LCASE(STR(?text)), {literal(needle)}))
        }}"""


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
    """Rank candidate ``(node IRI, node key, field, text)`` rows for ``needle`` (normalized); keep the best hit
    per node; order by score, then field, then shorter text, then key."""
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
