"""The HTTP server's bounds (kb/serve/http.py): what hostile heads get, and what the bounds cost in throughput.

The app over the fixture KB is served on 127.0.0.1 three ways: ``httptools`` (uvicorn's default with
uvicorn[standard], what ``kb serve`` ran before: no bounds), ``h11`` (uvicorn's h11 protocol: it bounds an
unfinished head, the other way to bound heads) and ``kb`` (``kb serve`` now: uvicorn's httptools protocol with
the bounds, kb.config.Limits' defaults). For ``httptools`` and ``kb``: the answer to a 100 KB header, 5,000
headers, a 1 MB cookie and a 32 MiB header; the server's peak RSS growth while 8 connections each send 16 MiB of
unfinished header; how many of 50 connections sending a header byte a second the server closed within
``--slow-seconds``. Then requests a second by wrk (32 connections, when installed) for /health and a GraphQL
POST, the three servers taking turns, median of ``--runs``. Prints a table and writes
``benchmarks/results_http_limits.json``::

    python benchmarks/http_limits.py [--runs 3] [--seconds 5] [--slow-seconds 15] [--throughput-only]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.servers import free_port, wait_until_up

RESULTS = ROOT / "benchmarks" / "results_http_limits.json"
FIXTURE = ROOT / "tests" / "fixtures" / "mini"
MIB = 1024 * 1024
SERVER = """
import sys
from pathlib import Path
import uvicorn
from kb.config import Limits, Settings
from kb.serve import http as http_server
from kb.serve.app import create_app

mode, port = sys.argv[1], int(sys.argv[2])
app = create_app(Settings(root=Path(sys.argv[3]), production=True))
options = http_server.uvicorn_options(Limits()) if mode == "kb" else {"http": mode}
uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", **options)
"""
GRAPHQL = '{"query": "{ people(first: 5) { nodes { id name } } }"}'


@contextmanager
def serve(mode: str) -> Iterator[tuple[int, int]]:
    """Serve the fixture KB with protocol ``mode``; yield its port and process id."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, mode, str(port), str(FIXTURE)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, timeout=120)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def exchange(port: int, data: bytes, timeout: float = 60) -> tuple[str, float]:
    """Send ``data`` on a new connection; return the status line (or how it ended) and the seconds taken."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received:
                    break
        except OSError as exc:
            return received.split(b"\r\n")[0].decode() or type(exc).__name__, time.perf_counter() - started
    return received.split(b"\r\n")[0].decode() or "closed", time.perf_counter() - started


def request(*headers: bytes) -> bytes:
    return (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + b"".join(h + b"\r\n" for h in headers)
            + b"\r\n")


def unfinished_growth(port: int, pid: int) -> float:
    """Return the server's peak RSS growth (MiB) while 8 connections each send 16 MiB of unfinished header."""
    before, peak, done = rss(pid), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(rss(pid))
            time.sleep(0.005)

    def hold() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            try:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Unfinished: " + b"a" * 16 * MIB)
                time.sleep(1)  # held open, unfinished
            except OSError:
                pass

    sampler = threading.Thread(target=sample)
    sampler.start()
    holders = [threading.Thread(target=hold) for _ in range(8)]
    for thread in holders:
        thread.start()
    for thread in holders:
        thread.join()
    done.set()
    sampler.join()
    return (max(peak) - before) / MIB


