"""The knowledge base once checked: its records, one typed field per kind, its articles, where each record is.

Code that knows which kind it wants reads a field (``kb.people``, ``kb.disputes``) and gets that kind's model.
Code that walks every kind alike uses :meth:`KnowledgeBase.of`, :meth:`KnowledgeBase.by_kind` and
:meth:`KnowledgeBase.counts`, which name the kinds as :data:`kb.model.records.KINDS` does, in its order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import assert_never

from kb.errors import Location
from kb.model.records import (
    KINDS,
    CuratedRecord,
    Dispute,
    Meeting,
    Organization,
    Person,
    Place,
    Role,
    Sanction,
    Source,
    Statement,
    Topic,
)
from kb.model.sources import Article


@dataclass
class KnowledgeBase:
    """A validated knowledge base: records by kind and id, articles by source id, and where each record is.

    The record fields are named and ordered as the KINDS (a test checks it), which is what lets :meth:`of`
    find a kind's field by name.
    """

    sources: dict[str, Source] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    meetings: dict[str, Meeting] = field(default_factory=dict)
    statements: dict[str, Statement] = field(default_factory=dict)
    sanctions: dict[str, Sanction] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """The kind of every id, including ids of records that did not validate (while checking)."""

    def of(self, kind: str) -> Mapping[str, CuratedRecord]:
        """Return the records of one kind, by id, read-only. Raises KeyError for a kind not in KINDS."""
        if kind not in KINDS:
            raise KeyError(kind)
        records: Mapping[str, CuratedRecord] = getattr(self, kind)
        return records

    def by_kind(self) -> dict[str, Mapping[str, CuratedRecord]]:
        """Return the records of every kind, by kind then id, in the order of KINDS."""
        return {kind: self.of(kind) for kind in KINDS}

    def counts(self) -> dict[str, int]:
        """Return the number of records of each kind."""
        return {kind: len(records) for kind, records in self.by_kind().items()}

    def disputed(self) -> dict[str, str]:
        """Return fact id -> dispute id for every fact that a dispute groups."""
        return {fact: d.id for d in self.disputes.values() for fact in d.facts}

    def add(self, record: CuratedRecord) -> None:
        """Put ``record`` among the records of its kind, replacing the one with its id, and note its kind."""
        match record:
            case Source():
                self.sources[record.id] = record
            case Person():
                self.people[record.id] = record
            case Organization():
                self.organizations[record.id] = record
            case Place():
                self.places[record.id] = record
            case Topic():
                self.topics[record.id] = record
            case Role():
                self.roles[record.id] = record
            case Meeting():
                self.meetings[record.id] = record
            case Statement():
                self.statements[record.id] = record
            case Sanction():
                self.sanctions[record.id] = record
            case Dispute():
                self.disputes[record.id] = record
            case _:
                assert_never(record)
        self.kinds[record.id] = _KIND_OF[type(record)]

    def remove(self, rid: str) -> None:
        """Take out the record ``rid``, its kind and its location. Raises KeyError when there is none."""
        kind = self.kinds[rid]
        records: dict[str, CuratedRecord] = getattr(self, kind)
        del records[rid]
        del self.kinds[rid]
        self.locations.pop(rid, None)

    def copy(self) -> KnowledgeBase:
        """Return a copy whose dicts can change without changing this one (records and articles are shared:
        both are immutable)."""
        return KnowledgeBase(
            sources=dict(self.sources), people=dict(self.people), organizations=dict(self.organizations),
            places=dict(self.places), topics=dict(self.topics), roles=dict(self.roles),
            meetings=dict(self.meetings), statements=dict(self.statements), sanctions=dict(self.sanctions),
            disputes=dict(self.disputes), articles=dict(self.articles), locations=dict(self.locations),
            kinds=dict(self.kinds),
        )


_KIND_OF: dict[type[CuratedRecord], str] = {model: kind for kind, model in KINDS.items()}
