"""A client's mistake is answered as one, over HTTP on the real app: a body that is not a GraphQL request is a
400 with a JSON message; a malformed id is a GraphQL error with ``extensions.code == "BAD_USER_INPUT"``;
hostile text and cursors are refused the same way or answered empty. Never a 500, never "Unexpected error.",
nothing internal in the answer. And introspection follows its setting: on in development, off in production.

The pages' side (a malformed id in a URL is a 404 page) is in tests/test_pages_http.py.
"""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import hypothesis.strategies as st
import pytest
from click.testing import CliRunner
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    NoSchemaIntrospectionCustomRule,
    build_schema,
    get_named_type,
    parse,
    validate,
)
from hypothesis import HealthCheck, Phase, given, settings

from kb import cli
from kb.api.limits import MASKED_MESSAGE
from kb.config import Settings
from kb.pages import graphql as page_queries
from kb.serve.app import GraphQLView, create_app
from tests import apikit
from tests.apikit import Api
from tests.hostile import MINI, Client, client, leaks, mini_snapshot

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema((ROOT / "schema" / "schema.graphql").read_text("utf-8"))
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,119}(?:/[a-z0-9][a-z0-9-]{0,119})*")
"""A well-formed id, written out here so the tests do not take the code's word for it."""

api = apikit.fixture()
oxigraph_api = apikit.fixture(backends=("oxigraph",))
"""Ids are checked before any store is asked: one backend shows it."""


@cache
def one_client() -> Client:
    """The app over the small fixture KB, made once (hypothesis calls a test many times; fixtures once)."""
    return client()


@pytest.fixture(scope="module")
def http() -> Client:
    return one_client()


