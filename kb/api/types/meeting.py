"""Meeting: who met, where, when, for how long, about what, with what result, and in which words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.date import DateValue, date_value
from kb.api.types.enums import MeetingKind, MeetingStatus, required
from kb.api.types.node import Fact
from kb.api.types.version import Attribute, Version, attribute_of, versions_of
from kb.vocab import DCTERMS, KB, SDO

if TYPE_CHECKING:
    from kb.api.types.place import Place
    from kb.api.types.statement import Statement
    from kb.api.types.topic import Topic
    from kb.api.types.unions import Agent


@strawberry.type(description="A meeting, visit, call or gathering, as the articles report it.")
class Meeting(Fact):
    @strawberry.field(description="What kind of gathering it was.")
    def kind(self) -> MeetingKind:
        return required(MeetingKind, self.props.one(KB.kind))

    @strawberry.field(description="Whether it took place (HELD), or was PLANNED, DECLINED or CANCELLED.")
    def status(self) -> MeetingStatus:
        return required(MeetingStatus, self.props.one(KB.status))

    @strawberry.field(description="Who took part.")
    async def participants(
        self, info: Info,
    ) -> list[Annotated[Agent, strawberry.lazy("kb.api.types.unions")]]:
        return await registry.load_present(info, self.props.iris(SDO.attendee), selected=True)

    @strawberry.field(description="Where it happened.")
    async def place(self, info: Info) -> Annotated[Place, strawberry.lazy("kb.api.types.place")] | None:
        return await registry.load_node(info, self.props.text(SDO.location), selected=True)

    @strawberry.field(description="When it happened (or began).")
    def date(self) -> DateValue | None:
        return date_value(self.props, SDO.startDate, f"{self.props.iri}/start")

    @strawberry.field(description="When it ended, for a gathering over several days.")
    def end_date(self) -> DateValue | None:
        return date_value(self.props, SDO.endDate, f"{self.props.iri}/end")

    @strawberry.field(description="How long it lasted, with every source's version.")
    async def duration(self, info: Info) -> Attribute | None:
        agreed = self.props.text(SDO.duration)
        return await attribute_of(info, self.props.iris(KB.attributeStatement), "duration", agreed)

    @strawberry.field(description="How it was characterized (\"candid and constructive\"), with every "
                                  "version.")
    async def characterization(self, info: Info) -> Attribute | None:
        agreed = self.props.text(KB.characterization)
        return await attribute_of(info, self.props.iris(KB.attributeStatement), "characterization", agreed)

    @strawberry.field(description="What came of it, as each source words it.")
    async def outcomes(self, info: Info) -> list[Version]:
        return await versions_of(info, self.props.iris(KB.attributeStatement), "outcome")

    @strawberry.field(description="The larger event (a summit) it happened beside.")
    async def occasion(self, info: Info) -> Meeting | None:
        return await registry.load_node(info, self.props.text(SDO.superEvent), selected=True)

    @strawberry.field(description="What it was about.")
    async def topics(self, info: Info) -> list[Annotated[Topic, strawberry.lazy("kb.api.types.topic")]]:
        return await registry.load_present(info, self.props.iris(DCTERMS.subject), selected=True)

    @strawberry.field(description="What was said at it, by date.")
    async def statements(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Statement, strawberry.lazy("kb.api.types.statement")]]:
        pattern = lists.statements(meeting=lists.PARENT)
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)
