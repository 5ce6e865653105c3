"""Benchmarks: kb against the peers, side by side in one run, on the same generated facts and questions.

    python benchmarks/run.py            # pipeline at 1k, 10k, 100k facts; serving at 10k (about 15 minutes)
    python benchmarks/run.py --quick    # pipeline at 1k and 10k; serving at 1k (a few minutes)

Prints a table and writes benchmarks/results.json, a list of rows {system, scale, metric, value, unit}, plus
docs/performance.png (time and memory against scale). What is measured:

- read + check + build-and-store time and peak memory per scale, each scale in a fresh process
  (benchmarks/pipeline.py);
- at the largest scale, save -> served for one edited file through ``kb serve --reload``'s reloader
  (benchmarks/edit.py);
- in-process GraphQL p50/p99 for the typical and the hub question, and pyoxigraph's own time for the same
  answer, the floor (benchmarks/inprocess.py);
- HTTP throughput and latency on 127.0.0.1 (8 GraphQL clients, 2 SPARQL clients: kb's /sparql runs at most
  2 queries at once and answers 429 beyond; bounded in time and requests): kb with 1 and 2 uvicorn
  workers (GraphQL and /sparql), datasette + datasette-graphql on the same facts in SQLite, rdflib-endpoint
  and Virtuoso answering the same SPARQL;
- the targets of issue 7 as ratios of numbers from this one run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import generate, questions, servers
from benchmarks.load import Request, generator, hammer

DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results.json"
PLOT = ROOT / "docs" / "performance.png"
SEED = 7

Row = dict[str, Any]


def row(system: str, scale: int, metric: str, value: float, unit: str) -> Row:
    return {"system": system, "scale": scale, "metric": metric, "value": round(value, 3), "unit": unit}


def dataset(facts: int) -> Path:
    """Return the folder of the generated KB of ``facts`` facts, generating it when missing or stale."""
    out = DATA / str(facts)
    stamp = out / "generated.json"
    source = (ROOT / "benchmarks" / "generate.py").read_bytes()
    key = {"facts": facts, "seed": SEED, "generator": hash_bytes(source)}
    if not stamp.exists() or json.loads(stamp.read_text()) != key:
        generate.write(out, facts, SEED)
        stamp.write_text(json.dumps(key))
    return out


def hash_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]


def child(script: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``benchmarks/<script>`` in a fresh interpreter and return the JSON it prints."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def pipeline_rows(scales: list[int]) -> list[Row]:
    rows: list[Row] = []
    for facts in scales:
        print(f"pipeline at {facts} facts ...", flush=True)
        measured = child("pipeline.py", str(dataset(facts)))
        seconds = measured["seconds"]
        rows.append(row("kb", facts, "triples", measured["triples"], "triples"))
        rows.append(row("kb", facts, "quads", measured["quads"], "quads"))
        for phase in PHASES:
            rows.append(row("kb", facts, f"pipeline_{phase}", seconds[phase], "s"))
        rows.append(row("kb", facts, "peak_memory", measured["peak_rss_mb"], "MB"))
        rows.append(row("kb", facts, "memory_per_million_triples",
                        measured["peak_rss_mb"] / measured["triples"] * 1e6, "MB"))
        rows.append(row("kb", facts, "memory_per_million_quads",
                        measured["peak_rss_mb"] / measured["quads"] * 1e6, "MB"))
    return rows


PHASES = ("read", "check", "build_store", "serve", "total")


def edit_rows(facts: int) -> list[Row]:
    """Save -> served through kb serve --reload's reloader (benchmarks/edit.py), at ``facts`` facts."""
    print(f"edit one file at {facts} facts ...", flush=True)
    measured = child("edit.py", str(dataset(facts)), "--edits", "5")
    return [row("kb", facts, "live_start_up", measured["start_up_s"], "s"),
            row("kb", facts, "edit_served_median", measured["edit_median_s"], "s"),
            row("kb", facts, "edit_served_max", max(measured["edits_s"]), "s"),
            row("kb", facts, "edits_patched", measured["served_by"].count("patched"), "of 5")]


def inprocess_rows(facts: int, seconds: float) -> list[Row]:
    print(f"in-process GraphQL at {facts} facts ...", flush=True)
    measured = child("inprocess.py", str(dataset(facts)), "--seconds", str(seconds))
    rows = []
    for system, prefix in (("kb-graphql-inprocess", "graphql"), ("pyoxigraph", "oxigraph")):
        for question in ("typical", "hub"):
            for stat in ("p50_ms", "p99_ms"):
                rows.append(row(system, facts, f"{question}_{stat[:3]}", measured[f"{prefix}_{question}"][stat], "ms"))
    return rows


