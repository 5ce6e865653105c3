"""Hostile SPARQL: every /sparql query runs in a worker process, under a time limit, a row cap and a bound
on how many run at once.

    refused before evaluation   an update, SERVICE, or text that is not SPARQL 1.1 (parsed with rdflib's SPARQL
                                parser in the worker: kb.serve.sparql.parsed), a graph the snapshot does not
                                hold named by FROM or the protocol -> 400; no type the client accepts -> 406
    time limit                  the worker is killed when ``sparql_timeout_seconds`` pass and a fresh one
                                started: neither engine can stop a query, and a thread cannot be killed -> 503
    memory                      a query may take ``WORKER_QUERY_MEMORY_BYTES`` of address space beyond the graph
                                its worker holds: one that would take the machine's memory kills its worker
                                instead -> 500 (the cap moves with the graph, so a big KB still loads)
    row cap                     at most ``sparql_max_rows`` rows (or triples); a cut answer says so in the
                                ``X-KB-Truncated`` header and, in JSON, ``"truncated": true, "rowLimit": N``
    concurrency                 at most ``sparql_max_concurrent`` queries at once; beyond that, 429 with
                                ``Retry-After`` at once, so a slow query never queues others behind it

Workers hold the graph of the snapshot they last answered from and load another when a request pins
another version, so a reload never mixes versions; a version patched from the one a worker holds
(kb.serve.served.patched) is a patch for the worker too, so an edit of a large KB does not reload every worker.
They start lazily, and exit when their parent closes the pipe.
A snapshot served by a remote engine (kb.serve.remote) has no local graph: its queries are checked in a worker,
then passed to the remote engine under the same time limit (an HTTP request can be cancelled); its row cap
is the remote engine's own, it offers only the types kb.graph.query's backends give, and a dataset cannot be
chosen (FROM, default-graph-uri: 400), since the remote engine's graphs are not the snapshot's to list.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import pyoxigraph as ox
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kb.config import Limits
from kb.errors import QueryError, SparqlRefused
from kb.graph.query import GraphFormat, ResultFormat
from kb.graph.snapshot import Snapshot
from kb.graph.terms import Quad, to_oxigraph
from kb.publish.catalogue import version_graph
from kb.serve.sparql.formats import not_acceptable
from kb.serve.sparql.worker import frame

LOCAL_ENGINES = frozenset({"oxigraph", "rdflib"})
WORKER_QUERY_MEMORY_BYTES = 2 * 1024**3
LOAD_TIMEOUT_SECONDS = 120.0
RETRY_AFTER_SECONDS = 1
TRUNCATED_HEADER = "X-KB-Truncated"
TIMEOUT_MESSAGE = "the query ran longer than {seconds:g} s and was stopped; narrow it (LIMIT, fewer joins)"
BUSY_MESSAGE = "too many SPARQL queries are running; retry in a moment"
CRASHED_MESSAGE = "the query could not be evaluated: it needed more memory than a query may use"


@dataclass(frozen=True)
class Asked:
    """One /sparql query as the protocol asked it: the text, the Accept header, ``format=``, and the
    ``default-graph-uri`` and ``named-graph-uri`` given (None when not given)."""

    query: str
    accept: str = ""
    format: str | None = None
    default: tuple[str, ...] | None = None
    named: tuple[str, ...] | None = None

    def fields(self, snapshot: Snapshot) -> dict[str, Any]:
        """Return the fields of a worker request for this query on ``snapshot``: relative IRIs resolve
        against its base IRI, and its default graph is named as ``kb publish`` names it (its version graph)."""
        return {"query": self.query, "accept": self.accept, "format": self.format,
                "default": None if self.default is None else list(self.default),
                "named": None if self.named is None else list(self.named),
                "base": snapshot.mint.base, "default_name": default_graph_name(snapshot)}


def default_graph_name(snapshot: Snapshot) -> str:
    """Return the IRI that names the default graph of ``snapshot`` in a dataset (FROM, default-graph-uri)."""
    return version_graph(snapshot.mint.base, snapshot.version)


def graph_names(snapshot: Snapshot) -> list[str]:
    """Return the IRIs of the named graphs of ``snapshot`` (articles, vocabulary), sorted; once a version."""

    def names() -> list[str]:
        native = snapshot.graph.native
        if native is not None:
            return sorted(g.value for g in native.named_graphs() if isinstance(g, ox.NamedNode))
        return sorted(str(_graph_name(g)) for g in snapshot.graph.dataset.graphs() if _graph_name(g) is not None)

    return snapshot.cached("sparql_guard:graphs", names)


@dataclass(frozen=True)
class Guarded:
    """A query's answer: its bytes, their media type, how many rows (or triples) and whether it was cut."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool

    @property
    def headers(self) -> dict[str, str]:
        """Return the response headers that describe this answer (truncation, if any)."""
        return {TRUNCATED_HEADER: f"true; rows={self.rows}"} if self.truncated else {}


