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


@strawberry.type(description="The exact words of an article that state a fact: source.text[start:end] == quote "
                             "in code points; JavaScript's text.slice(utf16Start, utf16End) == quote.")
class Evidence:
    row: strawberry.Private[EvidenceRow]

    @strawberry.field(description="Global id of this evidence node.")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(registry.key_of(info, self.row.iri))

    @strawberry.field(description="The article the words are in.")
    async def source(self, info: Info) -> Annotated[Source, strawberry.lazy("kb.api.types.source")]:
        return await registry.load_required(  # type: ignore[no-any-return]
            info, self.row.source, f"evidence {self.row.iri} names a missing article", selected=True)

    @strawberry.field(description="The words, exactly as in the article.")
    def quote(self) -> str:
        return self.row.quote

    @strawberry.field(description="Offset of the first character, in Unicode code points (Python, W3C).")
    def start(self) -> int:
        return self.row.start

    @strawberry.field(description="Offset just after the last character, in code points (exclusive).")
    def end(self) -> int:
        return self.row.end

    @strawberry.field(description="start in UTF-16 code units, for JavaScript strings.")
    async def utf16_start(self, info: Info) -> int:
        return await _utf16(info, self.row.source, self.row.start)

    @strawberry.field(description="end in UTF-16 code units, for JavaScript strings.")
    async def utf16_end(self, info: Info) -> int:
        return await _utf16(info, self.row.source, self.row.end)

    @strawberry.field(description="Up to 32 characters before the quote (empty at the start of the article).")
    def prefix(self) -> str:
        return self.row.prefix

    @strawberry.field(description="Up to 32 characters after the quote (empty at the end of the article).")
    def suffix(self) -> str:
        return self.row.suffix


async def evidence_of(info: Info, iris: Sequence[str]) -> list[Evidence]:
    """Return the evidence nodes ``iris`` in article order (source, start, end)."""
    rows = [row for row in await info.context.loaders.evidence.load_many(list(iris)) if row is not None]
    rows.sort(key=lambda r: (r.source, r.start, r.end, r.quote))
    return [Evidence(row=row) for row in rows]


async def _utf16(info: Info, source: str, offset: int) -> int:
    """Return code-point ``offset`` of article ``source`` in UTF-16 code units: each character beyond the
    Basic Multilingual Plane before it counts twice. The positions of those characters are computed once
    per article and snapshot."""
    snapshot = info.context.snapshot
    if f"astral:{source}" not in snapshot.memo:
        from kb.api.types.source import text_of

        text = await text_of(info, source)
        snapshot.cached(f"astral:{source}", lambda: [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF])
    astral: list[int] = snapshot.cached(f"astral:{source}", list)
    return offset + bisect_left(astral, offset)
