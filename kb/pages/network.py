"""Lay out the network of who met whom: people (and organizations) joined to the meetings they attended.

A small, deterministic force-directed layout (Fruchterman and Reingold 1991, with a pull towards the centre so
that separate groups stay on the page). No randomness: nodes start on a circle in id order, so the same
knowledge base always draws the same picture. The page template turns the result into inline SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

NodeKind = Literal["person", "organization", "meeting"]
SPREAD = 1.6
"""Ideal edge length relative to sqrt(area / nodes): above 1 leaves room for the labels."""
LABEL_CHAR_WIDTH = 6.6
"""Average width of a label character at the picture's 12px font, to keep labels inside the box."""
GRAVITY = 1.0
"""Pull towards the centre, relative to the ideal edge length: keeps separate groups near each other."""


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
    """A laid-out network: nodes and edges in a ``width`` x ``height`` box."""

    width: int
    height: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def layout(ids: Sequence[str], edges: Sequence[tuple[str, str]], iterations: int = 300) -> dict[str, tuple[float, float]]:
    """Return a position in the unit square [0, 1]² for each id. Raises KeyError for an edge to an unknown id."""
    n = len(ids)
    if n == 0:
        return {}
    pos = [[0.5 + 0.4 * math.cos(2 * math.pi * i / n), 0.5 + 0.4 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    index = {node: i for i, node in enumerate(ids)}
    pairs = [(index[a], index[b]) for a, b in edges]
    k = SPREAD * math.sqrt(1.0 / n)
    temperature = 0.1
    for _ in range(iterations):
        shift = [[0.0, 0.0] for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                dist = max(math.hypot(dx, dy), 1e-4)
                push = k * k / dist
                shift[i][0] += dx / dist * push
                shift[i][1] += dy / dist * push
                shift[j][0] -= dx / dist * push
                shift[j][1] -= dy / dist * push
        for i, j in pairs:
            dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
            dist = max(math.hypot(dx, dy), 1e-4)
            pull = dist * dist / k
            shift[i][0] -= dx / dist * pull
            shift[i][1] -= dy / dist * pull
            shift[j][0] += dx / dist * pull
            shift[j][1] += dy / dist * pull
        for i in range(n):
            shift[i][0] += (0.5 - pos[i][0]) * k * GRAVITY
            shift[i][1] += (0.5 - pos[i][1]) * k * GRAVITY
            length = max(math.hypot(*shift[i]), 1e-9)
            step = min(length, temperature)
            pos[i][0] += shift[i][0] / length * step
            pos[i][1] += shift[i][1] / length * step
        temperature = max(temperature * 0.98, 0.002)
    return {node: _fit(pos, i) for node, i in index.items()}


def _fit(pos: list[list[float]], i: int) -> tuple[float, float]:
    """Return node ``i`` rescaled so that all nodes fill the unit square."""
    xs, ys = [p[0] for p in pos], [p[1] for p in pos]
    span_x, span_y = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
    x = (pos[i][0] - min(xs)) / span_x if len(pos) > 1 else 0.5
    y = (pos[i][1] - min(ys)) / span_y if len(pos) > 1 else 0.5
    return x, y


def draw(nodes: Sequence[Node], edges: Sequence[tuple[str, str]], width: int = 880, height: int = 520,
         margin: int = 90) -> Picture:
    """Return the picture of ``nodes`` joined by ``edges`` (pairs of node ids), laid out to fit the box.

    Edges naming a node that is not drawn are left out, so a page can cap the number of nodes it shows.
    """
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
    return Picture(width, height, placed, lines)


def _label_left(label: str, x: float, pull: list[float], width: int) -> bool:
    """Return whether a label goes left of its node: away from its edges, unless it would leave the box."""
    left = sum(pull) > 0 if pull else x > width / 2
    room = 12 + LABEL_CHAR_WIDTH * len(label)
    if left and x - room < 0:
        return False
    if not left and x + room > width:
        return True
    return left
