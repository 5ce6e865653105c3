"""Shape GraphQL answers into what the templates draw: pure functions from dicts to small view objects.

Nothing here runs a query or touches a request; the handlers in :mod:`kb.pages.handlers` do, then call these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.pages.network import LIMIT, Node, NodeKind, Picture, draw
from kb.pages.segments import Segment, Span, paragraphs

Data = Mapping[str, Any]

PATHS = {
    "Person": "/people/{}", "Organization": "/organizations/{}", "Meeting": "/meetings/{}", "Role": "/roles/{}",
    "Statement": "/statements/{}", "Sanction": "/sanctions/{}", "Source": "/sources/{}",
}
"""GraphQL type name -> the page of one node of that type (places and topics have none)."""

ATTRIBUTE_NAMES = {"duration": "duration", "characterization": "characterized as", "outcome": "outcome",
                   "title": "title"}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def href(node: Data | None) -> str | None:
    """Return the page of a node that has ``__typename`` and ``slug``, or None when it has no page."""
    if not node or "slug" not in node:
        return None
    pattern = PATHS.get(node.get("__typename", ""))
    return pattern.format(node["slug"]) if pattern else None


def evidence_href(evidence: Data, here: str | None = None) -> str:
    """Return the link to an evidence span in its article: ``/sources/{id}#ev-{start}-{end}``.

    Within the article ``here`` itself, only the fragment (so following it does not reload the page).
    """
    anchor = f"#ev-{evidence['start']}-{evidence['end']}"
    source = evidence["source"]["slug"]
    return anchor if source == here else f"/sources/{source}{anchor}"


def words(value: str | None) -> str:
    """Return an enum value as words: ``NEWS_CONFERENCE`` -> ``news conference``."""
    return (value or "").replace("_", " ").lower()


def count(n: int | None, noun: str, plural: str | None = None) -> str:
    """Return a number with its noun, singular for one: ``1 meeting``, ``2 meetings``, ``3 people``."""
    n = n or 0
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def duration(value: str | None) -> str:
    """Return an ISO 8601 duration as words (``PT1H30M`` -> ``1 h 30 min``); other text unchanged."""
    match = _DURATION.match(value or "")
    if not value or not match or not any(match.groups()):
        return value or ""
    units = ("d", "h", "min", "s")
    return " ".join(f"{int(n)} {unit}" for n, unit in zip(match.groups(), units) if n)


@dataclass(frozen=True)
class Quoted:
    """One passage behind a fact: the evidence, and what it gives (``None``: the fact itself)."""

    evidence: Data
    gives: str | None = None

    @property
    def span(self) -> Span:
        return Span(int(self.evidence["start"]), int(self.evidence["end"]))


def _version_label(version: Data) -> str:
    attribute = version.get("attribute") or ""
    value = duration(version.get("value")) if attribute == "duration" else version.get("value")
    shown = value or version.get("asWritten") or ""
    return f"{ATTRIBUTE_NAMES.get(attribute, attribute)}: {shown}".strip(": ")


def quotes(fact: Data) -> list[Quoted]:
    """Return every passage behind ``fact``, its own evidence and its attribute versions', in reading order.

    A role's evidence is the union of its titles' evidence, so a role's passages are its titles.
    """
    found: list[Quoted] = []
    if fact.get("__typename") != "Role":
        found += [Quoted(e) for e in fact.get("evidence", [])]
    versions: list[Data] = list(fact.get("titles") or []) + list(fact.get("outcomes") or [])
    for name in ("duration", "characterization"):
        versions += (fact.get(name) or {}).get("versions", [])
    for version in versions:
        found += [Quoted(e, _version_label(version)) for e in version.get("evidence", [])]
    unique = {(q.evidence["source"]["slug"], q.span, q.gives): q for q in found}
    return sorted(unique.values(), key=lambda q: (q.evidence["source"]["slug"], q.span, q.gives or ""))


@dataclass(frozen=True)
class Card:
    """A fact or a named thing as the article page lists it: its data, and its passages in this article."""

    node: Data
    here: tuple[Quoted, ...]
    elsewhere: tuple[str, ...] = ()
    """The other articles (ids) behind the same fact."""

    @property
    def keys(self) -> str:
        """The card's spans in this article, as ``data-spans`` (space separated ``start-end``)."""
        return " ".join(sorted({q.span.key for q in self.here}))

    @property
    def first(self) -> int:
        return min(q.span.start for q in self.here)


@dataclass(frozen=True)
class Article:
    """An article page: the source, its text as paragraphs of segments, and a card per fact or mention."""

    source: Data
    paragraphs: list[list[Segment]]
    cards: list[Card]
    span_count: int

    @property
    def facts(self) -> list[Card]:
        return [c for c in self.cards if c.node.get("__typename") in FACT_TYPES]

    @property
    def mentions(self) -> list[Card]:
        return [c for c in self.cards if c.node.get("__typename") not in FACT_TYPES]


