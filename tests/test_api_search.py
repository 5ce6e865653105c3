"""search(text:): names, aliases, titles, labels, quotes and article text, ranked, one hit per node; through the
full-text index on the embedded store (built before the first search here), the slow path elsewhere."""

from __future__ import annotations

import pytest

from kb.api import searchindex
from tests import apikit
from tests.apikit import API_FIXTURE, Api

api = apikit.fixture()


@pytest.fixture(scope="module", autouse=True)
def built_index() -> None:
    """The embedded stores' indexes of the fixture's version, built before the first search (which would
    otherwise answer from the slow path while they are built: tests/test_search_index.py covers that). Virtuoso
    (a remote store) has none: it always answers from the slow path."""
    for backend in (b for b in apikit.BACKENDS if b != "virtuoso"):
        built = searchindex.start(apikit.snapshot(API_FIXTURE, backend))
        assert built is not None
        built.result(timeout=60)


HITS = "totalCount nodes { score kind field text matchStart matchEnd node { __typename id } }"


def search(api: Api, text: str, extra: str = "") -> dict[str, object]:
    found: dict[str, object] = api.data(f"query($t: String!) {{ search(text: $t{extra}) {{ {HITS} }} }}",
                                        {"t": text})["search"]
    return found


def test_search_ranks_a_name_first(api: Api) -> None:
    hits = search(api, "wang")["nodes"]
    assert hits[0]["node"] == {"__typename": "Person", "id": "person/wang-yi"}  # type: ignore[index]
    assert hits[0]["field"] == "NAME"  # type: ignore[index]
    scores = [h["score"] for h in hits]  # type: ignore[union-attr]
    assert scores == sorted(scores, reverse=True)
    assert len({h["node"]["id"] for h in hits}) == len(hits)  # type: ignore[index, union-attr]
    # statements, roles and meetings that mention him follow, below the name
    kinds = {h["node"]["__typename"] for h in hits}  # type: ignore[index, union-attr]
    assert {"Person", "Statement", "Meeting", "Role"} <= kinds


def test_search_finds_an_alias_in_another_script(api: Api) -> None:
    hit = search(api, "王毅")["nodes"][0]  # type: ignore[index]
    del hit["score"]  # type: ignore[attr-defined]
    assert hit == {"kind": "person", "field": "ALIAS", "text": "王毅", "matchStart": 0, "matchEnd": 2,
                   "node": {"__typename": "Person", "id": "person/wang-yi"}}


def test_search_ranks_an_exact_title_above_a_longer_one(api: Api) -> None:
    hits = search(api, "Foreign Minister")["nodes"]
    assert [(h["node"]["id"], h["field"], h["text"]) for h in hits[:2]] == [  # type: ignore[index]
        ("role/wang-yi-foreign-minister", "TITLE", "foreign minister"),
        ("role/qin-gang-foreign-minister", "TITLE", "the foreign minister"),
    ]
    assert hits[0]["score"] > hits[1]["score"]  # type: ignore[index]


def test_search_finds_quotes_and_leads_to_their_fact(api: Api) -> None:
    hits = search(api, "candid")["nodes"]
    # the words are the evidence of the meeting's characterization: the hit is the meeting (then, with the
    # index, the article they are in)
    found = [(h["node"]["id"], h["field"]) for h in hits]  # type: ignore[index]
    assert found[0] == ("meeting/blinken-wang-jakarta", "QUOTE")
    assert set(found[1:]) <= {("source/wire-jakarta", "TEXT")}
    assert hits[0]["text"][hits[0]["matchStart"]:hits[0]["matchEnd"]] == "candid"  # type: ignore[index]


def test_search_matches_whole_words_above_inner_text(api: Api) -> None:
    hits = search(api, "gang")["nodes"]
    assert hits[0]["node"]["id"] == "person/qin-gang"  # type: ignore[index]
    assert search(api, "zzz-nothing") == {"totalCount": 0, "nodes": []}


def test_search_ignores_case_and_extra_white_space(api: Api) -> None:
    assert search(api, "  ANTONY   blinken ")["nodes"][0]["node"]["id"] == "person/antony-blinken"  # type: ignore[index]


def test_search_pages_through_hits(api: Api) -> None:
    everything = search(api, "wang", ", first: 100")
    seen: list[str] = []
    after = None
    for _ in range(20):
        page = api.data("query($a: String) { search(text: \"wang\", first: 2, after: $a) { nodes { node { id } } "
                        "pageInfo { hasNextPage endCursor } } }",
                        {"a": after})["search"]
        seen += [n["node"]["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [h["node"]["id"] for h in everything["nodes"]]  # type: ignore[index, union-attr]
    assert len(seen) == everything["totalCount"]


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_search_refuses_empty_or_long_text(api: Api, text: str) -> None:
    messages = api.errors("query($t: String!) { search(text: $t) { totalCount } }", {"t": text})
    assert messages == ["search text must have 1 to 200 characters"]


def test_search_text_cannot_inject_sparql(api: Api) -> None:
    assert search(api, '") } } SELECT * WHERE { ?s ?p ?o } #')["totalCount"] == 0
    assert api.errors('{ search(text: "\\\\u0022") { totalCount } }') == ["text may not contain \\u or \\U"]


def test_search_finds_an_article_by_its_author(api: Api) -> None:
    # a byline is rarely in the article's text: searching an author ("Hansler") must still find the article
    hits = search(api, "desk two")["nodes"]
    assert [(h["kind"], h["field"], h["text"]) for h in hits][:1] == [  # type: ignore[index]
        ("source", "DESCRIPTION", "Desk Two")]
