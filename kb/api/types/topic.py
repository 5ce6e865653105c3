"""Topic: a subject of talks and statements (a SKOS concept)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.node import Node
from kb.vocab import RDFS, SKOS

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.statement import Statement


@strawberry.type(description="A subject of talks and statements, e.g. fentanyl or export controls.")
class Topic(Node):
    @strawberry.field(description="The topic's name.")
    def label(self) -> str:
        return self.props.text(SKOS.prefLabel) or self.props.text(RDFS.label) or ""

    @strawberry.field(description="Other words for it.")
    def aliases(self) -> list[str]:
        return self.props.texts(SKOS.altLabel)

    @strawberry.field(description="What the topic covers.")
    def description(self) -> str | None:
        return self.props.text(SKOS.definition)

    @strawberry.field(description="The wider topic this one belongs to.")
    async def broader(self, info: Info) -> Topic | None:
        return await registry.load_node(info, self.props.text(SKOS.broader))

    @strawberry.field(description="Meetings about this topic, by date.")
    async def meetings(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")]]:
        pattern = lists.meetings(topic=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)

    @strawberry.field(description="Statements on this topic, by date.")
    async def statements(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Statement, strawberry.lazy("kb.api.types.statement")]]:
        pattern = lists.statements(topic=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)
