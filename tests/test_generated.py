"""Generated attacks on the real schema through the real ASGI app (the small fixture KB keeps it near a minute).

hypothesis-graphql writes queries from the schema itself: at least 1,000 valid ones (every root field in
turn) must never fail on the server -- no 5xx, no masked "Unexpected error.", nothing internal in the body,
and any error a BAD_USER_INPUT or a refusal of the query's cost; at least 1,000 invalid ones (its negative
mode: wrong argument types, missing arguments) must all get a readable error. Schemathesis, in GraphQL mode,
then runs its own generation and checks against the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphql
import httpx
import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis_graphql import Mode, queries
from schemathesis.core.failures import FailureGroup
from schemathesis.graphql.checks import GraphQLServerError
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kb.api.limits import MASKED_MESSAGE
from kb.api.schema import make_schema
from tests.hostile import Client, app, client, leaks

SCHEMA = make_schema()._schema
ROOT_FIELDS = list(SCHEMA.query_type.fields) if SCHEMA.query_type else []
PER_FIELD = -(-1000 // len(ROOT_FIELDS))
SCALARS = {"Date": st.dates().map(lambda d: graphql.StringValueNode(value=d.isoformat()))}
SETTINGS = settings(max_examples=PER_FIELD, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def http() -> Client:
    return client()


def _send(http: Client, query: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    response = http.post("/graphql", json={"query": query})
    assert response.status_code < 500, (query, response.text[:300])
    # an error may quote the client's own input ("no node 0.py"): only what the query did not say is a leak
    assert [leak for leak in leaks(response.text) if leak not in query] == [], (query, response.text[:300])
    errors: list[dict[str, Any]] = response.json().get("errors") or []
    for error in errors:
        assert isinstance(error.get("message"), str) and error["message"].strip(), (query, error)
        assert error["message"] != MASKED_MESSAGE, (query, error)
    return response, errors


def _generate(mode: Mode, check: Callable[[str], None]) -> int:
    sent = 0
    for field in ROOT_FIELDS:

        @SETTINGS
        @given(queries(SCHEMA, fields=[field], custom_scalars=SCALARS, mode=mode))
        def one(query: Any) -> None:
            nonlocal sent
            sent += 1
            check(str(query))

        one()
    return sent


def test_generated_valid_queries_never_fail_on_the_server(http: Client) -> None:
    def check(query: str) -> None:
        response, errors = _send(http, query)
        assert response.status_code == 200
        for error in errors:
            # A bad cursor, first out of range, search text too long: the client's to fix, and labelled so.
            refused_whole = "path" not in error and response.json()["data"] is None
            assert error.get("extensions", {}).get("code") == "BAD_USER_INPUT" or refused_whole, (query, error)

    assert _generate(Mode.POSITIVE, check) >= 1000


def test_generated_invalid_queries_get_readable_errors(http: Client) -> None:
    def check(query: str) -> None:
        response, errors = _send(http, query)
        assert errors, (query, response.text[:300])

    assert _generate(Mode.NEGATIVE, check) >= 1000


SCHEMATHESIS = schemathesis.graphql.from_asgi("/graphql", app())


@SCHEMATHESIS.parametrize()
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_schemathesis(case: Any) -> None:
    # Every default check but positive_data_acceptance: the API rightly refuses some values the schema's
    # types allow (an invalid cursor, first: 5000), as BAD_USER_INPUT errors rather than server errors.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def test_schemathesis_catches_a_server_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # The control: the same check on a resolver that fails does fail.
    from kb.api import schema as api_schema

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api_schema.registry, "iris_for", broken)
    case = SCHEMATHESIS["Query"]["person"].Case(body='{ person(id: "wang-yi") { name } }')
    with pytest.raises(FailureGroup) as raised:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
    assert [type(e) for e in raised.value.exceptions] == [GraphQLServerError]
