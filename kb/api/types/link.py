"""Link: one attribute or link of a fact (a topic, a participant, the place, an article's author) that has a
reason of its own: its own spans of the articles, or a curator's basis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.loaders import LinkRow
from kb.api.types import registry
from kb.api.types.enums import Certainty, from_term
from kb.api.types.why import Why, why_of
from kb.graph.query import Term

if TYPE_CHECKING:
    from kb.api.types.node import Node


@strawberry.type(description="One attribute or link of a fact or an article with a reason of its own: e.g. "
                             "the topic \"Taiwan\" of a statement, with the words that name it.")
class Link:
    row: strawberry.Private[LinkRow]

    @strawberry.field(description="Which attribute or link: topic, participant, place, date, author, "
                                  "publisher...")
    def attribute(self) -> str:
        return attribute_of(self.row.iri)

    @strawberry.field(description="The property it gives in the RDF graph (an IRI).")
    def predicate(self) -> str:
        return self.row.predicate

    @strawberry.field(description="Its value: a node's IRI, or the text or date itself.")
    def value(self) -> str:
        return self.row.object.value

    @strawberry.field(description="The node it links to (a person, a topic, a place), when it is one.")
    async def node(self, info: Info) -> Annotated[Node, strawberry.lazy("kb.api.types.node")] | None:
        return await registry.load_node(info, self.row.object.value if self.row.object.is_iri else None,
                                        selected=True)

    @strawberry.field(description="Whether the article states this link plainly or hedges it; null when the "
                                  "fact's own certainty holds.")
    def certainty(self) -> Certainty | None:
        return from_term(Certainty, Term(self.row.certainty, "uri")) if self.row.certainty else None

    @strawberry.field(description="The article's hedging words for this link.")
    def hedge(self) -> str | None:
        return self.row.hedge

    @strawberry.field(description="Why the knowledge base holds it: its own spans, or a curator's basis.")
    async def why(self, info: Info) -> list[Why]:
        return await why_of(info, self.row.iri)


def attribute_of(link: str) -> str:
    """Return the attribute a link node backs, read from its IRI ``{fact}/link/{attribute}/{n}``."""
    parts = link.rsplit("/", 3)
    return parts[-2] if len(parts) == 4 and parts[-3] == "link" else ""


async def links_of(info: Info, subject: str, *attributes: str) -> list[Link]:
    """Return the links of the fact or article ``subject`` (of ``attributes`` only, when given), batched across
    the request."""
    rows = await info.context.loaders.links.load(subject)
    return [Link(row=row) for row in rows if not attributes or attribute_of(row.iri) in attributes]
