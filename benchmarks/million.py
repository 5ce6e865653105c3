"""A million facts in Virtuoso, served by kb's GraphQL API from it (issue 7: "a real SPARQL engine behind it").

    python benchmarks/million.py --loader bulk      # 1,000,000 facts (80 M quads): kb publish --bulk, Virtuoso's loader
    python benchmarks/million.py                    # the same through kb publish (Graph Store Protocol): hours
    python benchmarks/million.py --facts 10000      # the same steps at a smaller scale, to try them
    python benchmarks/million.py --reuse            # serve again from the Virtuoso the last run filled

The embedded Oxigraph store cannot hold a million facts on one 24 GB machine, so this is the route
``docs/deploy.md`` describes: the graph goes into a SPARQL engine and the API resolves every query against
it (``--store sparql+http://…/sparql``). Steps, each timed:

1. generate the knowledge base with benchmarks/generate.py into ``benchmarks/data/<N>`` (reused when its
   ``generated.json`` matches; the generation's time and peak memory are kept beside it in
   ``generation.json``), in a fresh process;
2. start a private Virtuoso (tests/virtuoso.py, 127.0.0.1 only) on a fresh database in
   ``benchmarks/data/virtuoso-<N>``, its buffer pool sized by ``--memory-mb``;
3. publish, read and check in a fresh process, timed per phase with its peak memory (``ru_maxrss``):
   ``--loader gsp`` (the default) does exactly what ``kb publish`` does (kb.publish.gsp.publish_knowledge_base:
   build and send over the Graph Store Protocol), counting the quads and bytes sent and the time spent
   waiting for Virtuoso; ``--loader bulk`` does what ``kb publish --bulk DIR --virtuoso-isql`` does (kb.publish.bulk
   writes the same graphs as gzip N-Quads files, kb.publish.isql loads them with Virtuoso's bulk loader, one
   ``rdf_loader_run``: two in parallel deadlocked on 24 of 29 files at 1M, checkpoints, then switches the
   catalogue);
4. Virtuoso's side: the quads it then holds, its peak and current memory (``VmHWM``/``VmRSS`` of
   /proc/<pid>/status), its files on disk, a checkpoint (``isql-vt``) and its files after it; then kb
   publish's own Graph Store requests timed against the database at this size (what re-publishing does:
   20 article graphs replaced, 4 MB pieces of the version graph appended), and the time a publish over
   the Graph Store Protocol would take at those rates;
5. the API in a fresh process on the remote store, in process over ASGI as benchmarks/inprocess.py does:
   its start-up (process start, and the app made, until the first answer), p50/p99 of the typical and hub
   questions of benchmarks/questions.py (every request numbered, so kb's answer cache never replies), the
   same SPARQL straight to Virtuoso (the floor no API over it can beat), whether both give the same
   meetings and quotes, the SPARQL queries a request takes, and the API process's peak memory.

Prints a table and writes ``benchmarks/results_million.json`` (rows ``{system, scale, metric, value, unit}``
as in benchmarks/results.json) after each step, so a run stopped part way keeps what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import questions
from benchmarks.pipeline import peak_rss_mb
from benchmarks.run import DATA, SEED, dataset, row, table

if TYPE_CHECKING:
    from kb.model.knowledge_base import KnowledgeBase
    from kb.publish.isql import Isql
    from tests.virtuoso import Virtuoso

RESULTS = ROOT / "benchmarks" / "results_million.json"
BASE_IRI = "https://kb.example.org/"
PROGRESS_SECONDS = 30.0
Row = dict[str, Any]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child(step: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one step of this script in a fresh interpreter; return the JSON it prints.

    Its progress (stderr) goes straight to ours. Raises RuntimeError when it fails.
    """
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", step, json.dumps(payload)],
                          stdout=subprocess.PIPE, text=True, timeout=timeout, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"step {step} exited with {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- step 1: the data -------------------------------------------------------------------------------------------

