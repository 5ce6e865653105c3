"""The passage a search hit shows: which of a node's texts matched best, cut to a window around the words found,
with every matched word's offsets in code points and in UTF-16 code units (as evidence gives them).

Pure: takes the texts of one node and the folded query words (kb.api.fold), returns a :class:`Passage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kb.api import fold
from kb.model.sources import utf16_offset

WINDOW = 240
"""At most this many code points of a long text (an article) are shown around what matched."""
LEAD = 60
"""How much of the text before the first word found a window keeps, for context."""


@dataclass(frozen=True)
class Highlight:
    """One matched word in a passage: code points of the passage, and the same in UTF-16 code units."""

    start: int
    end: int
    utf16_start: int
    utf16_end: int


@dataclass(frozen=True)
class Passage:
    """What a hit shows: the field that matched, its text (or a window of it), where the window starts in the
    whole text (code points), and the words found in it."""

    field: str
    text: str
    offset: int
    highlights: tuple[Highlight, ...]


@lru_cache(maxsize=262144)
def _answers(token: str, word: str, prefix: bool) -> bool:
    return fold.matches(token, word, prefix)


def found_in(text: str, words: list[str]) -> list[tuple[int, int, int]]:
    """Return ``(start, end, word index)`` for every word of ``text`` that answers a query word; the last query
    word also matches as a prefix (it may be half typed). A near miss is only marked for a query word that is
    nowhere in the text as typed."""
    last = len(words) - 1
    exact: list[tuple[int, int, int]] = []
    near: list[tuple[int, int, int]] = []
    for start, end, token in fold.tokens(text):
        for i, word in enumerate(words):
            if token == word or (i == last and token.startswith(word)):
                exact.append((start, end, i))
                break
            if _answers(token, word, i == last):
                near.append((start, end, i))
                break
    seen = {i for *_, i in exact}
    return sorted(exact + [mark for mark in near if mark[2] not in seen])


def best(texts: list[tuple[str, str]], words: list[str], boosts: dict[str, float]) -> Passage | None:
    """Return the passage of the ``(field, text)`` pair where most query words are found (ties: the field with
    the higher boost, then the shorter text), or None when no word is found in any of them."""
    ranked: list[tuple[tuple[int, float, int], str, str, list[tuple[int, int, int]]]] = []
    for field, text in texts:
        found = found_in(text, words)
        if found:
            ranked.append(((len({i for *_, i in found}), boosts.get(field, 0.0), -len(text)), field, text, found))
    if not ranked:
        return None
    _, field, text, found = max(ranked, key=lambda entry: entry[0])
    return cut(field, text, found)


def cut(field: str, text: str, found: list[tuple[int, int, int]]) -> Passage:
    """Return the passage of ``text`` with the words ``found`` in it: the whole text when short, else the window
    of :data:`WINDOW` code points holding the most distinct query words, starting at a word."""
    offset = 0
    if len(text) > WINDOW:
        starts = [s for s, _, _ in found]
        best_start, best_count = 0, -1
        for anchor in starts:
            inside = {i for s, e, i in found if anchor <= s and e <= anchor + WINDOW - LEAD}
            if len(inside) > best_count:
                best_start, best_count = anchor, len(inside)
        offset = _word_start(text, max(0, best_start - LEAD))
    window = text[offset:offset + WINDOW] if len(text) > WINDOW else text
    marks = [(s - offset, e - offset) for s, e, _ in found if s >= offset and e <= offset + len(window)]
    return Passage(field, window, offset, tuple(
        Highlight(s, e, utf16_offset(window, s), utf16_offset(window, e)) for s, e in marks))


def _word_start(text: str, at: int) -> int:
    """Return ``at`` moved forward to the start of the next word unless it is at one already (or 0)."""
    if at == 0 or not text[at - 1].isalnum():
        return at
    found = fold.WORD.search(text, at)
    following = found.end() if found is not None else at
    after = fold.WORD.search(text, following)
    return after.start() if after is not None and after.start() - at < LEAD else at
