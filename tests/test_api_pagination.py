"""Connections: pages follow each other without gaps or repeats; first is bounded; cursors are checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests import apikit
from tests.apikit import Api

api = apikit.fixture()

PAGE = ("totalCount edges { cursor node { id } } nodes { id } "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }")


def walk(api: Api, field: str, size: int, wrap: str = "{{ {} }}") -> list[dict[str, Any]]:
    """Return every page of ``field`` (a path such as people or person(id: "x") { meetings }), ``size`` at a time."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = "query($after: String) " + wrap.format(f"{field}(first: {size}, after: $after) {{ {PAGE} }}")
        data = api.data(query, {"after": after})
        page = data
        while "totalCount" not in page:
            page = next(iter(page.values()))
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 50


@pytest.mark.parametrize("field", ["people", "organizations", "places", "topics", "roles", "meetings", "statements",
                                   "sanctions", "sources", "disputes"])
def test_root_lists_page_without_gaps_or_repeats(api: Api, field: str) -> None:
    whole = api.data(f"{{ {field}(first: 100) {{ {PAGE} }} }}")[field]
    pages = walk(api, field, 1)
    assert [n["id"] for p in pages for n in p["nodes"]] == [n["id"] for n in whole["nodes"]]
    assert all(p["totalCount"] == whole["totalCount"] == len(whole["nodes"]) for p in pages)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False] + [True] * (len(pages) - 1)
    for page in pages:
        assert [e["node"] for e in page["edges"]] == page["nodes"]
        if page["edges"]:
            assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


def test_nested_lists_page_too(api: Api) -> None:
    pages = walk(api, "roles", 1, '{{ person(id: "wang-yi") {{ {} }} }}')
    assert [n["id"] for p in pages for n in p["nodes"]] == ["role/wang-yi-foreign-minister",
                                                            "role/wang-yi-top-diplomat"]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True]
    pages = walk(api, "facts", 4, '{{ source(id: "wire-jakarta") {{ {} }} }}')
    assert [len(p["nodes"]) for p in pages] == [4, 4, 1]


def test_first_zero_gives_an_empty_page_that_knows_more_follow(api: Api) -> None:
    page = api.data(f"{{ people(first: 0) {{ {PAGE} }} }}")["people"]
    assert page["nodes"] == [] and page["pageInfo"]["hasNextPage"] is True and page["totalCount"] == 4
    assert page["pageInfo"]["endCursor"] is None


def test_default_page_size_is_twenty(api: Api) -> None:
    found = api.data("{ search(text: \"a\") { totalCount nodes { score } } }")["search"]
    # the slow path (a substring anywhere: a remote store) finds more than 20 here; the full-text index of the
    # embedded stores (words starting with "a") finds fewer than 20 in this small knowledge base
    assert found["totalCount"] > 20 or api.backend != "virtuoso"
    assert len(found["nodes"]) == min(20, found["totalCount"])


@pytest.mark.parametrize("first", [101, -1, 10_000])
def test_first_out_of_bounds_is_refused_readably(api: Api, first: int) -> None:
    for query in (f"{{ people(first: {first}) {{ totalCount }} }}",
                  f'{{ person(id: "wang-yi") {{ meetings(first: {first}) {{ totalCount }} }} }}',
                  f'{{ search(text: "wang", first: {first}) {{ totalCount }} }}'):
        assert api.errors(query) == [f"first must be between 0 and 100, got {first}"]


@pytest.mark.parametrize("cursor", ["nonsense", "", "bzox", "bzphYmM="])  # the last: an offset cursor of search
def test_a_cursor_this_api_did_not_make_is_refused(api: Api, cursor: str) -> None:
    (message,) = api.errors("query($c: String) { people(after: $c) { totalCount } }", {"c": cursor})
    assert message.startswith("invalid cursor") and "endCursor" in message


def test_a_cursor_of_one_list_works_on_another_ordered_alike(api: Api) -> None:
    # cursors carry the sort key, so a cursor stays meaningful if the item it names disappears
    first = api.data("{ people(first: 2) { pageInfo { endCursor } } }")["people"]["pageInfo"]["endCursor"]
    rest = api.data('query($c: String) { people(name: "wang", after: $c) { nodes { id } } }', {"c": first})
    assert apikit.ids(rest["people"]) == ["person/wang-yi"]
