"""One definition of a dispute: kb validate, /health, GraphQL and the home page give the same number, and the
pages write counts in the singular for one."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from kb.cli import main
from kb.curate import disputes
from kb.load import pipeline
from kb.pages.views import count
from tests import apikit
from tests.conftest import ROOT


def test_validate_health_graphql_and_home_page_count_the_same_disputes() -> None:
    kb = pipeline.load(ROOT)
    expected = disputes.in_knowledge_base(kb, "https://kb.example.org/")
    assert expected > len(kb.disputes)  # the attribute disputes (duration, characterization) count too
    for flags in ([], ["--no-shapes"]):
        result = CliRunner().invoke(main, ["validate", "--root", str(ROOT), "--json", "-q", *flags])
        assert json.loads(result.stdout)["counts"]["disputes"] == expected
    with apikit.serve(apikit.app(ROOT, "oxigraph")) as http:
        assert http.get("/health").json()["counts"]["disputes"] == expected
        answer = http.post("/graphql", json={"query": "{ disputes(first: 0) { totalCount } }"}).json()
        assert answer["data"]["disputes"]["totalCount"] == expected
        home = http.get("/").text
        assert f'<a href="/disputes">{expected} disputes</a>' in home
        assert not re.search(r"\b1 (meetings|statements|facts)\b", home)


def test_count_is_singular_for_one() -> None:
    assert count(1, "meeting") == "1 meeting"
    assert count(0, "statement") == "0 statements"
    assert count(2, "person", "people") == "2 people"
    assert count(None, "fact") == "0 facts"