FACT_TYPES = frozenset({"Meeting", "Role", "Statement", "Sanction"})


def _card(node: Data, passages: Iterable[Quoted], slug: str) -> Card | None:
    here, others = [], set()
    for q in passages:
        if q.evidence["source"]["slug"] == slug:
            here.append(q)
        else:
            others.add(q.evidence["source"]["slug"])
    return Card(node, tuple(here), tuple(sorted(others))) if here else None


def article(source: Data, facts: Sequence[Data], mentions: Sequence[Data]) -> Article:
    """Return the article page of ``source`` (with ``text``) given the facts it supports and the named things
    (people, organizations, places with their evidence). Raises ValueError for evidence outside the text."""
    slug = source["slug"]
    cards = [c for f in facts if (c := _card(f, quotes(f), slug))]
    cards += [c for m in mentions if (c := _card(m, (Quoted(e) for e in m.get("evidence", [])), slug))]
    cards.sort(key=lambda c: (c.first, c.node.get("__typename") not in FACT_TYPES))
    spans = {(q.span.start, q.span.end) for c in cards for q in c.here}
    return Article(source, paragraphs(source["text"], spans), cards, len(spans))


@dataclass(frozen=True)
class Line:
    """A fact on a person's or organization's page, with every passage behind it (from every article)."""

    node: Data
    passages: tuple[Quoted, ...] = field(default=())

    @property
    def lead(self) -> Quoted | None:
        """The passage to show first: the fact's own words if it has any, else its first passage."""
        own = [q for q in self.passages if q.gives is None]
        return (own or list(self.passages))[0] if self.passages else None

    @property
    def rest(self) -> list[Quoted]:
        """Every other passage, for a fold-out under the lead."""
        return [q for q in self.passages if q is not self.lead]

    def by_source(self) -> list[tuple[Data, list[Quoted]]]:
        """Return the passages grouped by article, in the order the articles first appear."""
        groups: dict[str, tuple[Data, list[Quoted]]] = {}
        for q in self.passages:
            source = q.evidence["source"]
            groups.setdefault(source["slug"], (source, []))[1].append(q)
        return list(groups.values())


def lines(facts: Iterable[Data]) -> list[Line]:
    """Return a line per fact, each with all its passages."""
    return [Line(f, tuple(quotes(f))) for f in facts]


def agents(meeting: Data) -> Iterator[Data]:
    """Yield the participants of a meeting that have a page (people and organizations)."""
    yield from (p for p in meeting.get("participants", []) if href(p))


Graph = tuple[tuple[Node, ...], tuple[tuple[str, str], ...]]
"""The who-met-whom network before it is laid out: nodes by id, (participant, meeting) edges sorted."""


def graph(meetings: Sequence[Data]) -> Graph:
    """Return the who-met-whom network: every participant joined to each meeting they attended."""
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []
    for meeting in meetings:
        mid = f"meeting/{meeting['slug']}"
        date = (meeting.get("date") or {}).get("value")
        label = f"{meeting['label']} ({date})" if date else meeting["label"]
        nodes[mid] = Node(mid, "meeting", label, f"/meetings/{meeting['slug']}")
        for agent in agents(meeting):
            kind: NodeKind = "person" if agent["__typename"] == "Person" else "organization"
            aid = f"{kind}/{agent['slug']}"
            nodes.setdefault(aid, Node(aid, kind, agent["name"], href(agent) or ""))
            edges.append((aid, mid))
    return tuple(sorted(nodes.values(), key=lambda n: n.id)), tuple(sorted(set(edges)))


def network(meetings: Sequence[Data], limit: int | None = LIMIT) -> Picture:
    """Return the who-met-whom picture, laid out here and now: the pages draw it in the background instead
    (:mod:`kb.pages.pictures`), once per version."""
    nodes, edges = graph(meetings)
    return draw(nodes, edges, limit=limit)


def pairs(meetings: Sequence[Data]) -> list[tuple[Data, Data, list[Data]]]:
    """Return who met whom as text: (agent, agent, meetings), one row per pair, for the picture's table."""
    met: dict[tuple[str, str], tuple[Data, Data, list[Data]]] = {}
    for meeting in meetings:
        people = sorted(agents(meeting), key=lambda a: a["name"])
        for i, first in enumerate(people):
            for second in people[i + 1 :]:
                key = (first["slug"], second["slug"])
                met.setdefault(key, (first, second, []))[2].append(meeting)
    return sorted(met.values(), key=lambda row: (row[0]["name"], row[1]["name"]))
