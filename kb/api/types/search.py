"""SearchHit and SearchConnection: the ranked results of search(text:), their passages and facets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from kb.api import strawberry_compat as compat
from kb.api.pagination import Connection
from kb.api.passages import Passage
from kb.api.search import Field
from kb.api.textindex import Facets, Hit
from kb.api.types.node import Node

# Registers kb.api.search.Field (pure, no GraphQL in it) as the GraphQL enum SearchField.
strawberry.enum(Field, name="SearchField", description="What a search hit matched, best first.")
compat.describe_values(Field, {
    "NAME": "The node's name.", "ALIAS": "One of its aliases.", "TITLE": "A title as an article words it.",
    "LABEL": "Its label (a topic, a meeting, a statement's summary).", "DESCRIPTION": "Its description.",
    "QUOTE": "A quote of its evidence.", "TEXT": "The text of an article.",
})


@strawberry.type(description="One word found in a hit's passage: text[start:end] in code points; JavaScript's "
                             "text.slice(utf16Start, utf16End).")
class Highlight:
    start: int = strawberry.field(description="Offset of the word's first character (code points).")
    end: int = strawberry.field(description="Offset just after its last character (exclusive).")
    utf16_start: int = strawberry.field(description="start in UTF-16 code units, for JavaScript strings.")
    utf16_end: int = strawberry.field(description="end in UTF-16 code units, for JavaScript strings.")


@strawberry.type(description="A node whose name, alias, title, label, description, quote or article text "
                             "holds every word searched for (exactly, as a prefix, or nearly).")
class SearchHit:
    node: Node = strawberry.field(description="What was found (a Person, Meeting, Statement...).")
    score: float = strawberry.field(description="Relevance, higher first; comparable within one search only.")
    kind: str = strawberry.field(description="What kind of node: person, organization, place, topic, meeting, "
                                             "role, statement, sanction, source or dispute.")
    field: Field = strawberry.field(description="Which of the node's texts the passage is.")
    text: str = strawberry.field(description="The passage: the whole text that matched, or for an article's "
                                             "text a window of it.")
    text_start: int = strawberry.field(description="Where the passage starts in the whole text (code points; "
                                                   "0 unless the passage is a window).")
    highlights: list[Highlight] = strawberry.field(description="The words found in the passage, in order.")
    match_start: int | None = strawberry.field(description="Where the first word found starts in text (code "
                                                           "points).")
    match_end: int | None = strawberry.field(description="Where it ends in text (exclusive).")


def hit_of(hit: Hit, node: Node) -> SearchHit:
    """Return the GraphQL hit of a ranked hit and its loaded node."""
    passage = hit.passage or Passage(hit.doc.texts[0][0] if hit.doc.texts else "label", hit.doc.title(), 0, ())
    marks = [Highlight(start=h.start, end=h.end, utf16_start=h.utf16_start, utf16_end=h.utf16_end)
             for h in passage.highlights]
    return SearchHit(node=node, score=hit.score, kind=hit.doc.kind, field=Field(passage.field), text=passage.text,
                     text_start=passage.offset, highlights=marks,
                     match_start=marks[0].start if marks else None, match_end=marks[0].end if marks else None)


@strawberry.type(description="How many hits there are of one kind, or involving one article or person.")
class FacetCount:
    id: strawberry.ID = strawberry.field(description="The kind (\"meeting\"), or the article's or person's id.")
    label: str = strawberry.field(description="What to call it: the kind, the headline, the name.")
    count: int = strawberry.field(description="How many hits.")


@strawberry.type(description="Counts of every hit of a search (not only this page).")
class SearchFacets:
    kinds: list[FacetCount] = strawberry.field(description="Hits by kind, most first.")
    sources: list[FacetCount] = strawberry.field(description="The ten articles behind the most hits.")
    people: list[FacetCount] = strawberry.field(description="The ten people involved in the most hits.")


def facets_of(found: Facets) -> SearchFacets:
    """Return the GraphQL facets of the index's counts."""
    def counts(name: str) -> list[FacetCount]:
        return [FacetCount(id=strawberry.ID(key), label=label, count=n) for key, label, n in found.get(name, [])]

    return SearchFacets(kinds=counts("kind"), sources=counts("source"), people=counts("person"))


@strawberry.type(name="SearchHitConnection",  # the name it had before it had facets: clients keep theirs
                 description="A page of search hits, best first, with facets over every hit.")
class SearchConnection(Connection[SearchHit]):
    facet_counter: strawberry.Private[Callable[[], Awaitable[Facets]]]

    @strawberry.field(description="Hits counted by kind, article and person (over every hit, not the page). "
                                  "Before the version's index is ready, only kinds are counted.")
    async def facets(self) -> SearchFacets:
        return facets_of(await self.facet_counter())
