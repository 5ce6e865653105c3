"""kb.pages.finding: search hits grouped by kind with their marked words, and the timeline's order."""

from __future__ import annotations

from kb.pages import finding
from kb.pages.finding import Piece


def test_pieces_mark_each_highlight_and_keep_the_rest() -> None:
    text = "🤝 Blinken met Wang"
    assert finding.pieces(text, [{"start": 2, "end": 9}, {"start": 14, "end": 18}]) == [
        Piece("🤝 ", False), Piece("Blinken", True), Piece(" met ", False), Piece("Wang", True)]
    assert finding.pieces("abc", [{"start": 1, "end": 9}]) == [Piece("abc", False)]  # never past the text


def test_groups_keep_the_order_of_each_kinds_best_hit() -> None:
    def hit(gid: str, kind: str) -> dict[str, object]:
        return {"kind": kind, "field": "NAME", "text": "x", "textStart": 0, "highlights": [],
                "node": {"id": gid, "name": gid}}

    hits = [hit("meeting/a", "meeting"), hit("person/b", "person"), hit("meeting/c", "meeting")]
    grouped = finding.groups(hits)
    assert [(kind, heading, [r.href for r in results]) for kind, heading, results in grouped] == [
        ("meeting", "Meetings", ["/meetings/a", "/meetings/c"]), ("person", "People", ["/people/b"])]


def test_timeline_orders_by_date_groups_by_month_and_puts_undated_last() -> None:
    def fact(kind: str, slug: str, date: str | None) -> dict[str, object]:
        return {"__typename": kind, "slug": slug, "evidence": [], "date": {"value": date} if date else None}

    months = finding.timeline([fact("Meeting", "m2", "2023-07-13"), fact("Meeting", "m0", None)],
                              [fact("Statement", "s1", "2023-06-18"), fact("Statement", "s2", "2023-07")])
    assert [(month, [line.node["slug"] for line in lines]) for month, lines in months] == [
        ("2023-06", ["s1"]), ("2023-07", ["s2", "m2"]), ("undated", ["m0"])]


def test_page_of_names_the_page_of_every_kind() -> None:
    assert finding.page_of("place/jakarta") == "/places/jakarta"
    assert finding.page_of("topic/fentanyl") == "/topics/fentanyl"
    assert finding.page_of("version/x") is None
