"""Derived relations of a person: whom they met and which gatherings they attended, each with its why (the rule
in words, the premise meetings, and those meetings' evidence)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.why import Why, why_of
from kb.vocab import KB

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.unions import Agent


@strawberry.type(description="Someone a person met, and why kb says so (the rule \"met\" and the meetings "
                             "both took part in).")
class MetWith:
    person: strawberry.Private[str]
    other: strawberry.Private[str]

    @strawberry.field(description="Whom the person met.")
    async def agent(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")] | None:
        return await registry.load_node(info, self.other)

    @strawberry.field(description="Why: the rule, and the meetings both took part in with their evidence.")
    async def why(self, info: Info) -> list[Why]:
        return await why_of(info, self.person, str(KB.met), self.other)


@strawberry.type(description="A gathering (a conference, a summit, a news conference) a person attended, and "
                             "why kb says so.")
class Attended:
    person: strawberry.Private[str]
    meeting_iri: strawberry.Private[str]

    @strawberry.field(description="The gathering.")
    async def meeting(self, info: Info) -> Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")] | None:
        return await registry.load_node(info, self.meeting_iri)

    @strawberry.field(description="Why: the rule, and the gathering's participants with their evidence.")
    async def why(self, info: Info) -> list[Why]:
        return await why_of(info, self.person, str(KB.attended), self.meeting_iri)


async def met_with(info: Info, person: str) -> list[MetWith]:
    """Return everyone ``person`` met (``kb:met``), by IRI."""
    met = await info.context.loaders.objects.load((str(KB.met), person))
    return [MetWith(person=person, other=t.value) for t in met if t.is_iri]


async def attended(info: Info, person: str) -> list[Attended]:
    """Return every gathering ``person`` attended (``kb:attended``), by IRI."""
    found = await info.context.loaders.objects.load((str(KB.attended), person))
    return [Attended(person=person, meeting_iri=t.value) for t in found if t.is_iri]
