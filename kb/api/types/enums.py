"""GraphQL enums of the controlled values (kb.model.records' Literal fields; tests/test_api_schema.py checks
that the two list the same values).

Each member's value is the YAML value, which is also the local name of its ``kbv:`` IRI in the graph; its
GraphQL name is that value upper-cased with ``-`` as ``_`` (``news-conference`` -> ``NEWS_CONFERENCE``).
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

import strawberry

from kb.graph.query import Term
from kb.vocab import VALUE_IRI

E = TypeVar("E", bound=Enum)


@strawberry.enum(description="What kind of gathering a meeting was.")
class MeetingKind(Enum):
    MEETING = "meeting"
    TALKS = "talks"
    VISIT = "visit"
    CALL = "call"
    SUMMIT = "summit"
    CONFERENCE = "conference"
    FORUM = "forum"
    NEWS_CONFERENCE = "news-conference"


@strawberry.enum(description="Whether a meeting took place.")
class MeetingStatus(Enum):
    HELD = "held"
    PLANNED = "planned"
    DECLINED = "declined"
    CANCELLED = "cancelled"


@strawberry.enum(description="How a statement was made public.")
class Channel(Enum):
    READOUT = "readout"
    SPOKESPERSON = "spokesperson"
    UNNAMED_OFFICIAL = "unnamed-official"
    NEWS_CONFERENCE = "news-conference"
    INTERVIEW = "interview"
    STATEMENT = "statement"
    REMARKS = "remarks"
    STATE_MEDIA = "state-media"
    WEBSITE = "website"
    REPORT = "report"


@strawberry.enum(description="Whether the article states a fact plainly or hedges it.")
class Certainty(Enum):
    STATED = "stated"
    HEDGED = "hedged"


@strawberry.enum(description="What kind of fact: the four kinds the articles report.")
class FactKind(Enum):
    MEETING = strawberry.enum_value("meeting", description="A meeting, visit, call or gathering.")
    ROLE = strawberry.enum_value("role", description="An office a person holds in an organization.")
    STATEMENT = strawberry.enum_value("statement", description="Something a person or body said.")
    SANCTION = strawberry.enum_value("sanction", description="A sanction one party imposed on another.")


@strawberry.enum(description="What kind of body an organization is.")
class OrganizationKind(Enum):
    GOVERNMENT = "government"
    MINISTRY = "ministry"
    DEPARTMENT = "department"
    PARTY_BODY = "party-body"
    MILITARY = "military"
    INTERNATIONAL_ORGANIZATION = "international-organization"
    COMPANY = "company"
    MEDIA = "media"
    LEGISLATURE = "legislature"
    OTHER = "other"


@strawberry.enum(description="What kind of place a place is.")
class PlaceKind(Enum):
    COUNTRY = "country"
    CITY = "city"
    REGION = "region"
    SEA = "sea"
    STRAIT = "strait"
    BUILDING = "building"
    OTHER = "other"


@strawberry.enum(description="Whether an article's publication date is printed on it or inferred from its "
                             "text.")
class DateBasis(Enum):
    STATED = "stated"
    INFERRED = "inferred"


@strawberry.enum(description="How precisely a date is known.")
class DatePrecision(Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


def from_term(enum: type[E], term: Term | None) -> E | None:
    """Return the member whose value is the local name of the ``kbv:`` IRI ``term`` (None when absent)."""
    if term is None or not term.value.startswith(VALUE_IRI):
        return None
    return enum(term.value[len(VALUE_IRI):])


def required(enum: type[E], term: Term | None) -> E:
    """Return the member for ``term``; a fact of this kind always has one (docs/model.md)."""
    member = from_term(enum, term)
    assert member is not None, f"expected a {enum.__name__}, got {term}"
    return member


def to_iri(member: Enum) -> str:
    """Return the ``kbv:`` IRI of an enum member."""
    return VALUE_IRI + str(member.value)
