"""In-process latency: kb's GraphQL through its ASGI app (no network), and pyoxigraph's own query time.

    python benchmarks/inprocess.py DIR [--seconds 5] [--max 300] [--store disk --cache CACHE]

Prints JSON: p50/p99 milliseconds of the typical and the hub question (benchmarks/questions.py) through the
real app (httpx's ASGI transport: routing, middleware, GraphQL validation, resolvers, DataLoaders,
serialisation), and of the one SPARQL query that gives the same answer run straight on the pyoxigraph Store
(the floor no API over this store can beat). Each is repeated until ``--seconds`` or ``--max`` runs.

``typical_varied`` asks the typical question about a different one of 100 people around the median each
time, so nothing one request fetched or converted (kb.graph.query's term cache) is there for the next one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import questions

COUNTER = itertools.count()


def summary(samples: list[float]) -> dict[str, float]:
    """Return p50, p99 (ms) and the number of samples."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3), "p99_ms": round(p99 * 1000, 3),
            "n": len(ordered)}


async def repeat(run: Callable[[], Awaitable[Any]], seconds: float, limit: int) -> dict[str, float]:
    """Time ``run`` (after one warm-up call) until ``seconds`` pass or ``limit`` runs are done."""
    return (await alternate({"run": run}, seconds, limit))["run"]


async def alternate(runs: dict[str, Callable[[], Awaitable[Any]]], seconds: float,
                    limit: int) -> dict[str, dict[str, float]]:
    """Time each of ``runs`` (after one warm-up call each) in turns of ten calls, until ``seconds`` per run
    pass or each has ``limit`` samples; return each one's summary.

    Taking turns rather than one after the other makes a change in the machine's speed (a shared machine's
    neighbours, the CPU's clock) fall on every run alike, so their ratio holds still from run to run.
    """
    for run in runs.values():
        await run()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    deadline = time.perf_counter() + seconds * len(runs)
    while min(map(len, samples.values())) < limit and (
            time.perf_counter() < deadline or min(map(len, samples.values())) < 5):
        for name, run in runs.items():
            for _ in range(10):
                start = time.perf_counter()
                await run()
                samples[name].append(time.perf_counter() - start)
    return {name: summary(taken[:limit]) for name, taken in samples.items()}


async def measure(root: Path, seconds: float, limit: int, store: str = "memory",
                  cache: Path | None = None) -> dict[str, Any]:
    import httpx

    from kb.config import Settings
    from kb.load import pipeline
    from kb.serve.app import create_app

    settings = Settings(root=root, production=True, store=store, cache=cache)
    kb = pipeline.load(root)
    typical = questions.typical_person(kb)
    varied = itertools.cycle(questions.typical_people(kb, 100))
    app = create_app(settings)
    first_index = app.state.search_index.serve(app.state.served.current)  # as kb serve starts it: let it finish
    if first_index is not None:
        await asyncio.wrap_future(first_index)
    del kb
    gc.collect()
    gc.freeze()  # as kb serve does: what was built lives as long as the server, out of the collector's sight
    native = app.state.served.current.graph.native
    results: dict[str, Any] = {"typical_person": typical}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
        for name, people, first in (("typical", itertools.repeat(typical), 20),
                                    ("hub", itertools.repeat(questions.HUB), 100),
                                    ("typical_varied", varied, 20)):
            async def graphql(people: Iterator[str] = people, first: int = first,
                              counter: Iterator[int] = COUNTER) -> None:
                # an unused variable numbers each request, so kb's answer cache (kb/serve/middleware/cache.py)
                # never replies
                variables = {"id": next(people), "first": first, "benchmarkRequest": next(counter)}
                response = await client.post("/graphql", json={"query": questions.KB_GRAPHQL, "variables": variables})
                document = response.json()
                if response.status_code != 200 or document.get("errors"):
                    raise RuntimeError(f"GraphQL failed: {response.text[:300]}")

            queries = itertools.cycle([questions.sparql(settings.base_iri, next(people), first) for _ in range(100)])

            async def floor(queries: Iterator[str] = queries) -> None:
                list(native.query(next(queries)))

            timed = await alternate({"graphql": graphql, "oxigraph": floor}, seconds, limit)
            results[f"graphql_{name}"], results[f"oxigraph_{name}"] = timed["graphql"], timed["oxigraph"]
            results[f"{name}_meetings"] = first
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max", type=int, default=300)
    parser.add_argument("--store", default="memory", help="memory (Oxigraph in memory) or disk (kept: kb.graph.kept)")
    parser.add_argument("--cache", type=Path, help="the kept store's folder, for --store disk")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.root, args.seconds, args.max, args.store, args.cache))))


if __name__ == "__main__":
    main()
