"""The who-met-whom layout: deterministic, inside its box, edges joined to their nodes."""

from __future__ import annotations

import math

from kb.pages.network import LABEL_CHAR_WIDTH, Node, draw, layout


def _nodes() -> list[Node]:
    people = [Node(p, "person", p.title(), f"/people/{p}") for p in ("wang", "blinken", "kerry", "xie", "li")]
    meetings = [Node(m, "meeting", m, f"/meetings/{m}") for m in ("jakarta", "beijing", "washington")]
    return people + meetings


EDGES = [("wang", "jakarta"), ("blinken", "jakarta"), ("wang", "beijing"), ("blinken", "beijing"),
         ("xie", "washington"), ("kerry", "washington")]


def test_draw_is_deterministic_whatever_the_input_order() -> None:
    assert draw(_nodes(), EDGES) == draw(list(reversed(_nodes())), list(reversed(EDGES)))


def test_draw_keeps_nodes_inside_the_box_and_edges_on_their_nodes() -> None:
    picture = draw(_nodes(), EDGES, width=600, height=400)
    at = {n.id: (n.x, n.y) for n in picture.nodes}
    assert all(0 < x < 600 and 0 < y < 400 for x, y in at.values())
    assert {(e.source, e.target) for e in picture.edges} == set(EDGES)
    for edge in picture.edges:
        assert (edge.x1, edge.y1) == at[edge.source] and (edge.x2, edge.y2) == at[edge.target]


def test_draw_leaves_out_edges_to_nodes_not_drawn() -> None:
    picture = draw([n for n in _nodes() if n.id != "washington"], EDGES)
    assert all("washington" not in (e.source, e.target) for e in picture.edges)


def test_layout_puts_joined_nodes_nearer_than_strangers() -> None:
    ids = [n.id for n in _nodes()]
    pos = layout(ids, EDGES)
    joined = [math.dist(pos[a], pos[b]) for a, b in EDGES]
    strangers = [math.dist(pos[a], pos[b]) for a in ids for b in ids if a < b and (a, b) not in EDGES
                 and (b, a) not in EDGES]
    assert sum(joined) / len(joined) < sum(strangers) / len(strangers)


def test_layout_of_one_node_is_the_centre() -> None:
    assert layout(["alone"], []) == {"alone": (0.5, 0.5)}


def test_draw_keeps_long_labels_inside_the_box() -> None:
    people = [Node(f"p{i}", "person", "Government of Vietnam", "/x") for i in range(6)]
    meeting = Node("m", "meeting", "m", "/m")
    picture = draw([*people, meeting], [(p.id, "m") for p in people], width=600, height=400)
    for node in picture.nodes:
        if node.kind != "meeting":
            room = 12 + LABEL_CHAR_WIDTH * len(node.label)
            assert (node.x - room >= 0) if node.label_left else (node.x + room <= 600)