def slowloris(port: int, seconds: float, count: int = 50) -> dict[str, Any]:
    """Open ``count`` connections sending a header byte a second for ``seconds``; return how many the server
    closed, and when."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for sock in socks:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.setblocking(False)
    started, closed_at = time.monotonic(), {}
    while time.monotonic() - started < seconds and len(closed_at) < count:
        time.sleep(1)
        for n, sock in enumerate(socks):
            if n in closed_at:
                continue
            try:
                sock.send(b"X")
                if sock.recv(4096) == b"":
                    closed_at[n] = time.monotonic() - started
            except BlockingIOError:
                pass
            except OSError:
                closed_at[n] = time.monotonic() - started
    for sock in socks:
        sock.close()
    times = sorted(closed_at.values())
    return {"connections": count, "closed": len(times), "held_seconds": seconds,
            "closed_after_s": [round(times[0], 1), round(times[-1], 1)] if times else None}


def hostile(mode: str, slow_seconds: float) -> dict[str, Any]:
    with serve(mode) as (port, pid):
        found: dict[str, Any] = {}
        for name, data in [("100 KB header", request(b"X-Big: " + b"a" * 100_000)),
                           ("5,000 headers", request(*(b"X-%d: a" % n for n in range(5000)))),
                           ("1 MB cookie", request(b"Cookie: " + b"a" * MIB)),
                           ("32 MiB header", request(b"X-Huge: " + b"a" * 32 * MIB))]:
            answer, seconds = exchange(port, data)
            found[name] = {"answer": answer, "ms": round(seconds * 1000, 1)}
            print(f"{mode:9} {name:16} {answer:45} {seconds * 1000:8.1f} ms", flush=True)
        found["8 x 16 MiB unfinished: peak growth MiB"] = round(unfinished_growth(port, pid), 1)
        found["50 slowloris"] = slowloris(port, slow_seconds)
        print(f"{mode:9} 8 x 16 MiB unfinished: +{found['8 x 16 MiB unfinished: peak growth MiB']} MiB; "
              f"50 slowloris: {found['50 slowloris']}", flush=True)
        return found


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, path: str, seconds: float, script: Path | None) -> tuple[float, int]:
    """Return wrk's requests a second and how many requests it sent."""
    command = ["wrk", "-t1", "-c32", f"-d{round(seconds)}s", f"http://127.0.0.1:{port}{path}"]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate, count = re.search(r"Requests/sec:\s+([\d.]+)", output), re.search(r"(\d+) requests in", output)
    assert rate and count, output
    return float(rate.group(1)), int(count.group(1))


def throughput(runs: int, seconds: float) -> dict[str, dict[str, float]]:
    """Requests a second, and the server's CPU time a request (less swayed by what else runs on the machine)."""
    modes = ("httptools", "h11", "kb")
    taken: dict[str, dict[str, list[float]]] = {mode: {} for mode in modes}
    with tempfile.TemporaryDirectory() as folder, ExitStack() as servers:
        post = Path(folder) / "post.lua"
        post.write_text(f"wrk.method = 'POST'\nwrk.body = '{GRAPHQL}'\n"
                        "wrk.headers['Content-Type'] = 'application/json'\n")
        started = {mode: servers.enter_context(serve(mode)) for mode in modes}
        for mode in modes:
            wrk(started[mode][0], "/health", 1, None)  # warm up
            wrk(started[mode][0], "/graphql", 1, post)
        for _ in range(runs):  # in turns, so a change in the machine's load falls on every way alike
            for mode in modes:
                port, pid = started[mode]
                for name, path, script in (("health", "/health", None), ("graphql", "/graphql", post)):
                    before = cpu_seconds(pid)
                    rate, count = wrk(port, path, seconds, script)
                    taken[mode].setdefault(f"{name}_rps", []).append(rate)
                    taken[mode].setdefault(f"{name}_cpu_us", []).append((cpu_seconds(pid) - before) / count * 1e6)
    found = {mode: {name: statistics.median(values) for name, values in taken[mode].items()} for mode in modes}
    for mode in modes:
        f = found[mode]
        print(f"{mode:9} /health {f['health_rps']:7.0f}/s {f['health_cpu_us']:6.0f} µs CPU a request   "
              f"GraphQL POST {f['graphql_rps']:7.0f}/s {f['graphql_cpu_us']:6.0f} µs CPU a request", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of each wrk run")
    parser.add_argument("--slow-seconds", type=float, default=15.0, help="how long the slowloris clients try")
    parser.add_argument("--throughput-only", action="store_true", help="skip the hostile heads")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    results: dict[str, Any] = {}
    if not args.throughput_only:
        results["hostile"] = {mode: hostile(mode, args.slow_seconds) for mode in ("httptools", "kb")}
    if shutil.which("wrk"):
        results["throughput"] = throughput(args.runs, args.seconds)
        base = results["throughput"]["httptools"]
        for mode in ("h11", "kb"):
            change = {k: v / base[k] - 1 for k, v in results["throughput"][mode].items()}
            print(f"{mode} against httptools: CPU a request /health {change['health_cpu_us']:+.0%}, GraphQL "
                  f"{change['graphql_cpu_us']:+.0%}; requests a second /health {change['health_rps']:+.0%}, "
                  f"GraphQL {change['graphql_rps']:+.0%}")
    results["loadavg_before"] = load_before
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    print(f"loadavg before {' '.join(load_before)}, after {' '.join(results['loadavg_after'])}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
