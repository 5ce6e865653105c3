"""search(text:): names, aliases, titles, labels and quotes, ranked, one hit per node."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kb.api import search as text_search
from kb.graph import store
from kb.graph.query import OxigraphBackend
from kb.load import pipeline
from tests import apikit
from tests.apikit import Api
from tests.kbs import BASE, ROOTS

api = apikit.fixture()

HITS = "totalCount nodes { score field text matchStart matchEnd node { __typename id } }"


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
    assert hit == {"score": 0.9, "field": "ALIAS", "text": "王毅", "matchStart": 0, "matchEnd": 2,
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
    # the words are the evidence of the meeting's characterization: the hit is the meeting
    assert [(h["node"]["id"], h["field"]) for h in hits] == [("meeting/blinken-wang-jakarta", "QUOTE")]  # type: ignore[index]
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


@pytest.mark.parametrize("which", ["real", "generated"])
def test_text_index_finds_exactly_what_sparql_contains_finds(which: str, tmp_path: Path) -> None:
    """kb.api.text_search.TextIndex (the embedded stores' search) against the engine's CONTAINS(LCASE(...))
    (remote stores' search): the same candidates for words, word parts, spaces, case and non-ASCII text."""
    from benchmarks import generate

    root = ROOTS["real"]
    if which == "generated":
        generate.write(tmp_path, facts=300)
        root = tmp_path
    graph_store = store.build_store(pipeline.load(root), BASE)
    backend = OxigraphBackend(graph_store.native)

    def rows(sparql: str) -> set[text_search.Candidate]:
        table = asyncio.run(backend.select(sparql))
        return {(r["node"].value, r["field"].value, r["text"].value) for r in table.rows}

    every = rows(text_search.texts_query())
    index = text_search.TextIndex.of(sorted(every))
    texts = sorted({text for _, _, text in every})
    needles = {"’", "é", "ü", "ç", " ", "wang yi", "a", "zzzz", "—"}
    for text in texts[:: max(1, len(texts) // 60)]:
        words = text_search.normalize(text).split()
        needles |= set(words[:3]) | {word[1:4] for word in words[:3] if len(word) > 4}
        needles.add(text_search.normalize(text)[:25])
    needles = {text_search.normalize(n) or n for n in needles}
    assert len(needles) > 100
    for needle in sorted(needles):
        found = index.candidates(needle)
        assert len(found) == len(set(found)), needle  # one candidate a text, however often it holds the needle
        assert set(found) == rows(text_search.candidates_query(needle)), needle