def post(http: Client | apikit.Http, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return http.post("/graphql", content=body, headers={"content-type": content_type})


def request(query: str, value: str) -> bytes:
    """Return the body of a GraphQL request passing ``value`` as ``$v``. JSON escapes (ensure_ascii) carry what
    UTF-8 cannot, a lone surrogate, as a client may send it; httpx's own ``json=`` would fail to encode it."""
    return json.dumps({"query": query, "variables": {"v": value}}).encode()


def refused(response: httpx.Response) -> str:
    """Return the message of a request refused with a 400 in JSON, after checking it leaks nothing."""
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    assert leaks(response.text) == [], response.text[:300]
    message: str = body["errors"][0]["message"]
    return message


# --- bodies that are not GraphQL requests ------------------------------------------------------------------

@pytest.mark.parametrize(("body", "kind"), [
    (b"null", "null"), (b'"x"', "a string"), (b"5", "a number"), (b"-1.5e3", "a number"), (b"true", "a boolean"),
    (b"false", "a boolean"), (b"NaN", "a number"), (b'  "{ __typename }"  ', "a string"),
])
def test_a_body_that_is_no_json_object_is_a_400(http: Client, body: bytes, kind: str) -> None:
    assert refused(post(http, body)) == f"expected a JSON object, got {kind}"


@pytest.mark.parametrize("body", [b"[]", b"[1]", b'[{"query": "{ __typename }"}]', b"[null]"])
def test_a_list_is_a_batch_and_batches_are_refused(http: Client, body: bytes) -> None:
    assert refused(post(http, body)) == "Batching is not enabled"


@pytest.mark.parametrize(("body", "message"), [
    (b"", "invalid JSON: Expecting value (line 1, column 1)"),
    (b"not json", "invalid JSON: Expecting value (line 1, column 1)"),
    (b'{"query": "{ __typename }"} x', "invalid JSON: Extra data (line 1, column 29)"),
    (b'{"query": "{ __typename }",}',
     "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 28)"),
    (b'\xef\xbb\xbf{"query": "{ __typename }"}',
     "invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) (line 1, column 1)"),
    (b"\xff\xfe{}", "the body is not UTF-8 (at byte 0)"),
    (b'{"query": "\xed\xa0\x80"}', "the body is not UTF-8 (at byte 11)"),  # a surrogate encoded: not UTF-8
    (b'{"query": null}', "No GraphQL query found in the request"),
    (b'{"query": 5}', "The GraphQL operation's `query` must be a string or null, if provided."),
    (b'{"query": "{ __typename }", "variables": []}',
     "The GraphQL operation's `variables` must be an object or null, if provided."),
    (b'{"query": "{ __typename }", "extensions": "x"}',
     "The GraphQL operation's `extensions` must be an object or null, if provided."),
])
def test_a_body_that_is_not_a_graphql_request_says_why_in_json(http: Client, body: bytes, message: str) -> None:
    assert refused(post(http, body)) == message


def test_json_nested_too_deep_for_the_parser_is_a_400(http: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # 30,000 nested lists (60 KB, under the body cap): json.loads raises RecursionError, which was a 500.
    deep = "[" * 30_000 + "]" * 30_000
    body = '{"query": "query($v: ID) { node(id: $v) { id } }", "variables": {"v": ' + deep + "}}"
    message = f"the JSON nests lists and objects more than {GraphQLView.MAX_JSON_DEPTH} deep"
    assert refused(post(http, body.encode())) == message
    monkeypatch.setattr(GraphQLView, "MAX_JSON_DEPTH", 10**6)  # now the parser fails first, not the bound
    assert refused(post(http, body.encode())) == "the JSON nests lists and objects more than 1000000 deep"


@pytest.mark.parametrize("levels", [GraphQLView.MAX_JSON_DEPTH + 1, 500, 10_000])
def test_deeply_nested_objects_anywhere_in_the_body_are_a_400(http: Client, levels: int) -> None:
    nest = '{"a":' * levels + "1" + "}" * levels
    for body in (nest,  # the whole body
                 '{"query": "{ __typename }", "variables": {"v": ' + nest + "}}",
                 '{"query": "{ __typename }", "extensions": ' + nest + "}",
                 '{"query": "{ __typename }", "x": [' + nest + "]}"):
        assert "nests lists and objects more than" in refused(post(http, body.encode()))


def test_nesting_up_to_the_bound_is_parsed(http: Client) -> None:
    # the body is one level, variables a second: a value nested to the bound is answered
    inner = GraphQLView.MAX_JSON_DEPTH - 2
    value = "[" * inner + "]" * inner
    body = '{"query": "{ __typename }", "variables": {"v": ' + value + "}}"
    response = post(http, body.encode())
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("params", "message"), [
    ({"variables": "null"}, "expected a JSON object, got null"),
    ({"variables": "5"}, "expected a JSON object, got a number"),
    ({"variables": "{"}, "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ({"variables": "[" * 3_000 + "]" * 3_000}, "the JSON nests lists and objects more than 32 deep"),
    ({"extensions": '{"a": ' * 40 + "1" + "}" * 40}, "the JSON nests lists and objects more than 32 deep"),
])
def test_get_parameters_that_are_not_json_objects_are_a_400(http: Client, params: dict[str, str],
                                                           message: str) -> None:
    response = http.get("/graphql", params={"query": "{ __typename }", **params},
                        headers={"accept": "application/json"})
    assert refused(response) == message


# --- ids: every argument taking one ------------------------------------------------------------------------

MALFORMED_IDS = [
    "meeting/a b", "a b", '"><', 'x"><script>alert(1)</script>', "a\\b", "a\nb", "wang-yi\n", "\nwang-yi", "a\x00b",
    "\ud800", "wang-yi\udfff", "x" * 10_000, "a/" * 5_000, "", "/", "person/", "/wang-yi", "person//wang-yi",
    "Wang-Yi", "-x", "wang_yi", "wang.yi", "ワン", "%20", "a\tb", "person/wang-yi/", "\\u0041", "wang-yi'",
    "person/\"><", "meeting/blinken-wang-jakarta/duration/1 ", "x" * 121, "person/" + "x" * 121,
]
WELL_FORMED_UNKNOWN = ["nobody", "person/nobody", "x" * 120, "a/b/c/d/e", "evidence/wang-yi/1", "0"]
PARENTS = {
    "Query": "{{ {} }}",
    "Person": '{{ person(id: "wang-yi") {{ {} }} }}',
    "Organization": '{{ organization(id: "prc-mfa") {{ {} }} }}',
    "Place": '{{ place(id: "jakarta") {{ {} }} }}',
    "Topic": '{{ topic(id: "fentanyl") {{ {} }} }}',
    "Meeting": '{{ meeting(id: "blinken-wang-jakarta") {{ {} }} }}',
    "Source": '{{ source(id: "wire-jakarta") {{ {} }} }}',
}
"""How to reach one object of each type whose fields take arguments (in tests/fixtures/api)."""


def argument_sites(*scalars: str) -> list[tuple[str, str, str, str]]:
    """Return (type, field, argument, query) for every argument of the schema whose type is one of ``scalars``;
    the query passes the argument as ``$v`` and selects the field's ``totalCount`` when it is a connection."""
    sites = []
    for type_name, kind in SCHEMA.type_map.items():
        if type_name.startswith("__") or not isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for field_name, field in kind.fields.items():
            for arg_name, arg in field.args.items():
                scalar = get_named_type(arg.type).name
                if scalar not in scalars:
                    continue
                assert type_name in PARENTS, f"{type_name}.{field_name}({arg_name}:) has no parent to reach it"
                returned = get_named_type(field.type)
                counted = isinstance(returned, GraphQLObjectType) and "totalCount" in returned.fields
                selection = "{ totalCount nodes { __typename } }" if counted else "{ __typename }"
                others = "".join(f', {n}: "wang"' for n, a in field.args.items()
                                 if n != arg_name and str(a.type).endswith("!"))
                required = "!" if str(arg.type).endswith("!") else ""
                body = PARENTS[type_name].format(f"{field_name}({arg_name}: $v{others}) {selection}")
                sites.append((type_name, field_name, arg_name, f"query($v: {scalar}{required}) {body}"))
    return sites


ID_SITES = argument_sites("ID")
TEXT_SITES = argument_sites("String")


def answer(api: Api, query: str, value: str) -> dict[str, Any]:
    response = post(api.client, request(query, value))
    assert response.status_code == 200, response.text[:300]
    assert leaks(response.text) == [], response.text[:300]
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def test_every_argument_taking_an_id_is_walked() -> None:
    walked = {f"{t}.{f}({a}:)" for t, f, a, _ in ID_SITES}
    assert {"Query.node(id:)", "Query.person(id:)", "Query.statements(about:)", "Query.sanctions(imposedBy:)",
            "Person.meetings(topic:)", "Organization.statements(topic:)"} <= walked
    assert len(walked) >= 25


def test_a_malformed_id_is_bad_user_input_everywhere(oxigraph_api: Api) -> None:
    api = oxigraph_api
    wrong = []
    for type_name, field, arg, query in ID_SITES:
        for identifier in MALFORMED_IDS:
            body = answer(api, query, identifier)
            messages = [e["message"] for e in body.get("errors") or []]
            if codes(body) != ["BAD_USER_INPUT"] or not messages[0].startswith("malformed id "):
                wrong.append((f"{type_name}.{field}({arg}:)", identifier[:30], messages))
    assert wrong == []


def test_a_well_formed_id_naming_nothing_is_null_or_empty(api: Api) -> None:
    wrong = []
    unknown = WELL_FORMED_UNKNOWN if api.backend == "oxigraph" else WELL_FORMED_UNKNOWN[:2]  # rdflib is slow
    for type_name, field, arg, query in ID_SITES:
        for identifier in unknown:
            body = answer(api, query, identifier)
            if body.get("errors"):
                wrong.append((f"{type_name}.{field}({arg}:)", identifier[:30], body["errors"]))
    assert wrong == []


@pytest.mark.parametrize("identifier", ["meeting/a b", 'meeting/"><', "statement/<", 'role/x"', "sanction/a\\b"])
def test_node_with_a_malformed_id_says_so(api: Api, identifier: str) -> None:
    body = answer(api, "query($v: ID!) { node(id: $v) { id } }", identifier)
    assert body["data"] == {"node": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"} and error["path"] == ["node"]
    assert error["message"] == (f"malformed id {identifier!r}: ids are lower-case letters, digits and hyphens, "
                                'such as "wang-yi" or "person/wang-yi"')


def test_an_id_in_the_query_text_is_checked_as_in_a_variable(api: Api) -> None:
    body = api.post('{ node(id: "meeting/a b") { id } person(id: "x\\"><") { id } }').json()
    assert codes(body) == ["BAD_USER_INPUT", "BAD_USER_INPUT"] and body["data"] == {"node": None, "person": None}


def test_a_long_malformed_id_is_cut_in_the_message(api: Api) -> None:
    [error] = answer(api, "query($v: ID!) { person(id: $v) { id } }", "X" * 10_000)["errors"]
    assert len(error["message"]) < 200 and "X" * 60 + "…" in error["message"]


@settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.from_regex(ID_PATTERN, fullmatch=True).filter(lambda s: len(s) < 300),
    st.text(alphabet=st.sampled_from([*"az09-/ AZ_.'\"<>{}\\#?%\n\t\r\x00\x7fé", "\ud800", "\udfff", "ワ", "🛑",
                                      "\u202e"]), max_size=40),
    st.lists(st.sampled_from(["person", "meeting", "wang-yi", "", "a b", "x\n", "-", "Q"]), max_size=5).map("/".join),
))
def test_any_id_is_answered_or_refused_as_bad_user_input(identifier: str) -> None:
    http = one_client()
    well_formed = ID_PATTERN.fullmatch(identifier) is not None
    for query in ("query($v: ID!) { node(id: $v) { id } }", "query($v: ID!) { person(id: $v) { id } }",
                  "query($v: ID) { statements(about: $v) { totalCount } }"):
        response = post(http, request(query, identifier))
        assert response.status_code == 200 and leaks(response.text) == []
        body = response.json()
        expected = [] if well_formed else ["BAD_USER_INPUT"]
        assert codes(body) == expected, (identifier, body)


# --- free text and cursors ---------------------------------------------------------------------------------

def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode()


HOSTILE_TEXT = [
    '"><', "x\\y", "\\u0041", "\\U00000041", "a\nb", "a\r\nb", "a\x00b", "\ud800", "x\udfffy", "x" * 10_000, "",
    " ", "'", '"', '" } UNION { ?s ?p ?o } #', "}", "#", "<script>", "\u202e", "🛑", "Ｗａｎｇ", "%", "*", "\t",
    # cursors this API did not make: forged keys and offsets, and texts that are no cursor at all
    cursor("k:\\u0041"), cursor('k:"><\x00'), cursor("k:\ud800"), cursor("o:" + "9" * 5_000), cursor("o:²"),
    cursor("o:-1"), cursor("o:"), cursor("k:"), cursor("x:1"), "!!!", "=", cursor('k:"><'), cursor('k:" } #'),
]
REACHING_TEXT = ['"><', "x\\y", "a\nb", "x" * 10_000, "", "'", '" } UNION { ?s ?p ?o } #', "\u202e", "🛑", "%",
                 cursor('k:"><'), cursor('k:" } #')]
"""What passes the API's checks and reaches the store as query text: walked on every store."""


def test_hostile_text_and_cursors_are_refused_or_answered(api: Api) -> None:
    wrong = []
    # Every site on one store; on the others, those whose text reaches the store (filters, search, a top-level
    # and a nested list's cursor): a cursor that is refused is refused before any store is asked.
    reaching = {"Query.people(after:)", "Person.meetings(after:)"}
    sites = TEXT_SITES if api.backend == "oxigraph" else [
        site for site in TEXT_SITES if site[2] != "after" or f"{site[0]}.{site[1]}(after:)" in reaching]
    for type_name, field, arg, query in sites:
        for text in HOSTILE_TEXT if api.backend == "oxigraph" else REACHING_TEXT:
            body = answer(api, query, text)
            masked = MASKED_MESSAGE in [e["message"] for e in body.get("errors") or []]
            if masked or any(code != "BAD_USER_INPUT" for code in codes(body)):
                wrong.append((f"{type_name}.{field}({arg}:)", text[:30], body.get("errors")))
    assert wrong == []


@pytest.mark.parametrize(("text", "message"), [
    ("\ud800", "text arguments must be Unicode text: '\\ud800' at position 0 is half of a UTF-16 surrogate pair"),
    ("wang\udfff", "text arguments must be Unicode text: '\\udfff' at position 4 is half of a UTF-16 surrogate pair"),
    ("wang\x00", "text arguments may not hold NUL (\\x00): one is at position 4"),  # was a 500 from Virtuoso
])
def test_text_no_store_takes_is_bad_user_input(api: Api, text: str, message: str) -> None:
    for query in ("query($v: String) { people(name: $v) { totalCount } }",
                  "query($v: String!) { search(text: $v) { totalCount } }"):
        [error] = answer(api, query, text)["errors"]
        assert error["message"] == message and error["extensions"] == {"code": "BAD_USER_INPUT"}


PEOPLE_AFTER = "query($v: String) { people(after: $v) { totalCount } }"
SEARCH_AFTER = 'query($v: String) { search(text: "wang", after: $v) { totalCount } }'


@pytest.mark.parametrize(("query", "forged"), [
    (PEOPLE_AFTER, cursor("k:\\u0041")),  # a key no SPARQL literal may hold: was "Unexpected error."
    (SEARCH_AFTER, cursor("o:" + "9" * 5_000)),  # int() refuses 5,000 digits: was "Unexpected error."
    (SEARCH_AFTER, cursor("o:²")),  # a digit to str.isdigit(), not to int(): was "Unexpected error."
    (PEOPLE_AFTER, cursor('k:"><\x00')),  # NUL ends a literal early in Virtuoso: was "Unexpected error." there
])
def test_a_forged_cursor_is_an_invalid_cursor(api: Api, query: str, forged: str) -> None:
    [error] = answer(api, query, forged)["errors"]
    assert error["message"].startswith("invalid cursor ") and error["extensions"] == {"code": "BAD_USER_INPUT"}


def test_text_that_is_fine_is_answered(api: Api) -> None:
    body = answer(api, 'query($v: String) { people(name: $v) { nodes { id } } }', "WANG")
    assert body == {"data": {"people": {"nodes": [{"id": "person/wang-yi"}]}}}
    assert answer(api, 'query($v: String) { people(name: $v) { totalCount } }', '"><\\')["data"] == {
        "people": {"totalCount": 0}}


# --- introspection -----------------------------------------------------------------------------------------

INTROSPECTION = [
    "{ __schema { queryType { name } } }",
    '{ __type(name: "Person") { name } }',
    "{ s: __schema { types { name } } }",
    "query { ...F } fragment F on Query { __schema { queryType { name } } }",
    'query { person(id: "wang-yi") { ... on Person { name } } ... on Query { __type(name: "Query") { name } } }',
]


def introspection_app(production: bool, introspection: bool | None) -> Client:
    return Client(create_app(Settings(root=MINI, production=production, introspection=introspection),
                             mini_snapshot()))


@pytest.mark.parametrize(("production", "introspection", "answered"), [
    (False, None, True), (True, None, False), (True, True, True), (False, False, False), (False, True, True),
    (True, False, False),
])
def test_introspection_follows_the_setting(production: bool, introspection: bool | None, answered: bool) -> None:
    http = introspection_app(production, introspection)
    for text in INTROSPECTION:
        for _ in range(2):  # a text refused once is refused again (nothing cached lets it through)
            response = http.post("/graphql", json={"query": text})
            assert response.status_code == 200 and leaks(response.text) == []
            body = response.json()
            if answered:
                assert "errors" not in body and body["data"], body
            else:
                assert body["data"] is None
                assert all("introspection has been disabled" in e["message"] for e in body["errors"]), body
    typename = http.post("/graphql", json={"query": '{ __typename node(id: "person/wang-yi") { __typename } }'})
    assert typename.json() == {"data": {"__typename": "Query", "node": {"__typename": "Person"}}}


def test_pages_ask_no_introspection() -> None:
    schema = SCHEMA
    names = sorted(p.stem for p in page_queries.QUERIES.glob("*.graphql") if p.stem != "fragments")
    assert {"fact", "person", "source", "home"} <= set(names)
    for name in names:
        assert validate(schema, parse(page_queries.query(name)), [NoSchemaIntrospectionCustomRule]) == [], name


@pytest.mark.parametrize("path", ["/people/wang-yi", "/organizations/us-state-department",
                                  "/meetings/blinken-wang-jakarta", "/disputes"])
def test_pages_are_served_with_introspection_off(path: str) -> None:
    http = introspection_app(production=True, introspection=None)
    response = http.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("env", "production", "expected"), [
    (None, False, True), (None, True, False), ("", True, False), ("1", True, True), ("true", True, True),
    ("0", False, False), ("no", False, False),
])
def test_kb_introspection_in_the_environment(monkeypatch: pytest.MonkeyPatch, env: str | None, production: bool,
                                             expected: bool) -> None:
    monkeypatch.delenv("KB_PRODUCTION", raising=False)
    if env is None:
        monkeypatch.delenv("KB_INTROSPECTION", raising=False)
    else:
        monkeypatch.setenv("KB_INTROSPECTION", env)
    assert Settings.from_env(production=production or None).answers_introspection is expected


