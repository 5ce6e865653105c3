"""An edit as a change to the graph: the quads to remove and to add, so a live store is patched, not rebuilt.

Building the graph of a large knowledge base and loading it into Oxigraph is slow (docs/performance.md); an
edit to one curation file changes a few hundred quads. :func:`compute` finds the records whose contribution
may differ between two validated versions (:func:`affected`), builds just those records of both versions
(:func:`kb.graph.builder.partial`) and compares:

- a record's *own* quads (its node, versions, time nodes and evidence, in the default graph and in the named
  graph of each article it cites) belong to it alone: removed and added as they differ;
- *shared* lines (truthy triples such as ``kb:met``, and offices) can come from several records: the store's
  count of makers per line (kept since the full build) goes down and up, and a line leaves the graph when no
  record makes it any more.

:func:`affected` returns None when only a full build is safe: an article changed (evidence context comes from
its text), a source changed, or an id changed kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kb.graph import builder as graph
from kb.graph.native import patch_store
from kb.graph.ntriples import Line, LineKey, line_key
from kb.graph.reasons import CONTRADICTING
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import KINDS

Quad = tuple[Line, str | None]


@dataclass(frozen=True)
class Delta:
    """The difference between the graphs of two versions, and the shared-line counts of the new one."""

    remove: list[Quad]
    add: list[Quad]
    shared: Counter[LineKey]
    records: int
    """How many records were rebuilt."""

    @cached_property
    def remove_nquads(self) -> bytes:
        """The quads to remove, as N-Quads."""
        return nquads(self.remove)

    @cached_property
    def add_nquads(self) -> bytes:
        """The quads to add, as N-Quads."""
        return nquads(self.add)

    @property
    def triples(self) -> int:
        """The change in the number of default-graph triples."""
        return sum(g is None for _, g in self.add) - sum(g is None for _, g in self.remove)


def changed(old: KnowledgeBase, new: KnowledgeBase) -> set[str]:
    """Return the ids of records added, removed or different between ``old`` and ``new``.

    Records of files that did not change are the very same objects (kb.load.incremental shares them), so most
    comparisons are one identity test.
    """
    ids: set[str] = set()
    for kind in KINDS:
        before, after = old.of(kind), new.of(kind)
        for rid in before.keys() | after.keys():
            a, b = before.get(rid), after.get(rid)
            if a is not b and a != b:
                ids.add(rid)
    return ids


def affected(old: KnowledgeBase, new: KnowledgeBase) -> set[str] | None:
    """Return the ids of every record whose contribution to the graph may differ, or None when a full build
    is needed (an article or a source changed, or an id changed kind)."""
    if old.articles.keys() != new.articles.keys() or any(
            old.articles[s].sha256 != new.articles[s].sha256 for s in old.articles):
        return None
    ids = changed(old, new)
    if any(old.kinds.get(rid) != new.kinds.get(rid) and rid in old.kinds and rid in new.kinds for rid in ids):
        return None
    if any((old.kinds.get(rid) or new.kinds.get(rid)) == "sources" for rid in ids):
        return None
    # A role's label carries its holder's name.
    for kb in (old, new):
        ids |= {rid for rid, role in kb.roles.items() if role.holder in ids}
    # A declined or cancelled meeting between two people takes kb:met from the held meetings it contradicts
    # (kb.graph.reasons: kb:rule-met).
    ids |= _contradicted(old, new, ids)
    # A dispute sets the disputed flag of its facts, and their truthy triples are what the whole group agrees
    # on.
    disputes = [d for kb in (old, new) for d in kb.disputes.values()]
    grown = True
    while grown:  # a fact added here may be in another dispute too
        grown = False
        for dispute in disputes:
            group = [dispute.id, *dispute.facts]
            if (dispute.id in ids or ids.intersection(dispute.facts)) and not ids.issuperset(group):
                ids |= {dispute.id, *dispute.facts}
                grown = True
    return ids


def _contradicted(old: KnowledgeBase, new: KnowledgeBase, ids: set[str]) -> set[str]:
    """Return the meetings of ``old`` or ``new`` that list two people whom a changed declined or cancelled
    meeting lists too."""
    pairs: set[frozenset[str]] = set()
    for kb in (old, new):
        for rid in ids:
            meeting = kb.meetings.get(rid)
            if meeting is not None and meeting.status in CONTRADICTING:
                people = sorted(p for p in meeting.participants if kb.kinds.get(p) == "people")
                pairs |= {frozenset((a, b)) for i, a in enumerate(people) for b in people[i + 1:]}
    if not pairs:
        return set()
    found: set[str] = set()
    for kb in (old, new):
        for rid, meeting in kb.meetings.items():
            listed = set(meeting.participants)
            if any(pair <= listed for pair in pairs):
                found.add(rid)
    return found


def compute(old: KnowledgeBase, new: KnowledgeBase, base_iri: str, shared: Counter[LineKey]) -> Delta | None:
    """Return the change from the graph of ``old`` (whose shared-line counts are ``shared``) to that of
    ``new``, or None when only a full build is safe. ``shared`` is left as it was. Raises CurationError as
    :func:`kb.graph.builder.build` does."""
    ids = affected(old, new)
    if ids is None:
        return None
    before, after = graph.partial(old, base_iri, ids), graph.partial(new, base_iri, ids)
    remove, add = before.own - after.own, after.own - before.own
    keys = {line: line_key(line) for line in before.shared.keys() | after.shared.keys()}
    counts = shared.copy()
    counts.subtract({keys[line]: n for line, n in before.shared.items()})
    counts.update({keys[line]: n for line, n in after.shared.items()})
    for line, key in keys.items():
        was, now = shared.get(key, 0) > 0, counts.get(key, 0) > 0
        if was and not now:
            remove.add((line, None))
        elif now and not was:
            add.add((line, None))
        if counts.get(key, 0) <= 0:
            counts.pop(key, None)
    return Delta(sorted(remove, key=_order), sorted(add, key=_order), counts, len(ids))


def _order(quad: Quad) -> tuple[bytes, str]:
    return quad[0], quad[1] or ""


def nquads(quads: Iterable[Quad]) -> bytes:
    """Return quads as N-Quads."""
    return b"".join(line + (b" .\n" if g is None else f" <{g}> .\n".encode()) for line, g in quads)


def apply(native: Any, delta: Delta) -> None:
    """Remove and add ``delta``'s quads in the pyoxigraph store ``native``.

    Not atomic for readers: the caller keeps requests out while it runs (:class:`kb.serve.served.Served`).
    """
    patch_store(native, delta.remove_nquads, delta.add_nquads)