def generate_step(facts: int) -> dict[str, Any]:
    """(child) Generate the knowledge base of ``facts`` facts unless it is there; return where, how long it took
    and the peak memory (the numbers of the run that generated it, when it was reused)."""
    out = DATA / str(facts)
    record, stamp = out / "generation.json", out / "generated.json"
    before = stamp.read_text() if stamp.exists() else None
    started = time.perf_counter()
    dataset(facts)  # benchmarks/run.py: generates when missing or stale
    key = stamp.read_text()
    if key != before:
        record.write_text(json.dumps({"seconds": round(time.perf_counter() - started, 3),
                                      "peak_rss_mb": round(peak_rss_mb(), 1), "generated": key}))
    measured = json.loads(record.read_text()) if record.exists() else {}
    if measured.pop("generated", None) != key:  # data generated by another script: no numbers for it
        measured = {}
    return {"root": str(out), "reused": key == before, **measured}


# -- step 3: kb publish -----------------------------------------------------------------------------------------

class Stopped(Exception):
    """The publish ran out of the time it was given (``--stop-publish-after``)."""


def publish_step(root: Path, endpoint: str, base_iri: str, user: str, password: str,
                 stop_after: float | None = None) -> dict[str, Any]:
    """(child) Do what ``kb publish`` does (kb.publish.root.over_graph_store), timing read, check and
    build + send apart.

    Returns the seconds per phase, what was sent (quads, bytes, requests, seconds waiting for the store), the
    default graph's and the article graphs' shares of it, the peak memory, and the people the questions are
    asked about (so the API process needs no knowledge base). With ``stop_after``, sending stops that many
    seconds after it began, and what was sent until then is returned with ``complete`` false.
    """
    import httpx

    from kb.load.version import kb_version
    from kb.publish import gsp as publish

    class Metered(publish.GraphStoreClient):
        """kb's Graph Store client, counting the lines (quads) and bytes it sends and the time it waits."""

        lines = sent = articles = 0
        waited = 0.0
        shown = time.perf_counter()
        default_done: tuple[float, int] | None = None  # seconds and quads when the first article graph went

        def _send(self, method: str, graph: str, body: bytes | None = None,
                  ok: tuple[int, ...] = ()) -> httpx.Response:
            start = time.perf_counter()
            if stop_after is not None and start - build_started > stop_after:
                raise Stopped
            if method == "PUT" and "/graph/version/" not in graph and graph != f"{base_iri}graph":
                self.articles += 1
                if self.default_done is None:
                    self.default_done = (start - build_started, self.lines)
            try:
                return super()._send(method, graph, body, ok)
            finally:
                now = time.perf_counter()
                self.waited += now - start
                if body:
                    self.lines += body.count(b"\n")
                    self.sent += len(body)
                if now - self.shown >= PROGRESS_SECONDS:
                    self.shown = now
                    log(f"publish: {self.lines:,} quads sent in {self.requests} requests, "
                        f"{now - build_started:.0f} s building and sending ({self.waited:.0f} s waiting for the "
                        f"store, {self.lines / (now - build_started):,.0f} quads/s), peak {peak_rss_mb():,.0f} MB")

    kb, times, facts, people = read_and_check(root, "publish")
    build_started = time.perf_counter()
    with Metered(endpoint, httpx.DigestAuth(user, password)) as client:
        try:
            done: publish.Published | None = publish.publish_knowledge_base(kb, kb_version(root), base_iri, client)
        except Stopped:
            done = None
    times["build_send"] = round(time.perf_counter() - build_started, 3)
    times["total"] = round(times["read"] + times["check"] + times["build_send"], 3)
    log(f"publish: built and sent in {times['build_send']} s" if done else
        f"publish: stopped after {times['build_send']} s, {client.lines:,} quads sent")
    default_s, default_quads = client.default_done or (times["build_send"], client.lines)
    return {"facts": facts, "seconds": times, "triples": done.triples if done else default_quads,
            "quads_sent": client.lines, "bytes_sent": client.sent, "requests": client.requests,
            "waited_s": round(client.waited, 3), "named_graphs": done.named_graphs if done else client.articles,
            "graph": done.graph if done else None, "version": done.version if done else None,
            "default_graph_s": round(default_s, 3), "default_graph_quads": default_quads,
            "article_graphs_sent": client.articles, "complete": done is not None,
            "people": people, "peak_rss_mb": round(peak_rss_mb(), 1), "loader": "gsp"}


