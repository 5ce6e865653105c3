"""Which GraphQL type a node of the graph is, read from its IRI (docs/model.md): ``{base}person/{id}`` is a
Person, ``{base}meeting/{id}/duration/{n}`` a Version. Also turns the ids clients send into IRIs."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from kb.api import selection
from kb.api.context import Info
from kb.api.props import Props
from kb.errors import UserError
from kb.model.records import Id

# the first segment of a node's key -> "module:Type"
TYPES = {
    "person": "person:Person", "organization": "organization:Organization", "place": "place:Place",
    "topic": "topic:Topic", "meeting": "meeting:Meeting", "role": "role:Role",
    "statement": "statement:Statement", "sanction": "sanction:Sanction", "source": "source:Source",
    "dispute": "dispute:Dispute",
}
VERSION = "version:Version"
ATTRIBUTE_SEGMENTS = frozenset({"duration", "characterization", "outcome", "title"})
AGENTS = ("person", "organization")
_SEGMENT = TypeAdapter(Id)
"""What one segment of an id may be: the curation ids' own rule (kb.model.records), so a client's id and a
curator's cannot drift apart. Pydantic's check ends at the end of the text (``re``'s ``$`` would let a final
newline through) and refuses lone surrogates instead of failing on them."""


@cache
def _resolve(spec: str) -> Any:
    module, name = spec.split(":")
    return getattr(importlib.import_module(f"kb.api.types.{module}"), name)


def type_of(key: str) -> Any | None:
    """Return the Strawberry type of the node whose key (IRI after the base) is ``key``, or None."""
    parts = key.split("/")
    if len(parts) == 2 and parts[0] in TYPES or len(parts) == 3 and parts[0] == "dispute":
        return _resolve(TYPES[parts[0]])  # dispute/{fact}/{attribute}: the dispute between versions
    if len(parts) == 4 and parts[0] in TYPES and parts[2] in ATTRIBUTE_SEGMENTS:
        return _resolve(VERSION)
    return None


def key_of(info: Info, iri: str) -> str:
    """Return what follows the base IRI in ``iri`` (the node's global id), or ``""`` for a foreign IRI."""
    base = info.context.snapshot.mint.base
    return iri[len(base):] if iri.startswith(base) else ""


async def load_nodes(info: Info, iris: Sequence[str], *, selected: bool = False,
                     connection: bool = False) -> list[Any | None]:
    """Return the typed node of each IRI (batched), None where the graph has no such node or no type fits.

    With ``selected``, the descriptions hold only what the request selects on the nodes (kb.api.selection):
    for resolvers that return the nodes as the field's value (``connection``: as the nodes of a connection),
    never for code that reads the nodes' properties itself."""
    kinds = [type_of(key_of(info, iri)) for iri in iris]
    present = [k for k in kinds if k is not None]
    predicates = selection.wanted(info, present, connection) if selected and present else None
    props = await info.context.loaders.describe.load_many(
        [(i, predicates) for i, k in zip(iris, kinds, strict=True) if k is not None])
    found = iter(props)
    nodes: list[Any | None] = []
    for kind in kinds:
        if kind is None:
            nodes.append(None)
            continue
        node_props = next(found)
        nodes.append(kind(props=node_props, id=key_of(info, node_props.iri)) if node_props else None)
    return nodes


async def load_listed(info: Info, iris: Sequence[str]) -> list[Any | None]:
    """Return the typed nodes of a connection's page, described as far as the request selects on them."""
    return await load_nodes(info, iris, selected=True, connection=True)


async def load_present(info: Info, iris: Sequence[str], *, selected: bool = False) -> list[Any]:
    """Return the typed nodes of the IRIs that have one, in order."""
    return [node for node in await load_nodes(info, iris, selected=selected) if node is not None]


async def load_node(info: Info, iri: str | None, *, selected: bool = False) -> Any | None:
    """Return the typed node of one IRI, or None."""
    return None if iri is None else (await load_nodes(info, [iri], selected=selected))[0]


async def load_required(info: Info, iri: str | None, missing: str, *, selected: bool = False) -> Any:
    """Return the typed node of an IRI the graph's shapes guarantee; ``missing`` says what broke if it is
    absent.

    With ``selected``, when the request selects nothing but the node's ids (``source { id }``), nothing is
    fetched: the node is guaranteed and its ids are read from its IRI."""
    kind = type_of(key_of(info, iri)) if iri is not None else None
    if selected and kind is not None and selection.wanted(info, [kind], False) == selection.ALWAYS:
        return kind(props=Props(iri), id=key_of(info, iri))  # type: ignore[arg-type]  # iri is set when kind is
    node = await load_node(info, iri, selected=selected)
    assert node is not None, missing
    return node


def segments(identifier: str) -> list[str]:
    """Return the ``/``-separated segments of an id sent by a client. Raises UserError for a malformed id: one
    whose segments are not all made of what curation ids allow (lower-case letters, digits and hyphens, not
    starting with a hyphen, 1 to 120 characters), which could name nothing and must never reach a query."""
    parts = identifier.split("/")
    for part in parts:
        try:
            _SEGMENT.validate_python(part)
        except ValidationError:
            shown = identifier if len(identifier) <= 60 else identifier[:60] + "…"
            raise UserError(f"malformed id {shown!r}: ids are lower-case letters, digits and hyphens, such as "
                            "\"wang-yi\" or \"person/wang-yi\"") from None
    return parts


def iris_for(info: Info, identifier: str, kinds: Iterable[str]) -> list[str]:
    """Return the IRIs an id sent by a client may name among ``kinds`` (``person``, ``organization``...).

    The id is a curation id (``wang-yi``) or a global id (``person/wang-yi``); ids are unique across kinds,
    so the candidates never name two nodes. A well-formed id of another kind names nothing. Raises UserError
    for a malformed id (:func:`segments`).
    """
    base, wanted = info.context.snapshot.mint.base, tuple(kinds)
    parts = segments(identifier)
    kind, slugs = (parts[0], parts[1:]) if len(parts) > 1 else ("", parts)
    if kind and kind not in wanted or len(slugs) > (2 if kind == "dispute" else 1):
        return []
    rest = "/".join(slugs)
    return [f"{base}{k}/{rest}" for k in ((kind,) if kind else wanted)]
