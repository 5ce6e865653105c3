"""Which properties of a node a request's selection reads, so a description asks the engine for only those.

:func:`wanted` reads the fields a request selects on the nodes a resolver returns and maps each through
:data:`FIELDS` (GraphQL type -> field -> the predicates its resolver reads from the node's own description),
so that a person's ``{ id name }`` fetches one label rather than every outgoing triple. A field missing from
the table, on any type the nodes may be, means "the whole description": the table can only narrow what is
fetched for fields listed in it, and every other field reads the whole description. ``rdf:type`` is always
fetched, so that a node that exists is never mistaken for a missing one (every node of the graph has a type).

Only resolvers that hand the loaded nodes straight to GraphQL may narrow (``registry.load_selected``); code
that reads loaded nodes' properties itself (``Person.titles``, attribute versions) loads whole descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from kb.api import strawberry_compat
from kb.api.context import Info
from kb.vocab import DCTERMS, KB, ORG, PROV, RDF, RDFS, SDO, SKOS

Predicates = frozenset[str] | None
"""The predicates a description must hold, or None for all of them."""


def _p(*terms: Any) -> frozenset[str]:
    return frozenset(str(t) for t in terms)


NONE = _p()
_NODE = {"__typename": NONE, "id": NONE, "slug": NONE, "iri": NONE}
_EVIDENCED = {"evidence": _p(PROV.wasDerivedFrom), "sourceCount": _p(PROV.wasDerivedFrom),
              "sources": _p(PROV.wasDerivedFrom)}
_FACT = {**_NODE, **_EVIDENCED, "label": _p(RDFS.label), "certainty": _p(KB.certainty), "hedge": _p(KB.hedge),
         "note": _p(SKOS.note), "disputed": _p(KB.disputed), "disputes": NONE, "why": NONE, "links": NONE}
_AGENT_LISTS = {"roles": NONE, "meetings": NONE, "statements": NONE, "sanctions": NONE}

FIELDS: dict[str, dict[str, frozenset[str]]] = {
    "Person": {
        **_NODE, **_EVIDENCED, **_AGENT_LISTS, "name": _p(RDFS.label), "aliases": _p(SKOS.altLabel),
        "description": _p(SDO.description), "country": _p(KB.country), "met": NONE, "titles": NONE,
        "metWith": NONE, "attended": NONE,
    },
    "Organization": {
        **_NODE, **_EVIDENCED, **_AGENT_LISTS, "name": _p(RDFS.label), "aliases": _p(SKOS.altLabel),
        "kind": _p(ORG.classification), "country": _p(KB.country), "parent": _p(ORG.subOrganizationOf),
        "sanctionsImposed": NONE,
    },
    "Meeting": {
        **_FACT, "kind": _p(KB.kind), "status": _p(KB.status), "participants": _p(SDO.attendee),
        "place": _p(SDO.location), "date": _p(SDO.startDate), "endDate": _p(SDO.endDate),
        "duration": _p(KB.attributeStatement, SDO.duration),
        "characterization": _p(KB.attributeStatement, KB.characterization),
        "outcomes": _p(KB.attributeStatement), "occasion": _p(SDO.superEvent), "topics": _p(DCTERMS.subject),
        "statements": NONE,
    },
    "Source": {
        **_NODE, "headline": _p(DCTERMS.title), "publisher": _p(DCTERMS.publisher),
        "authors": _p(DCTERMS.creator), "published": _p(DCTERMS.date),
        "publishedBasis": _p(KB.publishedBasis), "dateline": _p(KB.dateline), "url": _p(SDO.url),
        "language": _p(DCTERMS.language), "file": _p(KB.file), "sha256": _p(KB.sha256),
        "text": NONE, "facts": NONE, "note": _p(SKOS.note), "basis": _p(KB.basis), "credits": NONE,
    },
}
"""GraphQL type -> field -> the predicates of the node's own description its resolver reads. Types and fields
not listed here are described whole."""

ALWAYS = _p(RDF.type)


def wanted(info: Info, kinds: Iterable[type], connection: bool) -> Predicates:
    """Return the predicates the nodes a resolver returns need for what the request selects on them, or None
    for whole descriptions. ``kinds`` are the Strawberry types the nodes may be; ``connection`` says the
    nodes sit in a connection (under ``nodes`` and ``edges { node }``) rather than being the field's value."""
    raw = strawberry_compat.raw_info(info)
    memo: dict[tuple[int, bool], set[str]] = info.context.memo
    key = (id(raw.field_nodes[0]), connection)  # one document per request: its nodes stay put
    names = memo.get(key)
    if names is None:
        sets = [node.selection_set for node in raw.field_nodes if node.selection_set is not None]
        if connection:
            edges = _below(sets, "edges", raw.fragments)
            sets = _below(edges, "node", raw.fragments) + _below(sets, "nodes", raw.fragments)
        names = set()
        for selection_set in sets:
            _collect(selection_set, raw.fragments, names)
        memo[key] = names
    needed = set(ALWAYS)
    for kind in set(kinds):
        table = FIELDS.get(kind.__name__)
        if table is None:
            return None
        for name in names:
            found = table.get(name)
            if found is None:
                return None
            needed |= found
    return frozenset(needed)


def _fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    """Return the fields of a selection set, with those of its inline fragments and fragment spreads."""
    found: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found.extend(_fields(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            found.extend(_fields(fragments[selection.name.value].selection_set, fragments))
    return found


def _below(sets: Sequence[SelectionSetNode], name: str,
           fragments: dict[str, FragmentDefinitionNode]) -> list[SelectionSetNode]:
    return [f.selection_set for s in sets for f in _fields(s, fragments)
            if f.name.value == name and f.selection_set is not None]


def _collect(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode],
             names: set[str]) -> None:
    names.update(f.name.value for f in _fields(selection_set, fragments))
