"""Sanction: its target, who imposed it, when, why, and the statements that demand or answer it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.date import DateValue, date_value
from kb.api.types.node import Fact
from kb.vocab import DCTERMS, KB

if TYPE_CHECKING:
    from kb.api.types.statement import Statement
    from kb.api.types.unions import Agent


@strawberry.type(description="A sanction, as the articles report it.")
class Sanction(Fact):
    @strawberry.field(description="Who is sanctioned.")
    async def target(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")]:
        return await registry.load_required(  # type: ignore[no-any-return]
            info, self.props.text(KB.target), f"sanction {self.props.iri} has no target")

    @strawberry.field(description="Who imposed it.")
    async def imposed_by(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")]:
        return await registry.load_required(  # type: ignore[no-any-return]
            info, self.props.text(KB.imposedBy), f"sanction {self.props.iri} has no imposer")

    @strawberry.field(description="When it was imposed.")
    def date(self) -> DateValue | None:
        return date_value(self.props, DCTERMS.date, f"{self.props.iri}/date")

    @strawberry.field(description="Why, as the sources give it.")
    def reason(self) -> str | None:
        return self.props.text(KB.reason)

    @strawberry.field(description="Statements that demand the sanction be lifted or answer it.")
    async def related_statements(
        self, info: Info,
    ) -> list[Annotated[Statement, strawberry.lazy("kb.api.types.statement")]]:
        return await registry.load_present(info, self.props.iris(KB.relatedStatement))
