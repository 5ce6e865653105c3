"""Titles as an article words them, for the roles a knowledge base knows (``kb suggest``'s candidate title evidence).

- Beside a person's name: the words right before it or in apposition after it that read as a title ("Chinese
  Defense Minister Li Shangfu", "Qin Gang, China’s foreign minister"): a phrase of title words holding a
  title's head noun ("minister", "secretary", "diplomat" …); or the name itself when an alias holds the title
  ("President Joe Biden").
- On their own: every known wording of two words or more ("the Secretary"), and phrases alike to one ("top
  Chinese diplomat" for "China’s top diplomat"), for a role whose holder the article mentions.

Known wordings are each role's office and the titles quoted from articles other than the one read. Pure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kb.curate.mentions import WORD, Mention
from kb.curate.mentions import apostrophes as _apostrophes
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Role

HEADS = frozenset({
    "minister", "secretary", "president", "premier", "diplomat", "official", "envoy", "ambassador", "spokesperson",
    "spokesman", "spokeswoman", "director", "leader", "chief", "counterpart", "chairman", "chair", "head",
    "adviser", "advisor", "governor", "senator", "representative", "commissioner", "general", "admiral",
    "prime", "king", "queen", "chancellor", "mayor", "deputy", "undersecretary",
})
# Words a title is made of besides capitalised ones, possessives and the words of known titles.
GLUE = frozenset({"of", "the", "for", "and", "to", "a", "an", "top", "foreign", "policy", "deputy", "senior",
                  "special", "former", "acting", "vice", "chief", "state", "defense", "defence", "climate",
                  "affairs", "his", "her", "its", "their"})
STOP_BEFORE = frozenset({"and", "with", "said", "says", "met", "meets", "by", "from", "that", "as", "when", "after",
                         "on", "in", "at"})
MAX_TITLE_WORDS = 10


@dataclass(frozen=True, order=True)
class TitleMention:
    """A title of role ``role`` as the article words it (``wording``), in ``text[start:end]`` (with the name)."""

    start: int
    end: int
    role: str
    holder: str
    wording: str
    alone: bool = False  # standing on its own ("the Secretary said"), not beside the holder's name


def _known_wordings(kb: KnowledgeBase, hidden: str | None) -> dict[str, list[tuple[Role, str]]]:
    """Return each role's known wordings (its title and the titles quoted from articles other than
    ``hidden``), lowercased, with the role and the wording as written."""
    found: dict[str, list[tuple[Role, str]]] = defaultdict(list)
    for role in kb.of("roles").values():
        assert isinstance(role, Role)
        wordings = {role.title} | {t.text for t in role.titles if any(e.source != hidden for e in t.evidence)}
        for wording in wordings:
            found[_apostrophes(wording).lower()].append((role, wording))
    return found


def _title_words(kb: KnowledgeBase) -> frozenset[str]:
    words = {w.lower() for role in kb.of("roles").values() if isinstance(role, Role)
             for t in [role.title, *(t.text for t in role.titles)] for w in WORD.findall(_apostrophes(t))}
    return frozenset((words | GLUE | HEADS) - STOP_BEFORE)


def _is_title_word(word: str, vocabulary: frozenset[str]) -> bool:
    return (word.lower() in vocabulary or word[:1].isupper() or word.endswith(("’s", "'s"))) \
        and word.lower() not in STOP_BEFORE


def _before(text: str, start: int, vocabulary: frozenset[str]) -> tuple[int, str] | None:
    """Return (where it starts, the wording) of a title right before ``start`` ("Defense Minister Li"), if any."""
    line_start = text.rfind("\n", 0, start) + 1
    head = text[line_start:start]
    stripped = head.rstrip(" ,\u00a0")
    if len(head) - len(stripped) > 2 or not stripped:
        return None
    words = list(WORD.finditer(stripped))
    taken: list[re.Match[str]] = []
    for word in reversed(words[-MAX_TITLE_WORDS:]):
        gap = stripped[word.end() : taken[-1].start() if taken else len(stripped)]
        if gap.strip() or not _is_title_word(word.group(), vocabulary):
            break
        taken.append(word)
    while taken and taken[-1].group().lower() in {"and", "of", "for", "to"}:
        taken.pop()
    if not any(w.group().lower() in HEADS for w in taken):
        return None
    first = taken[-1].start()
    return line_start + first, stripped[first:]


def _after(text: str, end: int, vocabulary: frozenset[str]) -> tuple[int, str] | None:
    """Return (where it ends, the wording) of a title in apposition after ``end`` ("Qin Gang, China’s foreign
    minister"), if any."""
    line_end = text.find("\n", end)
    tail = text[end : line_end if line_end != -1 else len(text)]
    if not tail.startswith(", "):
        return None
    best: tuple[int, str] | None = None
    offset = 2
    for count, word in enumerate(WORD.finditer(tail[2:])):
        gap = tail[offset : 2 + word.start()]
        if gap.strip() or count >= MAX_TITLE_WORDS or not (_is_title_word(word.group(), vocabulary)
                                                           or word.group().lower() in {"who", "is"}):
            break
        offset = 2 + word.end()
        if word.group().lower() in HEADS:
            best = (end + offset, tail[2:offset])
    return best


def _role_for(holder: str, wording: str, roles: dict[str, list[Role]],
              known: dict[str, list[tuple[Role, str]]]) -> Role | None:
    """Return the role of ``holder`` a wording names: one known with that wording, else the only one, else the
    one whose wordings share the wording's last word."""
    held = roles.get(holder, [])
    for role, _ in known.get(_apostrophes(wording).lower(), []):
        if role.holder == holder:
            return role
    if len(held) == 1:
        return held[0]
    last = wording.lower().split()[-1] if wording.split() else ""
    sharing = [r for r in held if last in {w.lower() for t in r.titles for w in t.text.split()}]
    return sharing[0] if len(sharing) == 1 else None


def find_titles(kb: KnowledgeBase, text: str, mentions: dict[str, list[Mention]],
                hidden: str | None = None) -> list[TitleMention]:
    """Return the title wordings around the people mentioned in ``text`` and the known wordings standing alone,
    without those only ``hidden``'s own evidence knows."""
    roles: dict[str, list[Role]] = defaultdict(list)
    for record in kb.of("roles").values():
        if isinstance(record, Role):
            roles[record.holder].append(record)
    known = _known_wordings(kb, hidden)
    vocabulary = _title_words(kb)
    found: dict[tuple[int, int], TitleMention] = {}
    for rid, spans in mentions.items():
        if rid not in roles:
            continue
        for mention in spans:
            inside = _inside(mention, roles[rid], known)
            if inside is not None:
                found[(mention.start, mention.end)] = inside
                continue
            for side in (_before(text, mention.start, vocabulary), _after(text, mention.end, vocabulary)):
                if side is None:
                    continue
                at, wording = side
                role = _role_for(rid, wording, roles, known)
                if role is not None:
                    start, end = (at, mention.end) if at < mention.start else (mention.start, at)
                    found[(start, end)] = TitleMention(start, end, role.id, rid, wording.strip(" ,"))
    covered = [(t.start, t.end) for t in found.values()]
    for title in _alone(text, known, set(mentions)):  # exact wordings first, then alike ones
        if not any(title.start < e and s < title.end for s, e in covered):
            found[(title.start, title.end)] = title
            covered.append((title.start, title.end))
    return sorted(found.values())


def _inside(mention: Mention, held: list[Role], known: dict[str, list[tuple[Role, str]]]) -> TitleMention | None:
    """Return the title a mention starts with, when a name itself holds one ("President Joe Biden")."""
    words = _apostrophes(mention.words).lower()
    for wording, owners in known.items():
        for role, _ in owners:
            if role in held and words.startswith(wording + " "):
                return TitleMention(mention.start, mention.end, role.id, role.holder,
                                    mention.words[: len(wording)])
    return None


def _alone(text: str, known: dict[str, list[tuple[Role, str]]], mentioned: set[str]) -> Iterable[TitleMention]:
    """Yield each known wording of two words or more found on its own, for a role whose holder is mentioned;
    then each phrase ending in a title's head noun that shares its head and another word with a known wording
    of exactly one mentioned holder's role ("top Chinese diplomat" for "China’s top diplomat")."""
    folded = _apostrophes(text)
    for wording, owners in sorted(known.items(), key=lambda item: -len(item[0])):  # the longest wording wins
        holders = {role.holder for role, _ in owners if role.holder in mentioned}
        if len(wording.split()) < 2 or len(holders) != 1:
            continue
        role = next(r for r, _ in owners if r.holder in holders)
        for match in re.finditer(_title_pattern(wording), folded):
            yield TitleMention(match.start(), match.end(), role.id, role.holder, text[match.start() : match.end()],
                               alone=True)
    yield from _alike(text, known, mentioned)


def _title_pattern(wording: str) -> str:
    """Return a case-insensitive pattern for a title's wording; "US" also matches "U.S."."""
    words = [r"U\.?S\.?" if w.lower() in {"us", "u.s."} else re.escape(w) for w in wording.split()]
    body = r"\s+".join(words)
    return rf"(?<![\w])(?i:{body})(?![\w])"


# Ways the articles name a country in a title ("China’s", "Chinese", "Beijing’s" top diplomat): one word each.
DEMONYMS = {"chinese": "china", "beijing": "china", "american": "us", "u.s.": "us", "washington": "us"}


def _content(words: Iterable[str]) -> set[str]:
    """Return the words of a title that tell it apart: lowercased, possessives and demonyms made one."""
    plain = {w.lower().removesuffix("’s") for w in words} - {"the", "of", "a", "an", "for", "to", "and", "his", "her"}
    return {DEMONYMS.get(w, w) for w in plain}


def _alike(text: str, known: dict[str, list[tuple[Role, str]]], mentioned: set[str]) -> Iterable[TitleMention]:
    line_vocabulary = frozenset(w for wording in known for w in wording.split()) | GLUE
    for match in re.finditer(r"(?i)\b(" + "|".join(sorted(HEADS)) + r")\b", text):
        found = _before(text, match.end(), line_vocabulary)
        phrase = text[found[0] : match.end()] if found is not None else ""
        if found is None or len(phrase.split()) < 2:
            continue
        words = _content(WORD.findall(_apostrophes(phrase)))
        head = match.group(1).lower()
        scored: dict[str, tuple[int, Role]] = {}
        for wording, owners in known.items():
            if wording.split()[-1] != head:
                continue
            shared = len(words & _content(wording.split())) - 1
            for role, _ in owners:
                if role.holder in mentioned and shared >= 1 and shared > scored.get(role.id, (0, role))[0]:
                    scored[role.id] = (shared, role)
        ranked = sorted(scored.values(), key=lambda p: -p[0])
        if ranked and (len(ranked) == 1 or ranked[0][0] > ranked[1][0]):
            role = ranked[0][1]
            yield TitleMention(found[0], match.end(), role.id, role.holder, phrase, alone=True)
