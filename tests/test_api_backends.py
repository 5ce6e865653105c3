"""Every backend gives the same answers: Oxigraph's native engine and rdflib's own, on the same graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import apikit
from tests.test_api_docs import EXAMPLES, VARIABLES, _name
from tests.test_api_evidence import EVERYTHING

QUERIES = {
    "everything": EVERYTHING,
    "lists": """{ people(first: 100) { totalCount nodes { id name aliases titles } }
        meetings(first: 100) { totalCount nodes { id label date { value } participants { ... on Person { id } } } }
        statements(first: 100) { totalCount nodes { id quote speaker { ... on Person { id } ... on Organization { id } } } }
        roles(first: 100, asOf: "2023-07-01") { nodes { id title } }
        disputes { nodes { id versions { __typename } } } search(text: "minister", first: 100) { nodes { score field node { id } } } }""",
    **{_name(e): e for e in EXAMPLES},
}


def _answers(root: Path, backend: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with apikit.serve(apikit.app(root, backend)) as http:
        for name, query in QUERIES.items():
            given = VARIABLES.search(query)
            response = http.post("/graphql", json={"query": query, "variables": json.loads(given.group(1)) if given else {}})
            found[name] = response.json()
    return found


@pytest.mark.parametrize("root", [apikit.API_FIXTURE, apikit.ROOT], ids=["fixture", "real"])
def test_oxigraph_and_rdflib_answer_alike(root: Path) -> None:
    oxigraph, rdflib = _answers(root, "oxigraph"), _answers(root, "rdflib")
    for name in QUERIES:
        assert "errors" not in oxigraph[name] or root == apikit.API_FIXTURE, name
        assert oxigraph[name] == rdflib[name], name
