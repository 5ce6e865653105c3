"""Shape search answers and timelines into what the templates draw: pure functions from dicts to small views.

Nothing here runs a query; :mod:`kb.pages.browse` does, then calls these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kb.pages.views import Line, lines

Data = Mapping[str, Any]

KIND_PATHS = {
    "person": "/people/{}", "organization": "/organizations/{}", "place": "/places/{}", "topic": "/topics/{}",
    "meeting": "/meetings/{}", "role": "/roles/{}", "statement": "/statements/{}", "sanction": "/sanctions/{}",
    "source": "/sources/{}", "dispute": "/disputes#{}",
}
"""The kind in a global id -> the page of one node of that kind."""

KIND_NAMES = {"person": "People", "organization": "Organizations", "place": "Places", "topic": "Topics",
              "meeting": "Meetings", "role": "Roles", "statement": "Statements", "sanction": "Sanctions",
              "source": "Articles", "dispute": "Disputes"}


def page_of(global_id: str) -> str | None:
    """Return the page of the node ``kind/slug``, or None for a kind without pages."""
    kind, _, slug = global_id.partition("/")
    pattern = KIND_PATHS.get(kind)
    return pattern.format(slug) if pattern and slug else None


@dataclass(frozen=True)
class Piece:
    """A run of a passage: its text, and whether it is a word the search found."""

    text: str
    found: bool


def pieces(text: str, highlights: Iterable[Data]) -> list[Piece]:
    """Return ``text`` cut into runs at the ``highlights`` (``start``/``end`` in code points, in order)."""
    found: list[Piece] = []
    at = 0
    for mark in highlights:
        start, end = int(mark["start"]), int(mark["end"])
        if start < at or end > len(text):
            continue
        if start > at:
            found.append(Piece(text[at:start], False))
        found.append(Piece(text[start:end], True))
        at = end
    if at < len(text):
        found.append(Piece(text[at:], False))
    return found


@dataclass(frozen=True)
class Result:
    """One search hit as the results page shows it."""

    title: str
    href: str | None
    kind: str
    field: str
    pieces: list[Piece]
    cut: bool
    """The passage is a window of a longer text (an article's)."""


def title_of(node: Data) -> str:
    """Return what to call a node of a search answer: name, label or headline."""
    return str(node.get("name") or node.get("label") or node.get("headline") or node.get("id", ""))


def groups(hits: Sequence[Data]) -> list[tuple[str, str, list[Result]]]:
    """Return the hits grouped by kind, ``(kind, heading, results)``, the kinds in the order of their best hit."""
    grouped: dict[str, list[Result]] = {}
    for hit in hits:
        node = hit["node"]
        result = Result(title_of(node), page_of(str(node["id"])), hit["kind"], str(hit["field"]).lower(),
                        pieces(hit["text"], hit["highlights"]), bool(hit["textStart"]))
        grouped.setdefault(hit["kind"], []).append(result)
    return [(kind, KIND_NAMES.get(kind, kind), found) for kind, found in grouped.items()]


def _when(fact: Data) -> str:
    return str((fact.get("date") or {}).get("value") or "")


def timeline(meetings: Iterable[Data], statements: Iterable[Data]) -> list[tuple[str, list[Line]]]:
    """Return meetings and statements in date order (undated last), grouped by month (``YYYY-MM``, or
    ``undated``), each a :class:`~kb.pages.views.Line` with its passages."""
    facts = {(f["__typename"], f["slug"]): f for f in [*meetings, *statements]}
    ordered = sorted(facts.values(), key=lambda f: (not _when(f), _when(f), f["__typename"], f["slug"]))
    months: dict[str, list[Line]] = {}
    for line in lines(ordered):
        month = _when(line.node)[:7] or "undated"
        months.setdefault(month, []).append(line)
    return list(months.items())
