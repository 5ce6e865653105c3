"""How the reconciliation service sees a name: folded words, honorifics dropped, and the other forms a name may
take (a nickname for a given name, no middle initials).

A name goes through :func:`words`: abbreviations written with dots lose them (``U.S.`` -> ``us``), words joined by
a hyphen or an apostrophe become one (``Shang-fu`` -> ``shangfu``, so "Li Shang-fu" and "Li Shangfu" are the same
two words), and every word is folded as search folds it (:func:`kb.api.fold.fold`: case, diacritics, British
spelling). Honorifics (``Mr.``, ``Dr.``) say nothing about who is meant and are dropped.

Nicknames come from the ``nicknames`` package (Carlton Northern's hand-curated table of English given names and
their nicknames, Apache-2.0): "Matt Miller" is tried as "Matthew Miller" too, and "Joseph Biden" as "Joe Biden".
"""

from __future__ import annotations

import re
from functools import lru_cache

from nicknames import NickNamer

from kb.api.fold import WORD, fold

HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "madam", "madame", "mme"})
"""Words before a name that do not tell one person from another."""
LINKING = frozenset({"of", "the", "and", "for", "to", "in", "on", "at", "a", "an"})
"""Words too common to find candidates by (they still count in a name's similarity)."""
NICKNAME_PENALTY = 3.0
"""Points a candidate found only through a nickname form loses against one found through the name as written."""
MAX_FORMS = 6
"""At most this many nickname forms of one given name are tried (the table has names with over twenty)."""

_DOTTED = re.compile(r"(?<!\w)((?:\w\.){2,})")
_JOINED = re.compile(r"(?<=\w)[-‐‑‒–'’ʼ](?=\w)")
_NICKNAMES = NickNamer()


def words(text: str) -> tuple[str, ...]:
    """Return the folded words of a name as the matcher compares them, honorifics dropped (unless nothing else
    is left: "Mr." alone stays "mr")."""
    undotted = _DOTTED.sub(lambda found: found.group(1).replace(".", ""), text)
    joined = _JOINED.sub("", undotted)
    folded = tuple(fold(found.group()) for found in WORD.finditer(joined))
    kept = tuple(word for word in folded if word not in HONORIFICS)
    return kept or folded


def squashed(tokens: tuple[str, ...]) -> str:
    """Return the words run together: compared this way, "li shang fu" and "li shangfu" are equal."""
    return "".join(tokens)


@lru_cache(maxsize=4096)
def given_name_forms(word: str) -> tuple[str, ...]:
    """Return the other forms of a given name, folded: its canonical names and its nicknames (``matt`` ->
    ``matthew``, ``mathew``...; ``joseph`` -> ``joe``...), at most :data:`MAX_FORMS`, closest in length first."""
    if len(word) < 2 or not word.isalpha():
        return ()
    forms = (_NICKNAMES.canonicals_of(word) | _NICKNAMES.nicknames_of(word)) - {word}
    folded = {fold(form) for form in forms if form.isalpha()}
    return tuple(sorted(folded, key=lambda form: (abs(len(form) - len(word)), form))[:MAX_FORMS])


def variants(tokens: tuple[str, ...]) -> list[tuple[tuple[str, ...], float]]:
    """Return the forms of a name worth comparing, each with the points it costs: the name as written (0), without
    its single-letter initials ("Antony J. Blinken", 0), and with its first word replaced by each of its nickname
    forms (:data:`NICKNAME_PENALTY`)."""
    found: dict[tuple[str, ...], float] = {tokens: 0.0}
    bare = tuple(word for word in tokens if len(word) > 1)
    if len(bare) >= 2:
        found.setdefault(bare, 0.0)
    if len(tokens) >= 2:
        for base in (tokens, bare) if len(bare) >= 2 else (tokens,):
            for form in given_name_forms(base[0]):
                found.setdefault((form, *base[1:]), NICKNAME_PENALTY)
    return list(found.items())


def keys(tokens: tuple[str, ...]) -> set[str]:
    """Return the keys a name is found by: the first three letters of each word other than the linking ones
    (a typo after them still finds the name), and the whole name run together."""
    found = {word[:3] for word in tokens if word not in LINKING}
    if tokens:
        found.add("=" + squashed(tokens)[:3])
    return found