class _TimedOut(Exception):
    pass


class _Died(Exception):
    pass


def nquads(snapshot: Snapshot) -> bytes:
    """Return the snapshot's dataset as N-Quads (computed once per snapshot)."""

    def dump() -> bytes:
        native = snapshot.graph.native
        if native is None:  # rdflib's own N-Quads serialiser warns of its deprecated Dataset.contexts
            native = ox.Store()
            quads = snapshot.graph.dataset.quads((None, None, None, None))
            native.extend(to_oxigraph(cast(Quad, (s, p, o, _graph_name(g))) for s, p, o, g in quads))
        data: bytes = native.dump(format=ox.RdfFormat.N_QUADS)
        return data

    return snapshot.cached("sparql_guard:nquads", dump)


def _graph_name(graph: Any) -> Any:
    """Return the name of a graph rdflib's ``Dataset.quads`` gives, None for the default graph."""
    name = getattr(graph, "identifier", graph)
    return None if name is None or name == DATASET_DEFAULT_GRAPH_ID else name


class _Worker:
    """One worker process and the snapshot version it holds; used by one request at a time."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.version: str | None = None

    def start(self) -> None:
        self.stop()  # a worker that died on its own still has pipes to close
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb.serve.sparql.worker", str(WORKER_QUERY_MEMORY_BYTES)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, close_fds=True,
        )

    def stop(self) -> None:
        process, self.process, self.version = self.process, None, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def call(self, header: dict[str, Any], data: bytes | None, seconds: float) -> tuple[dict[str, Any], bytes]:
        """Send one request and return the reply. Raises _TimedOut after ``seconds``, _Died if the worker did."""
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        parts = [json.dumps(header).encode("utf-8")] + ([data] if data is not None else [])
        try:
            self.process.stdin.write(frame(*parts))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _Died from exc
        deadline = time.monotonic() + seconds
        fd = self.process.stdout.fileno()
        reply = json.loads(self._message(fd, deadline))
        return reply, self._message(fd, deadline)

    def _message(self, fd: int, deadline: float) -> bytes:
        size = int.from_bytes(self._exactly(fd, 4, deadline), "big")
        return self._exactly(fd, size, deadline)

    def _exactly(self, fd: int, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _TimedOut
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise _Died
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop()

PREPARE_POLL_SECONDS = 0.01

class SparqlGuard:
    """Runs /sparql queries in ``limits.sparql_max_concurrent`` worker processes under ``limits``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.workers = [_Worker() for _ in range(limits.sparql_max_concurrent)]
        self.idle = list(self.workers)
        self.lock = threading.Lock()
        self.preparing = 0
        self.closed = False
        """Workers taken by :meth:`prepare`: a query waits for one of them rather than being refused."""
        self.executor = ThreadPoolExecutor(max_workers=len(self.workers), thread_name_prefix="kb-sparql")
        # A guard dropped without close() (an app built in a test) still ends its processes.
        self._finalizer = weakref.finalize(self, _stop_all, self.workers)

    def warm(self) -> None:
        """Start every worker process now, so the first queries do not wait for one to start (also after
        :meth:`close`: an app's lifespan may run again, as test clients do)."""
        if self.closed:
            self.executor = ThreadPoolExecutor(max_workers=len(self.workers), thread_name_prefix="kb-sparql")
            self._finalizer = weakref.finalize(self, _stop_all, self.workers)
            self.closed = False
        for worker in self.workers:
            if not worker.alive():
                worker.start()

    def prepare(self, snapshot: Snapshot) -> None:
        """Load ``snapshot`` into every idle worker now, in the guard's threads, and return at once: the first
        queries of a version then find it loaded (work done once per version, off the request path). A worker
        busy meanwhile loads the version when it next answers, as before."""
        if snapshot.backend.name not in LOCAL_ENGINES:
            return
        with self.lock:
            taken, self.idle = self.idle, []
            self.preparing += len(taken)
        for worker in taken:
            self.executor.submit(self._prepare, worker, snapshot)

    def _prepare(self, worker: _Worker, snapshot: Snapshot) -> None:
        try:
            if not worker.alive():
                worker.start()
            if worker.version != snapshot.version:
                self._load(worker, snapshot)
        except (_TimedOut, _Died):
            worker.stop()  # started again by the next query that takes it
        finally:
            with self.lock:
                self.preparing -= 1
                self.idle.append(worker)

    def close(self) -> None:
        """Stop every worker process."""
        self._finalizer()
        self.executor.shutdown(wait=False)
        self.closed = True

    async def answer(self, snapshot: Snapshot, asked: Asked) -> Guarded:
        """Answer ``asked`` from ``snapshot`` in the type its Accept header (or ``format=``) rates best. Raises
        SparqlRefused (400 refused, 406 no type acceptable, 429 busy, 503 too slow, 500 worker lost)."""
        worker = await self._take()
        if worker is None:
            raise SparqlRefused(429, BUSY_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)})
        try:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self.executor, self._run, worker, snapshot, asked)
            if snapshot.backend.name in LOCAL_ENGINES:
                return found
            return await self._remote(snapshot, asked.query, found)
        finally:
            with self.lock:
                self.idle.append(worker)

    async def _take(self) -> _Worker | None:
        """Return an idle worker, waiting while one is only loading the version being served; None when every
        worker is answering a query."""
        deadline = time.monotonic() + self.limits.sparql_timeout_seconds
        while True:
            with self.lock:
                if self.idle:
                    return self.idle.pop()
                if not self.preparing or time.monotonic() > deadline:
                    return None
            await asyncio.sleep(PREPARE_POLL_SECONDS)

    async def _remote(self, snapshot: Snapshot, query: str, checked: Guarded) -> Guarded:
        """Answer a checked query (``checked.media_type``: the type chosen) from the remote engine."""
        seconds = self.limits.sparql_timeout_seconds
        result_types, graph_types = {f.value: f for f in ResultFormat}, {f.value: f for f in GraphFormat}
        if checked.media_type not in result_types and checked.media_type not in graph_types:
            raise SparqlRefused(406, not_acceptable([*result_types, *graph_types]))  # what a remote engine gives
        results = result_types.get(checked.media_type, ResultFormat.JSON)
        graphs = graph_types.get(checked.media_type, GraphFormat.TURTLE)
        try:
            found = await asyncio.wait_for(snapshot.backend.answer(query, results, graphs), seconds)
        except TimeoutError:
            raise SparqlRefused(503, TIMEOUT_MESSAGE.format(seconds=seconds)) from None
        except QueryError as exc:
            raise SparqlRefused(400, f"the query was refused: {exc}") from None
        return Guarded(found.body, found.media_type, -1, False)

    def _load(self, worker: _Worker, snapshot: Snapshot) -> None:
        """Give ``worker`` the graph of ``snapshot``: the path of its kept store, a patch when it holds the
        version patched into this one, else the whole graph. Raises _TimedOut, _Died."""
        kept = snapshot.graph.kept
        if kept is not None:  # on disk: the worker opens the very store the server reads, read-only
            reply, _ = worker.call({"op": "open", "path": str(kept.store_path)}, None, LOAD_TIMEOUT_SECONDS)
            if not reply["ok"]:
                raise _Died(reply.get("error", "the worker could not open the kept store"))
            worker.version = snapshot.version
            return
        patch = snapshot.patch
        if patch is not None and worker.version == patch.parent:
            reply, _ = worker.call({"op": "patch", "remove": len(patch.remove)}, patch.remove + patch.add,
                                   LOAD_TIMEOUT_SECONDS)
            if reply["ok"]:
                worker.version = snapshot.version
                return
        engine = "oxigraph" if snapshot.backend.name == "oxigraph" else "rdflib"
        worker.call({"op": "load", "engine": engine, "graphs": graph_names(snapshot)}, nquads(snapshot),
                    LOAD_TIMEOUT_SECONDS)
        worker.version = snapshot.version

    def _run(self, worker: _Worker, snapshot: Snapshot, asked: Asked) -> Guarded:
        local = snapshot.backend.name in LOCAL_ENGINES
        request: dict[str, Any] = {"op": "query" if local else "check", **asked.fields(snapshot),
                                   "max_rows": self.limits.sparql_max_rows}
        try:
            if not worker.alive():
                worker.start()
            if local and worker.version != snapshot.version:
                self._load(worker, snapshot)
            reply, body = worker.call(request, None, self.limits.sparql_timeout_seconds)
        except _TimedOut:
            worker.stop()
            worker.start()  # warm again before the next query needs it
            raise SparqlRefused(503, TIMEOUT_MESSAGE.format(seconds=self.limits.sparql_timeout_seconds)) from None
        except _Died:
            worker.stop()
            raise SparqlRefused(500, CRASHED_MESSAGE) from None
        if not reply["ok"]:
            raise SparqlRefused(int(reply["status"]), str(reply["error"]))
        if not local:
            return Guarded(b"", str(reply["media_type"]), 0, False)  # checked: the caller asks the remote engine
        return Guarded(body, str(reply["media_type"]), int(reply["rows"]), bool(reply["truncated"]))
