"""GraphQL enums, made from the controlled values of kb.models so the two never drift apart.

Each member's value is the YAML value, which is also the local name of its ``kbv:`` IRI in the graph;
its GraphQL name is that value upper-cased with ``-`` as ``_`` (``news-conference`` -> ``NEWS_CONFERENCE``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar, get_args

import strawberry

from kb.models import Meeting, Organization, Place, Source, Statement
from kb.query import Term
from kb.vocab import VALUE_IRI

E = TypeVar("E", bound=Enum)


def _enum(name: str, model: Any, field: str, description: str) -> Any:
    annotation = model.model_fields[field].annotation
    choices = [a for a in get_args(annotation) if isinstance(a, str)] or [
        v for arg in get_args(annotation) for v in get_args(arg)
    ]
    members = {value.upper().replace("-", "_"): value for value in choices}
    return strawberry.enum(Enum(name, members), description=description)  # type: ignore[misc]


MeetingKind = _enum("MeetingKind", Meeting, "kind", "What kind of gathering a meeting was.")
MeetingStatus = _enum("MeetingStatus", Meeting, "status", "Whether a meeting took place.")
Channel = _enum("Channel", Statement, "channel", "How a statement was made public.")
Certainty = _enum("Certainty", Meeting, "certainty", "Whether the article states a fact plainly or hedges it.")
OrganizationKind = _enum("OrganizationKind", Organization, "kind", "What kind of body an organization is.")
PlaceKind = _enum("PlaceKind", Place, "kind", "What kind of place a place is.")
DateBasis = _enum("DateBasis", Source, "published_basis",
                  "Whether an article's publication date is printed on it or inferred from its text.")


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


def to_iri(member: Enum) -> str:
    """Return the ``kbv:`` IRI of an enum member."""
    return VALUE_IRI + str(member.value)
