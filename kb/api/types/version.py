"""Version: one source's version of one attribute of a fact (a duration, a characterization, a title...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.node import Evidenced, Node
from kb.api.types.why import Why, why_of
from kb.vocab import ATTRIBUTES, KB

if TYPE_CHECKING:
    from kb.api.types.node import Fact
    from kb.api.types.unions import Agent

ATTRIBUTE_NAMES = {str(prop): name for name, prop in ATTRIBUTES.items()}
"""The property an attribute version gives -> the attribute's name (``schema:duration`` -> ``duration``)."""


@strawberry.type(description="One source's version of an attribute: its value, the article's words, who said "
                             "it, and the evidence. Two versions of one attribute make a dispute.")
class Version(Node, Evidenced):
    @strawberry.field(description="Which attribute: duration, characterization, outcome or title.")
    def attribute(self) -> str:
        return ATTRIBUTE_NAMES.get(self.props.text(KB.attribute) or "", "")

    @strawberry.field(description="The value (ISO 8601 for a duration); null when the article gives only "
                                  "words (\"for hours\").")
    def value(self) -> str | None:
        return self.props.text(self.props.text(KB.attribute) or KB.attribute)

    @strawberry.field(description="The article's words for the value, e.g. \"about 90 minutes\".")
    def as_written(self) -> str | None:
        return self.props.text(KB.asWritten)

    @strawberry.field(description="Who the article credits with this version.")
    async def said_by(self, info: Info) -> Annotated[Agent, strawberry.lazy("kb.api.types.unions")] | None:
        return await registry.load_node(info, self.props.text(KB.saidBy))

    @strawberry.field(description="True when another source gives another version of the same attribute.")
    def disputed(self) -> bool:
        return self.props.flag(KB.disputed)

    @strawberry.field(description="The fact this is a version of an attribute of.")
    async def fact(self, info: Info) -> Annotated[Fact, strawberry.lazy("kb.api.types.node")]:
        return await registry.load_required(  # type: ignore[no-any-return]
            info, self.props.iri.rsplit("/", 2)[0], f"version {self.props.iri} has no fact")

    @strawberry.field(description="Why the knowledge base holds this version: the words of its article, each "
                                  "span with its own wording (evidence.asWritten).")
    async def why(self, info: Info) -> list[Why]:
        return await why_of(info, self.props.iri)


@strawberry.type(description="A single-valued attribute of a fact with every source's version of it.")
class Attribute:
    agreed: strawberry.Private[str | None]
    version_list: strawberry.Private[list[Version]]

    @strawberry.field(description="The value every source agrees on; null when they disagree or give only "
                                  "words.")
    def value(self) -> str | None:
        return self.agreed

    @strawberry.field(description="True when sources give different versions (see versions).")
    def disputed(self) -> bool:
        return any(v.props.flag(KB.disputed) for v in self.version_list)

    @strawberry.field(description="Every source's version, each with its own evidence.")
    def versions(self) -> list[Version]:
        return self.version_list

    @strawberry.field(description="Why the fact has the agreed value (a rule reading every version); empty "
                                  "when sources disagree.")
    async def why(self, info: Info) -> list[Why]:
        if self.agreed is None or not self.version_list:
            return []
        first = self.version_list[0].props
        fact, predicate = first.iri.rsplit("/", 2)[0], first.text(KB.attribute)
        return await why_of(info, fact, predicate, self.agreed)


async def versions_of(info: Info, iris: list[str], attribute: str) -> list[Version]:
    """Return the versions among ``iris`` (a fact's attribute statements) that give ``attribute``."""
    wanted = str(ATTRIBUTES[attribute])
    nodes = await registry.load_present(info, iris)
    return [v for v in nodes if isinstance(v, Version) and v.props.text(KB.attribute) == wanted]


async def attribute_of(info: Info, iris: list[str], attribute: str, agreed: str | None) -> Attribute | None:
    """Return the attribute ``attribute`` of a fact with attribute statements ``iris`` (None without
    versions)."""
    found = await versions_of(info, iris, attribute)
    return Attribute(agreed=agreed, version_list=found) if found else None
