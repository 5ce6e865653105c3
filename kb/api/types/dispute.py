"""Dispute: facts or attribute versions that sources give differently, kept side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.node import Node
from kb.api.types.version import ATTRIBUTE_NAMES
from kb.vocab import KB, RDFS, SDO

if TYPE_CHECKING:
    from kb.api.types.node import Fact
    from kb.api.types.unions import DisputedVersion


@strawberry.type(description="A disagreement between sources: every version, each with its own evidence.")
class Dispute(Node):
    @strawberry.field(description="What the disagreement is about.")
    def label(self) -> str:
        return self.props.text(RDFS.label) or ""

    @strawberry.field(description="A curator's description of the disagreement.")
    def description(self) -> str | None:
        return self.props.text(SDO.description)

    @strawberry.field(description="For a disagreement on one attribute of a fact: which (duration, "
                                  "characterization, ...); null when whole facts disagree.")
    def attribute(self) -> str | None:
        prop = self.props.text(KB.attribute)
        return ATTRIBUTE_NAMES.get(prop) if prop else None

    @strawberry.field(description="For a disagreement on an attribute: the fact it is an attribute of.")
    async def fact(self, info: Info) -> Annotated[Fact, strawberry.lazy("kb.api.types.node")] | None:
        versions = self.props.iris(KB.disputedStatement)
        if self.props.text(KB.attribute) is None or not versions:
            return None
        return await registry.load_node(info, versions[0].rsplit("/", 2)[0])

    @strawberry.field(description="Every version: whole facts (Meeting, Statement...) or attribute Versions.")
    async def versions(
        self, info: Info,
    ) -> list[Annotated[DisputedVersion, strawberry.lazy("kb.api.types.unions")]]:
        return await registry.load_present(info, self.props.iris(KB.disputedStatement))
