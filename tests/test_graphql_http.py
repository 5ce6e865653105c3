"""/graphql over HTTP as clients expect (kb/serve/graphql.py): the media type by Accept and its status codes,
an ``extensions.code`` on every error, several operations without operationName refused, and Automatic
Persisted Queries as Apollo Client sends them, through the real app."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

import httpx
import pytest

from kb.api import guard as graphql_guard
from kb.api import schema as api_schema
from kb.config import Limits
from kb.serve import graphql_media as negotiate
from tests.hostile import Client, client, leaks

GR = "application/graphql-response+json"
WANG = '{ person(id: "wang-yi") { id name } }'


@cache
def one_client() -> Client:
    return client()


@pytest.fixture(scope="module")
def http() -> Client:
    return one_client()


def post(http: Client, body: dict[str, Any], accept: str | None = None) -> httpx.Response:
    headers = {"accept": accept} if accept is not None else {}
    response = http.post("/graphql", json=body, headers=headers)
    assert leaks(response.text) == [], response.text[:300]
    return response


def codes(response: httpx.Response) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in response.json().get("errors") or []]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(digest: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, negotiate.JSON), ("", negotiate.JSON), ("*/*", negotiate.JSON), ("application/*", negotiate.JSON),
    ("application/json", negotiate.JSON), (GR, GR), (f"{GR}, application/json", GR),
    ("application/json, " + GR, GR),  # both named, no preference: the specification's type
    (f"{GR};q=0.5, application/json", negotiate.JSON), (f"{GR}, application/json;q=0.9", GR),  # Apollo Client 4
    ("application/json;charset=utf-8", negotiate.JSON), (f"text/html, {GR};q=0.1", GR),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", negotiate.JSON),  # a browser
    ("text/html", None), ("application/json;q=0", None), (f"*/*, application/json;q=0, {GR};q=0", None),
    ("application/json;q=nonsense", None),
])
def test_choose_follows_accept(accept: str | None, chosen: str | None) -> None:
    assert negotiate.choose(accept) == chosen


@pytest.mark.parametrize(("query", "variables", "code"), [
    ("{ person(id: ", None, "GRAPHQL_PARSE_FAILED"),
    ("{ nosuch }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("query($f: Int) { people(first: $f) { edges { node { id } } } }", {"f": "many"}, "BAD_USER_INPUT"),
    ("query($f: Int!) { people(first: $f) { edges { node { id } } } }", None, "BAD_USER_INPUT"),
])
def test_a_request_that_cannot_run_is_a_400_without_data_in_graphql_response_json(
        http: Client, query: str, variables: dict[str, Any] | None, code: str) -> None:
    strict = post(http, {"query": query, "variables": variables}, accept=GR)
    assert strict.status_code == 400 and strict.headers["content-type"] == f"{GR}; charset=utf-8"
    assert "data" not in strict.json() and codes(strict) == [code]
    legacy = post(http, {"query": query, "variables": variables}, accept="application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["data"] is None and codes(legacy) == [code]


def test_an_answer_with_field_errors_is_a_200_with_data_in_either_type(http: Client) -> None:
    query = '{ node(id: "Not An Id") { id } person(id: "wang-yi") { name } }'
    # people is non-null: its error nulls data itself, which is still an answer (data present, null).
    nulled = '{ people(first: 1000) { edges { node { id } } } }'
    for accept in (GR, "application/json"):
        response = post(http, {"query": query}, accept=accept)
        assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
        assert response.json()["data"] == {"node": None, "person": {"name": "Wang Yi"}}
        assert codes(response) == ["BAD_USER_INPUT"]
        response = post(http, {"query": nulled}, accept=accept)
        assert response.status_code == 200 and response.json()["data"] is None
        assert codes(response) == ["BAD_USER_INPUT"]


def test_nothing_acceptable_is_a_406_that_says_so(http: Client) -> None:
    response = post(http, {"query": WANG}, accept="text/html")
    assert response.status_code == 406 and codes(response) == ["NOT_ACCEPTABLE"]
    assert GR in response.json()["errors"][0]["message"]
    # A browser opening /graphql still gets GraphiQL; a GET with a query and only text/html is refused.
    assert http.get("/graphql", headers={"accept": "text/html"}).headers["content-type"].startswith("text/html")
    assert http.get("/graphql", params={"query": WANG}, headers={"accept": "text/html"}).status_code == 406


def test_refusals_before_running_are_coded_in_the_chosen_type(http: Client) -> None:
    response = http.post("/graphql", content=b"{", headers={"content-type": "application/json", "accept": GR})
    assert response.status_code == 400 and response.headers["content-type"].startswith(GR)
    assert codes(response) == ["BAD_REQUEST"]


def test_several_operations_without_operation_name_are_refused(http: Client) -> None:
    document = "query A { __typename } query B { person(id: \"wang-yi\") { name } }"
    for accept in (GR, "application/json"):
        refused = post(http, {"query": document}, accept=accept)
        assert refused.status_code == 400 and codes(refused) == ["OPERATION_RESOLUTION_FAILURE"]
        assert refused.json()["errors"][0]["message"] == (
            "the document holds 2 operations (A, B): say which to run in operationName")
    chosen = post(http, {"query": document, "operationName": "B"})
    assert chosen.json() == {"data": {"person": {"name": "Wang Yi"}}}
    unknown = post(http, {"query": document, "operationName": "C"})
    assert unknown.status_code == 400 and codes(unknown) == ["OPERATION_RESOLUTION_FAILURE"]


def test_limits_and_deadlines_carry_their_codes(http: Client) -> None:
    nest = 4
    deep = '{ person(id: "wang-yi") { ' + "meetings { edges { node { participants { " * nest + "id" + " } } } }" * nest
    deep += " } }"
    assert codes(post(http, {"query": deep})) == ["QUERY_TOO_COMPLEX"]
    tokens = "{ " + " ".join(["__typename"] * 2100) + " }"
    assert codes(post(http, {"query": tokens})) == ["QUERY_TOO_COMPLEX"]
    stopped = post(client(Limits(timeout_seconds=0)), {"query": "{ people(first: 5) { edges { node { id } } } }"})
    assert stopped.json()["errors"][0]["message"] == graphql_guard.TIMEOUT_MESSAGE.format(seconds=0)
    assert codes(stopped) == ["QUERY_TIMEOUT"]


def test_an_internal_failure_is_masked_and_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the store fell over at /srv/kb/store.py")

    monkeypatch.setattr(api_schema.registry, "load_node", broken)
    response = post(client(), {"query": '{ node(id: "person/wang-yi") { id } }'})
    assert response.status_code == 200 and codes(response) == ["INTERNAL_SERVER_ERROR"]
    assert response.json()["errors"][0]["message"] == "Unexpected error."


def test_persisted_query_round_trip_as_apollo_sends_it(http: Client) -> None:
    query = '{ person(id: "antony-blinken") { id name } }'
    digest = sha(query)
    hash_only = {"extensions": json.dumps(persisted(digest))}
    missed = http.get("/graphql", params=hash_only, headers={"accept": f"{GR}, application/json;q=0.9"})
    assert missed.status_code == 200 and codes(missed) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert missed.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "no-cache" in missed.headers["cache-control"] and missed.headers["x-kb-cache"] == "none"
    registered = post(http, {"query": query, "extensions": persisted(digest)})
    assert registered.json() == {"data": {"person": {"id": "person/antony-blinken", "name": "Antony Blinken"}}}
    first = http.get("/graphql", params=hash_only)
    again = http.get("/graphql", params=hash_only)
    assert first.json() == again.json() == registered.json()
    # A hash-only GET is a short URL the answer cache keys on, per version, with its ETag.
    assert (first.headers["x-kb-cache"], again.headers["x-kb-cache"]) == ("miss", "hit")
    revalidated = http.get("/graphql", params=hash_only, headers={"if-none-match": first.headers["etag"]})
    assert revalidated.status_code == 304
    by_post = post(http, {"extensions": persisted(digest)})
    assert by_post.json() == registered.json()


@pytest.mark.parametrize(("body", "status", "code", "message"), [
    ({"query": WANG, "extensions": persisted(sha(WANG + " "))}, 400, "BAD_REQUEST",
     "provided sha does not match query"),
    ({"extensions": persisted(sha(WANG), version=2)}, 400, "PERSISTED_QUERY_NOT_SUPPORTED", None),
    ({"extensions": persisted("ABC")}, 400, "BAD_REQUEST", None),
    ({"extensions": {"persistedQuery": "x"}}, 400, "PERSISTED_QUERY_NOT_SUPPORTED", None),
    ({"extensions": {}}, 400, "BAD_REQUEST", "No GraphQL query found in the request"),
])
def test_persisted_query_mistakes_are_refused(http: Client, body: dict[str, Any], status: int, code: str,
                                              message: str | None) -> None:
    response = post(http, body)
    assert response.status_code == status and codes(response) == [code]
    if message is not None:
        assert response.json()["errors"][0]["message"] == message


def test_a_mismatched_hash_is_not_kept(http: Client) -> None:
    other = '{ __typename }'
    post(http, {"query": WANG, "extensions": persisted(sha(other))})
    assert codes(post(http, {"extensions": persisted(sha(other))})) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_persisted_queries_are_bounded(http: Client) -> None:
    bounded = client(Limits(persisted_queries=2))
    texts = [f'{{ person(id: "wang-yi") {{ {"name " * n}}} }}' for n in (1, 2, 3)]
    for text in texts:
        assert "errors" not in post(bounded, {"query": text, "extensions": persisted(sha(text))}).json()
    # The oldest left when the third came; the two newest are kept.
    found = [codes(post(bounded, {"extensions": persisted(sha(t))})) for t in texts]
    assert found == [["PERSISTED_QUERY_NOT_FOUND"], [], []]
