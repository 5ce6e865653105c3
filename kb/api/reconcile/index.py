"""The reconciliation index of one version: every name and alias of every entity, folded, found by key, and the
prefix list that suggest searches. Built once a version (:func:`build`, in the store pool); never changes after.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.api.reconcile import names
from kb.api.reconcile.entities import Entity, read, read_from
from kb.graph.snapshot import Snapshot

KEY = "reconcile"
"""The key of a version's index in its snapshot's memo."""
CANDIDATES = 300
"""The most names one query is compared with (:meth:`Index.candidates`)."""
SCAN = 2000
"""The most prefix entries one suggest request looks at."""


@dataclass(frozen=True)
class Entry:
    """One name of one entity, as the matcher compares it."""

    entity: int
    tokens: tuple[str, ...]
    alias: bool

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


class Index:
    """The entities of one version and what finds them (see the module)."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = tuple(entities)
        self.by_id = {entity.id: n for n, entity in enumerate(self.entities)}
        self.entries: list[Entry] = []
        self.keys: dict[str, list[int]] = defaultdict(list)
        for n, entity in enumerate(self.entities):
            seen: set[tuple[str, ...]] = set()
            for position, name in enumerate(entity.names):
                tokens = names.words(name)
                if tokens and tokens not in seen:
                    seen.add(tokens)
                    self._add(Entry(n, tokens, position > 0))
        self.title_words = [frozenset(word for title in entity.titles for word in names.words(title)) - names.LINKING
                            for entity in self.entities]
        """Each entity's words of its titles (without linking words)."""
        self.titles = [tuple(names.words(title) for title in entity.titles) for entity in self.entities]
        self.vocabulary = frozenset().union(*self.title_words) if self.title_words else frozenset()
        """Every word of every title: the words a query may put before a name ("Foreign Minister Wang Yi")."""
        self.entry_types = [self.entities[entry.entity].type for entry in self.entries]
        self.texts = [entry.text for entry in self.entries]
        self.squashed = [names.squashed(entry.tokens) for entry in self.entries]
        """Each entry's words joined by spaces, and run together: what rapidfuzz compares."""
        self.starts = sorted((" ".join(entry.tokens[i:]), i, e) for e, entry in enumerate(self.entries)
                             for i in range(len(entry.tokens)))
        """Each name from each of its words on: a prefix finds its names by bisection."""

    def _add(self, entry: Entry) -> None:
        number = len(self.entries)
        self.entries.append(entry)
        for key in names.keys(entry.tokens):
            self.keys[key].append(number)

    def entity(self, entity_id: str) -> Entity | None:
        """Return the entity with this id (or this IRI's tail), or None."""
        found = self.by_id.get(entity_id)
        return None if found is None else self.entities[found]

    def name_of(self, entity_id: str) -> str:
        """Return the name of an entity an id points to, or the id when kb has no such entity."""
        found = self.entity(entity_id)
        return found.name if found is not None else entity_id

    def linked_names(self, entity: Entity, pid: str) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
        """Return the entities ``entity`` points to through ``pid`` (:data:`LINKS`): each id with its names
        folded (an id kb does not hold has none)."""
        found = []
        for target in entity.links.get(pid, ()):
            other = self.entity(target)
            found.append((target, tuple(names.words(name) for name in other.names) if other is not None else ()))
        return found

    def candidates(self, keys: Iterable[str], types: frozenset[str] = frozenset()) -> list[int]:
        """Return the entries any of ``keys`` finds (of an entity of ``types``, when given): at most
        :data:`CANDIDATES`, those found by the most keys first (in a large knowledge base, the first three letters
        of a common name find thousands of names; the ones that share more of the query's keys come first)."""
        hits: Counter[int] = Counter()
        for key in keys:
            hits.update(self.keys.get(key, ()))
        if types:
            for e in [e for e in hits if self.entry_types[e] not in types]:
                del hits[e]
        if len(hits) <= CANDIDATES:
            return list(hits)
        return [e for e, _ in hits.most_common(CANDIDATES)]

    def suggest(self, prefix: str, types: frozenset[str] = frozenset()) -> list[Entity]:
        """Return the entities a name or alias of which starts, at one of its words, with ``prefix`` (folded as
        names are), or whose id starts with it: those whose name starts with it first, then names before aliases,
        shorter before longer. ``types`` (type ids), when given, keeps only entities of those types."""
        folded = " ".join(names.words(prefix))
        best: dict[int, tuple[int, int, int, str]] = {}
        if folded:
            at = bisect.bisect_left(self.starts, (folded,))
            for text, position, e in self.starts[at:at + SCAN]:
                if not text.startswith(folded):
                    break
                entry = self.entries[e]
                rank = (min(position, 1), int(entry.alias), len(entry.tokens), entry.text)
                if entry.entity not in best or rank < best[entry.entity]:
                    best[entry.entity] = rank
        raw = prefix.strip()
        for n, entity in enumerate(self.entities):
            if raw and entity.id.startswith(raw) and n not in best:
                best[n] = (2, 0, 0, entity.id)
        ranked = sorted(best.items(), key=lambda item: (item[1], self.entities[item[0]].id))
        return [self.entities[n] for n, _ in ranked if not types or self.entities[n].type in types]


def build(snapshot: Snapshot) -> Index:
    """Return the index of ``snapshot``, whose store this process holds (Oxigraph read natively, rdflib's engine
    through its backend). Call it in the store pool (:func:`index_for`), never on an event loop."""
    native, base = snapshot.graph.native, snapshot.mint.base
    if native is not None:
        return Index(read(native, base))
    # rdflib's backend answers inline (no I/O to await): a loop of this pool thread's own runs it
    return Index(asyncio.run(read_from(snapshot.backend, base)))


def held(snapshot: Snapshot) -> bool:
    """Return whether this process holds ``snapshot``'s store, so that it can be indexed (a remote store is not:
    kb.serve.remote)."""
    return snapshot.graph.native is not None or snapshot.backend.name == "rdflib"


async def index_for(snapshot: Snapshot) -> Index:
    """Return ``snapshot``'s index, built once for the version in the store pool and shared by every request."""
    return await snapshot.computed(KEY, lambda: build(snapshot))
