"""The interfaces every type builds on: Node (global id), Evidenced (the words behind it) and Fact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.props import Props
from kb.api.types import registry
from kb.api.types.enums import Certainty, from_term
from kb.api.types.evidence import Evidence, evidence_of
from kb.api.types.link import Link, links_of
from kb.api.types.why import Why, why_of
from kb.vocab import KB, PROV, RDFS, SKOS

if TYPE_CHECKING:
    from kb.api.types.dispute import Dispute
    from kb.api.types.source import Source


def _slug(root: Node) -> str:
    return root.props.iri.rsplit("/", 1)[-1]


def _iri(root: Node) -> str:
    return root.props.iri


def name_of(root: Node) -> str:
    """Resolve the curated name (``rdfs:label``) of a person, organization or place."""
    return root.props.text(RDFS.label) or ""


def aliases_of(root: Node) -> list[str]:
    """Resolve the other names the articles use (``skos:altLabel``) for a person, organization or place."""
    return root.props.texts(SKOS.altLabel)


@strawberry.interface(description="An object with a global id: fetch it again with node(id:).")
class Node:
    # id is a plain field, filled in by kb.api.types.registry when it makes the node: Strawberry reads it
    # without calling a resolver (a typical answer has dozens of ids). slug and iri are declared in line to
    # keep the schema's order.
    props: strawberry.Private[Props]
    id: strawberry.ID = strawberry.field(
        description="Global id: kind and curation id, e.g. \"person/wang-yi\". Stable across versions.")
    slug: str = strawberry.field(resolver=_slug,
                                 description="The curation id, e.g. \"wang-yi\" (unique across kinds).")
    iri: str = strawberry.field(resolver=_iri,
                                description="The IRI of this node in the RDF graph (SPARQL, exports).")


@strawberry.interface(description="Something the articles state: every span of text that states it.")
class Evidenced:
    props: strawberry.Private[Props]

    @strawberry.field(description="Every span of an article stating this, in article order.")
    async def evidence(self, info: Info) -> list[Evidence]:
        return await evidence_of(info, self.props.iris(PROV.wasDerivedFrom))

    @strawberry.field(description="How many different articles state this.")
    async def source_count(self, info: Info) -> int:
        return len(await _source_iris(info, self.props))

    @strawberry.field(description="The articles stating this, by id.")
    async def sources(self, info: Info) -> list[Annotated[Source, strawberry.lazy("kb.api.types.source")]]:
        return await registry.load_present(info, sorted(await _source_iris(info, self.props)), selected=True)


async def _source_iris(info: Info, props: Props) -> set[str]:
    rows = await info.context.loaders.evidence.load_many(props.iris(PROV.wasDerivedFrom))
    return {row.source for row in rows if row is not None}


@strawberry.interface(description="A fact the articles report (a meeting, role, statement or sanction).")
class Fact(Node, Evidenced):
    @strawberry.field(description="A short curator's label; never the evidence itself.")
    def label(self) -> str:
        return self.props.text(RDFS.label) or ""

    @strawberry.field(description="Whether the article states this plainly or hedges it.")
    def certainty(self) -> Certainty:
        return from_term(Certainty, self.props.one(KB.certainty)) or Certainty.STATED

    @strawberry.field(description="The article's hedging words, e.g. \"likely a reference to\".")
    def hedge(self) -> str | None:
        return self.props.text(KB.hedge)

    @strawberry.field(description="A curator's note.")
    def note(self) -> str | None:
        return self.props.text(SKOS.note)

    @strawberry.field(description="True when sources disagree on this fact or on one of its attributes "
                                  "(duration, characterization...); disputes lists each disagreement.")
    async def disputed(self, info: Info) -> bool:
        return self.props.flag(KB.disputed) or bool(await info.context.loaders.disputes.load(self.props.iri))

    @strawberry.field(description="Every disagreement this fact or one of its attributes is part of.")
    async def disputes(self, info: Info) -> list[Annotated[Dispute, strawberry.lazy("kb.api.types.dispute")]]:
        return await registry.load_present(info, await info.context.loaders.disputes.load(self.props.iri))

    @strawberry.field(description="Why the knowledge base holds this fact: the articles' words that state it "
                                  "(or the rule and premises that made it).")
    async def why(self, info: Info) -> list[Why]:
        return await why_of(info, self.props.iri)

    @strawberry.field(description="The attributes and links of this fact that have a reason of their own (a "
                                  "topic, a participant, the place, the date), each with its why.")
    async def links(self, info: Info) -> list[Link]:
        return await links_of(info, self.props.iri)
