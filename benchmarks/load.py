"""HTTP load: ``concurrency`` keep-alive clients repeat one request until time or count runs out.

Two generators, the same one for every system in a run so the numbers compare:

- ``wrk`` (Debian's ``wrk`` package, C with a Lua script written here), used when it is installed. It costs the
  server under test little CPU, which matters on a 2-core machine where generator and server share the cores:
  against kb's GraphQL it takes about a tenth of a core where the Python generator took a third.
- ``httpx``, in Python, the fallback.

Each request is numbered (see :meth:`Request.numbered`) and each answer checked (status 200, the expected bytes,
no GraphQL ``errors``); a failed check counts as an error, not as throughput.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
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
    generator: str = "httpx"
    percentiles: tuple[float, float] | None = None  # (p50, p99) in seconds when the generator computed them

    def as_dict(self) -> dict[str, Any]:
        if self.percentiles is not None:
            p50, p99 = self.percentiles
            answered = self.requests - self.errors
        else:
            ordered = sorted(self.latencies) or [float("nan")]
            p50, p99 = statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
            answered = len(self.latencies)
        return {"rps": round(answered / self.seconds, 2), "p50_ms": round(p50 * 1000, 2),
                "p99_ms": round(p99 * 1000, 2), "requests": self.requests, "errors": self.errors,
                "generator": self.generator}


async def _client(client: httpx.AsyncClient, request: Request, deadline: float, budget: list[int],
                  outcome: Outcome) -> None:
    while budget[0] > 0 and time.perf_counter() < deadline:
        budget[0] -= 1
        json_body, form = request.numbered(budget[0])
        start = time.perf_counter()
        try:
            response = await client.post(request.url, json=json_body, data=form, headers=request.headers)
            ok = (response.status_code == 200 and request.expect in response.content
                  and b'"errors"' not in response.content[:20])
        except httpx.HTTPError:
            ok = False
        outcome.requests += 1
        if ok:
            outcome.latencies.append(time.perf_counter() - start)
        else:
            outcome.errors += 1


SLOW = 0.05
"""A warm-up answer slower than this share of the run's seconds makes :func:`hammer` use httpx."""


def generator() -> str:
    """Return the generator :func:`hammer` uses by default: ``wrk`` when installed, else ``httpx``."""
    return "wrk" if shutil.which("wrk") else "httpx"


async def hammer(request: Request, seconds: float, max_requests: int, concurrency: int = 8,
                 using: str | None = None) -> Outcome:
    """Send ``request`` from ``concurrency`` clients until ``seconds`` pass or ``max_requests`` are answered,
    with the generator ``using`` (``wrk`` or ``httpx``; :func:`generator` when None).

    One warm-up request goes first (not counted). When it takes more than :data:`SLOW` of ``seconds`` and no
    generator is named, httpx drives the run: wrk drops the answers still in flight at the deadline, which for a
    system taking seconds an answer is most of them, while httpx waits for them (and its CPU cost does not
    matter at a few requests a second). Raises RuntimeError when the warm-up fails, or wrk does.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        warm = await client.post(request.url, json=request.json, data=request.form, headers=request.headers)
        if warm.status_code != 200 or request.expect not in warm.content:
            raise RuntimeError(f"warm-up to {request.url} failed: {warm.status_code} {warm.text[:300]}")
        if using is None:
            using = "httpx" if time.perf_counter() - started > SLOW * seconds else generator()
        if using == "wrk":
            return await asyncio.to_thread(wrk, request, seconds, max_requests, concurrency)
        outcome = Outcome(0, 0, 0.0, [])
        budget = [max_requests]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_client(client, request, deadline, budget, outcome) for _ in range(concurrency)))
        outcome.seconds = time.perf_counter() - start
    return outcome


_MARK = 987654321987  # stands for the request number in the body template handed to wrk

_WRK_SCRIPT = """
local prefix, suffix, expect = {prefix}, {suffix}, {expect}
local limit = {limit}
local threads = {{}}
-- wrk waits out its duration even when a thread stops early: time the requests with the monotonic clock
local ffi = require("ffi")
ffi.cdef[[ typedef struct {{ long tv_sec; long tv_nsec; }} kb_timespec; int clock_gettime(int, kb_timespec *); ]]
local clock = ffi.new("kb_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end
function setup(thread) table.insert(threads, thread) end
function init(args) n = 0; ok = 0; bad = 0; stopping = false; first = 0; last = 0 end
function request()
  if n == 0 then first = now() end
  n = n + 1
  return wrk.format("POST", nil, nil, prefix .. n .. suffix)
end
function response(status, headers, body)
  if status == 200 and body:find(expect, 1, true) and not body:sub(1, 20):find('"errors"', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
  if ok + bad >= limit and not stopping then stopping = true; last = now(); wrk.thread:stop() end
end
function done(summary, latency, requests)
  local good, failed, micros = 0, 0, summary.duration
  for _, t in ipairs(threads) do
    good = good + t:get("ok"); failed = failed + t:get("bad")
    if t:get("last") > 0 then micros = t:get("last") - t:get("first") end  -- stopped at the request limit
  end
  local e = summary.errors
  io.write(string.format(\
'\\nRESULT {{"ok": %d, "bad": %d, "socket_errors": %d, "micros": %d, "p50": %d, "p99": %d}}\\n',
    good, failed, e.connect + e.read + e.write + e.timeout, micros,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    """Return ``text`` as a Lua long-bracket string literal (no escapes are read inside it)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _template(request: Request) -> tuple[str, str, str]:
    """Return the body's text before and after the request number, and its Content-Type."""
    if request.json is not None:
        body = json.dumps({**request.json,
                           "variables": {**request.json.get("variables", {}), "benchmarkRequest": _MARK}}) \
            if request.fresh else json.dumps(request.json)
        kind = "application/json"
    elif request.form is not None:
        form = {**request.form, "query": f"{request.form['query']}\n# request {_MARK}"} \
            if request.fresh else request.form
        body, kind = urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
    else:
        raise ValueError("wrk sends a body: give the request JSON or a form")
    if not request.fresh:
        return body, "", kind
    prefix, _, suffix = body.partition(str(_MARK))
    return prefix, suffix, kind


def wrk(request: Request, seconds: float, max_requests: int, concurrency: int) -> Outcome:
    """Run wrk (one thread, ``concurrency`` connections) until ``seconds`` pass or ``max_requests`` are
    answered; return its outcome. Raises RuntimeError when wrk fails or prints no result."""
    prefix, suffix, kind = _template(request)
    script = _WRK_SCRIPT.format(prefix=_lua_string(prefix), suffix=_lua_string(suffix),
                                expect=_lua_string(request.expect.decode()), limit=max_requests)
    if not request.fresh:  # the same body every time (the whole of it is the prefix)
        script = script.replace("prefix .. n .. suffix", "prefix")
    headers = [f"{name}: {value}" for name, value in {"Content-Type": kind, **request.headers}.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as lua:
        lua.write(script)
        lua.flush()
        argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "120s", "-s", lua.name]
        for header in headers:
            argv += ["-H", header]
        done = subprocess.run([*argv, request.url], check=False, capture_output=True, text=True,
                              timeout=seconds + 180)
    found = re.search(r"^RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    result = json.loads(found.group(1))
    answered = result["ok"] + result["bad"]
    return Outcome(requests=answered + result["socket_errors"], errors=result["bad"] + result["socket_errors"],
                   seconds=result["micros"] / 1e6, latencies=[], generator="wrk",  # wrk's latencies count
                   percentiles=(result["p50"] / 1e6, result["p99"] / 1e6))               # failed answers too
