"""Statement: who said what, to or about whom, on which topic, when, and through which channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.date import DateValue, date_value
from kb.api.types.enums import Channel, required
from kb.api.types.evidence import evidence_of
from kb.api.types.node import Fact, Node
from kb.vocab import DCTERMS, KB, PROV, RDFS, SDO

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.topic import Topic
    from kb.api.types.unions import Agent


@strawberry.type(description="Something a person or body said, as an article reports it. The words said are "
                             "the quotes of its evidence; summary is a curator's label.")
class Statement(Fact):
    @strawberry.field(description="A curator's one-line summary (not the words said: see quote).")
    def summary(self) -> str:
        return self.props.text(RDFS.label) or ""

    @strawberry.field(description="The words said, as the first article in order quotes them.")
    async def quote(self, info: Info) -> str:
        found = await evidence_of(info, self.props.iris(PROV.wasDerivedFrom))
        return found[0].row.quote if found else ""

    @strawberry.field(description="Who said it.")
    async def speaker(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")]:
        return await registry.load_required(  # type: ignore[no-any-return]
            info, self.props.text(KB.speaker), f"statement {self.props.iri} has no speaker")

    @strawberry.field(description="How it was made public (a readout, a spokesperson...).")
    def channel(self) -> Channel:
        return required(Channel, self.props.one(KB.channel))

    @strawberry.field(description="Through whom it was said (a spokesperson, an outlet).")
    async def via(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")] | None:
        return await registry.load_node(info, self.props.text(KB.via))

    @strawberry.field(description="Who it was said to.")
    async def audience(self, info: Info) -> list[Annotated[Agent, strawberry.lazy("kb.api.types.unions")]]:
        return await registry.load_present(info, self.props.iris(KB.audience))

    @strawberry.field(description="Whom or what it is about.")
    async def about(self, info: Info) -> list[Node]:
        return await registry.load_present(info, self.props.iris(SDO.about))

    @strawberry.field(description="Its topics.")
    async def topics(self, info: Info) -> list[Annotated[Topic, strawberry.lazy("kb.api.types.topic")]]:
        return await registry.load_present(info, self.props.iris(DCTERMS.subject))

    @strawberry.field(description="When it was said.")
    def date(self) -> DateValue | None:
        return date_value(self.props, DCTERMS.date, f"{self.props.iri}/date")

    @strawberry.field(description="The meeting where it was said.")
    async def meeting(self, info: Info) -> Annotated[Meeting, strawberry.lazy("kb.api.types.meeting")] | None:
        return await registry.load_node(info, self.props.text(KB.atMeeting))
