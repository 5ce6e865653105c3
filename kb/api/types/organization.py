"""Organization: a government, ministry, party body, company... with its people and what it said and did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.agents import country_field, sanctions_field, statements_field
from kb.api.types.enums import OrganizationKind, from_term
from kb.api.types.node import Evidenced, Node, aliases_of, name_of
from kb.vocab import ORG

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.role import Role
    from kb.api.types.sanction import Sanction


@strawberry.type(description="A body people serve: a government, ministry, party office, company or outlet.")
class Organization(Node, Evidenced):
    name: str = strawberry.field(resolver=name_of, description="The name, as curated.")
    aliases: list[str] = strawberry.field(resolver=aliases_of, description="Other names the articles use.")

    @strawberry.field(description="What kind of body this is.")
    def kind(self) -> OrganizationKind | None:
        return from_term(OrganizationKind, self.props.one(ORG.classification))

    country = country_field("The country it belongs to.")

    @strawberry.field(description="The body it is part of.")
    async def parent(self, info: Info) -> Organization | None:
        return await registry.load_node(info, self.props.text(ORG.subOrganizationOf), selected=True)

    @strawberry.field(description="Roles in this organization; asOf keeps those held on that day.")
    async def roles(
        self, info: Info, as_of: args.AsOf = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Role, strawberry.lazy("kb.api.types.role")]]:
        pattern = lists.roles(organization=lists.PARENT, as_of=as_of)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)

    @strawberry.field(description="Meetings this organization took part in, by date.")
    async def meetings(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")]]:
        pattern = lists.meetings(participant=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)

    statements = statements_field("What this organization said, by date.")
    sanctions = sanctions_field("Sanctions imposed on this organization.")

    @strawberry.field(description="Sanctions this organization imposed.")
    async def sanctions_imposed(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Sanction, strawberry.lazy("kb.api.types.sanction")]]:
        pattern = lists.sanctions(imposed_by=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)
