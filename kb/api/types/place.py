"""Place: a city, country, region or body of water, and the meetings held there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.enums import PlaceKind, from_term
from kb.api.types.node import Evidenced, Node, aliases_of, name_of
from kb.vocab import KB

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting


@strawberry.type(description="A city, country, region, sea or building.")
class Place(Node, Evidenced):
    name: str = strawberry.field(resolver=name_of, description="The name, as curated.")
    aliases: list[str] = strawberry.field(resolver=aliases_of, description="Other names the articles use.")

    @strawberry.field(description="What kind of place this is.")
    def kind(self) -> PlaceKind | None:
        return from_term(PlaceKind, self.props.one(KB.kind))

    @strawberry.field(description="The country it is in.")
    async def country(self, info: Info) -> Place | None:
        return await registry.load_node(info, self.props.text(KB.country))

    @strawberry.field(description="Meetings held here, by date.")
    async def meetings(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")]]:
        pattern = lists.meetings(place=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)
