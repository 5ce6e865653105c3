"""The event-loop stall of a server that does nothing: the floor under overload.py's "loop stall" column.

overload.py reads ``kb serve``'s own loop lag (kb.serve.probe.LoopLag) while 1 to 200 closed-loop clients, run by
the same machine, ask it. This script runs the same clients and the same probe against a bare Starlette app on the
same HTTP stack (uvicorn, httptools, uvloop) whose every route answers a constant of the size kb answers: no query,
no rendering, no worker process. Whatever stall it shows is the machine's (two cores shared by the load generator
and the server, the GIL's switch interval), not kb's. Prints a table and writes
``benchmarks/results_loopfloor.json``::

    python benchmarks/loopfloor.py             # 8 s a step
    python benchmarks/loopfloor.py --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.overload import run_step, table

RESULTS = ROOT / "benchmarks" / "results_loopfloor.json"
PAGE = b"<!doctype html><title>x</title>" + b"<p>" + b"x" * 20_000 + b"</p>"
ANSWER = json.dumps({"data": {"person": {"name": "x" * 4_000}}}).encode()


def app():  # type: ignore[no-untyped-def]
    """Return the bare app: constant answers, and /health with the loop's lag as kb's /health shows it."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from kb.serve.probe import LoopLag

    lag = LoopLag()
    stop = asyncio.Event()

    async def health(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"event_loop": {"lag_ms_recent_max": round(lag.recent_max_ms(), 1)}})

    async def answer(request):  # type: ignore[no-untyped-def]
        await request.body()
        return Response(ANSWER, media_type="application/json")

    async def page(request):  # type: ignore[no-untyped-def]
        return Response(PAGE, media_type="text/html")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(lag.run(stop))
        yield
        stop.set()
        await task

    return Starlette(routes=[Route("/health", health), Route("/graphql", answer, methods=["POST"]),
                             Route("/sparql", answer), Route("/people/{id}", page)], lifespan=lifespan)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "benchmarks.loopfloor:app",
                                "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http",
                                "httptools", "--log-level", "warning", "--no-access-log"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds a step (default 8)")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    steps = []
    with serving() as url:
        for kind, clients in (("graphql", 1), ("graphql", 10), ("graphql", 50), ("graphql", 100),
                              ("graphql", 200), ("page", 200), ("sparql", 200)):
            steps.append(asyncio.run(run_step(url, "bare", kind, clients, args.seconds, "x")))
            print(table(steps[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(steps))
    RESULTS.write_text(json.dumps({"loadavg_before": load_before,
                                   "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
                                   "seconds_per_step": args.seconds, "steps": [asdict(s) for s in steps]},
                                  indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
