"""Adversarial SPARQL over HTTP: how long a real ``kb serve`` on 127.0.0.1 takes to answer or refuse query
text built against the endpoint's keyword pre-filter (kb/serve/sparql/endpoint.py), at 1, 2, 5 and 10 KB and at
the body limit (64 KiB), and how long ``/health`` waits meanwhile.

Per shape and size: the median of ``--runs`` POSTs of ``application/sparql-query`` (each made unique by a
trailing comment, so no answer cache replies), its status, and the pre-filter alone in process. The patterns
the pre-filter had before (copied here) are timed in process where they finish: ``"BASE" * n + "!"`` doubles
with each BASE (24 of them, 97 bytes, took 6.9 s), ``'"\\' * n`` grows with the square of n. Prints a table and
writes ``benchmarks/results_adversarial_sparql.json``::

    python benchmarks/adversarial_sparql.py [--runs 5] [--root tests/fixtures/mini]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.servers import kb_serve
from kb.serve.sparql.endpoint import refusal

RESULTS = ROOT / "benchmarks" / "results_adversarial_sparql.json"
SIZES = (1024, 2048, 5 * 1024, 10 * 1024, 64 * 1024 - 16)
SHAPES: dict[str, Callable[[int], str]] = {
    "BASE*n+!": lambda n: "BASE" * (n // 4) + "!",
    "PREFIX a: *n+!": lambda n: "PREFIX a: " * (n // 10) + "!",
    "PREFIX <x> *n+INSERT": lambda n: "PREFIX a: <x> " * (n // 14 - 2) + "INSERT DATA {}",
    "escaped quotes": lambda n: '"\\' * (n // 2),
    "''' runs": lambda n: "'''\\" * (n // 4),
    "open IRIs": lambda n: "<a" * (n // 2),
    "comments": lambda n: "#\n" * (n // 2),
    "plain SELECT": lambda n: "SELECT * { ?s ?p ?o } " * (n // 22),
}
# What the pre-filter was: one pattern per purpose (for the in-process comparison only).
OLD_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)
OLD_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+[\w-]*:\s*|BASE\s*)\S*\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


def old_prefilter(query: str) -> bool:
    return bool(OLD_UPDATE.match(OLD_SKIP.sub(" ", query)))


def timed(work: Callable[[], object], runs: int) -> float:
    """Return the median seconds of ``runs`` calls of ``work``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def over_http(http: httpx.Client, query: str, runs: int) -> tuple[float, int]:
    """Return the median seconds to answer ``query`` and the status of the last answer."""
    statuses: list[int] = []
    counter = iter(range(10**9))

    def one() -> None:
        text = f"{query}\n#{next(counter)}"  # unique: never answered from the cache
        statuses.append(http.post("/sparql", content=text.encode(), headers={
            "content-type": "application/sparql-query"}).status_code)

    one()  # the first query starts a SPARQL worker: not measured
    return timed(one, runs), statuses[-1]


def health_while(http: httpx.Client, url: str, query: str) -> dict[str, float]:
    """Return /health's slowest and median latency (ms) while ``query`` is sent 5 times in a row."""
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=60) as prober:
            while not done.is_set():
                started = time.perf_counter()
                prober.get("/health")
                latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(0.01)

    thread = threading.Thread(target=probe)
    thread.start()
    time.sleep(0.2)
    for n in range(5):
        http.post("/sparql", content=f"{query}\n#h{n}".encode(), headers={"content-type": "application/sparql-query"})
    done.set()
    thread.join()
    return {"health_max_ms": max(latencies), "health_median_ms": statistics.median(latencies),
            "probes": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT / "tests" / "fixtures" / "mini")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    rows: list[dict[str, Any]] = []
    with kb_serve(args.root) as url, httpx.Client(base_url=url, timeout=120) as http:
        for shape, make in SHAPES.items():
            for size in SIZES:
                query = make(size)
                seconds, status = over_http(http, query, args.runs)
                prefilter = timed(lambda: refusal(query), args.runs)  # noqa: B023 (called at once)
                rows.append({"shape": shape, "bytes": len(query.encode()), "status": status,
                             "http_ms": seconds * 1000, "prefilter_ms": prefilter * 1000})
                print(f"{shape:22} {len(query):>6} B  {status}  {seconds * 1000:8.1f} ms over HTTP  "
                      f"pre-filter {prefilter * 1000:7.2f} ms", flush=True)
        worst = max((r for r in rows if r["bytes"] > 60_000), key=lambda r: r["prefilter_ms"])
        health = health_while(http, url, SHAPES[worst["shape"]](SIZES[-1]))
        health_idle = health_while(http, url, "ASK { ?s ?p ?o }")
    old = {f"BASE*{n}+!": timed(lambda: old_prefilter("BASE" * n + "!"), 1) * 1000  # noqa: B023
           for n in (14, 16, 18, 20)}
    old.update({f'escaped quotes {size} B': timed(lambda: old_prefilter('"\\' * (size // 2)), 1) * 1000  # noqa: B023
                for size in SIZES[:4]})
    new = {"BASE*24+!": timed(lambda: refusal("BASE" * 24 + "!"), args.runs) * 1000}
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print()
    print(f"{'shape':22} " + " ".join(f"{size:>9}" for size in SIZES) + "   (ms over HTTP, median)")
    for shape in SHAPES:
        print(f"{shape:22} " + " ".join(f"{r['http_ms']:>9.1f}" for r in rows if r["shape"] == shape))
    print(f"\n/health while 5 x {worst['shape']} at 64 KiB are answered: max {health['health_max_ms']:.1f} ms, "
          f"median {health['health_median_ms']:.1f} ms (beside 5 x ASK: max {health_idle['health_max_ms']:.1f} ms)")
    print("old pre-filter, in process: " + ", ".join(f"{k} {v:.1f} ms" for k, v in old.items()))
    print(f"new pre-filter, in process: BASE*24+! {new['BASE*24+!']:.3f} ms")
    print(f"loadavg before {' '.join(load_before)}, after {' '.join(load_after)}")
    RESULTS.write_text(json.dumps({"loadavg_before": load_before, "loadavg_after": load_after, "runs": args.runs,
                                   "rows": rows, "health_during_worst": health, "health_during_ask": health_idle,
                                   "old_prefilter_ms": old, "new_prefilter_ms": new}, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
