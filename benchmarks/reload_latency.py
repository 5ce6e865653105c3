"""Measure live editing: the time from saving a curation file to the new version being served.

    python benchmarks/reload_latency.py [--root DIR] [--edits 20] [--store oxigraph|rdflib] [--clients 0]

Copies DIR's seeds/ and curation/ (default: this project) into a temporary folder, starts ``kb serve --reload``
on a free port of 127.0.0.1 as a real subprocess, then saves ``--edits`` changes to curation/meetings.yaml
(each a new label for the first meeting, written to a temporary file and renamed, as editors save). For each it
measures the seconds from the rename to the first /health answer naming the new version, and checks that
GraphQL answers with the new label. Then it saves a broken edit and measures the time until /health reports
it (``status: stale``) while the last good version keeps serving. ``--clients N`` keeps N threads querying
GraphQL meanwhile, to measure under load. Prints one JSON object; asserts nothing about speed.
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
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.load.version import kb_version  # imported after the path is set, as the other benchmarks do

POLL_SECONDS = 0.002
TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def save(path: Path, text: str) -> float:
    """Write ``text`` beside ``path`` and rename it over; return the time of the rename."""
    tmp = path.with_name(f".{path.name}.saving")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
    return time.perf_counter()


def wait(client: httpx.Client, check: Any) -> dict[str, Any]:
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        body: dict[str, Any] = client.get("/health").json()
        if check(body):
            return body
        time.sleep(POLL_SECONDS)
    raise TimeoutError("the server never reported the expected state")


def load(url: str, stop: threading.Event, counts: list[int], query: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            ok = client.post("/graphql", json={"query": query}).status_code == 200
            counts[0 if ok else 1] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--store", default="oxigraph")
    parser.add_argument("--clients", type=int, default=0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-reload-bench-"))
    for folder in ("seeds", "curation"):
        shutil.copytree(args.root / folder, work / folder)
    meetings = work / "curation" / "meetings.yaml"
    original = meetings.read_text("utf-8")
    first_id = re.search(r"(?m)^- id: (\S+)", original)
    label = re.search(r"(?m)^  label: (.+)$", original)
    assert first_id and label, "curation/meetings.yaml has no meeting with a label"
    query = f'{{ meeting(id: "{first_id.group(1)}") {{ label }} }}'
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    kb = Path(sys.executable).parent / "kb"
    server = subprocess.Popen([str(kb), "serve", "--reload", "--root", str(work), "--port", str(port),
                               "--store", args.store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    counts = [0, 0]
    threads: list[threading.Thread] = []
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            started = time.perf_counter()
            while True:
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    if time.perf_counter() - started > TIMEOUT_SECONDS:
                        raise
                    time.sleep(0.05)
            startup = time.perf_counter() - started
            threads = [threading.Thread(target=load, args=(url, stop, counts, query)) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            latencies: list[float] = []
            builds: list[float] = []
            for n in range(1, args.edits + 1):
                text = original.replace(f"  label: {label.group(1)}\n", f"  label: {label.group(1)}, edit {n}\n", 1)
                saved = save(meetings, text)
                version = kb_version(work)
                body = wait(client, lambda b, v=version: b["version"] == v)
                latencies.append(time.perf_counter() - saved)
                builds.append(body["reload"]["last_build_seconds"])
                answer = client.post("/graphql", json={"query": query}).json()
                assert answer["data"]["meeting"]["label"].endswith(f", edit {n}"), answer
            broken = original.replace("  kind: ", "  kind: [", 1)
            saved = save(meetings, broken)
            body = wait(client, lambda b: b.get("status") == "stale")
            stale_seconds = time.perf_counter() - saved
            errors = body["reload"]["errors"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        server.terminate()
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    ordered = sorted(latencies)
    print(json.dumps({
        "root": str(args.root), "store": args.store, "edits": args.edits, "clients": args.clients,
        "startup_seconds": round(startup, 3),
        "save_to_served_seconds": {
            "median": round(statistics.median(ordered), 3), "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
            "max": round(ordered[-1], 3), "min": round(ordered[0], 3)},
        "rebuild_seconds_median": round(statistics.median(builds), 3),
        "broken_save_to_health_seconds": round(stale_seconds, 3), "broken_errors": errors[:3],
        "queries_during": {"ok": counts[0], "failed": counts[1]},
    }, indent=2))


if __name__ == "__main__":
    main()
