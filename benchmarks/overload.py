"""Overload: how ``kb serve`` holds up when more clients come than it can answer at once.

For each knowledge base (the seeds, and a generated one of 10k facts), a real ``kb serve --production`` on
127.0.0.1 is asked, by closed-loop clients that each send their next request as soon as the last is answered:

- the heavy GraphQL question (a person with meetings, participants and evidence) at 1, 10, 50, 100, 200 clients;
- the person page (HTML) at 200 clients;
- a SPARQL SELECT at 200 clients.

Beside them a probe asks ``/health`` every 50 ms and reads the server's own event-loop stall
(``event_loop.lag_ms_recent_max``, kb.serve.probe). Per step: answers, refusals (429/503, and how long a
refusal took), server errors (any other status >= 500, or a transport error), goodput (answers a second), p50
and p99 latency of answers, /health p99 and the largest loop stall. Then the home page of the knowledge base, once
its layout is built. Prints a table and writes ``benchmarks/results_overload.json``::

    python benchmarks/overload.py            # seeds and 10k, 8 s a step
    python benchmarks/overload.py --quick    # seeds only, 3 s a step
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import generate
from benchmarks.questions import KB_GRAPHQL
from benchmarks.servers import kb_serve

DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results_overload.json"
SEED_PERSON = "antony-blinken"
SPARQL = ("PREFIX sdo: <https://schema.org/> SELECT ?m ?p WHERE { ?m a sdo:Event ; sdo:attendee ?p } "
          "ORDER BY ?m ?p LIMIT 200")


@dataclass
class Step:
    """One load step: what was asked and what came back."""

    kb: str
    request: str
    clients: int
    seconds: float
    answered: int = 0
    refused: int = 0
    server_errors: int = 0
    refusal_ms_max: float = 0.0
    goodput: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    health_p99_ms: float = 0.0
    loop_stall_ms_max: float = 0.0
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def requests_for(kind: str, person: str) -> tuple[str, str, dict[str, Any] | None]:
    """Return (method, path, JSON body) of one request of ``kind``."""
    if kind == "graphql":
        return "POST", "/graphql", {"query": KB_GRAPHQL, "variables": {"id": person, "first": 20}}
    if kind == "page":
        return "GET", f"/people/{person}", None
    if kind == "sparql":
        return "GET", "/sparql?" + urllib.parse.urlencode({"query": SPARQL}), None
    if kind == "home":
        return "GET", "/", None
    raise ValueError(kind)


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken with asyncio streams: a generator light enough that 200 of
    them leave the cores to the server under test (httpx spent more CPU than kb on this machine)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return int(status_line.split()[1]), headers, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def run_step(url: str, kb_name: str, kind: str, clients: int, seconds: float, person: str) -> Step:
    step = Step(kb_name, kind, clients, seconds)
    method, path, body = requests_for(kind, person)
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    health: list[float] = []
    stalls: list[float] = []
    stop = 0.0
    counter = 0

    async def client() -> None:
        nonlocal counter
        connection = Connection(host, int(port))
        while time.monotonic() < stop:
            counter += 1
            payload, where = None, path
            if body is not None:  # an unused variable numbers each request: the answer cache never replies
                payload = json.dumps({**body, "variables": {**body["variables"], "n": counter}}).encode()
            elif kind == "sparql":  # a numbered comment, for the same reason
                where = "/sparql?" + urllib.parse.urlencode({"query": f"{SPARQL} # {counter}"})
            started = time.perf_counter()
            try:
                status, headers, content = await connection.request(method, where, payload)
            except (OSError, asyncio.IncompleteReadError, ConnectionError) as exc:
                step.server_errors += 1
                step.notes.append(type(exc).__name__)
                await connection.close()
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if status in (429, 503):
                step.refused += 1
                step.refusal_ms_max = max(step.refusal_ms_max, elapsed)
                await asyncio.sleep(float(headers.get("retry-after", "1")) * RETRY_SCALE)
            elif status >= 500:
                step.server_errors += 1
                step.notes.append(f"{status}: {content[:120]!r}")
            elif status == 200 and b'"errors"' not in content[:200]:
                step.answered += 1
                latencies.append(elapsed)
            else:
                step.server_errors += 1
                step.notes.append(f"{status}: {content[:120]!r}")
        await connection.close()

    async def probe() -> None:
        connection = Connection(host, int(port))
        while time.monotonic() < stop:
            started = time.perf_counter()
            _, _, content = await connection.request("GET", "/health", None)
            health.append((time.perf_counter() - started) * 1000)
            stalls.append(json.loads(content)["event_loop"]["lag_ms_recent_max"])
            await asyncio.sleep(0.05)
        await connection.close()

    await asyncio.sleep(WINDOW_REST)  # the probe's window is 5 s: a step's stall figure is its own
    started = time.monotonic()
    stop = started + seconds
    await asyncio.gather(probe(), *(client() for _ in range(clients)))
    elapsed = time.monotonic() - started
    step.goodput = step.answered / elapsed
    step.p50_ms = statistics.median(latencies) if latencies else 0.0
    step.p99_ms = percentile(latencies, 0.99)
    step.health_p99_ms = percentile(health, 0.99)
    step.loop_stall_ms_max = max(stalls, default=0.0)
    step.notes = sorted(set(step.notes))[:5]
    return step


RETRY_SCALE = 1.0
"""Refused clients come back after Retry-After, as the protocol asks."""
WINDOW_REST = 5.2


def home_page(url: str, samples: int = 20) -> dict[str, float]:
    """Time the home page once its layout is built (the first answers may show the placeholder)."""
    with httpx.Client(base_url=url, timeout=120) as http:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            page = http.get("/")
            if "being drawn" not in page.text:
                break
            time.sleep(0.5)
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            http.get("/").raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return {"home_p50_ms": statistics.median(times), "home_p99_ms": percentile(times, 0.99)}


def reload_with_slow_client(samples: int = 5) -> dict[str, float]:
    """Serve a copy of the seeds with ``--reload``; hold a request open (its body never finishes) and save an
    edit: seconds from the save until /health names the new version, for each of ``samples`` edits."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in ("seeds", "curation"):
            shutil.copytree(ROOT / name, root / name)
        topics = root / "curation" / "topics.yaml"
        original = topics.read_text("utf-8")
        with kb_serve(root, "--reload") as url, httpx.Client(base_url=url, timeout=30) as http:
            host, port = url.removeprefix("http://").split(":")
            slow = socket.create_connection((host, int(port)))
            slow.sendall(b"POST /graphql HTTP/1.1\r\nHost: kb\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"query\"")  # and never the rest
            seconds = []
            for n in range(samples):
                before = http.get("/health").json()["version"]
                topics.write_text(original.replace("label: ", f"label: take {n} ", 1), "utf-8")
                started = time.perf_counter()
                while http.get("/health").json()["version"] == before:
                    assert time.perf_counter() - started < 60, "the edit was never served"
                    time.sleep(0.01)
                seconds.append(time.perf_counter() - started)
            slow.close()
    return {"edit_served_s_median": statistics.median(seconds), "edit_served_s_max": max(seconds)}