def read_and_check(root: Path, step: str) -> tuple[KnowledgeBase, dict[str, float], int, list[str]]:
    """(child) Read and check ``root`` as kb.load.pipeline.load does, in two timed halves; return the knowledge
    base, the seconds so far, its facts and the people the questions are about."""
    from kb.load import loader, validate

    times: dict[str, float] = {"import": round(time.perf_counter() - STARTED, 3)}
    t = time.perf_counter()
    raw = loader.read(root)
    times["read"] = round(time.perf_counter() - t, 3)
    log(f"{step}: read in {times['read']} s, peak {peak_rss_mb():,.0f} MB")
    t = time.perf_counter()
    kb = validate.check(raw)
    del raw
    times["check"] = round(time.perf_counter() - t, 3)
    log(f"{step}: checked in {times['check']} s, peak {peak_rss_mb():,.0f} MB")
    facts = sum(len(kb.of(k)) for k in ("roles", "meetings", "statements", "sanctions"))
    return kb, times, facts, questions.typical_people(kb, 100)


def bulk_step(root: Path, folder: Path, base_iri: str) -> dict[str, Any]:
    """(child) The first half of ``kb publish --bulk DIR --virtuoso-isql``: read and check as kb publish does,
    and write the dump (kb.publish.bulk.write: the version graph, every article graph and the catalogue, as gzip
    N-Quads) into ``folder``. Returns the seconds per phase, the quads and bytes written, what loading needs,
    and the people the questions are about. :func:`bulk_load` does the rest, after this process (and its
    memory) is gone."""
    from kb.load.version import kb_version
    from kb.publish import bulk

    kb, times, facts, people = read_and_check(root, "bulk")
    shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    dump = bulk.write(kb, kb_version(root), base_iri, folder)
    times["build_write"] = round(time.perf_counter() - t, 3)
    log(f"bulk: {dump.quads:,} quads written in {len(dump.files)} files ({dump.bytes_written / 2**20:,.0f} MB "
        f"compressed) in {times['build_write']} s")
    return {"facts": facts, "seconds": times, "triples": dump.triples, "quads_sent": dump.quads,
            "bytes_sent": dump.bytes_written, "named_graphs": len(dump.named_graphs), "graph": dump.graph,
            "version": dump.version, "files": [p.name for p in dump.files], "loaded": dump.loaded_graphs,
            "digests": dump.digests,
            "catalogue": dump.catalogue_ntriples.decode(), "people": people, "peak_rss_mb": round(peak_rss_mb(), 1),
            "loader": "bulk"}


def virtuoso_sql(server: Virtuoso) -> Isql:
    """Return isql access (kb.publish.isql) to the benchmark's Virtuoso."""
    from kb.publish.isql import Isql
    from tests import virtuoso

    return Isql(f"127.0.0.1:{server.sql_port}", virtuoso.USER, virtuoso.PASSWORD)


def bulk_load(server: Virtuoso, folder: Path, built: dict[str, Any], base_iri: str) -> dict[str, Any]:
    """Load the dump :func:`bulk_step` wrote into ``folder`` as ``kb publish --bulk DIR --virtuoso-isql``
    does (kb.publish.isql.Isql.publish: one ``rdf_loader_run``, a checkpoint, then the catalogue). Deletes the files.
    Returns ``built`` completed as :func:`publish_step` reports. Raises LoadError when the loader refuses a file."""
    from kb.publish import bulk

    dump = bulk.Dump(folder, base_iri, built["version"], built["graph"], built["triples"], built["quads_sent"],
                     [folder / name for name in built["files"]], folder / bulk.CATALOGUE_FILE,
                     built["catalogue"].encode(), built["bytes_sent"], built["loaded"], built["digests"])
    loaded = virtuoso_sql(server).publish(dump, None, [])
    log(f"bulk: loaded in {loaded.seconds} s ({built['quads_sent'] / loaded.seconds['load']:,.0f} quads/s)")
    shutil.rmtree(folder)
    total = round(sum(loaded.seconds.values()), 3)
    seconds = {**built["seconds"], "load": loaded.seconds["load"], "load_total": total,
               "build_send": round(built["seconds"]["build_write"] + total, 3)}
    seconds["total"] = round(seconds["read"] + seconds["check"] + seconds["build_send"], 3)
    return {**built, "seconds": seconds, "quads_sent": built["quads_sent"] + dump.catalogue_ntriples.count(b"\n"),
            "requests": 0, "waited_s": total}


