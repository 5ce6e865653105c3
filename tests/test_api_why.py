"""``why`` through the API: each fact's, version's, link's and derived relation's reason, checked against the
graph itself (asked through /sparql), on every backend."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from kb.api import whys
from kb.api.whys import WhyKey
from kb.graph.query import PROLOGUE
from kb.graph.why import why
from tests import apikit
from tests.apikit import EVIDENCE, Api
from tests.test_api_facts_query import BASE, sparql

real = apikit.fixture(apikit.ROOT)

WHY = f"kind rule {{ name label }} premises {{ id }} basis note evidence {{ {EVIDENCE} asWritten }}"


def key(iri: str) -> str:
    """Return the global id of an IRI of the knowledge base."""
    return iri.removeprefix(BASE)


def test_met_with_gives_the_rule_and_the_meetings_both_took_part_in(real: Api) -> None:
    person = "antony-blinken"
    derivations = sparql(real, f"""SELECT ?other ?premise WHERE {{
        ?d a kb:Derivation ; rdf:subject <{BASE}person/{person}> ; rdf:predicate kb:met ; rdf:object ?other ;
           prov:wasDerivedFrom ?premise }}""")
    expected: dict[str, set[str]] = defaultdict(set)
    for row in derivations:
        expected[key(row["other"])].add(key(row["premise"]))
    met = real.data(f'{{ person(id: "{person}") {{ metWith {{ agent {{ ... on Person {{ id }} '
                    f'... on Organization {{ id }} }} why {{ {WHY} }} }} }} }}')["person"]["metWith"]
    assert expected and {m["agent"]["id"] for m in met} == set(expected)
    for m in met:
        (reason,) = m["why"]
        assert (reason["kind"], reason["rule"]["name"]) == ("DERIVED", "met")
        assert {p["id"] for p in reason["premises"]} == expected[m["agent"]["id"]]


def test_a_premise_meeting_has_both_people_and_its_own_evidence(real: Api) -> None:
    met = real.data(f"""{{ person(id: "antony-blinken") {{ metWith {{ agent {{ ... on Person {{ id }} }}
        why {{ premises {{ id evidence {{ {EVIDENCE} }} why {{ kind }}
        ... on Meeting {{ status participants {{ ... on Person {{ id }} }} }} }} }} }} }} }}""")
    for encounter in met["person"]["metWith"]:
        for premise in encounter["why"][0]["premises"]:
            assert premise["status"] == "HELD" and premise["evidence"]
            people = {p.get("id") for p in premise["participants"]}
            assert {"person/antony-blinken", encounter["agent"]["id"]} <= people
            assert premise["why"][0]["kind"] == "STATED"


def test_a_fact_is_stated_by_its_own_evidence(real: Api) -> None:
    facts = real.data(f"{{ facts(first: 100) {{ nodes {{ id evidence {{ id }} why {{ {WHY} }} }} }} }}")["facts"]
    for fact in facts["nodes"]:
        stated = [w for w in fact["why"] if w["kind"] == "STATED"]
        assert stated, fact["id"]
        assert {e["id"] for w in stated for e in w["evidence"]} >= {e["id"] for e in fact["evidence"]}


def test_each_evidence_of_a_version_keeps_its_own_wording(real: Api) -> None:
    worded = {key(r["ev"]): r["w"] for r in sparql(real, """SELECT ?ev ?w WHERE {
        ?version a kb:AttributeStatement ; prov:wasDerivedFrom ?ev . ?ev kb:asWritten ?w }""")}
    found = real.data(f"""{{ meetings(first: 100) {{ nodes {{ duration {{ versions {{ id asWritten
        evidence {{ id asWritten }} why {{ {WHY} }} }} }} }} }} }}""")["meetings"]["nodes"]
    versions = [v for m in found if m["duration"] for v in m["duration"]["versions"]]
    assert versions
    for version in versions:
        assert [w["kind"] for w in version["why"]] == ["STATED"]
        assert {e["id"] for e in version["why"][0]["evidence"]} == {e["id"] for e in version["evidence"]}
        for evidence in version["evidence"]:
            assert evidence["asWritten"] == worded.get(evidence["id"])


def test_links_are_the_link_nodes_of_the_graph_each_with_its_reason(real: Api) -> None:
    rows = sparql(real, "SELECT ?s ?link WHERE { ?link a kb:Link ; rdf:subject ?s . ?s a kb:Statement }")
    expected: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        expected[key(row["s"])].add(key(row["link"]).rsplit("/", 2)[-2])
    found = real.data(f"{{ facts(first: 100) {{ nodes {{ id links {{ attribute value certainty why {{ {WHY} }} }} "
                      "} } }")["facts"]["nodes"]
    for fact in found:
        assert {link["attribute"] for link in fact["links"]} == expected.get(fact["id"], set()), fact["id"]
        for link in fact["links"]:
            assert link["why"], (fact["id"], link["attribute"])


def test_an_article_says_how_its_metadata_is_known(real: Api) -> None:
    notes = {key(r["s"]): r["note"] for r in sparql(
        real, "SELECT ?s ?note WHERE { ?s a schema:NewsArticle ; skos:note ?note }")}
    credited = {(key(r["s"]), r["o"]) for r in sparql(
        real, "SELECT ?s ?o WHERE { ?l a kb:Link ; rdf:subject ?s ; rdf:object ?o . ?s a schema:NewsArticle }")}
    sources = real.data(f"{{ sources(first: 100) {{ nodes {{ id note authors credits {{ attribute value "
                        f"why {{ {WHY} }} }} }} }} }}")["sources"]["nodes"]
    assert notes and {s["id"]: s["note"] for s in sources if s["note"]} == notes
    assert {(s["id"], c["value"]) for s in sources for c in s["credits"]} == credited
    for source in sources:
        for credit in source["credits"]:
            assert all(w["kind"] in {"STATED", "CURATOR"} for w in credit["why"])
            assert all(w["basis"] for w in credit["why"] if w["kind"] == "CURATOR")


def test_the_why_of_a_page_of_facts_is_batched(real: Api) -> None:
    if real.backend == "virtuoso":
        return  # the count is the same there; asked once is enough
    few = real.queries("{ facts(first: 2) { nodes { id why { kind evidence { id } } } } }")
    many = real.queries("{ facts(first: 40) { nodes { id why { kind evidence { id } } } } }")
    assert many == few  # one batch for the whole page, however many facts it holds


@pytest.mark.parametrize("backend", ["oxigraph", "rdflib"])
def test_a_batch_gives_what_kb_graph_why_gives_one_key_at_a_time(backend: str) -> None:
    snapshot = apikit.snapshot(apikit.ROOT, backend)
    select = snapshot.backend.select

    async def keys() -> list[WhyKey]:
        rows = (await select(PROLOGUE + """SELECT ?node ?s ?p ?o WHERE {
            { ?node a kb:Statement } UNION { ?node a kb:Link }
            UNION { ?d a kb:Derivation ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o } }""")).rows
        nodes: list[WhyKey] = [(r["node"].value, None, None) for r in rows if "node" in r]
        return nodes + [(r["s"].value, r["p"].value, r["o"].value) for r in rows if "s" in r]

    async def compare() -> int:
        asked = await keys()
        batched = await whys.why_many(snapshot.backend, asked)
        for key_, found in zip(asked, batched, strict=True):
            alone = await why(snapshot.backend, *key_)
            assert sorted(found, key=repr) == sorted(alone, key=repr), key_
        return len(asked)

    assert asyncio.run(compare()) > 100
