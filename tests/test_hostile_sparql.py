"""Hostile SPARQL against the real /sparql endpoint: read-only, nothing fetched from elsewhere, a time limit
that kills a runaway query, a row cap that says so, and 429 beyond the concurrency bound."""

from __future__ import annotations

import asyncio
import contextlib
import csv as csv_module
import dataclasses
import io
import json
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.config import Limits, Settings
from kb.graph.query import Answer, GraphFormat, ResultFormat
from kb.serve.app import create_app
from kb.serve.sparql import endpoint
from kb.serve.sparql.guard import BUSY_MESSAGE, TIMEOUT_MESSAGE, TRUNCATED_HEADER
from kb.serve.sparql.parsed import NOT_HERE, READ_ONLY, refusal
from tests.hostile import MINI, Client, client, leaks, mini_snapshot

SPARQL_QUERY = {"content-type": "application/sparql-query"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


class Listener:
    """A web server on 127.0.0.1 that counts the requests it gets: what a refused query must never reach."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("content-type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def http(request: pytest.FixtureRequest) -> Client:
    return client(Limits(sparql_max_rows=10), store=request.param)


def ask(http: Client, query: str, **headers: str) -> httpx.Response:
    response = http.post("/sparql", content=query.encode(), headers={**SPARQL_QUERY, **headers})
    assert leaks(response.text) == [], response.text[:500]
    return response


def error(response: httpx.Response) -> str:
    message: str = response.json()["error"]
    return message


def test_listener_would_be_reached_by_an_unguarded_engine(listener: Listener) -> None:
    # The control: rdflib's engine, asked directly, does fetch a SERVICE. The guard is what stops it.
    before = len(listener.hits)
    with contextlib.suppress(Exception):  # the answer is not SPARQL results; the request is what counts
        list(rdflib.Graph().query(f"SELECT * {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"))
    assert len(listener.hits) > before


@pytest.mark.parametrize("template", [
    "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * {{ {{ SELECT ?s {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * {{ SERVICE#comment\n<{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX remote: <{url}>\nSELECT * {{ SERVICE remote: {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_before_evaluation(http: Client, listener: Listener, template: str) -> None:
    before = len(listener.hits)
    response = ask(http, template.format(url=listener.url))
    assert (response.status_code, error(response)) == (400, NOT_HERE.format("SERVICE"))
    assert len(listener.hits) == before


@pytest.mark.parametrize("template", [
    "SELECT * FROM <{url}data.ttl> {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}data.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
    "ASK FROM <{url}data.ttl> {{ ?s ?p ?o }}",
    "DESCRIBE ?s FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * \\u0046ROM <{url}data.ttl> {{ ?s ?p ?o }}",
])
def test_from_a_graph_not_held_is_refused_before_evaluation(http: Client, listener: Listener,
                                                            template: str) -> None:
    before = len(listener.hits)
    response = ask(http, template.format(url=listener.url))
    assert response.status_code == 400
    assert f"holds no graph <{listener.url}data.ttl>" in error(response)
    assert len(listener.hits) == before


@pytest.mark.parametrize("update", [
    "LOAD <{url}data.ttl>",
    "LOAD SILENT <{url}data.ttl> INTO GRAPH <http://example.org/g>",
    "INSERT DATA {{ <http://example.org/a> <http://example.org/b> <http://example.org/c> }}",
    "DELETE WHERE {{ ?s ?p ?o }}",
    "PREFIX x: <http://example.org/>\n# a comment\nINSERT {{ x:a x:b x:c }} WHERE {{}}",
    "DROP ALL", "CLEAR DEFAULT", "CREATE GRAPH <http://example.org/g>", "COPY DEFAULT TO <http://example.org/g>",
    "WITH <http://example.org/g> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "SELECT * {{ ?s ?p ?o }} ; INSERT DATA {{ <http://example.org/a> <http://example.org/b> <http://example.org/c> }}",
])
def test_updates_are_refused_and_change_nothing(http: Client, listener: Listener, update: str) -> None:
    before = len(listener.hits)
    response = ask(http, update.format(url=listener.url))
    assert response.status_code == 400
    assert error(response) == READ_ONLY or error(response).startswith("the query is not valid SPARQL 1.1")
    assert len(listener.hits) == before
    check = ask(http, "ASK { <http://example.org/a> <http://example.org/b> <http://example.org/c> }")
    assert check.json()["boolean"] is False
    assert ask(http, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").json()["results"]["bindings"][0]["n"]["value"] != "0"


def test_update_by_protocol_is_refused(http: Client) -> None:
    body = b"INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    response = http.post("/sparql", content=body, headers={"content-type": "application/sparql-update"})
    assert (response.status_code, error(response)) == (400, READ_ONLY)
    response = http.post("/sparql", data={"update": body.decode()})
    assert (response.status_code, error(response)) == (400, READ_ONLY)


@pytest.mark.parametrize("query", [
    "# SERVICE <http://example.org/> FROM <http://example.org/>\nSELECT * { ?s ?p ?o } LIMIT 1",
    'SELECT * { ?s ?p ?o FILTER(?o != "SERVICE <http://example.org/>") } LIMIT 1',
    "SELECT ?from ?service { ?from ?service ?o } LIMIT 1",
    "PREFIX from: <http://example.org/>\nSELECT * { ?s ?p ?o } LIMIT 1",
])
def test_keywords_in_comments_strings_and_names_are_not_refused(http: Client, query: str) -> None:
    response = ask(http, query)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 1


def test_parser_refusals_unit() -> None:
    assert refusal("SELECT * { ?s ?p ?o }") is None
    assert refusal("ASK { ?s ?p ?o }") is None
    assert refusal("LOAD <http://example.org/>") == READ_ONLY
    assert refusal("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }") == NOT_HERE.format("SERVICE")
    assert refusal("SELEC * { }") == "the query is not valid SPARQL 1.1 (syntax error at line 1, column 1)"
    assert refusal("SELECT * {" * 5000) is not None  # absurd nesting: refused, not a crash


def test_syntax_error_is_a_readable_400(http: Client) -> None:
    response = ask(http, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400 and error(response).startswith("the query is not valid SPARQL 1.1")


def test_row_cap_truncates_and_says_so(http: Client) -> None:
    response = ask(http, "SELECT * { ?s ?p ?o }")
    document = response.json()
    assert response.status_code == 200
    assert len(document["results"]["bindings"]) == 10
    assert (document["truncated"], document["rowLimit"]) == (True, 10)
    assert response.headers[TRUNCATED_HEADER] == "true; rows=10"


def test_answer_within_the_cap_is_not_marked(http: Client) -> None:
    response = ask(http, "SELECT * { ?s ?p ?o } LIMIT 10")
    document = response.json()
    assert len(document["results"]["bindings"]) == 10
    assert "truncated" not in document and TRUNCATED_HEADER not in response.headers


def test_row_cap_in_csv_and_construct(http: Client) -> None:
    csv = ask(http, "SELECT * { ?s ?p ?o }", accept="text/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    records = list(csv_module.reader(io.StringIO(csv.text)))  # a literal may hold line breaks
    assert len(records) == 1 + 10 and csv.headers[TRUNCATED_HEADER] == "true; rows=10"
    triples = ask(http, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples")
    assert len(triples.text.strip().splitlines()) == 10 and triples.headers[TRUNCATED_HEADER] == "true; rows=10"


def test_both_engines_answer_alike() -> None:
    query = "SELECT ?s ?o { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } ORDER BY ?s ?o LIMIT 5"
    answers = [ask(client(store=store), query).json()["results"] for store in ("oxigraph", "rdflib")]
    assert answers[0] == answers[1] and answers[0]["bindings"]


def _worker_pids(http: Client) -> list[int]:
    return [w.process.pid for w in http.app.state.sparql_guard.workers if w.process is not None]


def test_runaway_query_is_stopped_and_its_worker_killed() -> None:
    http = client(Limits(sparql_timeout_seconds=1, sparql_max_concurrent=1))
    assert ask(http, "ASK { ?s ?p ?o }").status_code == 200
    [pid] = _worker_pids(http)
    started = time.monotonic()
    response = ask(http, RUNAWAY)
    elapsed = time.monotonic() - started
    assert (response.status_code, error(response)) == (503, TIMEOUT_MESSAGE.format(seconds=1))
    assert elapsed < 30  # a generous bound: the query alone would run for minutes
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped: nothing still computes the cross join
    after = ask(http, "SELECT * { ?s ?p ?o } LIMIT 1")  # a query not asked before: answered by a new worker
    assert after.status_code == 200 and _worker_pids(http) != [pid]


def test_concurrent_queries_beyond_the_bound_get_429() -> None:
    http = client(Limits(sparql_timeout_seconds=2, sparql_max_concurrent=1))
    assert ask(http, "ASK { ?s ?p ?o }").status_code == 200  # the worker is up

    async def both() -> tuple[httpx.Response, httpx.Response]:
        slow = asyncio.create_task(http.arequest("POST", "/sparql", content=RUNAWAY, headers=SPARQL_QUERY))
        await asyncio.sleep(0.5)
        # Never asked before, so no answer cache can reply in the worker's place.
        quick = await http.arequest("POST", "/sparql", content="ASK { ?x ?y ?z }", headers=SPARQL_QUERY)
        return await slow, quick

    slow, quick = asyncio.run(both())
    assert (quick.status_code, quick.headers["retry-after"], error(quick)) == (429, "1", BUSY_MESSAGE)
    assert slow.status_code == 503
    assert ask(http, "ASK { ?x ?y ?z . }").status_code == 200  # the slot is free again


def test_refusals_leak_nothing(http: Client) -> None:
    for query in ["", "\x00", "SELECT", "SELECT * { ?s ?p ?o } LIMIT -1", "ASK { FILTER(1/0) }",
                  "SELECT * { ?s ?p ?o } ORDER BY (", json.dumps({"query": "x"}), "SELECT * {" * 3000]:
        response = http.post("/sparql", content=query.encode(), headers=SPARQL_QUERY)
        assert response.status_code in (200, 400), (query[:40], response.status_code, response.text[:200])
        assert leaks(response.text) == [], response.text[:300]


class SlowRemote:
    """A stand-in for a remote engine (kb.serve.remote): answers after ``delay`` seconds, records what it was asked."""

    name = "sparql"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.asked: list[str] = []

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        self.asked.append(sparql)
        await asyncio.sleep(self.delay)
        return Answer(b'{"head": {}, "boolean": true}', results.value)


def remote_client(delay: float, timeout: float) -> tuple[Client, SlowRemote]:
    remote = SlowRemote(delay)
    snapshot = dataclasses.replace(mini_snapshot(), backend=remote, memo={})
    asgi = create_app(Settings(root=MINI), snapshot, Limits(sparql_timeout_seconds=timeout))
    return Client(asgi), remote


def test_remote_engine_gets_only_checked_queries_within_the_time_limit() -> None:
    http, remote = remote_client(delay=0, timeout=5)
    assert ask(http, "ASK { ?s ?p ?o }").json() == {"head": {}, "boolean": True}
    response = ask(http, "SELECT * { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert (response.status_code, error(response)) == (400, NOT_HERE.format("SERVICE"))
    assert remote.asked == ["ASK { ?s ?p ?o }"]
    slow, _ = remote_client(delay=30, timeout=0.5)
    started = time.monotonic()
    response = ask(slow, "ASK { ?x ?y ?z }")
    assert (response.status_code, error(response)) == (503, TIMEOUT_MESSAGE.format(seconds=0.5))
    assert time.monotonic() - started < 10


def test_memory_cap_bounds_queries_beyond_the_graph_whatever_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.serve.sparql import guard as sparql_guard

    allowance = 96 * 1024**2
    monkeypatch.setattr(sparql_guard, "WORKER_QUERY_MEMORY_BYTES", allowance)
    worker = sparql_guard._Worker()
    worker.start()
    try:  # a graph larger than the allowance loads: the cap is for queries, not for the graph
        data = b"".join(b'<https://kb.example.org/s%d> <https://kb.example.org/ns#p> "%s" .\n' % (n, b"x" * 200)
                        for n in range(600_000))
        assert len(data) > allowance
        assert worker.call({"op": "load", "engine": "oxigraph"}, data, 120)[0] == {"ok": True}
        reply, body = worker.call({"op": "query", "query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
                                   "results": "application/sparql-results+json", "graphs": "text/turtle",
                                   "max_rows": 10}, None, 60)
        assert reply["ok"] and b'"600000"' in body
        hungry = "SELECT (GROUP_CONCAT(CONCAT(?a, ?b)) AS ?x) { ?s ?p ?a . ?t ?q ?b }"  # 3.6e11 rows, concatenated
        with pytest.raises(sparql_guard._Died):
            worker.call({"op": "query", "query": hungry, "results": "application/sparql-results+json",
                         "graphs": "text/turtle", "max_rows": 10}, None, 120)
        assert worker.process is not None and worker.process.wait(10) != 0  # ended by the cap, not by us
    finally:
        worker.stop()


# ---------------------------------------------------------------- the endpoint's keyword pre-filter: linear

# The pre-filter's patterns before they were made linear: the reference the new one must agree with, on inputs
# short enough for them (_OLD_UPDATE backtracks exponentially in the number of BASE words, _OLD_SKIP
# quadratically in '"\' repeated).
_OLD_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)
_OLD_REFUSED = re.compile(r"(?<![\w?$:-])(SERVICE)(?![\w:-])", re.IGNORECASE)  # FROM now chooses graphs
_OLD_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+[\w-]*:\s*|BASE\s*)\S*\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
_PROLOGUE = ["BASE", "base", "PREFIX", "prefix", "PreFix", "INSERT", "insert", "INSERTx", "DELETE", "LOAD", "WITH",
             "withs", "ADD", "DROP", "CLEAR", "COPY", "SERVICE", "service", "FROM", "from", "SELECT", "ASK", " ", " ",
             "\n", "\t", "a", ":", "-", "x:", "x-y:", "!", "<i>", '"s"', "'t'", "#c\n"]
_PIECES = ['"', "'", "\\", "<", ">", "#", "_", "{", "|", "é", "ſ", "K", "1", '"""', "'''", '""', "''", "?", "$",
           "\\u0053", *_PROLOGUE]


