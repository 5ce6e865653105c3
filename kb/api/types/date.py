"""DateValue: a date as precise as the article makes it, and how the article put it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.props import Props
from kb.api.types import registry
from kb.api.types.enums import DatePrecision
from kb.model import dates
from kb.vocab import KB

if TYPE_CHECKING:
    from kb.api.types.source import Source

_PRECISION = {"year": DatePrecision.YEAR, "month": DatePrecision.MONTH, "day": DatePrecision.DAY}


@strawberry.type(description="A date with its precision (2023, 2023-07 or 2023-07-13) and the article's "
                             "words.")
class DateValue:
    literal: strawberry.Private[str]
    instant: strawberry.Private[str | None]

    @strawberry.field(description="The date as YYYY, YYYY-MM or YYYY-MM-DD.")
    def value(self) -> str:
        return self.literal

    @strawberry.field(description="How precisely the date is known.")
    def precision(self) -> DatePrecision:
        return _PRECISION[dates.precision(self.literal)]

    @strawberry.field(description="The first day the date may be (2023-07 -> 2023-07-01).")
    def earliest(self) -> dt.date:
        return dates.earliest(self.literal)

    @strawberry.field(description="The last day the date may be (2023-07 -> 2023-07-31).")
    def latest(self) -> dt.date:
        return dates.latest(self.literal)

    @strawberry.field(description="The article's words for it, e.g. \"Thursday\" or \"last month\".")
    async def as_written(self, info: Info) -> str | None:
        return (await self._instant(info)).text(KB.asWritten)

    @strawberry.field(description="The article whose dateline turned a relative date into this one.")
    async def resolved_against(
        self, info: Info,
    ) -> Annotated[Source, strawberry.lazy("kb.api.types.source")] | None:
        return await registry.load_node(info, (await self._instant(info)).text(KB.resolvedAgainst))

    async def _instant(self, info: Info) -> Props:
        if self.instant is None:
            return Props("")
        return await info.context.loaders.describe.load((self.instant, None))


def date_value(props: Props, predicate: str, instant: str | None) -> DateValue | None:
    """Return the date a node gives under ``predicate`` (its time node is ``instant``), or None."""
    value = props.text(predicate)
    return None if value is None else DateValue(literal=value, instant=instant)
