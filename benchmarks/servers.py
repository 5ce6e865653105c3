"""ASGI factories and server processes for the HTTP benchmarks, each on 127.0.0.1 on a free port.

    kb                 uvicorn benchmarks.servers:kb_app --factory --workers N   (KB_ROOT names the KB)
    rdflib-endpoint    uvicorn benchmarks.servers:rdflib_app --factory            (the same graph, rdflib Memory)
    datasette          benchmarks/.peers/bin/datasette serve KB.db (with datasette-graphql)
    Virtuoso           tests/virtuoso.py, loaded by kb publish
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "benchmarks" / ".peers"
BASE_IRI = "https://kb.example.org/"


def kb_app() -> Any:
    """The kb app on the knowledge base named by ``KB_ROOT`` (production settings: no GraphiQL)."""
    import gc

    from kb.config import Settings
    from kb.serve.app import create_app

    app = create_app(Settings.from_env(production=True))
    gc.freeze()  # as kb serve does: what was built lives as long as the server
    return app


def rdflib_app() -> Any:
    """rdflib-endpoint's SPARQL app over the same graph, in rdflib's Memory store (``KB_ROOT``)."""
    from rdflib_endpoint import SparqlEndpoint

    from kb.graph import store
    from kb.load import pipeline

    graph_store = store.build_store(pipeline.load(Path(os.environ["KB_ROOT"])), BASE_IRI, "memory")
    return SparqlEndpoint(graph=graph_store.graph, path="/sparql", cors_enabled=False)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once ``url`` answers below 500. Raises RuntimeError when the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def process(argv: list[str], probe: str, env: dict[str, str] | None = None,
            timeout: float = 600) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends (SIGTERM, then SIGKILL); wait until ``probe`` answers."""
    log = open(ROOT / "benchmarks" / "data" / "server.log", "ab")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=log)
    try:
        wait_until_up(probe, proc, timeout)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def kb_serve(root: Path, *options: str, timeout: float = 900) -> Iterator[str]:
    """Run the ``kb serve --production`` command on ``root`` (with ``options``), as a user starts it; yield its
    base URL once ``/health`` answers."""
    port = free_port()
    kb = shutil.which("kb") or str(Path(sys.executable).parent / "kb")
    argv = [kb, "serve", "--root", str(root), "--port", str(port), "--production", *options]
    with process(argv, f"http://127.0.0.1:{port}/health", {"PYTHONUNBUFFERED": "1"}, timeout):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def kb_server(root: Path, workers: int) -> Iterator[str]:
    """Serve ``root`` with kb's app under uvicorn with ``workers`` processes; yield the base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "benchmarks.servers:kb_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    with process(argv, f"http://127.0.0.1:{port}/health", {"KB_ROOT": str(root)}):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def rdflib_server(root: Path) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "benchmarks.servers:rdflib_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    with process(argv, f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", {"KB_ROOT": str(root)}):
        yield f"http://127.0.0.1:{port}"


def peers_python() -> Path:
    """Return the peers venv's python, creating the venv from pyproject's ``peers`` extra when missing.

    datasette-graphql needs graphql-core < 3.3 (graphene 3), strawberry >= 3.3: they cannot share a venv.
    """
    python = PEERS / "bin" / "python"
    if not (PEERS / "bin" / "datasette").exists():
        import tomllib

        extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["peers"]
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *extra], check=True)
    return python


@contextmanager
def datasette_server(db: Path) -> Iterator[str]:
    """Serve the SQLite file with datasette + datasette-graphql, limits raised so every answer completes."""
    peers_python()
    port = free_port()
    metadata = db.with_suffix(".metadata.json")
    metadata.write_text(json.dumps({"plugins": {"datasette-graphql": {"num_queries_limit": 10_000}}}))
    argv = [str(PEERS / "bin" / "datasette"), "serve", str(db), "--host", "127.0.0.1", "--port", str(port),
            "-m", str(metadata), "--setting", "sql_time_limit_ms", "60000", "--setting", "max_returned_rows",
            "100000", "--setting", "default_page_size", "1000"]
    with process(argv, f"http://127.0.0.1:{port}/-/versions.json"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def virtuoso_server(root: Path, folder: Path) -> Iterator[tuple[str, str]]:
    """Start a private Virtuoso, publish ``root`` into it; yield its /sparql URL and the version graph."""
    sys.path.insert(0, str(ROOT))
    from kb.publish import root as publish_from_root
    from tests import virtuoso

    server = virtuoso.start(folder, memory_mb=1024)
    try:
        auth = httpx.DigestAuth(virtuoso.USER, virtuoso.PASSWORD)
        done = publish_from_root.over_graph_store(root, BASE_IRI, server.graph_store, auth)
        yield server.sparql, done.graph
    finally:
        server.stop()
