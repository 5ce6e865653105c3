"""SearchHit: one ranked result of search(text:)."""

from __future__ import annotations

import strawberry

from kb.api.search import Field
from kb.api.types.node import Node

# Registers kb.api.search.Field (pure, no GraphQL in it) as the GraphQL enum SearchField.
strawberry.enum(Field, name="SearchField", description="What a search hit matched, best first.")


@strawberry.type(description="A node whose name, alias, title, label or quote contains the search text.")
class SearchHit:
    node: Node = strawberry.field(description="What was found (a Person, Meeting, Statement...).")
    score: float = strawberry.field(description="Relevance from 0 to 1: what matched (name > alias > title "
                                                "> label > quote) times how (whole text > start > word > "
                                                "inside).")
    field: Field = strawberry.field(description="What matched.")
    text: str = strawberry.field(description="The text that matched.")
    match_start: int | None = strawberry.field(
        description="Where the search text starts in text (code points).")
    match_end: int | None = strawberry.field(description="Where it ends in text (exclusive).")
