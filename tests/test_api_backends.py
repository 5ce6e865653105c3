"""Every backend gives the same answers: Oxigraph's native engine and rdflib's own, on the same graph; and a
hub's lists page alike on every backend (Virtuoso too), whether the engine or Python cuts the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.api import searchindex
from kb.api.pagination import decode_cursor, encode_cursor
from kb.config import Settings
from kb.graph.snapshot import from_knowledge_base
from kb.load import pipeline
from kb.load.version import kb_version
from kb.serve.app import create_app
from kb.vocab import Mint
from tests import apikit
from tests.test_api_docs import EXAMPLES, VARIABLES, _name
from tests.test_api_evidence import EVERYTHING

QUERIES = {
    "everything": EVERYTHING,
    "lists": """{ people(first: 100) { totalCount nodes { id name aliases titles } }
        meetings(first: 100) { totalCount nodes { id label date { value } participants { ... on Person { id } } } }
        statements(first: 100) { totalCount nodes { id quote speaker { ... on Person { id } """
        """... on Organization { id } } } }
        roles(first: 100, asOf: "2023-07-01") { nodes { id title } }
        disputes { nodes { id versions { __typename } } } }""",
    "search": """{ search(text: "minister", first: 100) { nodes { score field node { id } } } }""",
    **{_name(e): e for e in EXAMPLES},
}


def _answers(root: Path, backend: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    built = searchindex.start(apikit.snapshot(root, backend))  # search answers from the index on both
    assert built is not None
    built.result(timeout=120)
    with apikit.serve(apikit.app(root, backend)) as http:
        for name, query in QUERIES.items():
            given = VARIABLES.search(query)
            response = http.post("/graphql",
                                 json={"query": query, "variables": json.loads(given.group(1)) if given else {}})
            found[name] = response.json()
    return found


@pytest.mark.parametrize("root", [apikit.API_FIXTURE, apikit.ROOT], ids=["fixture", "real"])
def test_oxigraph_and_rdflib_answer_alike(root: Path) -> None:
    oxigraph, rdflib = _answers(root, "oxigraph"), _answers(root, "rdflib")
    for name in QUERIES:
        assert "errors" not in oxigraph[name] or root == apikit.API_FIXTURE, name
        assert oxigraph[name] == rdflib[name], name


# ---------------------------------------------------------------------------------------------------------
# a hub's lists, paged by the engine (one parent) or cut in Python (many parents): the same pages everywhere

HUB, LONER, OTHER = "person-000000", "person-loner", "person-000010"
HUB_BASE = "https://hub.example.org/"
HUB_PAGE = "totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


def _hub_root(path: Path) -> Path:
    """Write a generated knowledge base whose hub takes part in 82 meetings, three of them on one day (a tie
    in the date, broken by the IRI) and two undated (sorted last), and someone in none; return its folder."""
    from benchmarks import generate

    generate.write(path, facts=600)
    meetings = path / "curation" / "meetings" / "0000.yaml"
    kb = pipeline.load(path)
    tied = next(m for m in kb.of("meetings").values() if HUB in m.participants and m.date is not None)
    ev = tied.evidence[0]
    evidence = (f"  evidence:\n  - source: {ev.source}\n    quote: {json.dumps(ev.quote)}\n"
                f"    start: {ev.start}\n    end: {ev.end}\n")
    extra = ""
    for n, date in enumerate([tied.date.value, tied.date.value, None, None]):
        when = "" if date is None else f'  date:\n    value: "{date}"\n'
        extra += (f"- id: meeting-hub-{n}\n  kind: call\n  status: held\n  label: Hub {n}\n"
                  f"  participants: [{HUB}]\n{when}{evidence}")
    meetings.write_text(meetings.read_text("utf-8") + extra, "utf-8")
    people = path / "curation" / "people" / "0000.yaml"
    people.write_text(people.read_text("utf-8") + f"- id: {LONER}\n  name: Lone Person\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hub_root(tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module", params=apikit.BACKENDS)
def hub(request: pytest.FixtureRequest, hub_root: Path) -> Iterator[apikit.Api]:
    settings = Settings(root=hub_root, store=request.param, base_iri=HUB_BASE)
    if request.param == "virtuoso":
        from tests import virtuoso

        served = virtuoso.published_snapshot(request.getfixturevalue("virtuoso_server"), hub_root, HUB_BASE)
    else:
        served = from_knowledge_base(pipeline.load(hub_root), settings, kb_version(hub_root))
    with apikit.serve(create_app(settings, served)) as http:
        yield apikit.Api(http, request.param)


def _expected(root: Path, person: str) -> list[tuple[str, str]]:
    """Return ``(global id, cursor)`` of each of ``person``'s meetings in list order: by date, undated last,
    ties by IRI (worked out from the curated records, not through the API)."""
    mint = Mint(HUB_BASE)
    keys = sorted((f"{m.date.value if m.date else '~'} {mint.record('meetings', m.id)}", m.id)
                  for m in pipeline.load(root).of("meetings").values() if person in m.participants)
    return [(f"meeting/{rid}", encode_cursor(key)) for key, rid in keys]


def _hub_page(api: apikit.Api, person: str, first: int, after: str | None, alone: bool) -> dict[str, Any]:
    """Return one page of ``person``'s meetings, asked of that person alone (the engine cuts the page) or
    together with another person's (one query for both lists, cut in Python)."""
    field = f"meetings(first: {first}, after: $after) {{ {HUB_PAGE} }}"
    other = f'other: person(id: "{OTHER if person != OTHER else HUB}") {{ {field} }}'
    query = f'query($after: String) {{ person(id: "{person}") {{ {field} }} {"" if alone else other} }}'
    found: dict[str, Any] = api.data(query, {"after": after})["person"]["meetings"]
    return found


