"""Lay out the network of who met whom: people (and organizations) joined to the meetings they attended.

The layout is igraph's Fruchterman–Reingold (1991) force-directed layout, in C (its grid variant from 1000
nodes on). It is deterministic: nodes start on a circle in id order and igraph's random numbers (it nudges
nodes that land on one point) come from a generator seeded afresh for every layout, so the same knowledge
base always draws the same picture. Past :data:`LIMIT` nodes the picture keeps the best connected part (see
:func:`select`); the page says so, and its table still lists every pair. The page template turns the result
into inline SVG.

Laying out costs a fraction of a second at a few hundred nodes, and igraph holds the GIL throughout: the
pages draw in a worker process (:mod:`kb.pages.pictures`), never on the event loop.
"""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import igraph  # type: ignore[import-untyped]  # igraph ships no type information

NodeKind = Literal["person", "organization", "meeting"]
LIMIT = 300
"""At most this many nodes in a page's picture: past a few hundred it is a tangle nobody can read."""
ITERATIONS = 500
"""igraph's own default: enough for a few hundred nodes to settle."""
LABEL_CHAR_WIDTH = 6.6
"""Average width of a label character at the picture's 12px font, to keep labels inside the box."""
_RNG_LOCK = threading.Lock()
"""igraph's random number generator is global to the process: one layout at a time seeds and uses it."""


@dataclass(frozen=True)
class Node:
    """One thing in the picture: what it is, its name, where it links to; ``x``/``y`` once laid out."""

    id: str
    kind: NodeKind
    label: str
    href: str
    x: float = 0.0
    y: float = 0.0
    label_left: bool = False
    """Whether its label goes to the left of the node: the side away from the meetings it is joined to."""


@dataclass(frozen=True)
class Edge:
    """A participant (``source``) attending a meeting (``target``), with both ends' coordinates once laid out."""

    source: str
    target: str
    x1: float = 0.0
    y1: float = 0.0
    x2: float = 0.0
    y2: float = 0.0


@dataclass(frozen=True)
class Picture:
    """A laid-out network: nodes and edges in a ``width`` x ``height`` box, and how much of the network it shows
    (:func:`select`): ``agents_total`` people and organizations, ``meetings_total`` meetings in all."""

    width: int
    height: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    agents_total: int = 0
    meetings_total: int = 0

    @property
    def agents(self) -> int:
        """How many people and organizations the picture shows."""
        return sum(1 for node in self.nodes if node.kind != "meeting")

    @property
    def meetings(self) -> int:
        """How many meetings the picture shows."""
        return sum(1 for node in self.nodes if node.kind == "meeting")

    @property
    def cut(self) -> bool:
        """Whether the picture leaves part of the network out (the page then says how much it shows)."""
        return self.agents < self.agents_total or self.meetings < self.meetings_total


def layout(ids: Sequence[str], edges: Sequence[tuple[str, str]],
           iterations: int = ITERATIONS) -> dict[str, tuple[float, float]]:
    """Return a position in the unit square [0, 1]² for each id. Raises KeyError for an edge to an unknown id."""
    n = len(ids)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(ids)}
    graph = igraph.Graph(n=n, edges=[(index[a], index[b]) for a, b in edges])
    start = [[math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)] for i in range(n)]
    with _RNG_LOCK:
        igraph.set_random_number_generator(random.Random(0))
        try:
            found = graph.layout_fruchterman_reingold(seed=start, niter=iterations, grid="auto")
        finally:
            igraph.set_random_number_generator(random)  # igraph's default: the random module itself
    return dict(zip(ids, _fit([(float(x), float(y)) for x, y in found.coords])))


