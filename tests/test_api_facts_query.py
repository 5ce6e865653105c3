"""Questions across kinds of facts in one query (``facts``), place filters that follow the place hierarchy,
and the certainty filter of every list: each answer checked against the graph itself, asked through /sparql."""

from __future__ import annotations

from typing import Any

import pytest

from kb.vocab import PREFIXES
from tests import apikit
from tests.apikit import Api, ids

real = apikit.fixture(apikit.ROOT)

PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
FACT_TYPES = "schema:Event org:Membership kb:Utterance kb:Sanction"
BASE = "https://kb.example.org/"


def sparql(api: Api, query: str) -> list[dict[str, Any]]:
    """Return the rows of a SELECT asked of the served graph through /sparql, each variable's value."""
    response = api.client.post("/sparql", data={"query": PROLOGUE + query},
                               headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def keys(rows: list[dict[str, Any]], var: str) -> set[str]:
    """Return the global ids (IRIs without the base) of ``var`` in ``rows``."""
    return {row[var].rsplit("/", 2)[-2] + "/" + row[var].rsplit("/", 1)[-1] for row in rows}


def every(api: Api, field: str, arguments: str, selection: str = "id") -> list[dict[str, Any]]:
    """Return every node of the list ``field(arguments)``, page by page, each with ``selection``."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        cursor = f', after: "{after}"' if after else ""
        page = api.data(f"{{ {field}({arguments}, first: 100{cursor}) {{ nodes {{ {selection} }} "
                        "pageInfo { hasNextPage endCursor } } }")[field]
        found += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_facts_reported_by_three_or_more_articles_is_one_query_and_the_group_by_answer(real: Api) -> None:
    expected = keys(sparql(real, f"""
        SELECT ?fact WHERE {{ VALUES ?type {{ {FACT_TYPES} }} ?fact a ?type ;
          prov:wasDerivedFrom/oa:hasSource ?source }}
        GROUP BY ?fact HAVING (COUNT(DISTINCT ?source) >= 3)"""), "fact")
    assert expected, "the knowledge base has facts stated by three articles"
    query = "{ facts(minSources: 3, first: 100) { totalCount nodes { __typename id sourceCount } } }"
    facts = real.data(query)["facts"]
    assert {f["id"] for f in facts["nodes"]} == expected
    assert facts["totalCount"] == len(expected)
    assert all(f["sourceCount"] >= 3 for f in facts["nodes"])
    assert {f["__typename"] for f in facts["nodes"]} > {"Meeting"}  # more than one kind in the one list
    if real.backend != "virtuoso":  # a remote backend's query count depends on nothing we ask here
        assert real.queries(query) <= 4


@pytest.mark.parametrize(("kind", "type_"), [("MEETING", "schema:Event"), ("ROLE", "org:Membership"),
                                             ("STATEMENT", "kb:Utterance"), ("SANCTION", "kb:Sanction")])
def test_facts_of_one_kind_are_the_nodes_of_its_type(real: Api, kind: str, type_: str) -> None:
    expected = keys(sparql(real, f"SELECT ?fact WHERE {{ ?fact a {type_} }}"), "fact")
    found = every(real, "facts", f"kind: {kind}", "id __typename")
    assert {f["id"] for f in found} == expected
    assert {f["__typename"] for f in found} == {kind.title()}


def test_facts_filtered_by_article_person_topic_and_dispute(real: Api) -> None:
    source, person, topic = "bloomberg-2023-06-19-beijing", "antony-blinken", "taiwan-question"
    expected = keys(sparql(real, f"""
        SELECT DISTINCT ?fact WHERE {{ VALUES ?type {{ {FACT_TYPES} }} ?fact a ?type .
          {{ ?fact prov:wasDerivedFrom/oa:hasSource <{BASE}source/{source}> }}
          UNION {{ ?fact kb:attributeStatement/prov:wasDerivedFrom/oa:hasSource <{BASE}source/{source}> }}
          ?fact ?involves <{BASE}person/{person}> }}"""), "fact")
    found = real.data(f'{{ facts(source: "{source}", person: "{person}", first: 100) {{ nodes {{ id }} }} }}')
    assert set(ids(found["facts"])) == expected and expected
    by_topic = keys(sparql(real, f"SELECT ?f WHERE {{ ?f dcterms:subject <{BASE}topic/{topic}> }}"), "f")
    found = real.data(f'{{ facts(topic: "{topic}", first: 100) {{ nodes {{ id }} }} }}')
    assert set(ids(found["facts"])) == by_topic and by_topic
    disputed = every(real, "facts", "disputed: true", "id disputed")
    undisputed = every(real, "facts", "disputed: false", "id disputed")
    assert disputed and all(f["disputed"] for f in disputed)
    assert undisputed and not any(f["disputed"] for f in undisputed)
    total = real.data("{ facts { totalCount } }")["facts"]["totalCount"]
    assert len(disputed) + len(undisputed) == total


def test_meetings_in_a_country_include_those_in_its_cities(real: Api) -> None:
    # the case: Beijing is in China, so meetings(place: "china") finds the Beijing meetings
    in_beijing = set(ids(real.data('{ meetings(place: "beijing", first: 100) { nodes { id } } }')["meetings"]))
    in_china = real.data('{ meetings(place: "china", first: 100) { nodes { id place { id } } } }')["meetings"]
    assert in_beijing and in_beijing <= set(ids(in_china))
    within = keys(sparql(real, f"""SELECT ?m WHERE {{ ?m a schema:Event ;
        schema:location/(kb:country|schema:containedInPlace)* <{BASE}place/china> }}"""), "m")
    assert set(ids(in_china)) == within
    nested = real.data('{ place(id: "china") { meetings(first: 100) { nodes { id } } } }')["place"]
    assert set(ids(nested["meetings"])) == within


@pytest.mark.parametrize("field", ["meetings", "statements", "roles", "sanctions", "facts"])
def test_every_list_filters_by_certainty(real: Api, field: str) -> None:
    hedged = every(real, field, "certainty: HEDGED", "id certainty")
    stated = every(real, field, "certainty: STATED", "id certainty")
    assert all(f["certainty"] == "HEDGED" for f in hedged)
    assert all(f["certainty"] == "STATED" for f in stated)
    total = real.data(f"{{ {field} {{ totalCount }} }}")[field]["totalCount"]
    assert len(hedged) + len(stated) == total
    if field == "facts":
        graph = keys(sparql(real, f"SELECT ?f WHERE {{ VALUES ?type {{ {FACT_TYPES} }} ?f a ?type ; "
                                  "kb:certainty kbv:hedged }"), "f")
        assert {f["id"] for f in hedged} == graph


@pytest.mark.parametrize("bad", ["minSources: 0", "minSources: -1", "minSources: 100000"])
def test_facts_refuses_a_min_sources_out_of_range(real: Api, bad: str) -> None:
    assert "minSources must be 1 to" in real.errors(f"{{ facts({bad}) {{ totalCount }} }}")[0]