@pytest.mark.parametrize("size", [11, 41, 100])
def test_a_hubs_pages_follow_each_other_and_match_the_batched_lists(hub: apikit.Api, hub_root: Path,
                                                                    size: int) -> None:
    expected = _expected(hub_root, HUB)
    assert len(expected) == 82
    seen: list[tuple[str, str]] = []
    after: str | None = None
    while True:
        page = _hub_page(hub, HUB, size, after, alone=True)
        assert page == _hub_page(hub, HUB, size, after, alone=False), after
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [(e["node"]["id"], e["cursor"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == expected  # the tie on one date and the undated meetings included, in order, no repeats


def test_a_hubs_page_after_its_last_item_is_empty(hub: apikit.Api, hub_root: Path) -> None:
    last = _expected(hub_root, HUB)[-1][1]
    for alone in (True, False):
        page = _hub_page(hub, HUB, 10, last, alone)
        assert page["edges"] == [] and page["totalCount"] == 82
        assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "startCursor": None,
                                    "endCursor": None}


def test_a_hubs_page_ending_on_its_last_item_knows_nothing_follows(hub: apikit.Api, hub_root: Path) -> None:
    expected = _expected(hub_root, HUB)
    page = _hub_page(hub, HUB, 5, expected[-6][1], alone=True)
    assert [(e["node"]["id"], e["cursor"]) for e in page["edges"]] == expected[-5:]
    assert page["pageInfo"]["hasNextPage"] is False and page["totalCount"] == 82


def test_a_hubs_page_may_start_and_end_inside_a_tie(hub: apikit.Api, hub_root: Path) -> None:
    expected = _expected(hub_root, HUB)
    dates = [cursor_key.split(" ")[0] for cursor_key in (decode_cursor(c) or "" for _, c in expected)]
    tie = next(i for i, date in enumerate(dates) if dates.count(date) == 3)  # the first of three on one day
    for start in (tie - 1, tie, tie + 1):
        for alone in (True, False):
            page = _hub_page(hub, HUB, 2, expected[start][1], alone)
            assert [(e["node"]["id"], e["cursor"]) for e in page["edges"]] == expected[start + 1 : start + 3]


def test_a_page_of_an_empty_list_or_of_none(hub: apikit.Api, hub_root: Path) -> None:
    assert _expected(hub_root, LONER) == []
    for person, first in ((LONER, 10), (HUB, 0)):
        for alone in (True, False):
            page = _hub_page(hub, person, first, None, alone)
            assert page["edges"] == [] and page["pageInfo"]["endCursor"] is None
            assert page["totalCount"] == len(_expected(hub_root, person))
            assert page["pageInfo"]["hasNextPage"] is (person == HUB)


def test_a_hubs_page_costs_one_query_and_counting_one_more(hub: apikit.Api) -> None:
    # the person (1), the page (1), the meetings' descriptions (1); totalCount of a cut page counts (1)
    asked = 'query($n: Int) {{ person(id: "{}") {{ meetings(first: $n) {{ {} nodes {{ label }} }} }} }}'
    assert hub.queries(asked.format(HUB, ""), {"n": 50}) == 3
    assert hub.queries(asked.format(HUB, "totalCount"), {"n": 50}) == 4
    assert hub.queries(asked.format(HUB, "totalCount"), {"n": 100}) == 3  # all 82 came: nothing to count
    assert hub.queries(asked.format(LONER, "totalCount"), {"n": 100}) == 2  # no meetings: no descriptions
    # two people's lists: one query for both, which knows both totals; then what the meetings are (1)
    one = f'person(id: "{HUB}") {{ meetings(first: 5) {{ totalCount }} }}'
    assert hub.queries(f"{{ {one} }}") == 4
    assert hub.queries(f'{{ {one} other: person(id: "{OTHER}") {{ meetings(first: 5) {{ totalCount }} }} }}') == 3
