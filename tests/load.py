"""A bounded load test of a real ``kb serve --reload`` on 127.0.0.1, with the knowledge base edited while it
answers. Used by tests/test_load.py (which asserts) and benchmarks/reliability.py (which reports figures).

Each request asks one topic's label twice -- as ``topic(id:)`` and as ``node(id:)``, resolved separately --
and the response names its version in ``X-KB-Version``. The editor renames the topic (``..., take N``)
between and during the levels, and once saves a broken file, which must change nothing served. Every
version is the hash of the files (kb.load.version.kb_version), so the label each version must answer is known
when the file is written. A response is *failed* unless it is a 200 with data and no errors; it is *mixed* if
its two labels differ or do not belong to the version it names.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kb.load.version import kb_version

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
TOPIC = "fentanyl"
QUERY = f'{{ one: topic(id: "{TOPIC}") {{ label }} two: node(id: "topic/{TOPIC}") {{ ... on Topic {{ label }} }} }}'
BROKEN = "- id: fentanyl\n  label: [unclosed\n"
REFUSALS = frozenset({429, 503})
RETRY_SCALE = 0.1
"""Clients here wait a tenth of what Retry-After says: the test stays short, the server still sheds load."""


@dataclass
class Level:
    """What one concurrency level did: requests, seconds, latencies, failures and mixed answers."""

    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    failures: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)
    answers: list[tuple[str, str, str]] = field(default_factory=list, repr=False)
    refused: int = 0
    """Requests refused by admission control (429/503 with Retry-After) and sent again; not failures."""

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "concurrency": self.concurrency, "requests": self.requests, "failed": len(self.failures),
            "mixed": len(self.mixed), "versions_served": len(self.versions), "refused_then_retried": self.refused,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p99_ms": round(1000 * ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))], 1),
        }


class Editor:
    """Renames the topic in the project's topics.yaml; remembers which label each version must answer."""

    def __init__(self, root: Path) -> None:
        self.path = root / "curation" / "topics.yaml"
        self.original = self.path.read_text("utf-8")
        self.labels = {kb_version(root): TOPIC}
        self.root = root
        self.edits = 0

    def save(self, text: str) -> str:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent.parent, prefix=".save-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)  # as editors save: never a half-written file
        return kb_version(self.root)

    def rename(self) -> str:
        """Save the next label; return the version that names it."""
        self.edits += 1
        label = f"{TOPIC}, take {self.edits}"
        version = self.save(self.original.replace(f"  label: {TOPIC}\n", f"  label: {label}\n", 1))
        self.labels[version] = label
        return version

    def break_it(self) -> str:
        """Save a file that does not validate; return its version (which must never be served)."""
        return self.save(self.original.replace(f"- id: {TOPIC}\n  label: {TOPIC}\n", BROKEN, 1))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(root: Path) -> Iterator[str]:
    """Run ``kb serve --reload`` on ``root`` on a free port of 127.0.0.1; yield its base URL. Its log goes to
    the file ``KB_LOAD_LOG`` names, if any."""
    port = free_port()
    kb = Path(sys.executable).with_name("kb")
    argv = [str(kb), "serve", "--root", str(root), "--port", str(port), "--reload"]
    url = f"http://127.0.0.1:{port}"
    with open(os.environ.get("KB_LOAD_LOG", os.devnull), "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{url}/health", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("kb serve did not start") from None
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


async def _wait_for(http: httpx.AsyncClient, version: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await http.get("/health")).json().get("version") != version:
        if time.monotonic() > deadline:
            raise RuntimeError(f"version {version} was not served within {timeout} s")
        await asyncio.sleep(0.05)


def check(level: Level, editor: Editor, response: httpx.Response) -> None:
    """Count a response as failed or mixed, or neither."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or body.get("errors") or not body.get("data"):
        level.failures.append(f"{response.status_code} {response.text[:200]}")
        return
    version = response.headers.get("x-kb-version", "")
    level.versions.add(version)
    # Judged once the level ends: the server can serve a save before the editor's thread has recorded which
    # label that version names (it hashes the files after writing them).
    level.answers.append((version, body["data"]["one"]["label"], body["data"]["two"]["label"]))


def judge(level: Level, editor: Editor) -> None:
    """Count every answer whose two labels differ, or differ from the label its version names, as mixed."""
    for version, one, listed in level.answers:
        if not one == listed == editor.labels.get(version):
            level.mixed.append(f"version {version}: {one!r} / {listed!r}, expected {editor.labels.get(version)!r}")


async def _level(url: str, editor: Editor, concurrency: int, requests: int, edit_every: float) -> Level:
    level = Level(concurrency)
    remaining = requests
    # Closed by the client before uvicorn (5 s) would close it idle: a request never races a closing connection.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:

        async def client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    response = await http.post("/graphql", json={"query": QUERY})
                    while response.status_code in REFUSALS:  # admission control: come back as told, then count
                        level.refused += 1
                        await asyncio.sleep(float(response.headers["retry-after"]) * RETRY_SCALE)
                        response = await http.post("/graphql", json={"query": QUERY})
                except httpx.HTTPError as exc:
                    level.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                level.latencies.append(time.perf_counter() - started)
                level.requests += 1
                check(level, editor, response)

        async def edits() -> None:
            while remaining > 0:
                await asyncio.sleep(edit_every)
                if remaining > 0:
                    await asyncio.to_thread(editor.rename)

        started = time.perf_counter()
        await asyncio.gather(edits(), *(client() for _ in range(concurrency)))
        level.seconds = time.perf_counter() - started
    judge(level, editor)
    return level


async def _run(url: str, editor: Editor, levels: list[tuple[int, int]], edit_every: float) -> list[Level]:
    done: list[Level] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for concurrency, requests in levels:
            # Between levels: a broken save (which must not be served), then a good one (which must be).
            await asyncio.to_thread(editor.break_it)
            await _wait_for(http, await asyncio.to_thread(editor.rename))
            done.append(await _level(url, editor, concurrency, requests, edit_every))
    return done


def run(levels: list[tuple[int, int]], edit_every: float = 0.5, source: Path = MINI) -> tuple[list[Level], int]:
    """Serve a copy of ``source`` and run every ``(concurrency, requests)`` level against it, editing while
    it runs. Returns the levels and how many edits were saved."""
    with tempfile.TemporaryDirectory(prefix="kb-load-") as folder:
        root = Path(folder)
        for part in ("seeds", "curation"):
            shutil.copytree(source / part, root / part)
        editor = Editor(root)
        with server(root) as url:
            levels_done = asyncio.run(_run(url, editor, levels, edit_every))
        return levels_done, editor.edits
