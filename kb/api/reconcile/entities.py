"""What the reconciliation service knows of each entity: read from one version's graph in one query.

The entities are kb's people, organizations, places and topics. Each has an id (its IRI after the base:
``person/antony-blinken``, so the manifest's identifierSpace plus an id is the entity's IRI), a name, aliases
(``skos:altLabel``), a description, the titles it was given as the articles word them (a person's roles), and the
entities it points to through the properties a query may constrain (:data:`PROPERTIES`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kb.graph.query import PROLOGUE, Backend

TYPES = {"person": "Person", "organization": "Organization", "place": "Place", "topic": "Topic"}
"""The first segment of an entity's id -> its type's id (the GraphQL type's name)."""


@dataclass(frozen=True)
class Property:
    """A property a reconciliation query may constrain: its id, name, what it says, and the types that have it."""

    id: str
    name: str
    description: str
    types: tuple[str, ...]


PROPERTIES = {p.id: p for p in (
    Property("country", "country", "the country a person, organization or place belongs to (kb:country): a place's "
             "id, name or alias", ("Person", "Organization", "Place")),
    Property("memberOf", "member of", "an organization a person holds an office in (org:memberOf): its id, name or "
             "alias", ("Person",)),
    Property("title", "title", "an office a person holds, as the articles word it (kb:titleAsWritten) or as kb "
             "names it (the office's label)", ("Person",)),
    Property("parent", "part of", "the organization an organization is part of (org:subOrganizationOf): its id, "
             "name or alias", ("Organization",)),
    Property("alias", "alias", "another name of the entity (skos:altLabel, or its name)",
             ("Person", "Organization", "Place", "Topic")),
)}
"""The properties kb exposes to reconciliation queries, by id."""

LINKS = ("country", "memberOf", "parent")
"""The properties whose values are other entities."""

READ = PROLOGUE + """
SELECT DISTINCT ?node ?field ?value WHERE {
  { ?node a ?class . VALUES ?class { schema:Person org:Organization schema:Place skos:Concept } BIND("a" AS ?field)
    BIND(?class AS ?value) }
  UNION { ?node rdfs:label ?value . FILTER NOT EXISTS { ?node a kb:Statement } BIND("name" AS ?field) }
  UNION { ?node skos:altLabel ?value . BIND("alias" AS ?field) }
  UNION { ?node schema:description|skos:definition ?value . BIND("description" AS ?field) }
  UNION { ?node kb:country ?value . BIND("country" AS ?field) }
  UNION { ?node org:memberOf ?value . BIND("memberOf" AS ?field) }
  UNION { ?node org:subOrganizationOf ?value . BIND("parent" AS ?field) }
  UNION { ?node org:classification|kb:kind ?value . BIND("kind" AS ?field) }
  UNION { ?role a org:Membership ; org:member ?node ; kb:titleAsWritten ?value . BIND("title" AS ?field) }
  UNION { ?node org:holds/rdfs:label ?value . BIND("title" AS ?field) }
}"""
"""Every fact an entity's matching or preview uses: ``?node``, ``?field`` and ``?value`` (IRIs for links)."""


@dataclass(frozen=True)
class Entity:
    """One entity that a query may be matched to."""

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    kind: str = ""
    titles: tuple[str, ...] = ()
    links: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    """Property id (:data:`LINKS`) -> the ids of the entities it points to."""

    @property
    def names(self) -> tuple[str, ...]:
        """Return the name, then the aliases."""
        return (self.name, *self.aliases)


def entities(base: str, rows: Iterable[tuple[str, str, str]]) -> list[Entity]:
    """Return the entities among the rows of :data:`READ` ``(node, field, value)``, IRIs under ``base``, ordered
    by id. A node of another kind (a meeting, an office) or without a name is left out."""
    facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node, name, value in rows:
        key = node[len(base):] if node.startswith(base) else ""
        if key.count("/") == 1 and key.split("/", 1)[0] in TYPES:
            facts[key][name].add(value[len(base):] if name in LINKS and value.startswith(base) else value)
    found = []
    for key, known in facts.items():
        names = sorted(known.get("name", ()))
        if not names or not known.get("a"):
            continue
        found.append(Entity(
            id=key, type=TYPES[key.split("/", 1)[0]], name=names[0],
            aliases=tuple(sorted((known.get("alias", set()) | set(names[1:])) - {names[0]})),
            description=min(known.get("description", {""}), key=len),
            kind=" ".join(sorted(_last_word(kind) for kind in known.get("kind", ()))),
            titles=tuple(sorted(known.get("title", ()))),
            links={name: tuple(sorted(known[name])) for name in LINKS if known.get(name)},
        ))
    return sorted(found, key=lambda entity: entity.id)


def _last_word(iri: str) -> str:
    """Return a controlled value's last segment as words: ``.../value#news_agency`` -> ``news agency``."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1].replace("_", " ").replace("-", " ")


def read(native: Any, base: str) -> list[Entity]:
    """Return the entities of the pyoxigraph store ``native``."""
    return entities(base, ((r["node"].value, r["field"].value, r["value"].value) for r in native.query(READ)))


async def read_from(backend: Backend, base: str) -> list[Entity]:
    """Return the entities as ``backend`` answers :data:`READ` (rdflib's engine)."""
    table = await backend.select(READ)
    return entities(base, ((r["node"].value, r["field"].value, r["value"].value) for r in table.rows))