def _old_refusal(query: str) -> str | None:
    bare = _OLD_SKIP.sub(" ", query)
    if _OLD_UPDATE.match(bare):
        return READ_ONLY
    found = _OLD_REFUSED.search(bare)
    return NOT_HERE.format(found.group(1).upper()) if found else None


@settings(max_examples=3000, deadline=None, database=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_prefilter_refuses_exactly_what_it_refused_before(query: str) -> None:
    assert endpoint.words(query) == _OLD_SKIP.sub(" ", query)
    assert endpoint.refusal(query) == _old_refusal(query)


def test_prefilter_agrees_on_many_prologues() -> None:
    # Seeded, so the same 20,000 shapes every run; about one in six is an update behind PREFIX and BASE words.
    chooser = random.Random(20240611)
    refused = 0
    for _ in range(20_000):
        query = "".join(chooser.choice(_PROLOGUE) for _ in range(chooser.randint(0, 12)))
        assert endpoint.refusal(query) == _old_refusal(query), query
        refused += endpoint.refusal(query) == READ_ONLY
    assert refused > 1000


def _adversarial(size: int) -> dict[str, str]:
    """Pre-filter inputs of about ``size`` characters, one per shape that made a pattern backtrack or rescan."""
    def times(unit: str, tail: str = "") -> str:
        return unit * (size // len(unit)) + tail

    return {
        "BASE": times("BASE", "!"), "BASE and spaces": times("BASE ", "!"), "base lowercase": times("base", "!"),
        "PREFIX a:": times("PREFIX a: ", "!"), "PREFIX no colon": times("PREFIX a "), "PREFIX long name": "PREFIX "
        + times("a"), "BASE then INSERT": times("BASE", "INSERTx"), "PREFIX BASE mixed": times("PREFIX a:BASE "),
        "escaped quotes": times('"\\'), "escaped apostrophes": times("'\\"), "both escaped": times("\"\\'\\"),
        "nested quotes": times("\"'\"\"'''\\\""), "unterminated string": '"' + times("a"),
        "unterminated long string": '"""' + times("a\n"), '""" runs': times('"""\\'), "''' runs": times("'''\\"),
        "quote runs": times('"'), "unterminated IRIs": times("<a"), "open angles": times("<"),
        "IRIs and quotes": times('<"'), "comments": times("#\n"), "comment without end": "#" + times("a"),
        "backslashes": times("\\"), "keywords": times("SERVICE FROM "), "plain": times("SELECT * { ?s ?p ?o } "),
    }


@pytest.mark.timeout(120)  # the old patterns would not finish the first of these in a lifetime
@pytest.mark.parametrize("shape", list(_adversarial(1)))
def test_prefilter_is_linear_in_the_query(shape: str) -> None:
    steps = {}
    for size in (8192, 16384, 65536):  # up to Limits.max_body_bytes: the largest query a client can send
        scan = endpoint._Scan(_adversarial(size)[shape])
        scan.refusal()
        steps[size] = scan.steps
    assert steps[16384] <= 2 * steps[8192] + 64
    assert steps[65536] <= 8 * steps[8192] + 256
    assert steps[65536] <= 10 * 65536


@pytest.mark.timeout(120)
def test_the_97_byte_freeze_is_answered() -> None:
    http = client()
    query = "BASE" * 24 + "!"
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 400 and error(response).startswith("the query is not valid SPARQL 1.1")
    big = "BASE" * (Limits().max_body_bytes // 4 - 1) + "!"  # 6.9 s doubled 16,360 times, before
    assert ask(http, big).status_code == 400
    assert ask(http, "PREFIX a: <http://example.org/> " * 1800 + "INSERT DATA { }").json()["error"] == READ_ONLY


def test_large_input_is_checked_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()

    def where(_: str) -> int:
        return threading.get_ident()

    async def both() -> tuple[int, int]:
        small = await endpoint.off_the_loop(endpoint.INLINE_CHARS, where, "")
        large = await endpoint.off_the_loop(endpoint.INLINE_CHARS + 1, where, "")
        return small, large

    small, large = asyncio.run(both())
    assert small == loop_thread and large != loop_thread
