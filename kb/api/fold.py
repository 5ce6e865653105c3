"""How search sees words: split into word tokens, case and diacritics folded, British spellings made American.

The full-text index (:mod:`kb.api.textindex`) is fed text that went through :func:`folded`, queries go through
:func:`words`, and the highlighter (:func:`tokens`) folds each word of the original text the same way, so what
matched and what is highlighted are decided by one set of rules, whatever the engine's own tokenizer does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

WORD = re.compile(r"\w+")
"""A word: a run of letters, digits or underscores in any script (Chinese names are one word each)."""

_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "þ": "th"})

BRITISH = {
    "defence": "defense", "offence": "offense", "licence": "license", "pretence": "pretense",
    "centre": "center", "centres": "centers", "theatre": "theater", "metre": "meter", "litre": "liter",
    "colour": "color", "favour": "favor", "honour": "honor", "labour": "labor", "neighbour": "neighbor",
    "behaviour": "behavior", "harbour": "harbor", "rumour": "rumor", "endeavour": "endeavor", "vigour": "vigor",
    "programme": "program", "programmes": "programs", "catalogue": "catalog", "dialogue": "dialog",
    "grey": "gray", "travelled": "traveled", "travelling": "traveling", "cancelled": "canceled",
    "counselled": "counseled", "modelling": "modeling", "fulfil": "fulfill", "enrol": "enroll",
    "analyse": "analyze", "analysed": "analyzed", "paralyse": "paralyze", "jewellery": "jewelry",
    "sceptical": "skeptical", "aluminium": "aluminum", "tyre": "tire", "cheque": "check", "kerb": "curb",
}
"""British spelling -> American, both sides of a search: the words whose spelling differs in diplomatic news."""

_ISE_STEMS = ("organis", "recognis", "criticis", "apologis", "prioritis", "normalis", "stabilis", "emphasis",
              "authoris", "characteris", "finalis", "formalis", "legitimis", "maximis", "minimis", "mobilis",
              "modernis", "neutralis", "penalis", "realis", "sanitis", "summaris", "utilis", "militaris",
              "democratis", "destabilis", "globalis", "industrialis", "liberalis", "nationalis", "privatis",
              "capitalis", "centralis", "civilis", "harmonis", "jeopardis", "memorialis", "symbolis", "weaponis")
_ISE = re.compile(r"^(" + "|".join(_ISE_STEMS) + r")(e|es|ed|ing|er|ers|ation|ations)$")
_ISATION = re.compile(r"^(\w{3,})isation(s?)$")
_OUR = re.compile(r"^(colo|favo|hono|labo|neighbo|behavio|harbo|rumo|endeavo|vigo)ur(s|ed|ing|ite|ites|able)$")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Return one word as search compares it: lower case, without diacritics (``Zürich`` -> ``zurich``), in
    American spelling (``defence`` -> ``defense``, ``organised`` -> ``organized``)."""
    lowered = word.casefold().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return american(unicodedata.normalize("NFC", plain))


def american(word: str) -> str:
    """Return a folded word in American spelling when it is a British one :data:`BRITISH` or the rules know."""
    if word in BRITISH:
        return BRITISH[word]
    if (found := _ISATION.match(word)) is not None:
        return f"{found.group(1)}ization{found.group(2)}"
    if (found := _ISE.match(word)) is not None:
        stem = found.group(1)
        return f"{stem[:-1]}z{found.group(2)}" if stem.endswith("s") else word
    if (found := _OUR.match(word)) is not None:
        return f"{found.group(1)}r{found.group(2)}"
    return word


def tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, folded word)`` for every word of ``text``, offsets in code points of ``text``."""
    for found in WORD.finditer(text):
        yield found.start(), found.end(), fold(found.group())


def folded(text: str) -> str:
    """Return ``text`` as the index holds it: its folded words joined by single spaces."""
    return " ".join(fold(found.group()) for found in WORD.finditer(text))


def words(query: str) -> list[str]:
    """Return the distinct folded words of a query, in order."""
    return list(dict.fromkeys(fold(found.group()) for found in WORD.finditer(query)))


def edits_allowed(word: str) -> int:
    """Return how many edits a query word may be off by: none below 5 letters (``wang`` is not ``gang``), 1 up to
    6, 2 from 7 (``shangfoo`` finds ``shangfu``)."""
    return 0 if len(word) < 5 else 1 if len(word) < 7 else 2


def within(a: str, b: str, limit: int) -> bool:
    """Return True when ``a`` and ``b`` are at most ``limit`` edits apart (insert, delete, substitute, swap of
    neighbours: Damerau's restricted distance, as the engine counts them)."""
    if abs(len(a) - len(b)) > limit:
        return False
    if a == b:
        return True
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit


def matches(token: str, word: str, prefix: bool) -> bool:
    """Return True when the folded ``token`` of a text answers the folded query ``word``: equal, starting with it
    (``prefix``, the word being typed), or within :func:`edits_allowed` edits."""
    if token == word or (prefix and token.startswith(word)):
        return True
    limit = edits_allowed(word)
    return limit > 0 and within(token, word, limit)
