"""What a diff reports: records, evidence, disputes and derived links that changed between two versions.

Plain data, built by :func:`kb.curate.diff.compare` and rendered by :mod:`kb.curate.diffreport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Quote:
    """One evidence span: ``of`` names the version it supports ("duration PT1H30M"), empty for the fact."""

    of: str
    source: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Move:
    """The same quote of the same source, at new offsets."""

    of: str
    source: str
    quote: str
    old: tuple[int, int]
    new: tuple[int, int]


@dataclass(frozen=True)
class QuoteChange:
    """A span whose quote changed with it (a fuzzy re-anchoring, a corrected quote): both passages."""

    of: str
    source: str
    old: Quote
    new: Quote


@dataclass
class ArticleChange:
    """A source whose article text changed: the changed passages as a unified diff, and how many spans of
    evidence only shifted with the text (same quote, new offsets)."""

    source: str
    label: str
    location: str
    old_sha256: str
    new_sha256: str
    diff: list[str] = field(default_factory=list)
    shifted: list[Move] = field(default_factory=list)


@dataclass
class FieldChange:
    """Values of one field that left and that arrived (a changed single value is one of each)."""

    field: str
    removed: list[str]
    added: list[str]


@dataclass
class RecordChange:
    """One record added, removed or changed, with where it is written and what changed in it."""

    kind: str  # as in its IRI: meeting, person, statement ...
    id: str
    label: str
    status: str  # added | removed | changed
    location: str
    fields: list[FieldChange] = field(default_factory=list)
    evidence_added: list[Quote] = field(default_factory=list)
    evidence_removed: list[Quote] = field(default_factory=list)
    evidence_moved: list[Move] = field(default_factory=list)
    quotes_changed: list[QuoteChange] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """True for a changed record whose only change is its ``disputed`` flag (or nothing left to tell:
        spans that only shifted with their article are told on the article)."""
        evidence = self.evidence_added or self.evidence_removed or self.evidence_moved or self.quotes_changed
        return self.status == "changed" and not evidence and {f.field for f in self.fields} <= {"disputed"}


@dataclass
class DisputedFact:
    """One side of a dispute: the fact (or version of an attribute) and its quotes."""

    id: str
    label: str
    quotes: list[Quote]


@dataclass
class DisputeChange:
    """A dispute opened (only in head), resolved (only in base) or changed (sides added or dropped)."""

    id: str
    label: str
    status: str  # opened | resolved | changed
    facts: list[DisputedFact] = field(default_factory=list)
    dropped: list[DisputedFact] = field(default_factory=list)


@dataclass
class Link:
    """A derived (truthy) link, as labels: ``Antony Blinken`` ``met`` ``Wang Yi``."""

    subject: str
    predicate: str
    object: str


@dataclass
class Report:
    """Everything a change does to the knowledge base."""

    base: str
    head: str
    records: list[RecordChange] = field(default_factory=list)
    articles: list[ArticleChange] = field(default_factory=list)
    disputes: list[DisputeChange] = field(default_factory=list)
    links_added: list[Link] = field(default_factory=list)
    links_removed: list[Link] = field(default_factory=list)
    triples_added: int = 0
    triples_removed: int = 0

    @property
    def empty(self) -> bool:
        """True when the two sides hold the same triples."""
        return self.triples_added == 0 and self.triples_removed == 0

    def counts(self) -> dict[str, int]:
        """Return how many records were added/removed/changed, evidence added/removed/moved/shifted, quotes
        changed, articles changed, disputes opened/resolved/changed, and triples added/removed."""
        out: dict[str, int] = {}
        for status in ("added", "removed", "changed"):
            out[f"records_{status}"] = sum(1 for r in self.records if r.status == status)
        out["evidence_added"] = sum(len(r.evidence_added) for r in self.records if r.status == "changed")
        out["evidence_removed"] = sum(len(r.evidence_removed) for r in self.records if r.status == "changed")
        out["evidence_moved"] = sum(len(r.evidence_moved) for r in self.records)
        out["evidence_shifted"] = sum(len(a.shifted) for a in self.articles)
        out["quotes_changed"] = sum(len(r.quotes_changed) for r in self.records)
        out["articles_changed"] = len(self.articles)
        for status in ("opened", "resolved", "changed"):
            out[f"disputes_{status}"] = sum(1 for d in self.disputes if d.status == status)
        out["triples_added"], out["triples_removed"] = self.triples_added, self.triples_removed
        return out
