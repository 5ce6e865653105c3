"""Evidence: one span of one article, by code-point offsets (W3C Web Annotation) and by UTF-16 offsets."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.loaders import EvidenceRow
from kb.api.types import registry

if TYPE_CHECKING:
    from kb.api.types.source import Source


async def _source(root: Evidence, info: Info) -> Annotated[Source, strawberry.lazy("kb.api.types.source")]:
    return await registry.load_required(  # type: ignore[no-any-return]
        info, root.row.source, f"evidence {root.row.iri} names a missing article", selected=True)


async def _utf16_start(root: Evidence, info: Info) -> int:
    return await _utf16(info, root.row.source, root.row.start)


async def _utf16_end(root: Evidence, info: Info) -> int:
    return await _utf16(info, root.row.source, root.row.end)


@strawberry.type(description="The exact words of an article that state a fact: source.text[start:end] == "
                             "quote in code points; JavaScript's text.slice(utf16Start, utf16End) == quote.")
class Evidence:
    # Plain fields, filled in by evidence_of: Strawberry reads them without calling a resolver (a typical
    # answer has dozens of spans). Fields with resolvers are declared in line, to keep the schema's order.
    row: strawberry.Private[EvidenceRow]
    id: strawberry.ID = strawberry.field(description="Global id of this evidence node.")
    source: Annotated[Source, strawberry.lazy("kb.api.types.source")] = strawberry.field(
        resolver=_source, description="The article the words are in.")
    quote: str = strawberry.field(description="The words, exactly as in the article.")
    start: int = strawberry.field(
        description="Offset of the first character, in Unicode code points (Python, W3C).")
    end: int = strawberry.field(
        description="Offset just after the last character, in code points (exclusive).")
    utf16_start: int = strawberry.field(resolver=_utf16_start,
                                        description="start in UTF-16 code units, for JavaScript strings.")
    utf16_end: int = strawberry.field(resolver=_utf16_end,
                                      description="end in UTF-16 code units, for JavaScript strings.")
    prefix: str = strawberry.field(
        description="Up to 32 characters before the quote (empty at the start of the article).")
    suffix: str = strawberry.field(
        description="Up to 32 characters after the quote (empty at the end of the article).")
    as_written: str | None = strawberry.field(
        description="For the evidence of a version: how these words put the value (\"about 90 minutes\"), "
                    "when the curator gave it; each span of one version may word it its own way.")


async def evidence_of(info: Info, iris: Sequence[str]) -> list[Evidence]:
    """Return the evidence nodes ``iris`` in article order (source, start, end)."""
    rows = [row for row in await info.context.loaders.evidence.load_many(list(iris)) if row is not None]
    rows.sort(key=lambda r: (r.source, r.start, r.end, r.quote))
    return [Evidence(row=row, id=strawberry.ID(registry.key_of(info, row.iri)), quote=row.quote,
                     start=row.start, end=row.end, prefix=row.prefix, suffix=row.suffix, as_written=row.as_written)
            for row in rows]


async def _utf16(info: Info, source: str, offset: int) -> int:
    """Return code-point ``offset`` of article ``source`` in UTF-16 code units: each character beyond the
    Basic Multilingual Plane before it counts twice. The positions of those characters are computed once
    per article and snapshot."""
    snapshot = info.context.snapshot
    if f"astral:{source}" not in snapshot.memo:
        text = await info.context.loaders.text(source)
        snapshot.cached(f"astral:{source}", lambda: [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF])
    astral: list[int] = snapshot.cached(f"astral:{source}", list)
    return offset + bisect_left(astral, offset)
