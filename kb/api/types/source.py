"""Source: one article, its metadata, its full text, and every fact it supports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api import lists
from kb.api.context import Info
from kb.api.pagination import Connection
from kb.api.types import args, registry
from kb.api.types.date import DateValue, date_value
from kb.api.types.enums import DateBasis, from_term
from kb.api.types.link import Link, links_of
from kb.api.types.node import Node
from kb.api.types.why import Basis
from kb.vocab import DCTERMS, KB, SDO, SKOS

if TYPE_CHECKING:
    from kb.api.types.node import Fact


@strawberry.type(description="A news article: what it says about itself, its exact text, and the facts it "
                             "supports.")
class Source(Node):
    @strawberry.field(description="The headline.")
    def headline(self) -> str:
        return self.props.text(DCTERMS.title) or ""

    @strawberry.field(description="Who published it.")
    def publisher(self) -> str:
        return self.props.text(DCTERMS.publisher) or ""

    @strawberry.field(description="The authors, as bylined.")
    def authors(self) -> list[str]:
        return self.props.texts(DCTERMS.creator)

    @strawberry.field(description="When it was published.")
    def published(self) -> DateValue | None:
        return date_value(self.props, DCTERMS.date, None)

    @strawberry.field(description="Whether the publication date is printed or inferred from the text.")
    def published_basis(self) -> DateBasis | None:
        return from_term(DateBasis, self.props.one(KB.publishedBasis))

    @strawberry.field(description="The dateline, as written.")
    def dateline(self) -> str | None:
        return self.props.text(KB.dateline)

    @strawberry.field(description="Where it was published online.")
    def url(self) -> str | None:
        return self.props.text(SDO.url)

    @strawberry.field(description="Its language (ISO 639-1).")
    def language(self) -> str | None:
        return self.props.text(DCTERMS.language)

    @strawberry.field(description="Its file name under seeds/.")
    def file(self) -> str:
        return self.props.text(KB.file) or ""

    @strawberry.field(description="sha256 of its bytes (hex).")
    def sha256(self) -> str:
        return self.props.text(KB.sha256) or ""

    @strawberry.field(description="A curator's note on the article (how its metadata was found, what to mind).")
    def note(self) -> str | None:
        return self.props.text(SKOS.note)

    @strawberry.field(description="How the curator knows the article's metadata, where no span of its text "
                                  "states it; null when its text states it.")
    def basis(self) -> Basis | None:
        return from_term(Basis, self.props.one(KB.basis))

    @strawberry.field(description="How each author, the publisher, the date, the dateline and the URL are "
                                  "known: each with its why (the byline's words, or a curator's basis and "
                                  "note).")
    async def credits(self, info: Info) -> list[Link]:
        return await links_of(info, self.props.iri)

    @strawberry.field(description="The full text, exactly as stored: every evidence offset counts in it.")
    async def text(self, info: Info) -> str:
        return await info.context.loaders.text(self.props.iri)

    @strawberry.field(description="Every fact this article supports (directly or through one version of an "
                                  "attribute), in reading order.")
    async def facts(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Annotated[Fact, strawberry.lazy("kb.api.types.node")]]:
        pattern = lists.facts_of_source()
        return await lists.child_page(info, pattern, self.props.iri, first, after, registry.load_listed)
