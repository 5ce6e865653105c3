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
    MEETING = strawberry.enum_value("meeting", description="A meeting in person.")
    TALKS = strawberry.enum_value("talks", description="Formal talks between delegations.")
    VISIT = strawberry.enum_value("visit", description="A visit to a country or place, spanning meetings.")
    CALL = strawberry.enum_value("call", description="A phone or video call.")
    SUMMIT = strawberry.enum_value(
        "summit", description="A meeting of heads of state or government, or of ministers of many countries.")
    CONFERENCE = strawberry.enum_value("conference", description="A conference.")
    FORUM = strawberry.enum_value("forum", description="A forum or dialogue.")
    NEWS_CONFERENCE = strawberry.enum_value("news-conference", description="A news conference.")


@strawberry.enum(description="Whether a meeting took place.")
class MeetingStatus(Enum):
    HELD = strawberry.enum_value("held", description="The meeting took place.")
    PLANNED = strawberry.enum_value("planned", description="Announced, not yet held when the article was written.")
    DECLINED = strawberry.enum_value("declined", description="One side declined the meeting.")
    CANCELLED = strawberry.enum_value("cancelled", description="The meeting was called off.")


@strawberry.enum(description="How a statement was made public.")
class Channel(Enum):
    READOUT = strawberry.enum_value("readout", description="An official account of a meeting or call.")
    SPOKESPERSON = strawberry.enum_value("spokesperson", description="Said by a named spokesperson.")
    UNNAMED_OFFICIAL = strawberry.enum_value("unnamed-official", description="Said by an official who was not named.")
    NEWS_CONFERENCE = strawberry.enum_value("news-conference", description="Said at a news conference.")
    INTERVIEW = strawberry.enum_value("interview", description="Said in an interview.")
    STATEMENT = strawberry.enum_value("statement", description="A written or formal statement.")
    REMARKS = strawberry.enum_value("remarks", description="Remarks made in public.")
    STATE_MEDIA = strawberry.enum_value("state-media", description="Reported by state media.")
    WEBSITE = strawberry.enum_value("website", description="Published on a website.")
    REPORT = strawberry.enum_value("report", description="Reported by the article without a more precise channel.")


@strawberry.enum(description="Whether the article states a fact plainly or hedges it.")
class Certainty(Enum):
    STATED = strawberry.enum_value("stated", description="The article states it plainly.")
    HEDGED = strawberry.enum_value(
        "hedged", description="The article hedges it (\"likely\", \"may\"): hedge gives the words.")


@strawberry.enum(description="What kind of fact: the four kinds the articles report.")
class FactKind(Enum):
    MEETING = strawberry.enum_value("meeting", description="A meeting, visit, call or gathering.")
    ROLE = strawberry.enum_value("role", description="An office a person holds in an organization.")
    STATEMENT = strawberry.enum_value("statement", description="Something a person or body said.")
    SANCTION = strawberry.enum_value("sanction", description="A sanction one party imposed on another.")


@strawberry.enum(description="What kind of body an organization is.")
class OrganizationKind(Enum):
    GOVERNMENT = strawberry.enum_value("government", description="A national government.")
    MINISTRY = strawberry.enum_value("ministry", description="A ministry or executive department.")
    DEPARTMENT = strawberry.enum_value("department", description="A department or office within a larger body.")
    PARTY_BODY = strawberry.enum_value("party-body", description="A body of a political party.")
    MILITARY = strawberry.enum_value("military", description="Armed forces or one of their commands.")
    INTERNATIONAL_ORGANIZATION = strawberry.enum_value(
        "international-organization", description="An organization of several states.")
    COMPANY = strawberry.enum_value("company", description="A company.")
    MEDIA = strawberry.enum_value("media", description="A news organization.")
    LEGISLATURE = strawberry.enum_value(
        "legislature", description="A parliament or congress, or one of its chambers or committees.")
    OTHER = strawberry.enum_value("other", description="An organization of a kind not listed.")


@strawberry.enum(description="What kind of place a place is.")
class PlaceKind(Enum):
    COUNTRY = strawberry.enum_value("country", description="A country.")
    CITY = strawberry.enum_value("city", description="A city.")
    REGION = strawberry.enum_value("region", description="A region, province or territory.")
    SEA = strawberry.enum_value("sea", description="A sea.")
    STRAIT = strawberry.enum_value("strait", description="A strait.")
    BUILDING = strawberry.enum_value("building", description="A building or compound.")
    OTHER = strawberry.enum_value("other", description="A place of a kind not listed.")


@strawberry.enum(description="Whether an article's publication date is printed on it or inferred from its "
                             "text.")
class DateBasis(Enum):
    STATED = strawberry.enum_value("stated", description="The date is printed on the article.")
    INFERRED = strawberry.enum_value(
        "inferred", description="The date is inferred from the article's text, not printed.")


@strawberry.enum(description="How precisely a date is known.")
class DatePrecision(Enum):
    YEAR = strawberry.enum_value("year", description="Only the year is known (2023).")
    MONTH = strawberry.enum_value("month", description="The year and month are known (2023-07).")
    DAY = strawberry.enum_value("day", description="The day is known (2023-07-13).")


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