@pytest.mark.parametrize(("flags", "env", "expected"), [
    ([], None, True), (["--production"], None, False), (["--production", "--introspection"], None, True),
    (["--no-introspection"], None, False), (["--production"], "1", True), (["--no-introspection"], "1", False),
])
def test_kb_serve_introspection_flag(monkeypatch: pytest.MonkeyPatch, flags: list[str], env: str | None,
                                     expected: bool) -> None:
    served: list[Any] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setattr(cli.gc, "freeze", lambda: None)  # the test process is no server
    monkeypatch.delenv("KB_PRODUCTION", raising=False)
    monkeypatch.delenv("KB_INTROSPECTION", raising=False)
    result = CliRunner().invoke(cli.main, ["serve", "--root", str(MINI), *flags],
                                env={"KB_INTROSPECTION": env} if env else {})
    assert result.exit_code == 0, result.output
    [app] = served
    assert app.state.settings.answers_introspection is expected
    response = Client(app).post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert ("errors" not in response.json()) is expected


def test_kb_serve_help_explains_introspection() -> None:
    text = " ".join(CliRunner().invoke(cli.main, ["serve", "--help"]).output.split())
    assert "--introspection / --no-introspection" in text and "off with --production" in text
    assert "KB_INTROSPECTION" in text


def test_body_json_is_echoed_nowhere(http: Client) -> None:
    # a refusal names what was wrong, never the body it was in
    response = post(http, json.dumps("<script>" + "x" * 1000).encode())
    assert "<script>" not in response.text and len(response.text) < 200
