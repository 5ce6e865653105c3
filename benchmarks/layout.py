"""The who-met-whom layout: seconds before (pure Python, on the event loop) and after (igraph, in a worker).

    python benchmarks/layout.py [--scales seed,1000,10000] [--before-up-to 2500] [--repeat 3]

For each knowledge base (this project's own, ``seed``; generated ones of N facts, benchmarks/run.py's
``dataset``) the network is read as the pages read it (their own GraphQL query, kb.pages.views.graph), then laid
out by:

- ``before``: the pure-Python Fruchterman–Reingold that ran inside the page handlers up to this change (300
  iterations over every pair of nodes), on the whole network; skipped above ``--before-up-to`` nodes;
- ``igraph``: kb.pages.network.layout (igraph's C Fruchterman–Reingold, 500 iterations, its grid variant from
  1000 nodes), on the whole network;
- ``networkx``: networkx.spring_layout (numpy/scipy Fruchterman–Reingold, 50 iterations), on the whole network,
  when networkx is importable (it is not a dependency of kb);
- ``pages``: kb.pages.network.draw with the pages' limit: the cut to 300 nodes, the layout and the labels
  (this is what the worker process runs);
- ``served``: the app itself (ASGI, in process): how long the first /network takes to answer (it shows a
  placeholder and never waits), how long until the picture is drawn in the worker process (spawning it
  included), and the slowest /health answer while it is drawn.

The fast layouts are run ``--repeat`` times and the fastest kept (the machine may be busy). Prints a table and
writes benchmarks/results_layout.json (a list of rows {scale, nodes, edges, metric, value, unit}). Asserts
nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import dataset  # imported after the path is set, as the other benchmarks do
from kb.api.context import make_context
from kb.api.schema import make_schema
from kb.config import Limits, Settings
from kb.pages.graphql import Runner
from kb.pages.handlers import MAX_PAGES, Pages
from kb.pages.network import LIMIT, draw, layout
from kb.pages.views import Graph, graph
from kb.serve import served
from kb.serve.app import create_app

RESULTS = ROOT / "benchmarks" / "results_layout.json"
PENDING = 'data-picture="pending"'
Row = dict[str, Any]


def before(ids: Sequence[str], edges: Sequence[tuple[str, str]], iterations: int = 300) -> dict[str, list[float]]:
    """The layout kb.pages.network had before igraph, as it was (positions before fitting to the box)."""
    n = len(ids)
    pos = [[0.5 + 0.4 * math.cos(2 * math.pi * i / n), 0.5 + 0.4 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    index = {node: i for i, node in enumerate(ids)}
    pairs = [(index[a], index[b]) for a, b in edges]
    k = 1.6 * math.sqrt(1.0 / n)
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
            shift[i][0] += (0.5 - pos[i][0]) * k
            shift[i][1] += (0.5 - pos[i][1]) * k
            length = max(math.hypot(*shift[i]), 1e-9)
            step = min(length, temperature)
            pos[i][0] += shift[i][0] / length * step
            pos[i][1] += shift[i][1] / length * step
        temperature = max(temperature * 0.98, 0.002)
    return {node: pos[i] for node, i in index.items()}


def spring(ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """networkx's spring layout, seeded; None when networkx is not installed."""
    try:
        import networkx
    except ImportError:
        return None
    found = networkx.Graph()
    found.add_nodes_from(ids)
    found.add_edges_from(edges)
    placed: dict[str, Any] = networkx.spring_layout(found, seed=0)
    return placed


def network(root: Path) -> tuple[str, Graph]:
    """Return the version of the knowledge base under ``root`` and its network, read as the pages read it."""
    snapshot = served.build(Settings(root=root))
    limits = Limits()

    async def context(request: Request, response: Any) -> Any:
        return make_context(snapshot, limits)

    request = Request({"type": "http", "method": "GET", "path": "/network", "headers": [], "query_string": b""})
    runner = Runner(make_schema(limits), context, request)
    _, meetings = asyncio.run(runner.pages("network", ("meetings",), MAX_PAGES))
    return snapshot.version, graph(meetings)


def timed(work: Callable[[], object], repeat: int = 1) -> float:
    """Return the fastest of ``repeat`` runs of ``work()``, in seconds: the machine may be busy with other work."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


async def serving(root: Path) -> dict[str, float]:
    """Serve ``root`` in process; return the first /network's seconds, the seconds until its picture is drawn
    and the slowest /health meanwhile."""
    app = create_app(Settings(root=root))
    home = next(r for r in app.routes if isinstance(r, Route) and r.name == "pages-home")
    pages: Pages = home.endpoint.__self__  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kb.bench", timeout=600) as client:
            start = time.perf_counter()
            first = await client.get("/network")
            answered = time.perf_counter() - start
            drawing = pages.pictures.started(app.state.served.current)
            assert drawing is not None and (PENDING in first.text) != drawing.done()
            slowest = 0.0
            while not drawing.done():
                asked = time.perf_counter()
                assert (await client.get("/health")).status_code == 200
                slowest = max(slowest, time.perf_counter() - asked)
                await asyncio.sleep(0.005)
            drawn = time.perf_counter() - start
            drawing.result()
    finally:
        pages.close()
    return {"first /network answer": answered, "picture drawn after": drawn, "slowest /health meanwhile": slowest}


def measure(scale: str, before_up_to: int, repeat: int) -> list[Row]:
    root = ROOT if scale == "seed" else dataset(int(scale))
    _, (nodes, edges) = network(root)
    ids = [node.id for node in sorted(nodes, key=lambda node: (node.kind, node.id))]
    size = {"scale": scale, "nodes": len(nodes), "edges": len(edges)}
    rows: list[Row] = []

    def add(metric: str, value: float | None, unit: str = "s") -> None:
        rows.append(size | {"metric": metric, "value": None if value is None else round(value, 4), "unit": unit})
        shown = "skipped" if value is None else f"{value:.4f} {unit}"
        print(f"{scale:>6} {len(nodes):>6} {len(edges):>6}  {metric:<44} {shown}", flush=True)

    add("before: pure Python, whole network", timed(lambda: before(ids, edges)) if len(ids) <= before_up_to else None)
    add("igraph: whole network", timed(lambda: layout(ids, edges), repeat))
    networkx = spring(ids, edges) is not None
    add("networkx spring_layout: whole network", timed(lambda: spring(ids, edges), repeat) if networkx else None)
    picture = draw(nodes, edges, limit=LIMIT)
    add(f"pages: cut to {LIMIT} nodes, laid out, labelled", timed(lambda: draw(nodes, edges, limit=LIMIT), repeat))
    add("pages: nodes drawn", len(picture.nodes), "nodes")
    for metric, value in asyncio.run(serving(root)).items():
        add(f"served: {metric}", value)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="seed,1000,10000", help="seed and/or numbers of generated facts")
    parser.add_argument("--before-up-to", type=int, default=2500,
                        help="run the old layout only up to this many nodes (it takes minutes at 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast layout; the fastest is kept")
    args = parser.parse_args()
    print(f"{'scale':>6} {'nodes':>6} {'edges':>6}  {'metric':<44} value", flush=True)
    rows = [row for scale in args.scales.split(",") for row in measure(scale, args.before_up_to, args.repeat)]
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n", "utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
