"""Time each phase of the pipeline on one knowledge base, in this process, and report peak memory.

    python benchmarks/pipeline.py DIR [--store oxigraph|memory] [--serve]

Prints one JSON object: seconds per phase (read, check, build_store: the graph built and streamed into the
store at once; with ``--serve`` also the first GraphQL
answer through the ASGI app), the number of triples, and ``peak_rss_mb`` (``ru_maxrss`` of this process, which
includes the interpreter and imports). Run it in a fresh subprocess per scale (``run.py`` does) so that one
scale's memory does not count against the next.
"""

from __future__ import annotations

import argparse
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


def measure(root: Path, store: str, serve: bool) -> dict[str, Any]:
    """Run read, check, build and store on ``root``; return seconds per phase, triples and peak memory."""
    started = time.perf_counter()
    from kb import loader, validate
    from kb import store as stores

    times: dict[str, float] = {"import": time.perf_counter() - started}
    baseline = peak_rss_mb()

    def phase(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = round(now - start, 3)
        return now

    gc.freeze()  # imported modules never die: keep the collector from re-scanning them
    t = time.perf_counter()
    raw = loader.read(root)
    t = phase("read", t)
    kb = validate.check(raw)
    del raw
    t = phase("check", t)
    graph_store = stores.build_store(kb, "https://kb.example.org/", store)
    t = phase("build_store", t)
    triples = len(graph_store)
    quads = len(graph_store.native) if graph_store.native is not None else None
    if serve:
        times["first_answer"] = first_answer(root, graph_store)
    times["total"] = round(sum(v for k, v in times.items() if k != "import"), 3)
    facts = sum(len(kb.records[k]) for k in ("roles", "meetings", "statements", "sanctions"))
    return {"facts": facts, "triples": triples, "quads": quads, "seconds": times, "baseline_rss_mb": round(baseline, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def first_answer(root: Path, graph_store: Any) -> float:
    """Seconds for the app to answer its first GraphQL query on the already built store (0 if no app yet)."""
    try:
        from kb.app import create_app  # noqa: F401  (lands with the API)
    except ImportError:
        return 0.0
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--store", default="oxigraph")
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.root, args.store, args.serve)))


if __name__ == "__main__":
    main()