def http_rows(facts: int, seconds: float, max_requests: int) -> list[Row]:
    root = dataset(facts)
    kb = __import__("kb.load.pipeline", fromlist=["load"]).load(root)
    person = questions.typical_person(kb)
    sparql = questions.sparql(servers.BASE_IRI, person, 20)
    variables = {"id": person, "first": 20}
    rows: list[Row] = []

    def run(system: str, metric: str, request: Request) -> None:
        # SPARQL: 2 clients, kb's /sparql bound (Limits.sparql_max_concurrent; more get 429); GraphQL: 8.
        concurrency = 2 if metric.startswith("sparql") else 8
        print(f"  {system} {metric} ({concurrency} clients) ...", flush=True)
        # A warm-up pass, not counted: a second uvicorn worker may still be building its store when the
        # first answers /health, and every system's first seconds run colder than the rest.
        asyncio.run(hammer(request, seconds / 2, max_requests // 2, concurrency))
        outcome = asyncio.run(hammer(request, seconds, max_requests, concurrency)).as_dict()
        print(f"    {outcome['rps']} req/s from {outcome['generator']}", flush=True)
        rows.append(row(system, facts, f"{metric}_throughput", outcome["rps"], "req/s"))
        rows.append(row(system, facts, f"{metric}_p50", outcome["p50_ms"], "ms"))
        rows.append(row(system, facts, f"{metric}_p99", outcome["p99_ms"], "ms"))
        rows.append(row(system, facts, f"{metric}_errors", outcome["errors"], "requests"))

    sparql_json = {"accept": "application/sparql-results+json"}
    print(f"HTTP at {facts} facts, load from {generator()} ...", flush=True)
    for workers in (1, 2):
        with servers.kb_server(root, workers) as url:
            system = f"kb-{workers}-worker{'s' if workers > 1 else ''}"
            run(system, "graphql_typical", Request(f"{url}/graphql", json={"query": questions.KB_GRAPHQL,
                                                                         "variables": variables}, expect=b'"quote"'))
            run(system, "sparql_typical", Request(f"{url}/sparql", form={"query": sparql}, headers=sparql_json,
                                                  expect=b'"quote"'))
            if workers == 1:  # the same question again and again: kb's version-keyed answer cache replies
                run(system, "graphql_typical_cached", Request(
                    f"{url}/graphql", json={"query": questions.KB_GRAPHQL, "variables": variables},
                    expect=b'"quote"', fresh=False))
    db = DATA / f"{facts}.db"
    child("sqlite_export.py", str(root), str(db))
    with servers.datasette_server(db) as url:
        run("datasette-graphql", "graphql_typical", Request(
            f"{url}/graphql", json={"query": questions.DATASETTE_GRAPHQL, "variables": variables}, expect=b'"quote"'))
    with servers.rdflib_server(root) as url:
        run("rdflib-endpoint", "sparql_typical", Request(f"{url}/sparql", form={"query": sparql}, headers=sparql_json,
                                                        expect=b'"quote"'))
    with tempfile.TemporaryDirectory() as folder, servers.virtuoso_server(root, Path(folder) / "v") as (url, graph):
        run("virtuoso", "sparql_typical", Request(url, form={"query": sparql, "default-graph-uri": graph},
                                                  headers=sparql_json, expect=b'"quote"'))
    return rows


def kept_rows(scales: list[int], seconds: float) -> list[Row]:
    """The graph kept on disk (issue 21): first build, restart, one edit, GraphQL latency beside the in-memory
    store in the same run, and pyoxigraph's own bulk load of the same N-Quads (the engine's floor)."""
    rows: list[Row] = []
    for facts in scales:
        root = dataset(facts)
        with tempfile.TemporaryDirectory(prefix="kb-kept-") as work:
            cache = Path(work) / "cache"
            print(f"kept store at {facts} facts ...", flush=True)
            built = child("kept.py", "build", str(root), str(cache), timeout=3600)
            rows += [row("kb-kept", facts, "kept_first_build", built["seconds"], "s"),
                     row("kb-kept", facts, "kept_first_build_search_index", built["index_s"], "s"),
                     row("kb-kept", facts, "kept_first_build_loader_state", built["state_s"], "s"),
                     row("kb-kept", facts, "kept_first_build_peak_memory", built["peak_rss_mb"], "MB")]
            floor = child("kept.py", "floor", str(root), str(Path(work) / "floor"), timeout=3600)
            rows += [row("pyoxigraph", facts, "nquads_size", floor["nquads_mb"], "MB")]
            for where in ("disk", "disk_pieces", "memory"):
                rows += [row("pyoxigraph", facts, f"floor_{where}_load", floor[where]["seconds"], "s"),
                         row("pyoxigraph", facts, f"floor_{where}_load_peak_memory", floor[where]["peak_rss_mb"], "MB")]
                if where != "memory":
                    rows.append(row("pyoxigraph", facts, f"floor_{where}_optimize", floor[where]["optimize_s"], "s"))
            # the engine's floor for a store on disk kb can query: its faster bulk load, then its compaction
            engine = min(floor[w]["seconds"] + floor[w]["optimize_s"] for w in ("disk", "disk_pieces"))
            rows.append(row("ratio", facts, "kept_first_build_vs_engine_floor", built["seconds"] / engine, "x"))
            restarted = child("kept.py", "restart", str(root), str(cache))
            rows += [row("kb-kept", facts, "kept_restart_first_answer", restarted["first_answer_s"], "s"),
                     row("kb-kept", facts, "kept_restart_server_rss", restarted["server_rss_mb"], "MB"),
                     row("kb-kept", facts, "kept_settled_server_rss", restarted["settled_rss_mb"], "MB")]
            edited = child("edit.py", str(root), "--edits", "5", "--store", "disk", "--cache", str(cache))
            rows += [row("kb-kept", facts, "kept_edit_served_median", edited["edit_median_s"], "s"),
                     row("kb-kept", facts, "kept_edit_served_max", max(edited["edits_s"]), "s"),
                     row("kb-kept", facts, "kept_edits_patched", edited["served_by"].count("patched"), "of 5")]
            p50: dict[str, dict[str, float]] = {}
            for store in ("memory", "disk"):
                measured = child("inprocess.py", str(root), "--seconds", str(seconds), "--store", store,
                                 "--cache", str(cache))
                for question in ("typical", "hub"):
                    p50.setdefault(question, {})[store] = measured[f"graphql_{question}"]["p50_ms"]
                    rows.append(row(f"kb-graphql-{store}", facts, f"{question}_p50",
                                    measured[f"graphql_{question}"]["p50_ms"], "ms"))
            for question, found in p50.items():
                rows.append(row("ratio", facts, f"kept_vs_memory_{question}_p50", found["disk"] / found["memory"], "x"))
    return rows


def value(rows: list[Row], system: str, metric: str, scale: int | None = None) -> float | None:
    found = [r["value"] for r in rows if r["system"] == system and r["metric"] == metric
             and (scale is None or r["scale"] == scale)]
    return found[-1] if found else None


def ratio_rows(rows: list[Row], scales: list[int], serve_scale: int) -> list[Row]:
    """The issue's targets, as ratios of this run's numbers."""
    out: list[Row] = []

    def add(metric: str, top: float | None, bottom: float | None, scale: int) -> None:
        if top is not None and bottom:
            out.append(row("ratio", scale, metric, top / bottom, "x"))

    add("graphql_throughput_vs_datasette_graphql", value(rows, "kb-1-worker", "graphql_typical_throughput"),
        value(rows, "datasette-graphql", "graphql_typical_throughput"), serve_scale)
    add("sparql_throughput_vs_rdflib_endpoint", value(rows, "kb-1-worker", "sparql_typical_throughput"),
        value(rows, "rdflib-endpoint", "sparql_typical_throughput"), serve_scale)
    add("sparql_throughput_vs_virtuoso", value(rows, "kb-1-worker", "sparql_typical_throughput"),
        value(rows, "virtuoso", "sparql_typical_throughput"), serve_scale)
    add("graphql_2_workers_vs_1", value(rows, "kb-2-workers", "graphql_typical_throughput"),
        value(rows, "kb-1-worker", "graphql_typical_throughput"), serve_scale)
    for question in ("typical", "hub"):
        add(f"inprocess_graphql_vs_pyoxigraph_{question}_p50",
            value(rows, "kb-graphql-inprocess", f"{question}_p50"), value(rows, "pyoxigraph", f"{question}_p50"),
            serve_scale)
    for small, large in itertools.pairwise(scales):
        add(f"pipeline_time_growth_{small}_to_{large}", value(rows, "kb", "pipeline_total", large),
            value(rows, "kb", "pipeline_total", small), large)
    return out


TARGETS = {  # metric -> (comparison, bound), issue 7
    "graphql_throughput_vs_datasette_graphql": (">=", 20.0),
    "sparql_throughput_vs_rdflib_endpoint": (">=", 10.0),
    "inprocess_graphql_vs_pyoxigraph_typical_p50": ("<=", 10.0),
    "memory_per_million_triples": ("<=", 500.0),
    "edit_served_median": ("<=", 2.0),
    "edit_served_max": ("<=", 2.0),
    "kept_edit_served_median": ("<=", 1.0),  # issue 21
    "kept_vs_memory_typical_p50": ("<=", 1.5),
    "kept_vs_memory_hub_p50": ("<=", 1.5),
}


AT_100K = {  # metric -> (comparison, bound) at 100,000 facts, issue 7
    "pipeline_total": ("<=", 30.0),
    "peak_memory": ("<=", 1500.0),
    "kept_restart_first_answer": ("<=", 3.0),  # issue 21
    "kept_restart_server_rss": ("<=", 800.0),
    "kept_settled_server_rss": ("<=", 800.0),
    "kept_first_build": ("<=", 42.5),
    "kept_first_build_peak_memory": ("<=", 2048.0),
}


def verdict(metric: str, number: float, scale: int = 0) -> str:
    if metric.startswith("pipeline_time_growth"):
        return "ok" if number <= 11 else "MISSED (<= 11x)"
    if scale >= 100_000 and metric in AT_100K:
        op, bound = AT_100K[metric]
        return "ok" if (number >= bound if op == ">=" else number <= bound) else f"MISSED ({op} {bound:g})"
    if metric not in TARGETS:
        return ""
    op, bound = TARGETS[metric]
    met = number >= bound if op == ">=" else number <= bound
    return "ok" if met else f"MISSED ({op} {bound:g})"


def table(rows: list[Row]) -> str:
    lines = [f"{'system':<22} {'scale':>7}  {'metric':<48} {'value':>12} unit"]
    for r in rows:
        mark = verdict(r["metric"], r["value"], r["scale"])
        lines.append(f"{r['system']:<22} {r['scale']:>7}  {r['metric']:<48} {r['value']:>12g} {r['unit']} {mark}")
    return "\n".join(lines)


def plot(rows: list[Row], scales: list[int], path: Path) -> None:
    """Draw pipeline time and peak memory against scale (log-log) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for phase in PHASES:
        points = [(s, value(rows, "kb", f"pipeline_{phase}", s)) for s in scales]
        left.plot([p[0] for p in points if p[1]], [p[1] for p in points if p[1]], marker="o", label=phase)
    left.set(xscale="log", yscale="log", xlabel="facts", ylabel="seconds", title="read, check, build + store, total")
    left.legend()
    memory = [(s, value(rows, "kb", "peak_memory", s)) for s in scales]
    right.plot([m[0] for m in memory if m[1]], [m[1] for m in memory if m[1]], marker="o", color="tab:red")
    right.set(xscale="log", yscale="log", xlabel="facts", ylabel="MB", title="peak memory (RSS)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def save(rows: list[Row], path: Path) -> None:
    path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller scales and shorter runs (a few minutes)")
    parser.add_argument("--scales", help="comma-separated fact counts for the pipeline (overrides the default)")
    parser.add_argument("--serve-scale", type=int, help="facts of the KB served for latency and throughput")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP and peer measurements")
    parser.add_argument("--skip-edit", action="store_true", help="leave out the edit-one-file measurement")
    parser.add_argument("--skip-kept", action="store_true", help="leave out the kept on-disk store's measurements")
    parser.add_argument("--pipeline-from", type=Path,
                        help="take the pipeline rows from an earlier results.json instead of measuring them again")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")] if args.scales else (
        [1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    serve_scale = args.serve_scale or (1000 if args.quick else 10_000)
    seconds, max_requests = (4.0, 1000) if args.quick else (10.0, 5000)
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.pipeline_from:
        rows = [r for r in json.loads(args.pipeline_from.read_text()) if r["system"] == "kb"]
        scales = sorted({r["scale"] for r in rows})
    else:
        rows = pipeline_rows(scales)
    if not args.skip_edit:
        rows += edit_rows(max(scales))
    save(rows, args.output)  # so far: a later section that fails leaves what was measured
    if not args.skip_kept:
        rows += kept_rows([s for s in scales if s >= 10_000] or [max(scales)], seconds)
        save(rows, args.output)
    rows += inprocess_rows(serve_scale, seconds)
    if not args.skip_http:
        rows += http_rows(serve_scale, seconds, max_requests)
    rows += ratio_rows(rows, scales, serve_scale)
    wall = time.perf_counter() - started
    rows.append(row("run", 0, "quick" if args.quick else "full", wall, "s"))
    save(rows, args.output)
    print(table(rows))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{machine}; {wall:.0f} s; wrote {args.output}")
    if not args.quick or not PLOT.exists():
        plot(rows, scales, PLOT)
        print(f"wrote {PLOT}")


if __name__ == "__main__":
    main()
