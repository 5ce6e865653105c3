"""The who-met-whom picture: its layout (deterministic, inside its box, edges joined to their nodes), its cut to
the best connected part of a large network, and its drawing once per version, off the event loop, that no page
waits for."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import combinations
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from benchmarks import generate
from kb.api.context import make_context
from kb.config import Limits, Settings
from kb.graph.snapshot import Snapshot
from kb.load import pipeline
from kb.pages.handlers import Pages
from kb.pages.network import LABEL_CHAR_WIDTH, LIMIT, Node, Picture, draw, layout, select
from kb.pages.pictures import Pictures, draw_graph
from kb.pages.views import Graph
from kb.serve.app import create_app
from tests.apikit import Http, serve, snapshot
from tests.kbs import MINI
from tests.pages_support import PICTURE_PENDING, viewer_project, wait_for_picture


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


def _crowd(agents: int, meetings: int, seed: int = 3) -> tuple[list[Node], list[tuple[str, str]]]:
    """A network of ``agents`` people and ``meetings`` meetings of two or three of them, a few people at many."""
    rng = random.Random(seed)
    people = [Node(f"person/p{i:04d}", "person", f"P{i}", f"/people/p{i:04d}") for i in range(agents)]
    talks = [Node(f"meeting/m{i:04d}", "meeting", f"M{i}", f"/meetings/m{i:04d}") for i in range(meetings)]
    edges = set()
    for talk in talks:
        hubs = [people[rng.randrange(3)]] if rng.random() < 0.3 else []
        for person in hubs + rng.sample(people, rng.randint(1, 2)):
            edges.add((person.id, talk.id))
    return people + talks, sorted(edges)


def test_select_keeps_the_most_connected_and_what_shows_who_met_whom() -> None:
    nodes, edges = _crowd(300, 400)
    kept, kept_edges = select(nodes, edges, 120)
    ids = {n.id for n in kept}
    assert len(kept) <= 120 and set(kept_edges) <= set(edges)
    assert {x for edge in kept_edges for x in edge} == ids, "a drawn node without an edge"
    at = Counter(meeting for _, meeting in kept_edges)
    assert all(at[n.id] >= 2 for n in kept if n.kind == "meeting"), "a drawn meeting with one drawn participant"
    degree = Counter(agent for agent, _ in edges)
    assert {f"person/p{i:04d}" for i in range(3)} <= ids, "the hubs are drawn"
    drawn = [degree[n.id] for n in kept if n.kind == "person"]
    assert sum(drawn) / len(drawn) > sum(degree.values()) / len(degree)
    assert select(nodes[:50], [e for e in edges if e[0] in {n.id for n in nodes[:50]}], 120)[0] == nodes[:50]


def test_draw_with_a_limit_says_how_much_it_shows() -> None:
    nodes, edges = _crowd(300, 400)
    picture = draw(nodes, edges, limit=120)
    assert picture.cut and len(picture.nodes) <= 120
    assert (picture.agents_total, picture.meetings_total) == (300, 400)
    assert picture.agents + picture.meetings == len(picture.nodes)
    assert not draw(_nodes(), EDGES, limit=120).cut


def test_draw_of_a_large_network_is_deterministic_inside_the_box_and_never_stacks_nodes() -> None:
    nodes, edges = _crowd(150, 200)
    picture = draw(nodes, edges, width=600, height=400)
    assert picture == draw(list(reversed(nodes)), list(reversed(edges)), width=600, height=400)
    at = {n.id: (n.x, n.y) for n in picture.nodes}
    assert all(0 < x < 600 and 0 < y < 400 for x, y in at.values())
    assert len(set(at.values())) == len(at), "two nodes at one point"
    for edge in picture.edges:
        assert (edge.x1, edge.y1) == at[edge.source] and (edge.x2, edge.y2) == at[edge.target]


class Gate:
    """A drawing the test holds back: it counts its calls, says when one starts, and finishes once released."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.release = threading.Event()

    def draw(self, graph: Graph) -> Picture:
        with self.lock:
            self.calls += 1
        self.started.set()
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the drawing")
        return draw_graph(graph)


def pages_of(app: Starlette) -> Pages:
    """Return the page handlers an app routes to."""
    home = next(r for r in app.routes if isinstance(r, Route) and r.name == "pages-home")
    found = getattr(home.endpoint, "__self__", None)
    assert isinstance(found, Pages)
    return found


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Http, Pages, Gate]]:
    """The viewer fixture served, its pictures drawn in a thread by a :class:`Gate`."""
    app = create_app(Settings(root=viewer_project(tmp_path)))
    pages, gate = pages_of(app), Gate()
    pages.pictures = Pictures(pool=lambda: ThreadPoolExecutor(1), draw=gate.draw)
    pages.context_for = lambda snapshot: make_context(snapshot, Limits())
    try:
        with serve(app) as client:
            yield client, pages, gate
    finally:
        gate.release.set()
        pages.close()


def current(client: Http) -> Snapshot:
    found: Snapshot = client.app.state.served.current
    return found


def drawing_of(pages: Pages, snapshot: Snapshot) -> Future[Picture]:
    found = pages.pictures.started(snapshot)
    assert found is not None, "no drawing was started"
    return found


