"""A small HTTP load generator: ``concurrency`` clients repeat one request until time or count runs out.

The same generator, with the same keep-alive client, drives every system, so the numbers compare. On this
2-core machine the generator shares the CPU with the server under test, which caps everyone alike.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Request:
    """One request to repeat: method, URL and body (JSON or a form), and a check of each answer."""

    url: str
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: bytes = b""  # a byte string every successful answer contains
    fresh: bool = True  # make every request unique (an unused variable, a SPARQL comment): no answer cache helps

    def numbered(self, n: int) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
        """Return the JSON body and form of the ``n``-th request."""
        if not self.fresh:
            return self.json, self.form
        json_body = {**self.json, "variables": {**self.json.get("variables", {}), "benchmarkRequest": n}} \
            if self.json is not None else None
        form = {**self.form, "query": f"{self.form['query']}\n# request {n}"} if self.form is not None else None
        return json_body, form


@dataclass
class Outcome:
    """Throughput (answers per second) and latency of the successful answers."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def as_dict(self) -> dict[str, float]:
        ordered = sorted(self.latencies) or [float("nan")]
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return {"rps": round(len(self.latencies) / self.seconds, 2), "p50_ms": round(statistics.median(ordered) * 1000, 2),
                "p99_ms": round(p99 * 1000, 2), "requests": self.requests, "errors": self.errors}


async def _client(client: httpx.AsyncClient, request: Request, deadline: float, budget: list[int],
                  outcome: Outcome) -> None:
    while budget[0] > 0 and time.perf_counter() < deadline:
        budget[0] -= 1
        json_body, form = request.numbered(budget[0])
        start = time.perf_counter()
        try:
            response = await client.post(request.url, json=json_body, data=form, headers=request.headers)
            ok = response.status_code == 200 and request.expect in response.content and b'"errors"' not in response.content[:20]
        except httpx.HTTPError:
            ok = False
        outcome.requests += 1
        if ok:
            outcome.latencies.append(time.perf_counter() - start)
        else:
            outcome.errors += 1


async def hammer(request: Request, seconds: float, max_requests: int, concurrency: int = 8) -> Outcome:
    """Send ``request`` from ``concurrency`` clients until ``seconds`` pass or ``max_requests`` are sent.

    One warm-up request goes first (not counted). Raises RuntimeError when the warm-up fails.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        warm = await client.post(request.url, json=request.json, data=request.form, headers=request.headers)
        if warm.status_code != 200 or request.expect not in warm.content:
            raise RuntimeError(f"warm-up to {request.url} failed: {warm.status_code} {warm.text[:300]}")
        outcome = Outcome(0, 0, 0.0, [])
        budget = [max_requests]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_client(client, request, deadline, budget, outcome) for _ in range(concurrency)))
        outcome.seconds = time.perf_counter() - start
    return outcome
