"""The reconciliation service against the API's own checks, over HTTP on a live server (uvicorn): what the
reconciliation testbench (reconciliation-api/testbench: JsonValidator, ReconciliationService) validates, where it
can run offline. The manifest, result batches and suggest responses validate against the 0.2 JSON Schemas
(tests/fixtures/reconcile, vendored from the specifications); the preview is HTML; every endpoint allows
cross-origin access (CORS, which 0.2 requires), whatever KB_CORS_ORIGINS allows elsewhere; JSONP wraps the same
JSON. And the pydantic models kb checks requests with give the schema's verdict on the specification's examples
and on generated batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis.strategies as st
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT7

from kb.api.reconcile.requests import BATCH
from kb.config import Settings
from kb.serve.app import create_app
from tests import apikit
from tests.pages_support import live_server

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path(__file__).resolve().parent / "fixtures" / "reconcile" / "0.2"
SCHEMAS = {path.stem: json.loads(path.read_text("utf-8")) for path in SPEC.glob("*.json")}
DRAFT_SCHEMAS = {path.stem: json.loads(path.read_text("utf-8")) for path in (SPEC.parent / "1.0-draft").glob("*.json")}
REGISTRY: Registry[Any] = Registry().with_resources(
    (schema["$id"], DRAFT7.create_resource(schema)) for schema in [*SCHEMAS.values(), *DRAFT_SCHEMAS.values()])
SUGGEST_SCHEMAS = {"entity": "suggest-entities-response", "type": "suggest-types-response",
                   "property": "suggest-properties-response"}


def problems(name: str, instance: Any, version: str = "0.2") -> list[str]:
    """Return what the schema ``name`` of ``version`` finds wrong in ``instance`` (empty when it validates;
    ``$ref`` resolved among the vendored schemas, as the testbench's Ajv resolves them)."""
    schema = (SCHEMAS if version == "0.2" else DRAFT_SCHEMAS)[name]
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in jsonschema.Draft7Validator(schema, registry=REGISTRY).iter_errors(instance)]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A live server over the project's knowledge base, whose CORS setting allows one other origin only."""
    settings = Settings(root=ROOT, store="oxigraph", cors_origins=("https://allowed.example",))
    app = create_app(settings, apikit.snapshot(ROOT, "oxigraph"))
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


def test_the_manifest_validates_and_names_version_0_2(client: httpx.Client, server: str) -> None:
    manifest = client.get("/reconcile").json()
    assert problems("manifest", manifest) == []
    assert "0.2" in manifest["versions"]
    assert manifest["preview"]["url"].startswith(server + "/reconcile/")
    for kind in ("entity", "type", "property"):
        assert manifest["suggest"][kind]["service_url"] == server + "/reconcile"


def test_the_manifest_urls_lead_where_they_say(client: httpx.Client) -> None:
    """What a client does with the manifest: fill the templates with an id encoded as a URI component."""
    manifest = client.get("/reconcile").json()
    entity = "person/antony-blinken"
    encoded = "person%2Fantony-blinken"
    preview = client.get(manifest["preview"]["url"].replace("{{id}}", encoded))
    assert preview.status_code == 200 and "Antony Blinken" in preview.text
    view = client.get(manifest["view"]["url"].replace("{{id}}", encoded), follow_redirects=True)
    assert view.status_code == 200 and str(view.url).endswith("/people/antony-blinken")
    suggest = manifest["suggest"]["entity"]
    found = client.get(suggest["service_url"] + suggest["service_path"], params={"prefix": "Antony"}).json()
    assert entity in [item["id"] for item in found["result"]]
    assert manifest["identifierSpace"] + entity == "https://kb.example.org/person/antony-blinken"


BATCH_OF_ALL_SHAPES = {
    "plain": {"query": "Antony Blinken"},
    "typed": {"query": "State Department", "type": "Organization", "limit": 3},
    "types": {"query": "China", "type": ["Place", "Organization"], "type_strict": "any"},
    "props": {"query": "Foreign Ministry", "properties": [{"pid": "country", "v": ["Vietnam", {"id": "place/vietnam"}]},
                                                          {"pid": "parent", "v": {"id": "organization/x"}}]},
    "only_props": {"properties": [{"pid": "memberOf", "v": "US Department of State"}]},
    "nothing": {"query": "Xyzzy Frobnicator"},
    "values": {"query": "Wang", "properties": [{"pid": "alias", "v": [True, 3, 2.5, "Mr. Wang"]}]},
}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_result_batch_validates(client: httpx.Client, method: str) -> None:
    assert problems("reconciliation-query-batch", BATCH_OF_ALL_SHAPES) == []
    payload = {"queries": json.dumps(BATCH_OF_ALL_SHAPES)}
    response = (client.post("/reconcile", data=payload) if method == "POST"
                else client.get("/reconcile", params=payload))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    results = response.json()
    assert problems("reconciliation-result-batch", results) == []
    assert set(results) == set(BATCH_OF_ALL_SHAPES)
    assert results["nothing"]["result"] == []
    for answer in results.values():
        scores = [candidate["score"] for candidate in answer["result"]]
        assert scores == sorted(scores, reverse=True)  # "SHOULD be sorted by decreasing score"


