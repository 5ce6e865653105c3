"""The kept store (kb.graph.kept): first build, restart, and the engine's own floor, measured as a user meets them.

    python benchmarks/kept.py build DIR CACHE     kb build from nothing: seconds to the store being current, peak
                                                  memory, and the search index and loader state made after
    python benchmarks/kept.py restart DIR CACHE   kb serve on a kept build: seconds to the first GraphQL answer,
                                                  resident memory of the server and its /sparql workers then,
                                                  and 30 s later (search index and picture built)
    python benchmarks/kept.py floor DIR WORK      pyoxigraph alone bulk-loading the same N-Quads into a store on
                                                  disk (in one call, and in kb's pieces) and optimizing it as kb
                                                  does, and loading them into one in memory: the engine's floor

Each prints one line of JSON. ``build`` and ``floor`` run the measured work in a fresh process, so its peak
resident memory (getrusage of the child) is the work's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import questions
from benchmarks.servers import free_port

SETTLE_SECONDS = 30.0
KB = shutil.which("kb") or str(Path(sys.executable).parent / "kb")
PIECE_MB = 32  # kb.graph.kept.PIECE_BYTES
FLOOR = """
import sys, time, resource, json
import pyoxigraph as ox
path, store, where, piece_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
started = time.perf_counter()
optimize = 0.0
if where == "memory":
    s = ox.Store()
    s.load(path=path, format=ox.RdfFormat.N_QUADS)
else:
    s = ox.Store(store)
    if where == "disk":
        s.bulk_load(path=path, format=ox.RdfFormat.N_QUADS, lenient=True)
    else:  # in pieces of whole lines, as kb loads them
        with open(path, "rb") as data:
            rest = b""
            while block := data.read(piece_mb * 2**20):
                block = rest + block
                cut = block.rfind(b"\\n") + 1
                s.bulk_load(input=block[:cut], format=ox.RdfFormat.N_QUADS, lenient=True)
                rest = block[cut:]
            if rest:
                s.bulk_load(input=rest, format=ox.RdfFormat.N_QUADS, lenient=True)
    s.flush()
    loaded = time.perf_counter()
    s.optimize()  # as kb.graph.kept does: without it the typical question took 5.4 ms, not 1.0 ms, at 100k
    optimize = time.perf_counter() - loaded
print(json.dumps({"seconds": time.perf_counter() - started - optimize, "optimize_s": optimize,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed_child(argv: list[str]) -> tuple[float, float, str]:
    """Run ``argv``; return its wall seconds, its peak resident memory in MB, and its stdout."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.stdout


def build(root: Path, cache: Path) -> dict[str, Any]:
    shutil.rmtree(cache, ignore_errors=True)
    seconds, peak, out = timed_child([KB, "build", "--root", str(root), "--cache", str(cache), "--quiet"])
    assert out.startswith("built "), out
    said, *after = out.strip().splitlines()
    # The store is current, and would be served, from the "built" line on. A process of its own then builds
    # the search index (kept with the store) while a thread saves the loader state a later start patches from.
    built_s = float(said.split(" in ", 1)[1].split(" s:", 1)[0])
    found = {line.rsplit(" in ", 1)[0]: float(line.rsplit(" in ", 1)[1].removesuffix(" s")) for line in after}
    return {"seconds": built_s, "index_s": found.get("search index ready", 0.0),
            "state_s": found.get("loader state saved", 0.0), "with_index_s": round(seconds, 3),
            "peak_rss_mb": round(peak, 1), "said": said}


def floor(root: Path, work: Path) -> dict[str, Any]:
    from kb.graph.builder import nquads
    from kb.load import pipeline

    work.mkdir(parents=True, exist_ok=True)
    data = work / "graph.nq"
    with data.open("wb") as out:
        for chunk in nquads(pipeline.load(root), "https://kb.example.org/", shared=Counter()):
            out.write(chunk)
    found: dict[str, Any] = {"nquads_mb": round(data.stat().st_size / 2**20, 1)}
    for where in ("disk", "disk_pieces", "memory"):
        store = work / "floor-store"
        shutil.rmtree(store, ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", FLOOR, str(data), str(store), where, str(PIECE_MB)],
                              capture_output=True, text=True, check=True)
        measured = json.loads(done.stdout)
        found[where] = {"seconds": round(measured["seconds"], 3), "optimize_s": round(measured["optimize_s"], 3),
                        "peak_rss_mb": round(measured["peak_rss_mb"], 1)}
        shutil.rmtree(store, ignore_errors=True)
    data.unlink()
    return found


def _tree_rss_mb(pid: int) -> float:
    """Return the resident memory of ``pid`` and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def restart(root: Path, cache: Path) -> dict[str, Any]:
    from kb.load import pipeline

    person = questions.typical_person(pipeline.load(root))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [KB, "serve", "--root", str(root), "--cache", str(cache), "--port", str(port), "--production", "--quiet"]
    started = time.perf_counter()
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    payload = {"query": questions.KB_GRAPHQL, "variables": {"id": person, "first": 20}}
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"kb serve ended: {server.stderr.read()[-2000:] if server.stderr else ''}")
                try:
                    response = client.post("/graphql", json=payload)
                    if response.status_code == 200 and not response.json().get("errors"):
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
            first_answer = time.perf_counter() - started
            sparql = client.post("/sparql", data={"query": questions.sparql("https://kb.example.org/", person, 20)},
                                 headers={"accept": "application/sparql-results+json"})
            assert sparql.status_code == 200, sparql.text[:300]
            time.sleep(1.0)  # let the workers settle after opening the store
            rss = _tree_rss_mb(server.pid)
            time.sleep(SETTLE_SECONDS)  # the work done once per version (search index, picture) meanwhile
            settled = _tree_rss_mb(server.pid)
            health = client.get("/health").json()
    finally:
        server.terminate()
        server.wait(30)
    return {"first_answer_s": round(first_answer, 3), "server_rss_mb": round(rss, 1),
            "settled_rss_mb": round(settled, 1),
            "triples": health["counts"]["triples"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["build", "restart", "floor"])
    parser.add_argument("root", type=Path)
    parser.add_argument("place", type=Path, help="the cache folder (build, restart) or a work folder (floor)")
    args = parser.parse_args()
    measure = {"build": build, "restart": restart, "floor": floor}[args.what]
    print(json.dumps(measure(args.root, args.place)))


if __name__ == "__main__":
    main()
