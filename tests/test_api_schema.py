"""schema/schema.graphql is the printed schema, and every type and field says what it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLObjectType, get_introspection_query

from kb.api.schema import make_schema, sdl
from tests.hostile import client

ROOT = Path(__file__).resolve().parent.parent
SDL = ROOT / "schema" / "schema.graphql"
KB = str(Path(sys.executable).parent / "kb")


def test_committed_sdl_is_up_to_date() -> None:
    assert SDL.read_text("utf-8") == sdl(), "schema/schema.graphql is stale: run kb schema -o schema/schema.graphql"


def test_kb_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(sdl().replace("type Person", "type Persona"), "utf-8")
    done = subprocess.run([KB, "schema", "--check", str(stale)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "out of date" in done.stderr
    fresh = tmp_path / "fresh.graphql"
    assert subprocess.run([KB, "schema", "-o", str(fresh)], timeout=60, check=False).returncode == 0
    assert subprocess.run([KB, "schema", "--check", str(fresh)], timeout=60, check=False).returncode == 0


def test_every_type_and_field_is_described() -> None:
    schema = make_schema()._schema
    missing: list[str] = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            missing += [f"{name}.{field}" for field, value in kind.fields.items() if not value.description]
    assert missing == []


def undescribed(types: list[dict[str, Any]]) -> list[str]:
    """Return, from an introspection answer's types, every argument and enum value without a description and
    every custom scalar without a specifiedByURL."""
    missing = []
    for kind in types:
        name = kind["name"]
        if name.startswith("__"):
            continue
        for field in kind.get("fields") or ():
            missing += [f"{name}.{field['name']}({a['name']}:)" for a in field["args"] if not a["description"]]
        missing += [f"{name}.{value['name']}" for value in kind.get("enumValues") or () if not value["description"]]
        if kind["kind"] == "SCALAR" and name not in {"String", "Int", "Float", "Boolean", "ID"}:
            missing += [f"scalar {name} (specifiedByURL)"] if not kind.get("specifiedByURL") else []
    return missing


def test_every_argument_enum_value_and_scalar_is_described() -> None:
    # What a client sees: the introspection query GraphiQL and code generators send, over HTTP.
    query = get_introspection_query(descriptions=True, specified_by_url=True)
    response = client().post("/graphql", json={"query": query})
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    types = response.json()["data"]["__schema"]["types"]
    assert len([t for t in types if t["kind"] == "ENUM" and not t["name"].startswith("__")]) >= 9
    assert undescribed(types) == []
    # The walk itself finds what is missing.
    assert undescribed([{"name": "X", "kind": "ENUM", "enumValues": [{"name": "A", "description": None}]},
                        {"name": "Y", "kind": "SCALAR"},
                        {"name": "Z", "kind": "OBJECT", "fields": [
                            {"name": "f", "args": [{"name": "a", "description": ""}]}]}]) == [
        "X.A", "scalar Y (specifiedByURL)", "Z.f(a:)"]


def test_root_fields_the_issue_asks_for_exist() -> None:
    fields = make_schema()._schema.query_type.fields  # type: ignore[union-attr]
    assert {"person", "people", "organizations", "meetings", "statements", "sanctions", "sources", "source",
            "search", "disputes", "node", "roles"} <= set(fields)


def test_enums_list_exactly_the_controlled_values_of_the_models() -> None:
    from typing import get_args

    from kb.api.types import enums
    from kb.model import records as models

    pairs = [
        (enums.MeetingKind, models.Meeting, "kind"), (enums.MeetingStatus, models.Meeting, "status"),
        (enums.Channel, models.Statement, "channel"), (enums.Certainty, models.Fact, "certainty"),
        (enums.OrganizationKind, models.Organization, "kind"), (enums.PlaceKind, models.Place, "kind"),
        (enums.DateBasis, models.Source, "published_basis"),
    ]
    for enum, model, field in pairs:
        annotation = model.model_fields[field].annotation
        literal = next((a for a in get_args(annotation) if get_args(a)), annotation)  # Optional[...] -> Literal
        assert [m.value for m in enum] == list(get_args(literal)), enum.__name__
        assert all(m.name == m.value.upper().replace("-", "_") for m in enum)