@pytest.mark.parametrize(("kind", "prefix"), [("entity", "wan"), ("entity", ""), ("type", "o"), ("property", "c")])
def test_suggest_responses_validate(client: httpx.Client, kind: str, prefix: str) -> None:
    response = client.get(f"/reconcile/suggest/{kind}", params={"prefix": prefix, "cursor": "0"})
    assert response.status_code == 200
    body = response.json()
    assert problems(SUGGEST_SCHEMAS[kind], body) == []
    assert body["result"] or prefix == ""


def test_the_preview_is_an_html_document(client: httpx.Client) -> None:
    response = client.get("/reconcile/preview", params={"id": "organization/us-state-department"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!doctype html>") and "US Department of State" in response.text


ENDPOINTS = [("GET", "/reconcile", {}), ("GET", "/reconcile", {"queries": '{"q": {"query": "Wang Yi"}}'}),
             ("POST", "/reconcile", {"queries": '{"q": {"query": "Wang Yi"}}'}),
             ("GET", "/reconcile/suggest/entity", {"prefix": "w"}), ("GET", "/reconcile/suggest/type", {"prefix": ""}),
             ("GET", "/reconcile/suggest/property", {"prefix": ""}),
             ("GET", "/reconcile/preview", {"id": "person/wang-yi"}),
             ("GET", "/reconcile", {"queries": "not json"})]


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS)
def test_every_endpoint_allows_any_origin(client: httpx.Client, method: str, path: str,
                                          params: dict[str, str]) -> None:
    origin = {"origin": "https://openrefine.example"}
    response = (client.post(path, data=params, headers=origin) if method == "POST"
                else client.get(path, params=params, headers=origin))
    assert response.status_code < 500
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_preflight_is_answered_for_any_origin_on_reconcile_only(client: httpx.Client) -> None:
    ask = {"origin": "https://openrefine.example", "access-control-request-method": "POST",
           "access-control-request-headers": "content-type"}
    preflight = client.options("/reconcile", headers=ask)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # elsewhere the server's own setting (KB_CORS_ORIGINS) still decides
    assert client.options("/graphql", headers=ask).status_code == 400
    assert "access-control-allow-origin" not in client.get("/health", headers={"origin": ask["origin"]}).headers


def test_jsonp_wraps_the_same_json(client: httpx.Client) -> None:
    for path, params in (("/reconcile", {}), ("/reconcile/suggest/entity", {"prefix": "qin"}),
                         ("/reconcile", {"queries": '{"q": {"query": "Qin Gang"}}'})):
        plain = client.get(path, params=params)
        wrapped = client.get(path, params={**params, "callback": "jQuery_123.done"})
        assert wrapped.headers["content-type"].startswith("application/javascript")
        text = wrapped.text
        assert text.startswith("/**/jQuery_123.done(") and text.endswith(");")
        assert json.loads(text[len("/**/jQuery_123.done("):-2]) == plain.json()


DRAFT_BATCH = {"queries": [
    {"conditions": [{"matchType": "name", "propertyValue": "Secretary Blinken"}], "type": "Person", "limit": 2},
    {"conditions": [{"matchType": "id", "propertyValue": "organization/us-state-department"}]},
    {"conditions": [{"matchType": "name", "propertyValue": "Foreign Ministry"},
                    {"matchType": "property", "propertyId": "country", "propertyValue": "Vietnam", "required": True}]},
    {"conditions": [{"matchType": "property", "propertyId": "title", "propertyValue": "Defense Minister"},
                    {"matchType": "property", "propertyId": "country", "propertyValue": {"id": "place/china"}}]},
    {"conditions": [{"matchType": "name", "propertyValue": "Xyzzy Frobnicator"}], "lang": "en", "dir": "ltr"},
]}


def test_a_batch_in_the_drafts_shape_is_answered_in_the_drafts_shape(client: httpx.Client) -> None:
    """The current testbench speaks the 1.0 draft: POST /match with a JSON body."""
    assert problems("reconciliation-query-batch", DRAFT_BATCH, "1.0-draft") == []
    response = client.post("/reconcile/match", json=DRAFT_BATCH, headers={"origin": "https://testbench.example"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    results = response.json()
    assert problems("reconciliation-result-batch", results, "1.0-draft") == []
    tops = [[c["id"] for c in r["candidates"] if c["match"]] for r in results["results"]]
    assert tops == [["person/antony-blinken"], ["organization/us-state-department"],
                    [], ["person/li-shangfu"], []]
    required = results["results"][2]["candidates"]
    assert [c["id"] for c in required] == ["organization/vietnamese-foreign-ministry"]  # required: the others go


@pytest.mark.parametrize(("body", "says"), [
    ({"queries": [{"conditions": []}]}, "at least one condition"),
    ({"queries": [{"conditions": [{"matchType": "property", "propertyValue": "x"}]}]}, "propertyId"),
    ({"queries": [{"conditions": [{"matchType": "name", "propertyValue": "x", "matchQuantifier": "none"}]}]},
     "not supported"),
    ({"queries": [{"conditions": [{"matchType": "name", "propertyValue": "x"}], "type": "Dog"}]}, "unknown type"),
    ({"q0": {"query": "x"}}, "queries: Field required"),
])
def test_a_bad_draft_batch_is_a_400(client: httpx.Client, body: dict[str, Any], says: str) -> None:
    response = client.post("/reconcile/match", json=body)
    assert response.status_code == 400 and says in response.json()["error"]


def test_the_draft_route_takes_json_only(client: httpx.Client) -> None:
    response = client.post("/reconcile/match", data={"queries": "{}"})
    assert response.status_code == 415 and "application/json" in response.json()["error"]


# ---------------------------------------------------------------------------------------------------------
# kb's request models against the query batch schema


def model_accepts(instance: Any) -> bool:
    try:
        BATCH.validate_json(json.dumps(instance))
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("example", sorted((SPEC / "examples" / "reconciliation-query-batch").glob("*/*.json")),
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_models_give_the_schemas_verdict_on_the_specifications_examples(example: Path) -> None:
    instance = json.loads(example.read_text("utf-8"))
    assert (problems("reconciliation-query-batch", instance) == []) == (example.parent.name == "valid")
    assert model_accepts(instance) == (example.parent.name == "valid")


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
                    st.sampled_from(["", "Wang Yi", "any", "all", "should", "maybe", "Person"]))
"""Any JSON scalar: right for some fields, wrong for others."""
TEXT = st.sampled_from(["", "Wang Yi", "x"])
VALUE = st.one_of(TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                  st.fixed_dictionaries({"id": TEXT}, optional={"name": SCALARS, "other": SCALARS}),
                  st.fixed_dictionaries({}, optional={"name": SCALARS}), st.none())
PROPERTY = st.one_of(
    st.fixed_dictionaries({"pid": st.one_of(TEXT, TEXT, SCALARS), "v": st.one_of(VALUE, st.lists(VALUE, max_size=3))},
                          optional={"other": SCALARS}),
    st.fixed_dictionaries({}, optional={"pid": TEXT, "v": VALUE}), SCALARS)
FIELDS = {"query": st.one_of(TEXT, TEXT, SCALARS), "type": st.one_of(TEXT, st.lists(st.one_of(TEXT, SCALARS),
                                                                                     max_size=2), SCALARS),
          "limit": st.one_of(st.integers(1, 10), st.floats(0.5, 5), SCALARS),
          "properties": st.one_of(st.lists(PROPERTY, max_size=2), SCALARS),
          "type_strict": st.one_of(st.sampled_from(["any", "all", "should"]), SCALARS)}
QUERY = st.one_of(st.fixed_dictionaries({}, optional=FIELDS),
                  st.fixed_dictionaries({"query": TEXT}, optional={k: v for k, v in FIELDS.items() if k != "query"}),
                  st.fixed_dictionaries({"extra": SCALARS}, optional=FIELDS), SCALARS)
GOOD_VALUE = st.one_of(TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                       st.fixed_dictionaries({"id": TEXT}, optional={"name": TEXT, "other": SCALARS}))
GOOD_QUERY = st.fixed_dictionaries({"query": TEXT}, optional={
    "type": st.one_of(TEXT, st.lists(TEXT, max_size=2)), "limit": st.one_of(st.integers(1, 10), st.floats(0.5, 5)),
    "properties": st.lists(st.fixed_dictionaries({"pid": TEXT, "v": st.one_of(GOOD_VALUE, st.lists(GOOD_VALUE))}),
                           max_size=2),
    "type_strict": st.sampled_from(["any", "all", "should"])})
BATCHES = st.one_of(st.dictionaries(st.sampled_from(["q0", "q1"]), st.one_of(GOOD_QUERY, QUERY)),
                    st.dictionaries(st.sampled_from(["q0", "q1"]), GOOD_QUERY), st.lists(QUERY, max_size=2), SCALARS)
"""Query batches, right or wrong in every way: a field right, wrong, missing or null."""


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BATCHES)
def test_the_models_give_the_schemas_verdict_on_any_batch(instance: Any) -> None:
    assert model_accepts(instance) == (problems("reconciliation-query-batch", instance) == [])
