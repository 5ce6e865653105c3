"""Arguments shared by many fields, with their descriptions, and turning ids into filter values."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from kb.api.context import Info
from kb.api.lists import Ref
from kb.api.types import registry
from kb.api.types.enums import Certainty, FactKind, to_iri

First = Annotated[int | None, strawberry.argument(description="Page size, 0 to 100 (default 20).")]
After = Annotated[str | None, strawberry.argument(
    description="Return the items after this cursor (the pageInfo.endCursor of the previous page).")]
AsOf = Annotated[dt.date | None, strawberry.argument(
    name="asOf",
    description="Keep roles held on this day (a role with no known start or end is open on that side).")]
DateFrom = Annotated[dt.date | None, strawberry.argument(
    name="from",
    description="Keep items dated on or after this day (a partial date such as 2023-07 overlaps).")]
DateTo = Annotated[dt.date | None, strawberry.argument(
    name="to", description="Keep items dated on or before this day.")]
TopicId = Annotated[strawberry.ID | None, strawberry.argument(description="A topic id, e.g. \"fentanyl\".")]
PlaceId = Annotated[strawberry.ID | None, strawberry.argument(
    description="A place id, e.g. \"china\": keeps what happened there or in a place within it (Beijing).")]
SourceId = Annotated[strawberry.ID | None, strawberry.argument(
    description="An article id: keeps the facts it supports, directly or through a version of an attribute.")]
FactKindArg = Annotated[FactKind | None, strawberry.argument(name="kind", description="Keep facts of one kind.")]
MinSources = Annotated[int | None, strawberry.argument(
    description="Keep facts stated by at least this many different articles (their sourceCount).")]
Disputed = Annotated[bool | None, strawberry.argument(
    description="true: keep the facts sources disagree on (Fact.disputed); false: keep the others.")]
AgentId = Annotated[strawberry.ID | None, strawberry.argument(
    description="A person or organization id, e.g. \"wang-yi\" or \"person/wang-yi\".")]
PersonId = Annotated[strawberry.ID | None, strawberry.argument(description="A person id, e.g. \"wang-yi\".")]
OrganizationId = Annotated[strawberry.ID | None, strawberry.argument(
    description="An organization id, e.g. \"us-state-department\".")]
MeetingId = Annotated[strawberry.ID | None, strawberry.argument(description="A meeting id.")]
AnyId = Annotated[strawberry.ID | None, strawberry.argument(
    description="The id of any person, organization, place, topic, meeting, statement or sanction.")]

CertaintyArg = Annotated[Certainty | None, strawberry.argument(
    name="certainty", description="Keep the facts the article states plainly (STATED) or hedges (HEDGED).")]


def certainty(value: Certainty | None) -> str | None:
    """Return the filter value for a certainty: its ``kbv:`` IRI, None when none was given."""
    return None if value is None else to_iri(value)


def ids(info: Info, identifier: str | None, *kinds: str) -> Ref:
    """Return the filter value for an id of one of ``kinds``: None when no id was given."""
    return None if identifier is None else registry.iris_for(info, identifier, kinds)


def topics(info: Info, identifier: str | None) -> Ref:
    """Return the filter value for a topic id."""
    return ids(info, identifier, "topic")


def agents(info: Info, identifier: str | None) -> Ref:
    """Return the filter value for a person or organization id."""
    return ids(info, identifier, *registry.AGENTS)