def gsp_probe(server: Virtuoso, published: dict[str, Any], base_iri: str, graphs: int = 20,
              chunks: int = 5) -> dict[str, float]:
    """Time kb publish's own Graph Store requests against the database as it is now: replacing ``graphs``
    article graphs with their own content (what a second publish does) and appending ``chunks`` 4 MB
    pieces of the version graph to a scratch graph (what the first phase of a publish does). Returns the
    quads per second of each, to estimate what kb publish over the Graph Store Protocol takes at this size."""
    import httpx

    from kb.publish import gsp as publish
    from tests import virtuoso

    auth = httpx.DigestAuth(virtuoso.USER, virtuoso.PASSWORD)
    scratch = f"{base_iri}graph/probe"
    with publish.GraphStoreClient(server.graph_store, auth) as client:
        def ntriples(graph: str, limit: int) -> bytes:
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT {limit}"
            response = client.client.post(server.sparql, data={"query": query},
                                          headers={"accept": "application/n-triples"})
            response.raise_for_status()
            return response.content

        every = published["named_graphs"]  # article graphs are named after their sources: src-000000, ...
        named = [f"{base_iri}graph/src-{i:06d}" for i in range(0, every, max(1, every // graphs))][:graphs]
        bodies = {name: ntriples(name, 1_000_000) for name in named}
        started = time.perf_counter()
        for name, body in bodies.items():
            client.replace(name, body)
        named_rate = sum(b.count(b"\n") for b in bodies.values()) / (time.perf_counter() - started)
        # pieces of the version graph, under a scratch graph: the same terms, as new quads
        body = ntriples(published["graph"], 14_000 * chunks)
        pieces = list(publish.chunks(body))
        started = time.perf_counter()
        for piece in pieces:
            client.send("POST", scratch, piece)
        default_rate = body.count(b"\n") / (time.perf_counter() - started)
        client.delete(scratch)
    return {"named_graph_quads_per_s": named_rate, "named_graph_quads": sum(b.count(b"\n") for b in bodies.values()),
            "default_graph_quads_per_s": default_rate, "default_graph_quads": body.count(b"\n")}


# -- step 5: the API on the remote store ------------------------------------------------------------------------

def serve_step(sparql: str, base_iri: str, people: list[str], seconds: float, limit: int) -> dict[str, Any]:
    """(child) Make kb's app on ``sparql+{sparql}`` and measure it over ASGI; return start-up, latencies, the
    raw SPARQL floor, whether the GraphQL and the SPARQL answers name the same meetings, and peak memory."""
    return asyncio.run(_serve(sparql, base_iri, people, seconds, limit))


async def _serve(sparql: str, base_iri: str, people: list[str], seconds: float, limit: int) -> dict[str, Any]:
    import gc

    import httpx

    from benchmarks.inprocess import repeat
    from kb.config import Settings
    from kb.serve.app import create_app

    counter = itertools.count()
    queries: dict[int, int] = {}
    made = time.perf_counter()
    app = create_app(Settings(root=ROOT / "nonexistent", base_iri=base_iri, store=f"sparql+{sparql}",
                              production=True))  # reads the catalogue; an API replica needs no data
    gc.freeze()
    graph = app.state.served.current.backend.graph  # the version graph the catalogue names
    results: dict[str, Any] = {"version_graph": graph}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb", timeout=600) as api, \
            httpx.AsyncClient(timeout=600) as engine:

        async def graphql(person: str, first: int) -> dict[str, Any]:
            variables = {"id": person, "first": first, "benchmarkRequest": next(counter)}
            response = await api.post("/graphql", json={"query": questions.KB_GRAPHQL, "variables": variables})
            document: dict[str, Any] = response.json()
            if response.status_code != 200 or document.get("errors") or not document["data"]["person"]:
                raise RuntimeError(f"GraphQL failed: {response.text[:500]}")
            queries[first] = int(response.headers.get("x-kb-sparql-queries", -1))  # SPARQL queries it took
            return document

        async def raw(person: str, first: int) -> dict[str, Any]:
            query = f"{questions.sparql(base_iri, person, first)}\n# request {next(counter)}"
            response = await engine.post(sparql, data={"query": query, "default-graph-uri": graph},
                                         headers={"accept": "application/sparql-results+json"})
            if response.status_code != 200:
                raise RuntimeError(f"Virtuoso answered {response.status_code}: {response.text[:500]}")
            document: dict[str, Any] = response.json()
            return document

        await graphql(people[0], 20)
        now = time.perf_counter()
        results["start_up_s"] = round(now - STARTED, 3)  # the process started: interpreter, imports, app, answer
        results["app_to_first_answer_s"] = round(now - made, 3)
        varied = itertools.cycle(people)
        for name, who, first in (("typical", itertools.repeat(people[0]), 20),
                                 ("hub", itertools.repeat(questions.HUB), 100), ("typical_varied", varied, 20)):
            async def ask(who: Any = who, first: int = first) -> None:
                await graphql(next(who), first)

            results[f"graphql_{name}"] = await repeat(ask, seconds, limit)
            log(f"serve: GraphQL {name}: {results[f'graphql_{name}']}")
            if name == "typical_varied":
                continue

            async def floor(who: Any = who, first: int = first) -> None:
                await raw(next(who), first)

            results[f"sparql_{name}"] = await repeat(floor, seconds, limit)
            log(f"serve: raw SPARQL {name}: {results[f'sparql_{name}']}")
        for name, person, first in (("typical", people[0], 20), ("hub", questions.HUB, 100)):
            nodes = (await graphql(person, first))["data"]["person"]["meetings"]["nodes"]
            quotes = {(m["id"], e["quote"], e["start"], e["end"]) for m in nodes for e in m["evidence"]}
            bindings = (await raw(person, first))["results"]["bindings"]
            floor_quotes = {(b["meeting"]["value"].removeprefix(base_iri), b["quote"]["value"],
                             int(b["start"]["value"]), int(b["end"]["value"])) for b in bindings}
            results[f"{name}_queries"] = queries[first]
            results[f"{name}_meetings"] = len(nodes)
            results[f"{name}_quotes"] = len(quotes)
            results[f"{name}_answers_match"] = bool(quotes) and quotes == floor_quotes and len(nodes) == len(
                {b["meeting"]["value"] for b in bindings})
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


# -- step 4: Virtuoso's side ------------------------------------------------------------------------------------

def proc_status_mb(pid: int) -> dict[str, float]:
    """Return VmHWM (peak) and VmRSS (now) of process ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS")}


def disk_mb(folder: Path) -> dict[str, float]:
    """Return the MB each Virtuoso file in ``folder`` takes on disk (allocated blocks), and their total."""
    sizes = {path.name: path.stat().st_blocks * 512 / 2**20 for path in folder.glob("virtuoso*")
             if path.suffix in {".db", ".trx"}}
    sizes["total"] = sum(sizes.values())
    return sizes


def quads_stored(server: Virtuoso) -> int:
    """Return how many quads Virtuoso holds in all (``count(*)`` of DB.DBA.RDF_QUAD, through isql: a SPARQL
    COUNT with a filter on the graphs takes minutes at 80 M quads, and meets MaxQueryExecutionTime)."""
    return int(virtuoso_sql(server).values("select count(*) from DB.DBA.RDF_QUAD;")[0])


def checkpoint(server: Virtuoso) -> float:
    """Run Virtuoso's ``checkpoint`` (its buffers and transaction log written into the database file); return
    the seconds it took. Raises LoadError when isql fails."""
    started = time.perf_counter()
    virtuoso_sql(server).checkpoint()
    return time.perf_counter() - started


# -- the whole run -----------------------------------------------------------------------------------------------

def publish_into(root: Path, server: Virtuoso, base_iri: str = BASE_IRI, loader: str = "gsp",
                 stop_after: float | None = None) -> dict[str, Any]:
    """Publish the knowledge base under ``root`` into the running ``server`` (step 3) in a fresh process:
    ``gsp`` as kb publish does (:func:`publish_step`), ``bulk`` as kb publish --bulk --virtuoso-isql does
    (:func:`bulk_step`, :func:`bulk_load`). Returns what it measured. Raises RuntimeError when it fails."""
    from tests import virtuoso

    credentials = {"base_iri": base_iri, "user": virtuoso.USER, "password": virtuoso.PASSWORD}
    before = {"quads_before": quads_stored(server)}  # Virtuoso's own graphs
    if loader == "bulk":
        log("publish with Virtuoso's bulk loader (kb publish --bulk: read, check, write the dump, load it) ...")
        folder = server.folder / "load"  # inside Virtuoso's DirsAllowed
        built = child("bulk", {"root": str(root), "folder": str(folder), "base_iri": base_iri}, timeout=6 * 3600)
        return {**bulk_load(server, folder, built, base_iri), **before}
    log("publish (kb publish: read, check, build and send over the Graph Store Protocol) ...")
    return {**child("publish", {"root": str(root), "endpoint": server.graph_store, "stop_after": stop_after,
                                **credentials}, timeout=6 * 3600), **before}


def publish_rows(published: dict[str, Any], add: Callable[[str, str, float, str], None]) -> None:
    """Add the rows of what a publish measured (``published``) through ``add(system, metric, value, unit)``."""
    system = "kb-publish" if published.get("loader", "gsp") == "gsp" else "virtuoso-bulk-load"
    add(system, "facts", published["facts"], "facts")
    add(system, "triples", published["triples"], "triples")
    add(system, "quads_sent", published["quads_sent"], "quads")
    add(system, "named_graphs", published["named_graphs"], "graphs")
    add(system, "bytes_sent", published["bytes_sent"] / 2**20, "MB")
    add(system, "requests", published["requests"], "requests")
    for phase in ("read", "check", "build_write", "load", "load_total", "build_send", "total"):
        if phase in published["seconds"]:
            add(system, f"publish_{phase}", published["seconds"][phase], "s")
    add(system, "waiting_for_store", published["waited_s"], "s")
    add(system, "quads_per_second", published["quads_sent"] / published["seconds"]["build_send"], "quads/s")
    add(system, "publish_peak_memory", published["peak_rss_mb"], "MB")
    if "default_graph_s" in published:  # over the Graph Store Protocol: the default graph, then article graphs
        if not published["complete"]:
            add(system, "stopped_after", published["seconds"]["build_send"], "s")
        add(system, "default_graph_seconds", published["default_graph_s"], "s")
        add(system, "default_graph_quads_per_second",
            published["default_graph_quads"] / max(published["default_graph_s"], 1e-9), "quads/s")
        if published["article_graphs_sent"]:
            articles_s = published["seconds"]["build_send"] - published["default_graph_s"]
            add(system, "article_graphs_sent", published["article_graphs_sent"], "graphs")
            add(system, "article_graph_quads_per_second",
                (published["quads_sent"] - published["default_graph_quads"]) / articles_s, "quads/s")
            add(system, "article_graph_seconds_each", articles_s / published["article_graphs_sent"], "s")


def measure(scale: int, server: Virtuoso, published: dict[str, Any], seconds: float, limit: int,
            base_iri: str = BASE_IRI, save: Callable[[list[Row]], None] | None = None) -> list[Row]:
    """Rows (at ``scale`` facts) of what the publish into ``server`` measured (``published``), of Virtuoso's
    side (step 4) and of the API on it (5); each new row is handed to ``save`` with the ones before it.
    Raises RuntimeError when a step fails."""

    rows: list[Row] = []

    def add(system: str, metric: str, value: float, unit: str) -> None:
        rows.append(row(system, scale, metric, value, unit))
        if save is not None:
            save(rows)

    publish_rows(published, add)
    if not published.get("complete", True):  # stopped part way: no catalogue, nothing to serve
        return rows

    log("Virtuoso: count the quads, memory, disk, checkpoint ...")
    started = time.perf_counter()
    add("virtuoso", "quads_stored", quads_stored(server) - published["quads_before"], "quads")
    add("virtuoso", "count_quads_time", time.perf_counter() - started, "s")
    memory = proc_status_mb(server.process.pid)
    add("virtuoso", "engine_peak_memory_after_publish", memory["VmHWM"], "MB")
    add("virtuoso", "engine_memory_after_publish", memory["VmRSS"], "MB")
    add("virtuoso", "disk_before_checkpoint", disk_mb(server.folder)["total"], "MB")
    add("virtuoso", "checkpoint_time", checkpoint(server), "s")
    after = disk_mb(server.folder)
    add("virtuoso", "disk_after_checkpoint", after["total"], "MB")
    add("virtuoso", "database_file", after.get("virtuoso.db", 0.0), "MB")

    log("Graph Store Protocol at this size: kb publish's requests, timed (a re-publish's work) ...")
    probe = gsp_probe(server, published, base_iri)
    named_quads = published["quads_sent"] - published["triples"]
    add("kb-publish-gsp-probe", "default_graph_quads_per_second", probe["default_graph_quads_per_s"], "quads/s")
    add("kb-publish-gsp-probe", "named_graph_quads_per_second", probe["named_graph_quads_per_s"], "quads/s")
    add("kb-publish-gsp-probe", "estimated_publish_build_send",
        published["triples"] / probe["default_graph_quads_per_s"] + named_quads / probe["named_graph_quads_per_s"],
        "s")

    log("serve: kb's API on the remote store, in process over ASGI ...")
    served = child("serve", {"sparql": server.sparql, "base_iri": base_iri, "people": published["people"],
                             "seconds": seconds, "limit": limit}, timeout=3600)
    add("kb-api-remote", "start_up_to_first_answer", served["start_up_s"], "s")
    add("kb-api-remote", "app_to_first_answer", served["app_to_first_answer_s"], "s")
    for system, prefix, names in (("kb-graphql-remote", "graphql", ("typical", "hub", "typical_varied")),
                                  ("virtuoso-raw-sparql", "sparql", ("typical", "hub"))):
        for name in names:
            for stat in ("p50_ms", "p99_ms"):
                add(system, f"{name}_{stat[:3]}", served[f"{prefix}_{name}"][stat], "ms")
            add(system, f"{name}_samples", served[f"{prefix}_{name}"]["n"], "requests")
    for name in ("typical", "hub"):
        add("kb-graphql-remote", f"{name}_vs_raw_sparql_p50",
            served[f"graphql_{name}"]["p50_ms"] / served[f"sparql_{name}"]["p50_ms"], "x")
    for name in ("typical", "hub"):  # the same meetings and quotes as the raw SPARQL (1) or not (0)
        add("kb-graphql-remote", f"{name}_sparql_queries", served[f"{name}_queries"], "queries")
        add("kb-graphql-remote", f"{name}_meetings", served[f"{name}_meetings"], "meetings")
        add("kb-graphql-remote", f"{name}_quotes", served[f"{name}_quotes"], "quotes")
        add("kb-graphql-remote", f"{name}_answers_match_raw_sparql", int(served[f"{name}_answers_match"]), "bool")
    add("kb-api-remote", "api_peak_memory", served["peak_rss_mb"], "MB")
    add("virtuoso", "engine_peak_memory", proc_status_mb(server.process.pid)["VmHWM"], "MB")
    return rows


def write_rows(path: Path, rows: list[Row]) -> None:
    """Write ``rows`` as benchmarks/results.json has them: a JSON list, one row a line, followed by the rows
    ``path`` already held for systems this run did not measure (a ``--loader bulk`` or ``--reuse`` run keeps
    the rows of an earlier ``--loader gsp`` publish, system ``kb-publish``)."""
    earlier: list[Row] = json.loads(path.read_text()) if path.exists() else []
    measured = {r["system"] for r in rows}
    rows = rows + [r for r in earlier if r["system"] not in measured]
    path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n")


def run(facts: int, folder: Path, memory_mb: int, seconds: float, limit: int, reuse: bool, output: Path,
        loader: str = "gsp", stop_after: float | None = None) -> list[Row]:
    """Generate (step 1), start Virtuoso in ``folder`` (2) and :func:`measure` (3 to 5); return every row,
    written to ``output`` after each one. ``reuse`` serves from the database an earlier run left in
    ``folder`` instead of publishing again."""
    from tests import virtuoso

    rows: list[Row] = []
    log(f"generate {facts} facts (or reuse) ...")
    generated = child("generate", {"facts": facts}, timeout=7200)
    if "seconds" in generated:
        rows.append(row("generate", facts, "generate_time", generated["seconds"], "s"))
        rows.append(row("generate", facts, "generate_peak_memory", generated["peak_rss_mb"], "MB"))
        write_rows(output, rows)
    log(f"data in {generated['root']} ({'reused' if generated['reused'] else 'generated'})")
    stamp = folder / "publish.json"
    if not reuse:
        shutil.rmtree(folder, ignore_errors=True)
    log(f"start Virtuoso in {folder} ({memory_mb} MB) ...")
    server = virtuoso.start(folder, memory_mb=memory_mb, timeout=600)
    rows.append(row("virtuoso", facts, "buffer_pool", memory_mb * 2 // 3, "MB"))
    try:
        if reuse:
            published = json.loads(stamp.read_text())
        else:
            published = publish_into(Path(generated["root"]), server, loader=loader, stop_after=stop_after)
            stamp.write_text(json.dumps(published))  # for --reuse, should a later step fail
        rows += measure(facts, server, published, seconds, limit, save=lambda new: write_rows(output, rows + new))
    finally:
        server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1_000_000, help="facts to generate and publish")
    parser.add_argument("--memory-mb", type=int, default=8192,
                        help="Virtuoso's memory: two thirds of it become its buffer pool (8 KiB pages)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time spent on each latency measurement")
    parser.add_argument("--max", type=int, default=500, help="most requests per latency measurement")
    parser.add_argument("--loader", choices=("gsp", "bulk"), default="gsp",
                        help="gsp: kb publish over the Graph Store Protocol; bulk: Virtuoso's bulk loader (ld_dir)")
    parser.add_argument("--stop-publish-after", type=float, metavar="SECONDS",
                        help="--loader gsp: stop sending after this long and report the rates measured until then")
    parser.add_argument("--reuse", action="store_true",
                        help="serve from the Virtuoso database the last run left, without publishing again")
    parser.add_argument("--folder", type=Path, help="Virtuoso's database folder (benchmarks/data/virtuoso-N)")
    parser.add_argument("--clean", action="store_true", help="delete Virtuoso's database folder at the end")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, payload = args.child[0], json.loads(args.child[1])
        steps: dict[str, Callable[..., dict[str, Any]]] = {
            "generate": generate_step, "publish": publish_step, "bulk": bulk_step, "serve": serve_step}
        function = steps[step]
        for key in ("root", "folder"):
            if key in payload:
                payload[key] = Path(payload[key])
        print(json.dumps(function(**payload)))
        return
    DATA.mkdir(parents=True, exist_ok=True)
    folder = (args.folder or DATA / f"virtuoso-{args.facts}").resolve()
    started = time.perf_counter()
    try:
        rows = run(args.facts, folder, args.memory_mb, args.seconds, args.max, args.reuse, args.output,
                   args.loader, args.stop_publish_after)
    finally:
        if args.clean:
            shutil.rmtree(folder, ignore_errors=True)
    rows.append(row("run", args.facts, "million_run", time.perf_counter() - started, "s"))
    write_rows(args.output, rows)
    print(table(rows))
    print(f"\n{os.cpu_count()} cores, seed {SEED}; wrote {args.output}")


if __name__ == "__main__":
    main()
