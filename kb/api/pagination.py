"""GitHub-style cursor connections: ``nodes``, ``edges { cursor node }``, ``pageInfo``, ``totalCount``.

Lists are ordered by a sort key that SPARQL computes (a string, so every engine orders it alike) and the
cursor carries the key of its item, so a page boundary stays put when items are added before it (keyset
paging). A top-level list asks the engine for ``first + 1`` rows past the cursor and counts only when
``totalCount`` is asked. So does a nested list (a person's meetings) asked of one parent; asked of many, it is
fetched for all of them in one query and cut into pages here (kb.api.loaders). Ranked lists (search) use
offsets in their cursors instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from kb.errors import QueryError, UserError
from kb.graph.query import literal

T = TypeVar("T")
KEY_PREFIX = "k:"
OFFSET_PREFIX = "o:"
_OFFSET = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


def encode_cursor(key: str) -> str:
    """Return the opaque cursor of an item whose sort key is ``key``."""
    return base64.urlsafe_b64encode((KEY_PREFIX + key).encode()).decode()


def encode_offset(offset: int) -> str:
    """Return the opaque cursor of the item at ``offset`` (0-based) of a ranked list."""
    return base64.urlsafe_b64encode(f"{OFFSET_PREFIX}{offset}".encode()).decode()


def _invalid(cursor: str) -> UserError:
    return UserError(f"invalid cursor {cursor[:40]!r}: pass an endCursor this list returned")


def _decode(cursor: str, prefix: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(prefix):
        raise _invalid(cursor)
    return text[len(prefix):]


def decode_cursor(cursor: str | None) -> str | None:
    """Return the sort key in a cursor (None for None). Raises UserError for a cursor this API did not
    make."""
    if cursor is None:
        return None
    key = _decode(cursor, KEY_PREFIX)
    try:
        literal(key)  # the key goes into query text: a forged one may hold what no literal may (backslash-u)
    except QueryError:
        raise _invalid(cursor) from None
    if "\x00" in key:  # ends a string literal early in Virtuoso (kb.api.limits.check_text)
        raise _invalid(cursor)
    return key


def decode_offset(cursor: str | None) -> int:
    """Return the offset just after a ranked list's cursor (0 for None). Raises UserError when malformed."""
    if cursor is None:
        return 0
    text = _decode(cursor, OFFSET_PREFIX)
    if not _OFFSET.fullmatch(text):  # also bounds int(): 5,000 digits would raise ValueError (a masked error)
        raise _invalid(cursor)
    return int(text) + 1


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow this page: ask again with after: endCursor.")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (it was asked with after).")
    start_cursor: str | None = strawberry.field(description="The cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last item: pass it as after.")


@strawberry.type(description="One item of a list and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item: pass it as after.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, GitHub style: nodes, or edges with cursors, and where the "
                             "page sits.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more items follow.")
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page (edges without cursors).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list has, across every page.")
    async def total_count(self) -> int:
        return await self.counter()


@dataclass(frozen=True)
class Window:
    """The items of one page, as sort keys (or offsets) with their items, and whether more follow."""

    keys: list[str]
    items: list[str]
    has_next: bool
    has_previous: bool


def window(ordered: Sequence[tuple[str, str]], first: int, after: str | None) -> Window:
    """Cut a page of ``first`` items after sort key ``after`` from ``(key, item)`` pairs in key order."""
    rest = [pair for pair in ordered if after is None or pair[0] > after]
    page = rest[:first]
    return Window([k for k, _ in page], [i for _, i in page], len(rest) > first, after is not None)


def connection(nodes: Sequence[T], cursors: Sequence[str], has_next: bool, has_previous: bool,
               counter: Callable[[], Awaitable[int]]) -> Connection[T]:
    """Return a connection of ``nodes`` (each with its cursor) and a way to count the whole list."""
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    info = PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                    start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None)
    return Connection(edges=edges, page_info=info, counter=counter)


def constant(value: int) -> Callable[[], Awaitable[int]]:
    """Return a counter that already knows the answer."""
    async def count() -> int:
        return value
    return count
