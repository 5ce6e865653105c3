"""Shaping GraphQL answers for the templates: passages behind a fact, article cards, links, words."""

from __future__ import annotations

from typing import Any

import pytest

from kb.pages import views
from kb.pages.graphql import query


def ev(source: str, start: int, end: int, quote: str = "q") -> dict[str, Any]:
    return {"source": {"slug": source, "publisher": source.upper(), "headline": "H"}, "start": start, "end": end,
            "quote": quote}


MEETING = {
    "__typename": "Meeting", "slug": "m", "label": "Talks",
    "evidence": [ev("b", 50, 60), ev("a", 10, 20)],
    "duration": {"value": None, "disputed": True, "versions": [
        {"attribute": "duration", "value": "PT1H30M", "asWritten": "about 90 minutes", "evidence": [ev("a", 30, 40)]},
        {"attribute": "duration", "value": None, "asWritten": "for hours", "evidence": [ev("b", 5, 9)]},
    ]},
    "characterization": None, "outcomes": [],
    "participants": [{"__typename": "Person", "slug": "wang", "name": "Wang"},
                     {"__typename": "Person", "slug": "blinken", "name": "Blinken"}],
}
ROLE = {
    "__typename": "Role", "slug": "r", "label": "Wang: Director",
    "evidence": [ev("a", 12, 18)],
    "titles": [{"attribute": "title", "value": "director", "asWritten": None, "evidence": [ev("a", 12, 18)]}],
}


def test_quotes_give_each_version_its_attribute_and_value() -> None:
    found = [(q.evidence["source"]["slug"], q.span.key, q.gives) for q in views.quotes(MEETING)]
    assert found == [("a", "10-20", None), ("a", "30-40", "duration: 1 h 30 min"), ("b", "5-9", "duration: for hours"),
                     ("b", "50-60", None)]


def test_quotes_of_a_role_are_its_titles_not_their_union_twice() -> None:
    assert [(q.span.key, q.gives) for q in views.quotes(ROLE)] == [("12-18", "title: director")]


def test_article_keeps_the_spans_of_this_article_and_counts_the_others() -> None:
    text = "x" * 70
    page = views.article({"slug": "a", "text": text}, [MEETING, ROLE],
                         [{"__typename": "Place", "slug": "p", "name": "P", "evidence": [ev("b", 1, 2)]}])
    assert [(c.node["slug"], c.keys, c.elsewhere) for c in page.cards] == [
        ("m", "10-20 30-40", ("b",)), ("r", "12-18", ())]
    assert page.span_count == 3 and page.mentions == []


def test_article_refuses_evidence_outside_the_text() -> None:
    with pytest.raises(ValueError, match="outside the text"):
        views.article({"slug": "a", "text": "short"}, [MEETING], [])


@pytest.mark.parametrize(("value", "words"), [("PT1H30M", "1 h 30 min"), ("P2DT3H", "2 d 3 h"), ("PT45S", "45 s"),
                                               ("about an hour", "about an hour"), (None, "")])
def test_duration_in_words(value: str | None, words: str) -> None:
    assert views.duration(value) == words


def test_links_by_kind_and_to_a_span_in_or_out_of_its_article() -> None:
    assert views.href({"__typename": "Person", "slug": "wang-yi"}) == "/people/wang-yi"
    assert views.href({"__typename": "Sanction", "slug": "s"}) == "/sanctions/s"
    assert views.href({"__typename": "Place", "slug": "jakarta"}) is None
    assert views.evidence_href(ev("a", 3, 9)) == "/sources/a#ev-3-9"
    assert views.evidence_href(ev("a", 3, 9), here="a") == "#ev-3-9"


def test_pairs_list_who_met_whom_once_per_pair() -> None:
    second = dict(MEETING, slug="m2", label="Again")
    [(first, other, meetings)] = views.pairs([MEETING, second])
    assert (first["name"], other["name"], [m["slug"] for m in meetings]) == ("Blinken", "Wang", ["m", "m2"])


def test_network_joins_participants_to_meetings() -> None:
    picture = views.network([MEETING])
    assert {(e.source, e.target) for e in picture.edges} == {("person/blinken", "meeting/m"),
                                                             ("person/wang", "meeting/m")}


def test_query_appends_every_fragment_it_spreads_once() -> None:
    text = query("person")
    assert text.startswith("query Person(")
    for name in ("RoleCard", "MeetingCard", "FactCommon", "DisputeSides", "Quote", "AgentRef", "When"):
        assert text.count(f"fragment {name} on") == 1
    assert "fragment Mention on" not in text
