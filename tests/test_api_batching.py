"""DataLoaders: a nested query costs the same number of SPARQL queries however many objects it touches."""

from __future__ import annotations

from tests import apikit
from tests.apikit import EVIDENCE, Api

api = apikit.fixture()
real = apikit.fixture(apikit.ROOT)

NESTED = f"""query($n: Int) {{ people(first: $n) {{ nodes {{ name titles
  roles {{ nodes {{ title organization {{ name }} titles {{ value evidence {{ {EVIDENCE} }} }} }} }}
  meetings {{ nodes {{ label date {{ value asWritten }} place {{ name }} disputed
    participants {{ ... on Person {{ name }} ... on Organization {{ name }} }}
    evidence {{ {EVIDENCE} }} duration {{ versions {{ value evidence {{ {EVIDENCE} }} }} }} }} }}
  statements {{ nodes {{ quote speaker {{ ... on Person {{ name }} }} evidence {{ {EVIDENCE} }} }} }} }} }} }}"""

BOUND = 16
"""SPARQL queries the nested query may cost: one per list and per level of look-ups, never one per object."""


def costs(api: Api) -> tuple[list[int], int]:
    """Return the cost of the nested query for each person alone, and for everyone at once."""
    everyone = api.data(NESTED, {"n": 100})["people"]["nodes"]
    alone = []
    for person in everyone:
        query = (NESTED.replace("people(first: $n)", "people(first: $n, name: $name)")
                 .replace("$n: Int", "$n: Int, $name: String"))
        alone.append(api.queries(query, {"n": 1, "name": person["name"]}))
    # numbered, so the answer cache does not replay the first request's count: that one also fetched the
    # articles' texts, which the snapshot then keeps (UTF-16 offsets), as every request after it finds them
    return alone, api.queries(NESTED, {"n": 100, "again": 1})


def test_nested_query_cost_does_not_grow_with_the_objects_it_touches(api: Api) -> None:
    alone, together = costs(api)
    assert len(alone) == 4
    # everyone at once costs no more than the costliest person alone: look-ups are batched across objects
    assert together <= max(alone) <= BOUND


def test_nested_query_cost_is_bounded_on_the_real_knowledge_base(real: Api) -> None:
    data = real.data(NESTED, {"n": 100})
    spans = apikit.check_evidence(data, real.texts())
    # every person, role, meeting, statement and evidence span of the knowledge base, in a bounded few queries
    assert len(data["people"]["nodes"]) > 10 and spans > 10 * BOUND
    assert real.queries(NESTED, {"n": 100}) <= BOUND


def test_lists_of_many_parents_share_one_query(api: Api) -> None:
    query = "{ people(first: 100) { nodes { meetings { totalCount } statements { totalCount } } } }"
    # the people (1) and their properties (1), one query per nested list for all people at once (2), and the
    # properties of every item of both lists together (1)
    assert api.queries(query) == 5


def test_each_request_starts_with_fresh_loaders(api: Api) -> None:
    assert api.queries('{ person(id: "wang-yi") { name } }') == api.queries('{ person(id: "wang-yi") { name } }') == 1


def test_whom_people_met_is_fetched_only_when_asked_for_everyone_at_once(api: Api) -> None:
    # a person's description leaves out kb:met (hundreds of people for some): the people (1) and their
    # properties (1); asking for met adds one query for everyone's and one for what is asked of those met
    assert api.queries("{ people(first: 100) { nodes { name } } }") == 2
    asked = "{ people(first: 100) { nodes { name met { ... on Person { id } ... on Organization { id } } } } }"
    assert api.queries(asked) == 4
    met = {p["name"]: [m["id"] for m in p["met"]] for p in api.data(asked)["people"]["nodes"]}
    assert met["Antony Blinken"] == ["person/wang-yi"] and met["Wang Yi"] == ["person/antony-blinken"]


def test_article_text_is_fetched_only_when_asked_for_every_article_at_once(api: Api) -> None:
    assert api.queries("{ sources { nodes { headline } } }") == 2
    assert api.queries("{ sources { nodes { headline text } } }") == 3
    sources = api.data("{ sources { nodes { file text } } }")["sources"]["nodes"]
    assert len(sources) == 2
    for source in sources:
        assert source["text"] == (apikit.API_FIXTURE / "seeds" / source["file"]).read_text(encoding="utf-8")


def test_an_evidence_source_asked_only_for_its_id_is_not_fetched(api: Api) -> None:
    # the person (1) and the evidence (1); the article is guaranteed and its id is in its IRI
    ids = api.data('{ person(id: "wang-yi") { evidence { source { id } } } }')["person"]["evidence"]
    assert ids and all(e["source"]["id"].startswith("source/") for e in ids)
    assert api.queries('{ person(id: "wang-yi") { evidence { source { id } } } }') == 2
    assert api.queries('{ person(id: "wang-yi") { evidence { source { id headline } } } }') == 3
