"""kb.api.selection: descriptions narrowed to what a request selects give exactly the answers whole ones give."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from kb.api import selection
from kb.api.types.meeting import Meeting
from kb.api.types.organization import Organization
from kb.api.types.person import Person
from kb.api.types.role import Role
from kb.vocab import RDF, RDFS, SDO
from tests import apikit
from tests.apikit import EVIDENCE, Api

api = apikit.fixture()

AGENT = "fragment Agent on Person { id slug iri name aliases description country { id name } }"
QUERIES = [
    # the benchmark's typical question (benchmarks/questions.py)
    """{ person(id: "wang-yi") { name meetings(first: 20) { nodes { id label date { value }
         participants { ... on Person { id name } ... on Organization { id name } }
         evidence { quote start end source { id } } } } } }""",
    AGENT + f"""{{ people(first: 100) {{ totalCount edges {{ cursor node {{ ...Agent evidence {{ {EVIDENCE} }}
         sourceCount sources {{ id headline publisher authors published {{ value precision }} publishedBasis
                               dateline url language file sha256 }} }} }} }} }}""",
    AGENT + ("{ people(first: 100) { nodes { met { ... on Person { ...Agent } "
             "... on Organization { id name kind parent { name } } } } } }"),
    """{ meetings(first: 100) { nodes { id label certainty hedge note disputed kind status date { value }
         endDate { value } place { id name } occasion { id label } topics { id label }
         duration { value disputed } characterization { value } outcomes { value } disputes { id }
         participants { __typename ... on Person { name } ... on Organization { name aliases kind } }
         statements { totalCount } } } }""",
    ("{ organizations(first: 100) { nodes { id name aliases kind country { name } parent { id } "
     "meetings { nodes { label } } sanctionsImposed { totalCount } } } }"),
    "{ sources { nodes { id headline text facts(first: 100) { nodes { id label __typename } } } } }",
    ('{ node(id: "person/antony-blinken") { id ... on Person { name } } '
     'person(id: "wang-yi") { name titles roles { nodes { title } } } }'),
]


@pytest.mark.parametrize("query", QUERIES)
def test_narrowed_descriptions_answer_exactly_as_whole_ones(api: Api, query: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # numbered: the answer cache (kb/serve/middleware/cache.py) must not reply
    narrowed = api.data(query, {"unused": 1})
    monkeypatch.setattr(selection, "FIELDS", {})  # every type described whole, as before narrowing
    assert narrowed == api.data(query, {"unused": 2})


def _info(document: str, *path: str) -> Any:
    """Return a stand-in for the Info of the field at ``path`` (aliases or names) of ``document``."""
    parsed = parse(document)
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    nodes: Any = operation.selection_set.selections
    field: FieldNode | None = None
    for name in path:
        field = next(f for f in nodes if isinstance(f, FieldNode) and (f.alias or f.name).value == name)
        nodes = field.selection_set.selections if field.selection_set else []
    raw = SimpleNamespace(field_nodes=[field], fragments=fragments)
    return SimpleNamespace(_raw_info=raw, context=SimpleNamespace(memo={}))


def test_wanted_reads_fields_through_fragments_and_connections() -> None:
    info = _info("""fragment F on Meeting { date { value } } query {
        person(id: "x") { meetings { nodes { label ...F } """
                 """edges { node { ... on Meeting { participants { id } } } } } } }""",
                 "person", "meetings")
    assert selection.wanted(info, [Meeting], connection=True) == frozenset({
        str(RDF.type), str(RDFS.label), str(SDO.startDate), str(SDO.attendee)})


def test_wanted_asks_for_the_type_alone_when_only_ids_are_selected() -> None:
    info = _info('{ meeting(id: "x") { participants { __typename ... on Person { id } '
                 '... on Organization { iri } } } }',
                 "meeting", "participants")
    assert selection.wanted(info, [Person, Organization], connection=False) == frozenset({str(RDF.type)})


def test_wanted_falls_back_to_whole_descriptions_for_unlisted_fields_and_types() -> None:
    info = _info('{ person(id: "x") { name titles } }', "person")
    assert selection.wanted(info, [Person], connection=False) is not None
    assert selection.wanted(_info('{ person(id: "x") { name roles { totalCount } aliases } }', "person"),
                            [Person], connection=False) is not None
    unlisted = _info('{ person(id: "x") { name } }', "person")
    assert selection.wanted(unlisted, [Role], connection=False) is None  # Role has no table: whole
    assert selection.wanted(_info('{ person(id: "x") { name bogus } }', "person"), [Person], False) is None
