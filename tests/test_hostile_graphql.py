"""Hostile GraphQL against the real app: depth, aliases (also through fragments), tokens, expanded fields,
repeated fields, page size, body size, a deadline, and no response that leaks internals."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import parse

from kb.api import guard as graphql_guard
from kb.api.guard import Cost, measure
from kb.api.limits import MASKED_MESSAGE
from kb.config import Limits
from tests.hostile import Client, client, graphql, leaks

LIMITS = Limits()
CYCLE = ["meetings", "edges", "node", "participants", "... on Person"]


def nested(fields: int) -> str:
    """Return a valid query whose deepest path has ``fields`` fields (depth ``fields - 1``)."""
    path = ['person(id: "wang-yi")']
    while len(path) - sum(p.startswith("...") for p in path) < fields - 1:
        path.append(CYCLE[(len(path) - 1) % len(CYCLE)])
    if path[-1].startswith("..."):
        path.pop()
    body = "__typename"
    for part in reversed(path):
        body = f"{part} {{ {body} }}"
    return "{ " + body + " }"


def aliased(count: int) -> str:
    return " ".join(f"a{i}: person(id: \"wang-yi\") {{ name }}" for i in range(count))


def errors(response: httpx.Response) -> list[str]:
    return [e["message"] for e in response.json().get("errors") or []]


@pytest.fixture(scope="module")
def http() -> Client:
    return client()


def test_nested_query_measures_its_depth() -> None:
    assert measure(parse(nested(13))).depth == 12  # type: ignore[union-attr]
    assert measure(parse("{ a { b } c }")) == Cost(depth=1, nodes=3, aliases=0, repeats=1)


def test_depth_at_the_limit_is_answered(http: Client) -> None:
    response = graphql(http, nested(LIMITS.max_depth + 1))
    assert response.status_code == 200 and errors(response) == []
    assert response.json()["data"]["person"]["meetings"]["edges"]


def test_depth_beyond_the_limit_is_refused(http: Client) -> None:
    response = graphql(http, nested(LIMITS.max_depth + 2))
    assert errors(response) == [f"the query is nested more than {LIMITS.max_depth} levels deep"]
    assert response.json()["data"] is None


@pytest.mark.parametrize("levels", [60, 900])  # 900: 1,801 tokens, under the token limit
def test_absurd_nesting_is_refused_without_recursion_error(http: Client, levels: int) -> None:
    response = graphql(http, "{ " + "a { " * levels + "b" + " }" * levels + " }")
    assert errors(response) in (
        [f"the query is nested more than {LIMITS.max_depth} levels deep"],
        ["Syntax Error: Document is nested too deeply. Parsing aborted."],  # graphql-core's parser, first
    )


def test_aliases_at_and_beyond_the_limit(http: Client) -> None:
    assert errors(graphql(http, "{ " + aliased(LIMITS.max_aliases) + " }")) == []
    assert errors(graphql(http, "{ " + aliased(LIMITS.max_aliases + 1) + " }")) == [
        f"the query uses {LIMITS.max_aliases + 1} aliases once fragments are expanded; the limit is 30"
    ]


def test_aliases_are_counted_through_fragment_spreads(http: Client) -> None:
    fragment = "fragment Many on Query { " + aliased(16) + " }"
    assert errors(graphql(http, "query { ...Many } " + fragment)) == []
    nested_spread = "fragment Twice on Query { ...Many ...Many } " + fragment
    for query in ("query { ...Many ...Many } " + fragment, "query { ...Twice } " + nested_spread,
                  "query { ... on Query { ...Many } ...Many } " + fragment):
        assert errors(graphql(http, query)) == [
            "the query uses 32 aliases once fragments are expanded; the limit is 30"
        ]


def test_fragment_bomb_is_refused_before_any_validation_rule_walks_it(
    http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strawberry's alias counter walks a fragment once per spread: 2**levels walks. It must never run.
    from strawberry.extensions import max_aliases

    walked: list[Any] = []
    real = max_aliases.count_fields_with_alias
    monkeypatch.setattr(max_aliases, "count_fields_with_alias", lambda *a, **k: walked.append(a) or real(*a, **k))
    levels = 24
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ x: person(id: \"wang-yi\") {{ name }} }}"
    assert len(query) < 1_200
    assert measure(parse(query)) == Cost(depth=1, nodes=2 * 2**levels, aliases=2**levels, repeats=2**levels)

    response = graphql(http, query)
    assert errors(response) == [
        f"the query asks for {2 * 2**levels} fields once fragments are expanded; the limit is {LIMITS.max_nodes}"
    ]
    assert walked == []


def test_fragment_cycle_is_reported_not_followed(http: Client) -> None:
    query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }"
    assert any("Cannot spread fragment" in e for e in errors(graphql(http, query)))


def test_long_spread_chains_are_refused(http: Client) -> None:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(150))
    response = graphql(http, f"query {{ ...F0 }} {chain} fragment F150 on Query {{ __typename }}")
    assert errors(response) == [f"the query is nested more than {LIMITS.max_depth} levels deep"]


def test_expanded_field_count_beyond_the_limit_is_refused() -> None:
    http = client(Limits(max_nodes=40))
    fragment = "fragment T on Person { ...U ...U } fragment U on Person { name aliases slug iri id }"
    assert errors(graphql(http, '{ person(id: "wang-yi") { ...T } } ' + fragment)) == []  # merged: 5 + 1
    twice = '{ a: person(id: "wang-yi") { ...T } b: person(id: "wang-yi") { ...T } c: person(id: "x") { ...T } '
    query = twice + 'd: person(id: "y") { ...T } } ' + fragment
    assert measure(parse(query)).nodes == 44  # type: ignore[union-attr]
    assert errors(graphql(http, query)) == [
        "the query asks for 44 fields once fragments are expanded; the limit is 40"
    ]


def test_repeated_fields_beyond_the_limit_are_refused(http: Client) -> None:
    at_limit = "{ " + " ".join(['person(id: "wang-yi") { name }'] * LIMITS.max_repeats) + " }"
    assert errors(graphql(http, at_limit)) == []
    beyond = "{ " + " ".join(['person(id: "wang-yi") { name }'] * (LIMITS.max_repeats + 1)) + " }"
    assert errors(graphql(http, beyond)) == [
        (f"one selection asks for the same field {LIMITS.max_repeats + 1} times; the limit is "
         f"{LIMITS.max_repeats} (GraphQL merges repeated fields: ask once)")
    ]


def test_node_limit_counts_fields_not_tokens() -> None:
    many = "{ " + " ".join(f"f{i}: __typename" for i in range(501)) + " }"
    assert graphql_guard.refusal(measure(parse(many)), Limits(max_aliases=1000)) == (
        "the query asks for 501 fields once fragments are expanded; the limit is 500"
    )


def test_token_limit(http: Client) -> None:
    query = "{ " + "__typename " * LIMITS.max_tokens + "}"
    assert errors(graphql(http, query)) == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


@pytest.mark.parametrize("first", [-1, LIMITS.max_page_size + 1, 10**9])
def test_first_is_bounded(http: Client, first: int) -> None:
    response = graphql(http, f"{{ people(first: {first}) {{ edges {{ node {{ id }} }} }} }}")
    assert errors(response) == [f"first must be between 0 and {LIMITS.max_page_size}, got {first}"]


def test_first_at_the_bound_is_answered(http: Client) -> None:
    response = graphql(http, f"{{ people(first: {LIMITS.max_page_size}) {{ totalCount edges {{ node {{ id }} }} }} }}")
    people = response.json()["data"]["people"]
    assert errors(response) == [] and len(people["edges"]) == people["totalCount"] > 0


def test_first_beyond_int32_is_a_readable_error(http: Client) -> None:
    response = graphql(http, "{ people(first: 99999999999) { totalCount } }")
    assert any("Int cannot represent non 32-bit signed integer value" in e for e in errors(response))


def test_body_over_the_cap_is_refused_before_parsing(http: Client) -> None:
    # Not JSON at all: a 413 (not a 400 "invalid JSON") shows nothing parsed it.
    body = b"{" * (LIMITS.max_body_bytes + 1)
    response = http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"message": f"request body too large: the limit is {LIMITS.max_body_bytes} bytes",
                    "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}


def test_streamed_body_over_the_cap_is_refused(http: Client) -> None:
    async def chunks() -> Any:
        for _ in range(LIMITS.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_body_at_the_cap_is_parsed(http: Client) -> None:
    query = "{ __typename }"
    padding = LIMITS.max_body_bytes - len(json.dumps({"query": query, "x": ""}))
    body = json.dumps({"query": query, "x": " " * padding}).encode()
    assert len(body) == LIMITS.max_body_bytes
    response = http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}


def test_query_running_past_the_deadline_is_stopped() -> None:
    # A zero deadline has passed by the first field: execution stops there, with one error.
    http = client(Limits(timeout_seconds=0))
    response = graphql(http,
                       "{ people(first: 100) { edges { node { id name aliases roles { edges { node { id } } } } } } }")
    assert errors(response) == [graphql_guard.TIMEOUT_MESSAGE.format(seconds=0)]
    assert response.json()["data"] is None


def test_deadline_stops_a_query_part_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that advances one second per reading (one reading per look-up): the deadline passes while the
    # query is resolving; the look-ups before it are answered.
    ticks = iter(range(10**6))
    monkeypatch.setattr(graphql_guard, "clock", lambda: float(next(ticks)))
    http = client(Limits(timeout_seconds=9))
    response = graphql(http, "{ people(first: 100) { edges { node { id name country { name } } } } }")
    assert errors(response) == [graphql_guard.TIMEOUT_MESSAGE.format(seconds=9)]
    people = [edge["node"] for edge in response.json()["data"]["people"]["edges"]]
    # the people and their names were fetched before the deadline (8 readings), their countries after it
    assert len(people) == 5 and all(p["name"] for p in people) and all(p["country"] is None for p in people)


def test_deadline_checks_every_look_up_not_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    readings: list[float] = []
    monkeypatch.setattr(graphql_guard, "clock", lambda: readings.append(0.0) or 0.0)
    http = client(Limits(timeout_seconds=5))
    response = graphql(http, "{ people(first: 100) { edges { node { id name aliases } } } }")
    assert errors(response) == [] and len(response.json()["data"]["people"]["edges"]) == 5
    # the deadline is set (1), then checked by the list's query (1), each person's description (5) and the
    # one query fetching those (1): never by the fields that only read them (id, name, aliases)
    assert len(readings) == 8


def test_deadline_leaves_ordinary_queries_alone(http: Client) -> None:
    response = graphql(http, "{ people(first: 100) { edges { node { id name aliases } } } }")
    assert errors(response) == [] and response.json()["data"]["people"]["edges"]


def test_internal_error_is_masked_and_leaks_nothing(http: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.api import schema

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom in /work/main/kb/api/secret.py")

    monkeypatch.setattr(schema.registry, "iris_for", broken)
    response = graphql(http, '{ person(id: "wang-yi") { name } }')
    assert errors(response) == [MASKED_MESSAGE]


@pytest.mark.parametrize(("body", "headers"), [
    (b"not json", {"content-type": "application/json"}),
    (b'{"query": 5}', {"content-type": "application/json"}),
    (b'{"variables": {}}', {"content-type": "application/json"}),
    (b'[{"query": "{ __typename }"}]', {"content-type": "application/json"}),
    (b'{"query": "{ __typename }", "variables": "x"}', {"content-type": "application/json"}),
    (b"query=%7B__typename%7D", {"content-type": "application/x-www-form-urlencoded"}),
    (b"\xff\xfe\x00", {"content-type": "application/json"}),
    (b'{"query": "mutation { x }"}', {"content-type": "application/json"}),
    (b'{"query": "subscription { x }"}', {"content-type": "application/json"}),
    (b'{"query": "{ __typename }", "operationName": "Nope"}', {"content-type": "application/json"}),
    (b"null", {"content-type": "application/json"}),  # these three were 500s (tests/test_client_errors.py)
    (b'"{ __typename }"', {"content-type": "application/json"}),
    (b"5", {"content-type": "application/json"}),
    (b"{}", {"content-type": "text/plain"}),
])
def test_malformed_requests_get_readable_errors(http: Client, body: bytes, headers: dict[str, str]) -> None:
    response = http.post("/graphql", content=body, headers=headers)
    assert 400 <= response.status_code < 500 or errors(response), response.text
    assert response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")  # a refusal too, not plain text
    assert errors(response), response.text
    assert leaks(response.text) == [], response.text
    assert response.text.strip()


@pytest.mark.parametrize("query", [
    "{", "{ person }", '{ person(id: 5) { name } }', "{ people(first: \"x\") { totalCount } }",
    "{ nope }", "query ($id: ID!) { person(id: $id) { name } }", "{ __schema { types { name } } }",
    "{ person(id: \"\\u0000\") { name } }", '{ search(text: "' + "x" * 300 + '") { totalCount } }',
])
def test_odd_queries_leak_nothing(http: Client, query: str) -> None:
    response = graphql(http, query)
    assert response.status_code < 500
    assert MASKED_MESSAGE not in errors(response)


def test_a_known_query_text_is_neither_parsed_nor_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    measured: list[int] = []
    original = graphql_guard.measure
    monkeypatch.setattr(graphql_guard, "measure", lambda *a, **k: measured.append(1) or original(*a, **k))
    http = client()
    query = "query($id: ID!) { person(id: $id) { name } }"
    names = [graphql(http, query, id=who).json()["data"]["person"]["name"] for who in ("wang-yi", "antony-blinken")]
    assert names == ["Wang Yi", "Antony Blinken"] and len(measured) == 1


def test_a_refused_or_invalid_text_is_refused_every_time(http: Client) -> None:
    too_deep = nested(LIMITS.max_depth + 2)
    for query, message in ((too_deep, "nested more than"), ("{ person(id: \"wang-yi\") { nonsense } }", "nonsense")):
        for _ in range(2):
            response = graphql(http, query)
            assert response.json().get("data") is None and message in errors(response)[0]


def test_document_cache_keeps_the_most_recently_used_within_its_bounds() -> None:
    cache = graphql_guard.DocumentCache(entries=2, max_chars=30)
    for text in ("{ a }", "{ b }", "{ c }"):
        cache.put(text, parse(text))
    assert cache.get("{ a }") is None and cache.get("{ b }") is not None
    cache.put("{ d }", parse("{ d }"))  # b was used after c: c leaves
    assert cache.get("{ c }") is None and cache.get("{ b }") is not None
    cache.put("{ " + "e " * 12 + "}", parse("{ " + "e " * 12 + "}"))  # 27 characters: only it fits
    assert list(cache.documents) == ["{ " + "e " * 12 + "}"]