def _fit(pos: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the positions rescaled so that together they fill the unit square (one alone: its centre)."""
    if len(pos) == 1:
        return [(0.5, 0.5)]
    xs, ys = [p[0] for p in pos], [p[1] for p in pos]
    left, top = min(xs), min(ys)
    span_x, span_y = max(xs) - left or 1.0, max(ys) - top or 1.0
    return [((x - left) / span_x, (y - top) / span_y) for x, y in pos]


def select(nodes: Sequence[Node], edges: Sequence[tuple[str, str]],
           limit: int) -> tuple[list[Node], list[tuple[str, str]]]:
    """Return at most ``limit`` of ``nodes`` and the edges between them: all of them when they fit, else the
    people and organizations with the most meetings and the meetings where two of them met.

    Participants join in order of their number of meetings (then id), bringing every meeting they share with
    one already in; the last to join brings as many of those as still fit. A meeting with one drawn participant
    tells nothing about who met whom, and a participant left without a meeting would float alone: neither is
    drawn. Edges go from a participant to a meeting, as :class:`Edge` says.
    """
    if len(nodes) <= limit:
        return list(nodes), list(edges)
    meeting_ids = {node.id for node in nodes if node.kind == "meeting"}
    attended: dict[str, list[str]] = defaultdict(list)
    present: dict[str, list[str]] = defaultdict(list)
    for agent, meeting in sorted(set(edges)):
        if meeting in meeting_ids and agent not in meeting_ids:
            attended[agent].append(meeting)
            present[meeting].append(agent)
    ranked = sorted(attended, key=lambda agent: (-len(attended[agent]), agent))

    def drawn(count: int) -> list[str]:
        # The meetings two of the first ``count`` participants were at, in the order they came in.
        chosen = set(ranked[:count])
        found: dict[str, None] = {}
        for agent in ranked[:count]:
            found.update((m, None) for m in attended[agent] if sum(a in chosen for a in present[m]) >= 2)
        return list(found)

    def size(meetings: list[str], chosen: set[str]) -> int:
        return len(meetings) + len({a for m in meetings for a in present[m] if a in chosen})

    low, high = 0, len(ranked)  # the most participants whose meetings fit: size grows with their number
    while low < high:
        middle = (low + high + 1) // 2
        if size(drawn(middle), set(ranked[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    kept, chosen = drawn(low), set(ranked[:low])
    wider = set(ranked[: low + 1])
    if low < len(ranked) and size(kept, wider) <= limit:  # the next one brings what still fits of its meetings
        chosen, known = wider, set(kept)
        for meeting in drawn(low + 1):
            if meeting not in known and size([*kept, meeting], chosen) <= limit:
                kept.append(meeting)
    kept_edges = [(a, m) for m in kept for a in present[m] if a in chosen]
    ids = set(kept) | {a for a, _ in kept_edges}
    return [node for node in nodes if node.id in ids], kept_edges


def draw(nodes: Sequence[Node], edges: Sequence[tuple[str, str]], width: int = 880, height: int = 520,
         margin: int = 90, limit: int | None = None) -> Picture:
    """Return the picture of ``nodes`` joined by ``edges`` (pairs of node ids), laid out to fit the box; with a
    ``limit``, of at most that many nodes (:func:`select`).

    Edges naming a node that is not drawn are left out, so a page can cap the number of nodes it shows.
    """
    agents_total = sum(1 for node in nodes if node.kind != "meeting")
    meetings_total = len(nodes) - agents_total
    if limit is not None:
        nodes, edges = select(nodes, edges, limit)
    ordered = sorted(nodes, key=lambda node: (node.kind, node.id))
    known = {node.id for node in ordered}
    kept = sorted({(a, b) for a, b in edges if a in known and b in known})
    unit = layout([node.id for node in ordered], kept)
    at = {
        node_id: (margin + x * (width - 2 * margin), margin * 0.5 + y * (height - margin))
        for node_id, (x, y) in unit.items()
    }
    pull: dict[str, list[float]] = {n.id: [] for n in ordered}
    for a, b in kept:
        pull[a].append(at[b][0] - at[a][0])
        pull[b].append(at[a][0] - at[b][0])
    placed = tuple(
        Node(n.id, n.kind, n.label, n.href, round(at[n.id][0], 1), round(at[n.id][1], 1),
             _label_left(n.label, at[n.id][0], pull[n.id], width))
        for n in ordered
    )
    lines = tuple(
        Edge(a, b, round(at[a][0], 1), round(at[a][1], 1), round(at[b][0], 1), round(at[b][1], 1)) for a, b in kept
    )
    return Picture(width, height, placed, lines, agents_total, meetings_total)


def _label_left(label: str, x: float, pull: list[float], width: int) -> bool:
    """Return whether a label goes left of its node: away from its edges, unless it would leave the box."""
    left = sum(pull) > 0 if pull else x > width / 2
    room = 12 + LABEL_CHAR_WIDTH * len(label)
    if left and x - room < 0:
        return False
    if not left and x + room > width:
        return True
    return left
