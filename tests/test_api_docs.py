"""Every GraphQL example of docs/api.md runs against the real knowledge base and finds something."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import apikit
from tests.apikit import Api

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
VARIABLES = re.compile(r"^# variables: (.*)$", re.MULTILINE)

real = apikit.fixture(apikit.ROOT)


def _name(example: str) -> str:
    found = re.search(r"query (\w+)", example)
    assert found, f"every example is a named query: {example[:60]}"
    return found.group(1)


def _empty(value: Any) -> bool:
    if value is None or value == []:
        return True
    if isinstance(value, dict) and ("nodes" in value or "edges" in value):
        return not value.get("nodes", value.get("edges"))
    return False


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 10
    assert len({_name(e) for e in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=_name)
def test_example_runs_and_finds_something(real: Api, example: str) -> None:
    given = VARIABLES.search(example)
    data = real.data(example, json.loads(given.group(1)) if given else None)  # checks every evidence span too
    for field, value in data.items():
        assert not _empty(value), f"{_name(example)}: {field} came back empty"


def test_person_page_example_shows_every_meeting_with_its_sentence(real: Api) -> None:
    example = next(e for e in EXAMPLES if _name(e) == "PersonPage")
    person = real.data(example, {"id": "wang-yi"})["person"]
    assert person["meetings"]["edges"] and person["statements"]["edges"] and person["roles"]["edges"]
    texts = real.texts()
    for meeting in (edge["node"] for edge in person["meetings"]["edges"]):
        assert meeting["evidence"], meeting["id"]
        for evidence in meeting["evidence"]:
            units = texts[evidence["source"]["id"]].encode("utf-16-le")
            assert units[2 * evidence["utf16Start"]: 2 * evidence["utf16End"]].decode("utf-16-le") == evidence["quote"]
