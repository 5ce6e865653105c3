"""Fields a Person and an Organization share (their country, what they said, the sanctions on them), written
once: each is made by a function, so that its description can name a person or an organization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.node import Node
from kb.vocab import KB

if TYPE_CHECKING:
    from kb.api.types.place import Place
    from kb.api.types.sanction import Sanction
    from kb.api.types.statement import Statement


def country_field(description: str) -> Place | None:
    """Return the field giving the country an agent belongs to."""

    async def country(
        root: Node, info: Info,
    ) -> Annotated[Place, strawberry.lazy("kb.api.types.place")] | None:
        return await registry.load_node(info, root.props.text(KB.country), selected=True)

    return strawberry.field(resolver=country, description=description)


def statements_field(description: str) -> Connection[Statement]:
    """Return the field listing what an agent said, by date, filtered by topic."""

    async def statements(
        root: Node, info: Info, topic: args.TopicId = None, first: args.First = None,
        after: args.After = None,
    ) -> Connection[Annotated[Statement, strawberry.lazy("kb.api.types.statement")]]:
        pattern = lists.statements(speaker=lists.PARENT, topic=args.topics(info, topic))
        return await lists.child_page(info, pattern, root.props.iri, first, after, registry.load_listed)

    return strawberry.field(resolver=statements, description=description)


def sanctions_field(description: str) -> Connection[Sanction]:
    """Return the field listing the sanctions imposed on an agent, by date."""

    async def sanctions(
        root: Node, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Sanction, strawberry.lazy("kb.api.types.sanction")]]:
        pattern = lists.sanctions(target=lists.PARENT)
        return await lists.child_page(info, pattern, root.props.iri, first, after, registry.load_listed)

    return strawberry.field(resolver=sanctions, description=description)
