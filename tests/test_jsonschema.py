from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from kb.cli import main
from kb.load import loader
from kb.model.jsonschema import MODELINE, modeline, rendered, schema, with_modeline
from kb.model.records import KINDS
from tests.conftest import ROOT

CURATION_FILES = sorted(
    [*loader.curation_files(ROOT / "curation"),
     *loader.curation_files(ROOT / "tests" / "fixtures" / "mini" / "curation")]
)


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def records(path: Path) -> tuple[str, list[Any]]:
    curation = path.parent if path.parent.name == "curation" else path.parent.parent
    kind = loader.kind_of(path, curation)
    assert kind is not None, f"{path} is not a curation file kind"
    return kind, loader.parse_yaml(path.read_bytes(), path.name, kind).records


def test_schema_files_are_up_to_date() -> None:
    for name, text in rendered().items():
        path = ROOT / "schema" / name
        assert path.is_file() and path.read_text("utf-8") == text, f"schema/{name} is stale: run kb schema-json"


@pytest.mark.parametrize("kind", list(KINDS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    Draft202012Validator.check_schema(schema(kind))
    assert schema(kind)["type"] == "array"


def test_there_are_curation_files_to_check() -> None:
    kinds = {records(path)[0] for path in CURATION_FILES if path.is_relative_to(ROOT / "curation")}
    assert {"sources", "people", "meetings"} <= kinds


@pytest.mark.parametrize("path", CURATION_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_schema_accepts_every_curation_file(path: Path) -> None:
    kind, data = records(path)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(kind).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("path", [p for p in CURATION_FILES if p.is_relative_to(ROOT / "curation")],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_curation_file_names_its_schema(path: Path) -> None:
    kind, _ = records(path)
    first = path.read_text("utf-8").splitlines(keepends=True)[0]
    assert first == modeline(kind, len(path.relative_to(ROOT).parts) - 1)
    target = path.parent / first.split("$schema=")[1].strip()
    assert json.loads(target.read_text("utf-8"))["title"] == f"kb curation file: {kind}"


MEETING: dict[str, Any] = {
    "id": "m1", "kind": "talks", "status": "held", "label": "Talks", "participants": ["a"],
    "date": {"value": "2023-07-13", "as_written": "Thursday"},
    "duration": [{"value": "PT1H30M", "evidence": [{"source": "s", "quote": "90 minutes", "start": 1, "end": 11}]}],
    "evidence": [{"source": "s", "quote": "talks", "start": 0, "end": 5}],
}

BROKEN: dict[str, tuple[list[Any], Any]] = {
    "unknown field": (["colour"], "red"),
    "misspelt field": (["participant"], ["a"]),
    "offset as text": (["evidence", 0, "start"], "0"),
    "negative offset": (["evidence", 0, "end"], -1),
    "id with capitals": (["id"], "Meeting-1"),
    "status not in the list": (["status"], "happened"),
    "date without precision": (["date", "value"], "13 July 2023"),
    "duration not ISO 8601": (["duration", 0, "value"], "90 minutes"),
    "empty evidence": (["evidence"], []),
    "empty quote": (["evidence", 0, "quote"], ""),
    "participants not a list": (["participants"], "a"),
}


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    record = copy.deepcopy(MEETING)
    target: Any = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return record


def test_schema_and_model_accept_a_good_record() -> None:
    assert list(validator("meetings").iter_errors([MEETING])) == []
    KINDS["meetings"].model_validate(MEETING)


@pytest.mark.parametrize("case", list(BROKEN))
def test_schema_rejects_broken_records_as_the_model_does(case: str) -> None:
    record = _broken(*BROKEN[case])
    assert list(validator("meetings").iter_errors([record])), f"schema accepted {case}"
    with pytest.raises(ValidationError):
        KINDS["meetings"].model_validate(record)


def test_schema_rejects_a_missing_required_field_and_a_non_list_file() -> None:
    record = copy.deepcopy(MEETING)
    del record["label"]
    [error] = validator("meetings").iter_errors([record])
    assert "'label' is a required property" in error.message
    assert list(validator("people").iter_errors({"id": "x", "name": "X"}))


def test_with_modeline_adds_or_replaces_the_first_line() -> None:
    line = modeline("people", 2)
    assert line == "# yaml-language-server: $schema=../../schema/people.schema.json\n"
    assert with_modeline("- id: a\n", line) == line + "- id: a\n"
    assert with_modeline("# yaml-language-server: $schema=old.json\n- id: a\n", line) == line + "- id: a\n"
    assert MODELINE.match(line)


def test_schema_json_command_rewrites_stale_files_and_check_fails_first(tmp_path: Path) -> None:
    (tmp_path / "curation" / "people").mkdir(parents=True)
    (tmp_path / "curation" / "people" / "officials.yaml").write_text("# officials\n- id: a\n  name: A\n")
    (tmp_path / "curation" / "sources.yaml").write_text("# yaml-language-server: $schema=wrong.json\n[]\n")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "people.schema.json").write_text("{}\n")
    runner = CliRunner()
    check = runner.invoke(main, ["schema-json", "--root", str(tmp_path), "--check"])
    assert check.exit_code == 1 and "stale schema/people.schema.json" in check.stdout
    assert (tmp_path / "schema" / "people.schema.json").read_text() == "{}\n"
    assert runner.invoke(main, ["schema-json", "--root", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["schema-json", "--root", str(tmp_path), "--check"]).exit_code == 0
    assert (tmp_path / "curation" / "people" / "officials.yaml").read_text() == (
        "# yaml-language-server: $schema=../../schema/people.schema.json\n# officials\n- id: a\n  name: A\n")
    assert (tmp_path / "curation" / "sources.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../schema/sources.schema.json\n[]")
    assert json.loads((tmp_path / "schema" / "people.schema.json").read_text()) == schema("people")
