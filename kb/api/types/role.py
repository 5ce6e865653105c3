"""Role: who held which office in which body, when, and every way the articles word the title."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.date import DateValue, date_value
from kb.api.types.node import Fact
from kb.api.types.version import Version, versions_of
from kb.vocab import KB, ORG, RDFS, SDO

if TYPE_CHECKING:
    from kb.api.types.organization import Organization
    from kb.api.types.person import Person


@strawberry.type(description="An office held by a person in an organization, with the titles the articles "
                             "use.")
class Role(Fact):
    @strawberry.field(description="Who holds (or held) the office.")
    async def holder(self, info: Info) -> Annotated[Person, strawberry.lazy("kb.api.types.person")]:
        member = self.props.text(ORG.member)
        found = await registry.load_required(info, member, f"role {self.props.iri} has no member")
        return cast("Person", found)

    @strawberry.field(description="The organization the office is in.")
    async def organization(
        self, info: Info,
    ) -> Annotated[Organization, strawberry.lazy("kb.api.types.organization")]:
        body = self.props.text(ORG.organization)
        found = await registry.load_required(info, body, f"role {self.props.iri} has no body")
        return cast("Organization", found)

    @strawberry.field(description="The office's title as curated, e.g. \"Minister of Foreign Affairs\".")
    async def title(self, info: Info) -> str:
        office = self.props.text(ORG.role)
        props = await info.context.loaders.describe.load((office, None)) if office else None
        return (props.text(RDFS.label) if props else None) or ""

    @strawberry.field(description="Every wording of the title in the articles, each with its evidence.")
    async def titles(self, info: Info) -> list[Version]:
        return await versions_of(info, self.props.iris(KB.attributeStatement), "title")

    @strawberry.field(description="When the role began, if known.")
    def start(self) -> DateValue | None:
        return date_value(self.props, SDO.startDate, f"{self.props.iri}/start")

    @strawberry.field(description="When the role ended, if known (null: not known to have ended).")
    def end(self) -> DateValue | None:
        return date_value(self.props, SDO.endDate, f"{self.props.iri}/end")

