"""Cutting an article into segments: overlapping spans, line breaks, astral characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.pages.segments import Span, check_spans, paragraphs, segment


def test_segment_nested_and_crossing_spans_each_know_their_cover() -> None:
    text = "abcdefghij"
    cut = segment(text, check_spans(text, [(1, 6), (3, 8), (4, 5)]))
    assert [(s.text, s.keys) for s in cut] == [
        ("a", ""), ("bc", "1-6"), ("d", "1-6 3-8"), ("e", "1-6 3-8 4-5"), ("f", "1-6 3-8"), ("gh", "3-8"), ("ij", ""),
    ]


def test_segment_counts_code_points_so_emoji_before_a_span_do_not_shift_it() -> None:
    text = "🇨🇳 Wang Yi 🙂 said"
    start = text.index("Wang")
    cut = segment(text, [Span(start, start + len("Wang Yi"))])
    assert [s.text for s in cut if s.spans] == ["Wang Yi"]


def test_paragraphs_cut_spans_at_line_breaks_and_open_each_span_once() -> None:
    text = "one two\n\nthree four\n"
    paras = paragraphs(text, [(4, 14), (4, 7)])
    assert [[(s.text, s.keys) for s in p] for p in paras] == [
        [("one ", ""), ("two", "4-7 4-14")], [("three", "4-14"), (" four", "")],
    ]
    assert [[o.key for o in s.opens] for p in paras for s in p] == [[], ["4-7", "4-14"], [], []]


def test_paragraphs_open_a_span_starting_on_a_line_break_at_its_first_visible_segment() -> None:
    paras = paragraphs("ab\ncd", [(2, 4)])
    assert [(s.text, [o.key for o in s.opens]) for p in paras for s in p] == [("ab", []), ("c", ["2-4"]), ("d", [])]


@pytest.mark.parametrize("span", [(3, 3), (-1, 2), (0, 11), (5, 2)])
def test_check_spans_rejects_empty_or_outside_spans(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="outside the text"):
        check_spans("0123456789", [span])


texts = st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "é", "🙂", "🇨"]), min_size=1, max_size=40)


@given(texts, st.data())
def test_paragraphs_keep_every_visible_character_and_cover_each_span_exactly(text: str, data: st.DataObject) -> None:
    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))), max_size=6))
    spans = [(a, b) for a, b in pairs if a < b]
    paras = paragraphs(text, spans)
    flat = [s for p in paras for s in p]
    assert "".join(s.text for s in flat) == "".join(line for line in text.split("\n") if line.strip())
    visible = [i for i in range(len(text)) if text[i] != "\n" and _line_of(text, i).strip()]
    for start, end in spans:
        covered = "".join(s.text for s in flat if Span(start, end) in s.spans)
        assert covered == "".join(text[i] for i in visible if start <= i < end)
    for s in flat:
        assert text[s.start : s.end] == s.text
        assert all(span.start <= s.start and s.end <= span.end for span in s.spans)


def _line_of(text: str, index: int) -> str:
    return text[text.rfind("\n", 0, index) + 1 :].split("\n")[0]
