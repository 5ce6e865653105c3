"""Time each phase of the pipeline on one knowledge base, in this process, and report peak memory.

    python benchmarks/pipeline.py DIR [--store oxigraph|memory]

Prints one JSON object: seconds per phase (read, check, build_store: the graph built and streamed into the
store at once, and counted; serve: the app made and its first GraphQL answer, the typical question of
benchmarks/questions.py, over ASGI), the number of triples and quads, and ``peak_rss_mb`` (``ru_maxrss`` of this
process, which includes the interpreter and imports). Run it in a fresh subprocess per scale (``run.py`` does) so
that one scale's memory does not count against the next.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(root: Path, store: str) -> dict[str, Any]:
    """Run what ``kb serve`` does on ``root`` (read, check, build the graph into the store, make the app and
    answer a first GraphQL question); return seconds per phase, triples, quads and peak memory."""
    started = time.perf_counter()
    from kb.config import Settings
    from kb.graph import snapshot as snapshots
    from kb.load import loader, validate
    from kb.load.version import kb_version

    times: dict[str, float] = {"import": time.perf_counter() - started}
    baseline = peak_rss_mb()

    def phase(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = round(now - start, 3)
        return now

    gc.freeze()  # imported modules never die: keep the collector from re-scanning them
    settings = Settings(root=root, store="rdflib" if store == "memory" else store)
    t = time.perf_counter()
    raw = loader.read(root)
    t = phase("read", t)
    kb = validate.check(raw)
    del raw
    t = phase("check", t)
    snapshot = snapshots.from_knowledge_base(kb, settings, kb_version(root))
    t = phase("build_store", t)
    times["serve"] = first_answer(settings, snapshot, kb)
    times["total"] = round(sum(v for k, v in times.items() if k != "import"), 3)
    facts = sum(len(kb.of(k)) for k in ("roles", "meetings", "statements", "sanctions"))
    native = snapshot.graph.native
    return {"facts": facts, "triples": snapshot.counts["triples"], "quads": len(native) if native is not None else None,
            "seconds": times, "baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def first_answer(settings: Any, snapshot: Any, kb: Any) -> float:
    """Seconds to make the app over ``snapshot`` and answer the typical question (benchmarks/questions.py)
    through it over ASGI. Raises AssertionError when the answer has no quote."""
    import httpx

    from benchmarks import questions
    from kb.serve.app import create_app

    person = questions.typical_person(kb)
    started = time.perf_counter()
    app = create_app(settings, snapshot)

    async def ask() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            return await client.post("/graphql", json={"query": questions.KB_GRAPHQL,
                                                       "variables": {"id": person, "first": 20}})

    response = asyncio.run(ask())
    assert response.status_code == 200 and b'"quote"' in response.content, response.text[:500]
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--store", default="oxigraph")
    args = parser.parse_args()
    print(json.dumps(measure(args.root, args.store)))


if __name__ == "__main__":
    main()
