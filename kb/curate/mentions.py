"""Mentions of the people, organizations and places a knowledge base knows, found in an article's text.

Each record's name and aliases, as whole words; case-insensitive for names written with lowercase letters (a
sentence may capitalise "the"), exact for all-capital ones ("US" is not "us"); any run of spaces or a line break
between words; a straight apostrophe matches a curly one; a possessive ("China’s") is a mention of "China". A
name two records share goes to the one the article also names by a name of its own, else to the one whose main
name it is, else to none. Pure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from kb.model.knowledge_base import KnowledgeBase

NAMED_KINDS = ("people", "organizations", "places")
WORD = re.compile(r"[\w’'.-]+")


@dataclass(frozen=True, order=True)
class Mention:
    """``text[start:end]`` names record ``record`` (of ``kind``: people, organizations, places)."""

    start: int
    end: int
    record: str
    kind: str
    words: str


def _names(kb: KnowledgeBase) -> dict[str, set[tuple[str, str]]]:
    """Return each name or alias with the (kind, record id) pairs it names."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for kind in NAMED_KINDS:
        for rid, record in kb.of(kind).items():
            for name in [getattr(record, "name", ""), *getattr(record, "aliases", [])]:
                if len(name.strip()) >= 2:
                    found[name.strip()].add((kind, rid))
    return found


def pattern(name: str) -> str:
    words = [re.escape(w) for w in name.split()]
    body = r"\s+".join(words)
    flags = "" if name.upper() == name else "(?i:"
    return rf"(?<![\w]){flags}{body}{')' if flags else ''}(?![\w])"


def apostrophes(text: str) -> str:
    return text.replace("'", "’")


def find_mentions(kb: KnowledgeBase, text: str) -> dict[str, list[Mention]]:
    """Return every mention of a known person, organization or place in ``text``, by record id, in text order."""
    names = _names(kb)
    ordered = sorted(names, key=lambda n: (-len(n), n))
    if not ordered:
        return {}
    regex = re.compile("|".join(f"(?P<n{i}>{pattern(apostrophes(n))})" for i, n in enumerate(ordered)))
    raw: list[tuple[int, int, str, set[tuple[str, str]]]] = []
    for match in regex.finditer(apostrophes(text)):
        name = ordered[int(str(match.lastgroup)[1:])]
        raw.append((match.start(), match.end(), name, names[name]))
    named_once = {owner for _, _, _, owners in raw if len(owners) == 1 for owner in owners}
    found: dict[str, list[Mention]] = defaultdict(list)
    for start, end, name, owners in raw:
        for kind, rid in _owners(kb, name, owners, named_once):
            found[rid].append(Mention(start, end, rid, kind, text[start:end]))
    return dict(found)


def _owners(kb: KnowledgeBase, name: str, owners: set[tuple[str, str]],
            named_once: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return whom a name shared by several records stands for: those the article also names by a name of
    their own, else the one whose main name it is ("Indonesia" the country, not its government's alias)."""
    if len(owners) == 1:
        return list(owners)
    for narrowed in (owners & named_once, {(k, r) for k, r in owners if getattr(kb.of(k)[r], "name", "") == name}):
        if narrowed:
            return sorted(narrowed)
    return []
