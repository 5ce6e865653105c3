"""The pages' query runner: fragments appended to each operation, connections followed page by page."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from kb.pages.graphql import Runner, fragments, query


class Pages(Runner):
    """A runner whose "API" is a list of 5 items served 2 at a time, recording each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, name: str, **variables: Any) -> dict[str, Any]:
        self.calls.append(variables)
        start = int(variables["after"] or 0)
        items = list(range(5))[start : start + 2]
        more = start + 2 < 5
        return {"source": {"facts": {"nodes": items, "pageInfo": {"hasNextPage": more, "endCursor": str(start + 2)}}}}


def test_pages_follow_cursors_to_the_last_page() -> None:
    runner = Pages()
    first, nodes = asyncio.run(runner.pages("source", ("source", "facts"), 10, id="a"))
    assert nodes == [0, 1, 2, 3, 4]
    assert [c["after"] for c in runner.calls] == [None, "2", "4"]
    assert first["source"]["facts"]["nodes"] == [0, 1]


def test_pages_stop_at_the_page_limit() -> None:
    runner = Pages()
    _, nodes = asyncio.run(runner.pages("source", ("source", "facts"), 2, id="a"))
    assert nodes == [0, 1, 2, 3] and len(runner.calls) == 2


def test_pages_of_a_missing_object_are_empty() -> None:
    runner = Pages()
    first, nodes = asyncio.run(runner.pages("source", ("nothing", "facts"), 10))
    assert nodes == [] and "source" in first


def test_every_fragment_is_named_once_and_every_query_finds_its_fragments() -> None:
    names = fragments()
    assert {"FactCard", "MeetingCard", "Quote", "Mention"} <= set(names)
    for name in ("home", "source", "mentions", "person", "organization", "fact", "network", "disputes"):
        text = query(name)
        for spread in set(re.findall(r"\.\.\.([A-Z]\w*)", text)):
            assert text.count(f"fragment {spread} on") == 1, (name, spread)


def test_query_of_an_unknown_page_fails() -> None:
    with pytest.raises(FileNotFoundError):
        query("nothing-here")