async def _at_once(client: Http, paths: list[str]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.client.get(path) for path in paths)))


def test_pages_never_wait_for_the_picture_and_requests_at_once_start_one_drawing(
        site: tuple[Http, Pages, Gate]) -> None:
    client, pages, gate = site
    answers = client.portal.call(_at_once, client, ["/network", "/"] * 4)
    assert [a.status_code for a in answers] == [200] * 8
    assert all(PICTURE_PENDING in a.text and "<svg" not in a.text for a in answers)
    assert "/meetings/blinken-wang-jakarta" in answers[0].text, "the table is there while the picture is not"
    assert "/sources/emoji-wire" in answers[1].text, "the home page is there while the picture is not"
    assert gate.started.wait(10) and gate.calls == 1
    gate.release.set()
    drawing_of(pages, current(client)).result(timeout=30)
    for path in ("/network", "/"):
        text = client.get(path).text
        assert "<svg" in text and PICTURE_PENDING not in text
    assert gate.calls == 1


def test_health_answers_while_the_picture_is_being_drawn(site: tuple[Http, Pages, Gate]) -> None:
    client, pages, gate = site
    assert PICTURE_PENDING in client.get("/network").text
    assert gate.started.wait(10)
    drawing = drawing_of(pages, current(client))
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert not drawing.done(), "/health waited for the drawing"
    gate.release.set()
    assert drawing.result(timeout=30).nodes


def test_a_new_version_gets_a_new_drawing(site: tuple[Http, Pages, Gate]) -> None:
    client, pages, gate = site
    gate.release.set()
    first = client.get("/network")
    old = current(client)
    drawing_of(pages, old).result(timeout=30)
    new = dataclasses.replace(snapshot(MINI, "oxigraph"), memo={})
    client.app.state.served.swap(new)
    second = client.get("/network")
    assert second.headers["x-kb-version"] == new.version != first.headers["x-kb-version"]
    assert drawing_of(pages, new).result(timeout=30) is not drawing_of(pages, old).result()
    assert gate.calls == 2


def test_warm_starts_the_drawing_before_a_page_asks(site: tuple[Http, Pages, Gate]) -> None:
    client, pages, gate = site
    drawing = client.portal.call(pages.warm, current(client))
    assert gate.started.wait(10) and gate.calls == 1
    assert PICTURE_PENDING in client.get("/").text
    assert client.portal.call(pages.warm, current(client)) is drawing
    gate.release.set()
    drawing.result(timeout=30)
    assert "<svg" in client.get("/").text and gate.calls == 1


def test_warm_needs_a_context_over_the_snapshot(site: tuple[Http, Pages, Gate]) -> None:
    client, pages, _ = site
    pages.context_for = None
    with pytest.raises(RuntimeError, match="context_for"):
        client.portal.call(pages.warm, current(client))


def draw_everything(graph: Graph) -> Picture:
    """Draw a whole network, however large (it runs in the worker process: module-level, so that it pickles)."""
    nodes, edges = graph
    return draw(nodes, edges)


def test_a_real_drawing_runs_in_a_worker_process_while_the_event_loop_turns() -> None:
    # igraph holds the GIL while it lays out: in a thread, the loop would not turn until the layout is done.
    nodes, edges = _crowd(700, 900)
    pictures = Pictures(draw=draw_everything)
    version = dataclasses.replace(snapshot(MINI, "oxigraph"), memo={})

    async def watch() -> tuple[int, float, float]:
        loop = asyncio.get_running_loop()
        drawing = pictures.start(version, lambda: (tuple(nodes), tuple(edges)))
        ticks, longest, begin = 0, 0.0, loop.time()
        last = begin
        while not drawing.done():
            await asyncio.sleep(0.005)
            now = loop.time()
            ticks, longest, last = ticks + 1, max(longest, now - last), now
        return ticks, longest, last - begin

    try:
        ticks, longest, total = asyncio.run(watch())
        picture = pictures.of(version, lambda: ((), ())).picture
    finally:
        pictures.close()
    assert picture is not None and len(picture.nodes) == len(nodes)
    assert ticks >= 20 and longest < total / 4, f"the loop stalled {longest:.3f} s of {total:.3f} ({ticks} turns)"


def test_a_large_knowledge_base_draws_its_best_connected_part_and_tabulates_every_pair(tmp_path: Path) -> None:
    generate.write(tmp_path, 1000)
    with serve(create_app(Settings(root=tmp_path))) as client:
        wait_for_picture(lambda path: client.get(path).text)
        text = client.get("/network").text
    kb = pipeline.load(tmp_path)
    pairs = {frozenset(pair) for m in kb.meetings.values() for pair in combinations(sorted(set(m.participants)), 2)}
    assert text.count("<tr><td>") == len(pairs)
    assert 0 < text.count('<g class="node ') <= LIMIT
    shown = re.search(r"Showing the (\d+) people and organizations with the most meetings \(of (\d+)\)", text)
    participants = {p for m in kb.meetings.values() for p in m.participants}
    assert shown and int(shown.group(1)) < int(shown.group(2)) == len(participants)
