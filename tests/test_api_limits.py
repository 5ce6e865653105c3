"""Limits are on by default and refuse with a readable error; internal errors are masked and logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kb.config import Limits, Settings
from kb.graph.query import Answer, GraphFormat, ResultFormat, Table
from kb.graph.snapshot import Snapshot
from kb.serve.app import create_app
from tests import apikit
from tests.apikit import Api

api = apikit.fixture()


def test_a_deep_query_is_refused(api: Api) -> None:
    deep = ("{ person(id: \"wang-yi\") " + "{ meetings { nodes { participants { ... on Person " * 4
            + "{ id }" + " } } } }" * 4 + " }")
    (message,) = api.errors(deep)
    assert "deep" in message and "12" in message


def test_too_many_aliases_are_refused(api: Api) -> None:
    query = "{ " + " ".join(f'a{i}: person(id: "wang-yi") {{ id }}' for i in range(31)) + " }"
    (message,) = api.errors(query)
    assert "aliases" in message and "30" in message


def test_too_many_tokens_are_refused(api: Api) -> None:
    query = "{ people { nodes { " + "id " * 2100 + "} } }"
    (message,) = api.errors(query)
    assert "2000" in message and "token" in message.lower()


def test_a_body_over_the_limit_is_refused_before_parsing(api: Api) -> None:
    response = api.client.post("/graphql", json={"query": "{ people { totalCount } }", "pad": "x" * 70_000})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "request body too large: the limit is 65536 bytes",
                                           "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}


def test_a_body_without_length_is_bounded_too(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # streamed: no Content-Length header
        yield b'{"query": "{ people { totalCount } }", "pad": "'
        for _ in range(80):
            yield b"x" * 1000
        yield b'"}'

    response = api.client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(("query", "expected"), [
    ("{ person(id: \"wang-yi\") { nme } }", "Cannot query field 'nme' on type 'Person'. Did you mean 'name' or 'met'?"),
    ("{ people(first: \"ten\") { totalCount } }", "Int cannot represent non-integer value: \"ten\""),
    ("{ people { ", "Syntax Error: Expected Name, found <EOF>."),
    ("{ meetings(status: SOMETIMES) { totalCount } }", "Value 'SOMETIMES' does not exist in 'MeetingStatus' enum."),
])
def test_validation_errors_stay_readable(api: Api, query: str, expected: str) -> None:
    assert api.errors(query) == [expected]


class Broken:
    """A backend whose engine fails: what a lost connection or a bug in kb looks like to the API."""

    name = "broken"

    async def select(self, sparql: str) -> Table:
        raise RuntimeError("secret internal detail /srv/kb/store")

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        raise RuntimeError("secret internal detail /srv/kb/store")


def test_internal_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    working = apikit.snapshot(apikit.API_FIXTURE, "oxigraph")
    broken = Snapshot(working.version, working.graph, Broken(), working.mint, working.counts)
    with apikit.serve(create_app(Settings(root=apikit.API_FIXTURE), broken)) as http, caplog.at_level(logging.ERROR):
        response = http.post("/graphql", json={"query": '{ person(id: "wang-yi") { name } }'})
    body: dict[str, Any] = response.json()
    assert body["data"] == {"person": None}
    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert any("secret internal detail" in record.getMessage()
               or (record.exc_info and "secret" in str(record.exc_info[1]))
               for record in caplog.records)


def test_limits_can_be_tightened() -> None:
    app = create_app(Settings(root=apikit.API_FIXTURE), apikit.snapshot(apikit.API_FIXTURE, "oxigraph"),
                     Limits(max_page_size=2, default_page_size=1))
    with apikit.serve(app) as http:
        api = Api(http, "oxigraph")
        assert len(api.post("{ people { nodes { id } } }").json()["data"]["people"]["nodes"]) == 1
        assert api.errors("{ people(first: 3) { totalCount } }") == ["first must be between 0 and 2, got 3"]
