"""What to do about a quote that is not in its article: the passage it most likely means, and the fix.

Two kinds of near miss, told apart because their fixes differ:

- **Typographic variants.** The quote differs from a passage only in quote marks, apostrophes, dashes or
  spaces (``'`` for ``’``, ``-`` for ``–``, a space for a non-breaking one): the article's own characters are
  suggested. They are never accepted silently: evidence quotes the article exactly, so that its offsets hold.
- **Edits.** Otherwise the most alike passage (Myers' approximate search, :mod:`kb.load.match`) is given with
  how alike it is, when at least half of it matches.

Either way the hint ends with the YAML line and the ``kb anchor`` command that would fix the entry. Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kb.load.match import search

# Each variant maps to one character of the same length, so offsets in the folded text are offsets in the text.
VARIANTS = {
    "’": "'", "‘": "'", "ʼ": "'", "′": "'", "`": "'",
    "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
}
_FOLD = str.maketrans(VARIANTS)
MAX_PASSAGE = 160
_NAMES = {"\u00a0": "a non-breaking space", "\u202f": "a narrow non-breaking space", "\u2009": "a thin space",
          "\u2007": "a figure space", " ": "a space"}


@dataclass(frozen=True)
class Suggestion:
    """A passage of the article the quote most likely means: where it is, how alike (0..1), and why."""

    start: int
    end: int
    words: str
    similarity: float
    variants: bool  # True when the quote differs only in quote marks, dashes or spaces


def fold(text: str) -> str:
    """Return ``text`` with typographic variants made plain (same length, so offsets carry over)."""
    return text.translate(_FOLD)


def suggest(text: str, quote: str) -> Suggestion | None:
    """Return the passage of ``text`` that ``quote`` most likely means, or None when none is half alike."""
    if not quote or not text:
        return None
    folded_quote = fold(quote)
    index = fold(text).find(folded_quote)
    if index != -1:
        words = text[index : index + len(quote)]
        return Suggestion(index, index + len(quote), words, 1.0, True)
    matches = search(text, quote, len(quote) // 2)
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.errors, m.start))
    alike = max(0.0, 1.0 - best.errors / len(quote))
    return Suggestion(best.start, best.end, text[best.start : best.end], alike, False)


def _differences(quote: str, words: str) -> str:
    """Name the characters that differ, the article's first ("’ for '"), in the order they come, at most three."""
    pairs = list(dict.fromkeys((b, a) for a, b in zip(quote, words, strict=False) if a != b))  # in quote order
    return ", ".join(f"{_NAMES.get(b, b)} for {_NAMES.get(a, a)}" for b, a in pairs[:3])


def hint(text: str, quote: str, source: str) -> str:
    """Return what to tell a curator whose ``quote`` is not in the article of ``source``: "" when nothing is
    alike, else the closest passage, how alike it is, and the YAML line and ``kb anchor`` command to fix it."""
    found = suggest(text, quote)
    if found is None:
        return ""
    line = f"quote: {json.dumps(found.words, ensure_ascii=False)}"
    command = f"kb anchor {source} {_shell(found.words)}"
    shown = found.words if len(found.words) <= MAX_PASSAGE else found.words[: MAX_PASSAGE - 1] + "…"
    if found.variants:
        return (f"the article has it with other quote marks, dashes or spaces ({_differences(quote, found.words)}) "
                f"at {found.start}..{found.end}; quote the article exactly: {line} (or run {command})")
    return (f"closest passage ({round(100 * found.similarity)}% alike) at {found.start}..{found.end}: "
            f"{json.dumps(shown, ensure_ascii=False)}; if that is what you mean, write {line} "
            f"(or run {command})")


def _shell(words: str) -> str:
    """Return ``words`` quoted for a POSIX shell."""
    return "'" + words.replace("'", "'\\''") + "'"
