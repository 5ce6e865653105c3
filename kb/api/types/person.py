"""Person: a person the articles name, with their roles, meetings, statements and sanctions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.agents import country_field, sanctions_field, statements_field
from kb.api.types.derived import Attended, MetWith, attended, met_with
from kb.api.types.enums import MeetingStatus, to_iri
from kb.api.types.node import Evidenced, Node, aliases_of, name_of
from kb.vocab import KB, ORG, RDFS, SDO

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.role import Role
    from kb.api.types.unions import Agent


@strawberry.type(description="A person the articles name, with every variant of the name they use.")
class Person(Node, Evidenced):
    name: str = strawberry.field(resolver=name_of, description="The name, as curated (e.g. \"Wang Yi\").")
    aliases: list[str] = strawberry.field(resolver=aliases_of,
                                          description="Other names the articles use (e.g. \"Wang\").")

    @strawberry.field(description="A curator's one-line description.")
    def description(self) -> str | None:
        return self.props.text(SDO.description)

    country = country_field("The country the person belongs to.")

    @strawberry.field(description="Offices this person holds or held; asOf keeps those held on that day.")
    async def roles(
        self, info: Info, as_of: args.AsOf = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Role, strawberry.lazy("kb.api.types.role")]]:
        pattern = lists.roles(holder=lists.PARENT, as_of=as_of)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)

    @strawberry.field(description="Meetings this person took part in, by date.")
    async def meetings(
        self, info: Info,
        status: Annotated[MeetingStatus | None, strawberry.argument(
            description="Keep meetings of this status (held, planned, declined, cancelled).")] = None,
        topic: args.TopicId = None, date_from: args.DateFrom = None, date_to: args.DateTo = None,
        first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")]]:
        pattern = lists.meetings(
            participant=lists.PARENT, status=to_iri(status) if status else None,
            topic=args.topics(info, topic), after=date_from, before=date_to,
        )
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)

    statements = statements_field("What this person said, by date.")
    sanctions = sanctions_field("Sanctions imposed on this person.")

    @strawberry.field(description="Everyone this person met in a meeting that was held, by id.")
    async def met(self, info: Info) -> list[Annotated[Agent, strawberry.lazy("kb.api.types.unions")]]:
        met = await info.context.loaders.objects.load((str(KB.met), self.props.iri))
        return await registry.load_present(info, [t.value for t in met if t.is_iri], selected=True)

    @strawberry.field(description="Everyone this person met, each with why kb says so: the rule \"met\" and "
                                  "the meetings both took part in, with their evidence.")
    async def met_with(self, info: Info) -> list[MetWith]:
        return await met_with(info, self.props.iri)

    @strawberry.field(description="The conferences, summits and news conferences this person attended, each with "
                                  "why kb says so.")
    async def attended(self, info: Info) -> list[Attended]:
        return await attended(info, self.props.iri)

    @strawberry.field(description="Every wording of this person's titles in the articles, e.g. \"top "
                                  "diplomat\".")
    async def titles(self, info: Info, as_of: args.AsOf = None) -> list[str]:
        # A wording relative to someone else ("his US counterpart") names no office: it is quoted, with the
        # office it stands for beside it, so no page shows it as if it were one.
        roles = await lists.children(info, lists.roles(holder=lists.PARENT, as_of=as_of), self.props.iri)
        held = await registry.load_present(info, roles)
        shown: set[str] = set()
        for role in held:
            for text in role.props.texts(KB.titleAsWritten):
                shown.add(f"“{text}” ({await _office(info, role.props.text(ORG.role))})" if relative(text) else text)
        return sorted(shown)



# A title that starts with a possessive says who the person is to someone else, not which office they hold.
_RELATIVE = re.compile(r"^(his|her|its|their|our|my)\s", re.IGNORECASE)


def relative(wording: str) -> bool:
    """Return True for a title worded relative to someone else ("his US counterpart")."""
    return bool(_RELATIVE.match(wording))


async def _office(info: Info, office: str | None) -> str:
    """Return the curated title of an office (its label), "" when it has none."""
    props = await info.context.loaders.describe.load((office, None)) if office else None
    return (props.text(RDFS.label) if props else None) or ""
