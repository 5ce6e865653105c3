"""Why: the reason the graph gives for a fact, a version, a link or a derived relation (kb.graph.why).

A reason is one of four kinds: the article's words (``STATED``, with the evidence), a named rule applied to
other facts (``DERIVED``: the rule, and the premise facts, each with its own evidence), a curator's basis
(``CURATOR``: stated, inferred or supplied, with a note) or the vocabulary itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from kb.api.context import Info
from kb.api.types import registry
from kb.api.types.evidence import Evidence, evidence_of
from kb.graph.why import Reason
from kb.vocab import RDFS, VOCAB_IRI

if TYPE_CHECKING:
    from kb.api.types.node import Fact

RULE_PREFIX = "rule-"
FACT_KINDS = frozenset({"meeting", "role", "statement", "sanction"})
"""The kinds of node a premise may be shown as (a Fact); another premise (an office) is left out."""


@strawberry.enum(description="What kind of reason the graph gives for something it holds.")
class ReasonKind(Enum):
    STATED = strawberry.enum_value("stated", description="Spans of the articles state it (see evidence).")
    DERIVED = strawberry.enum_value("derived", description="A named rule made it from other facts (see rule "
                                                           "and premises).")
    CURATOR = strawberry.enum_value("curator", description="A curator supplied it, on a basis (see basis and "
                                                           "note).")
    VOCABULARY = strawberry.enum_value("vocabulary", description="It belongs to kb's vocabulary or the "
                                                                 "curators' topic scheme.")


@strawberry.enum(description="How a curator knows what no span of an article states.")
class Basis(Enum):
    STATED = strawberry.enum_value("stated", description="The article states it outside its text's spans "
                                                         "(a page's metadata).")
    INFERRED = strawberry.enum_value("inferred", description="Inferred from the text (a date from \"Thursday\" "
                                                             "and the dateline).")
    CURATOR = strawberry.enum_value("curator", description="Supplied by a curator from outside the articles.")


async def _rule_label(root: Rule, info: Info) -> str:
    props = await info.context.loaders.describe.load((root.iri, None))
    return props.text(RDFS.label) or root.name


async def _rule_comment(root: Rule, info: Info) -> str | None:
    props = await info.context.loaders.describe.load((root.iri, None))
    return props.text(RDFS.comment)


@strawberry.type(description="A rule kb applies to stated facts to derive others (\"met\": two people who took "
                             "part in one held meeting met).")
class Rule:
    name: str = strawberry.field(description="The rule's name, e.g. \"met\".")
    iri: str = strawberry.field(description="The rule's IRI in the RDF graph (kb:rule-met).")
    label: str = strawberry.field(resolver=_rule_label, description="What to call the rule.")
    comment: str | None = strawberry.field(resolver=_rule_comment, description="What the rule says, in words.")


@strawberry.type(description="One reason the graph gives for something it holds: the words of the articles, a "
                             "rule and its premises, or a curator's basis.")
class Why:
    reason: strawberry.Private[Reason]

    @strawberry.field(description="What kind of reason this is.")
    def kind(self) -> ReasonKind:
        return ReasonKind(self.reason.kind)

    @strawberry.field(description="The spans of the articles that state it, in article order (STATED).")
    async def evidence(self, info: Info) -> list[Evidence]:
        return await evidence_of(info, self.reason.evidence)

    @strawberry.field(description="The rule that made it (DERIVED).")
    def rule(self) -> Rule | None:
        found = self.reason.rule
        if found is None:
            return None
        name = found.removeprefix(VOCAB_IRI)
        return Rule(name=name.removeprefix(RULE_PREFIX), iri=found)

    @strawberry.field(description="The facts the rule read, each with its own evidence and why (DERIVED).")
    async def premises(self, info: Info) -> list[Annotated[Fact, strawberry.lazy("kb.api.types.node")]]:
        facts = [p for p in self.reason.premises if registry.key_of(info, p).split("/")[0] in FACT_KINDS]
        return await registry.load_present(info, facts)

    @strawberry.field(description="How the curator knows it (CURATOR).")
    def basis(self) -> Basis | None:
        return Basis(self.reason.basis) if self.reason.basis else None

    @strawberry.field(description="The curator's note on this reason.")
    def note(self) -> str | None:
        return self.reason.note


async def why_of(info: Info, subject: str, predicate: str | None = None, obj: str | None = None) -> list[Why]:
    """Return the reasons for ``(subject, predicate, obj)``, or for the node ``subject`` itself (batched
    across the request: :attr:`kb.api.loaders.Loaders.why`)."""
    return wrap(await info.context.loaders.why.load((subject, predicate, obj)))


def wrap(reasons: Sequence[Reason]) -> list[Why]:
    """Return the GraphQL objects of ``reasons``."""
    return [Why(reason=reason) for reason in reasons]
