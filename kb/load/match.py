"""Approximate string search: where a quote, edited a little, now sits in a text.

The same method Hypothesis uses to re-anchor annotations (its ``approx-string-match`` library): Myers'
bit-parallel algorithm (J. ACM 46(3), 1999) finds every place where the pattern matches a substring of the
text with at most ``k`` edits (insertions, deletions, substitutions) in one pass over the text; a small
dynamic programme over a window then finds where each such match starts. Python's integers are as wide as the
pattern, so quotes of any length work. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    """``text[start:end]`` matches the pattern with ``errors`` edits."""

    start: int
    end: int
    errors: int


def end_errors(text: str, pattern: str) -> Iterator[int]:
    """Yield, for each end position ``j`` (1..len(text)), the fewest edits turning the pattern into a
    substring of ``text`` that ends at ``j`` (Myers' search variant: the match may start anywhere)."""
    m = len(pattern)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, char in enumerate(pattern):
        peq[char] = peq.get(char, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    for char in text:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        # A match may start anywhere in the text, so row 0 costs nothing: shift in zeros.
        ph = (ph << 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
        yield score


def _start(text: str, pattern: str, end: int, errors: int) -> int:
    """Return where the best match ending at ``end`` starts: the length closest to the pattern's among the
    starts whose edit distance is ``errors``."""
    m = len(pattern)
    window = text[max(0, end - m - errors) : end][::-1]
    reverse = pattern[::-1]
    # previous[j]: edits between the first i reversed pattern chars and the first j reversed window chars.
    previous = list(range(len(window) + 1))
    for i in range(1, m + 1):
        current = [i] + [0] * len(window)
        char = reverse[i - 1]
        for j in range(1, len(window) + 1):
            cost = 0 if window[j - 1] == char else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        previous = current
    best = min(range(len(window) + 1), key=lambda j: (previous[j], abs(j - m)))
    return end - best


def search(text: str, pattern: str, max_errors: int) -> list[Match]:
    """Return the matches of ``pattern`` in ``text`` with at most ``max_errors`` edits, in text order.

    Exact matches, when there are any, are the only ones returned (as in Hypothesis). Otherwise each run of
    neighbouring end positions within ``max_errors`` gives one match: its fewest-edits end.
    """
    if not pattern:
        return []
    exact: list[Match] = []
    index = text.find(pattern)
    while index != -1:
        exact.append(Match(index, index + len(pattern), 0))
        index = text.find(pattern, index + 1)
    if exact or max_errors <= 0:
        return exact
    matches: list[Match] = []
    best: tuple[int, int] | None = None  # (errors, end) of the current run
    for end, errors in enumerate(end_errors(text, pattern), start=1):
        if errors <= max_errors:
            if best is None or errors < best[0]:
                best = (errors, end)
        elif best is not None:
            matches.append(Match(_start(text, pattern, best[1], best[0]), best[1], best[0]))
            best = None
    if best is not None:
        matches.append(Match(_start(text, pattern, best[1], best[0]), best[1], best[0]))
    return matches


def similarity(text: str, pattern: str) -> float:
    """Return 1 - (fewest edits placing ``pattern`` inside ``text``) / len(pattern), at least 0.

    1.0 when the pattern occurs in the text; an empty pattern has nothing to compare and scores 0.
    """
    if not pattern or not text:
        return 0.0
    if pattern in text:
        return 1.0
    fewest = min(end_errors(text, pattern))
    return max(0.0, 1.0 - fewest / len(pattern))
