from __future__ import annotations

import hashlib

import pytest

from kb.errors import AnchorError
from kb.model.sources import Article, context, locate, occurrences, utf16_offset

TEXT = "Wang met Blinken. Wang said “no” 🙂 then Wang left."


def test_article_from_bytes_keeps_text_exactly() -> None:
    data = "a\r\nb “c”\n".encode()
    article = Article.from_bytes("x.txt", data)
    assert article.text == "a\r\nb “c”\n"
    assert article.sha256 == hashlib.sha256(data).hexdigest()


def test_article_from_bytes_rejects_invalid_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        Article.from_bytes("x.txt", b"\xff\xfe")


def test_occurrences_lists_every_start() -> None:
    assert occurrences(TEXT, "Wang") == [0, 18, 40]
    assert occurrences(TEXT, "Xi") == []


def test_locate_unique_quote() -> None:
    start, end = locate(TEXT, "Blinken")
    assert TEXT[start:end] == "Blinken"


def test_locate_repeated_quote_needs_disambiguation() -> None:
    with pytest.raises(AnchorError, match="occurs 3 times"):
        locate(TEXT, "Wang")
    assert locate(TEXT, "Wang", occurrence=2) == (18, 22)
    assert locate(TEXT, "Wang", near="then Wang left") == (40, 44)


def test_locate_missing_quote_and_bad_occurrence() -> None:
    with pytest.raises(AnchorError, match="not found"):
        locate(TEXT, "Qin")
    with pytest.raises(AnchorError, match="occurrence 4"):
        locate(TEXT, "Wang", occurrence=4)


def test_context_gives_prefix_and_suffix() -> None:
    start, end = locate(TEXT, "Blinken")
    assert context(TEXT, start, end, size=4) == ("met ", ". Wa")


def test_utf16_offset_counts_astral_characters_twice() -> None:
    start, end = locate(TEXT, "then")
    u16 = TEXT.encode("utf-16-le")
    s16, e16 = utf16_offset(TEXT, start), utf16_offset(TEXT, end)
    assert s16 == start + 1
    assert u16[2 * s16 : 2 * e16].decode("utf-16-le") == "then"