def knowledge_bases(quick: bool) -> list[tuple[str, Path, str]]:
    found = [("seeds", ROOT, SEED_PERSON)]
    if not quick:
        out = DATA / "overload-10000"
        if not (out / "curation").is_dir():
            generate.write(out, 10_000)
        found.append(("10k", out, "person-000001"))
    return found


def table(steps: list[Step]) -> str:
    head = (f"{'kb':6} {'request':8} {'clients':>7} {'answered':>8} {'refused':>7} {'5xx':>4} {'refuse ms':>9} "
            f"{'goodput/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'health p99':>10} {'stall ms':>8}")
    lines = [head, "-" * len(head)]
    for s in steps:
        lines.append(f"{s.kb:6} {s.request:8} {s.clients:>7} {s.answered:>8} {s.refused:>7} {s.server_errors:>4} "
                     f"{s.refusal_ms_max:>9.0f} {s.goodput:>9.1f} {s.p50_ms:>8.0f} {s.p99_ms:>8.0f} "
                     f"{s.health_p99_ms:>10.1f} {s.loop_stall_ms_max:>8.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the seeds only, 3 s a step")
    parser.add_argument("--seconds", type=float, default=None, help="seconds a step (default 8, quick 3)")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    DATA.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    extra: dict[str, Any] = {}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    for name, root, person in knowledge_bases(args.quick):
        with kb_serve(root) as url:
            for clients in (1, 10, 50, 100, 200):
                steps.append(asyncio.run(run_step(url, name, "graphql", clients, seconds, person)))
                print(table(steps[-1:]).splitlines()[-1], flush=True)
            for kind in ("page", "sparql"):
                steps.append(asyncio.run(run_step(url, name, kind, 200, seconds, person)))
                print(table(steps[-1:]).splitlines()[-1], flush=True)
            extra[name] = home_page(url)
    extra["reload"] = reload_with_slow_client()
    served = extra["reload"]
    print(f"--reload with a slow client holding a request: an edit served in {served['edit_served_s_median']:.2f} s"
          f" (median; max {served['edit_served_s_max']:.2f} s)")
    print()
    print(table(steps))
    for name, figures in extra.items():
        if "home_p50_ms" not in figures:
            continue
        print(f"{name}: home page p50 {figures['home_p50_ms']:.0f} ms, p99 {figures['home_p99_ms']:.0f} ms")
    graphql = [s for s in steps if s.request == "graphql"]
    for name in sorted({s.kb for s in steps}):
        mine = [s for s in graphql if s.kb == name]
        best = max(s.goodput for s in mine)
        at_200 = next(s.goodput for s in mine if s.clients == 200)
        extra.setdefault(name, {})["goodput_200_of_best"] = at_200 / best if best else 0.0
        print(f"{name}: goodput at 200 clients is {at_200 / best if best else 0:.0%} of the sweep's best "
              f"({best:.1f}/s)")
    RESULTS.write_text(json.dumps({"loadavg_before": load_before, "loadavg_after": Path("/proc/loadavg").read_text()
                                   .split()[:3], "seconds_per_step": seconds, "steps": [asdict(s) for s in steps],
                                   "summary": extra}, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
