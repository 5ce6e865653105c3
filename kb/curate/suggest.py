"""``kb suggest``: find in an article every mention of the people, organizations and places the knowledge base
knows, and the wordings of their titles, so a curator reviews evidence instead of hunting for it.

What is looked for, from the records (never from the article's own evidence, so a new article is read cold):
the mentions of each record by its names (:mod:`kb.curate.mentions`); the titles beside a person's name or on
their own (:mod:`kb.curate.titles`); and the organizations those imply: a title's role's organization at the
title's words ("Chinese Defense Minister" names China's defense ministry), a country's government where the
country acts as a state ("officials from Sri Lanka", "Indonesia said").

Pure: :func:`suggest` takes the knowledge base and the article's text. :mod:`kb.curate.draft` writes the result
as a YAML draft for review.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kb.curate.mentions import WORD, Mention, find_mentions
from kb.curate.titles import TitleMention, find_titles
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Role

__all__ = ["Mention", "Suggestions", "TitleMention", "implied", "suggest"]


@dataclass
class Suggestions:
    """Everything :func:`suggest` found in one article: mentions by record, titles, and the organizations
    the titles imply."""

    source: str
    mentions: dict[str, list[Mention]] = field(default_factory=dict)
    titles: list[TitleMention] = field(default_factory=list)
    implied: dict[str, list[Mention]] = field(default_factory=dict)  # organizations named only by a title


def suggest(kb: KnowledgeBase, source: str, text: str, hidden: str | None = None) -> Suggestions:
    """Return the mentions and titles found in ``text``, the article of ``source``.

    ``hidden`` names a source whose own title evidence must not be used (the benchmark reads each seed article
    as if it were new: :mod:`benchmarks.suggest`).
    """
    mentions = find_mentions(kb, text)
    titles = find_titles(kb, text, mentions, hidden)
    return Suggestions(source, mentions, titles, implied(kb, titles, text, mentions))


GOVERNMENT_CUES = frozenset({"official", "officials", "pm", "government", "minister", "ministry", "president",
                             "premier", "said", "says", "spokesman", "spokesperson", "administration", "leaders"})
CUE_WINDOW = 24  # characters either side of the country's name


def _governments(kb: KnowledgeBase) -> dict[str, str]:
    """Return each country's government (an organization of kind government whose name says so), by place id."""
    found: dict[str, str] = {}
    for rid, record in kb.of("organizations").items():
        country, kind = getattr(record, "country", None), getattr(record, "kind", None)
        if country is not None and kind == "government" and "government" in getattr(record, "name", "").lower():
            found.setdefault(country, rid)
    return found


def _acts(text: str, mention: Mention) -> bool:
    """Return True when words around a country's name say it acts as a state ("Indonesia said")."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    window = text[max(line_start, mention.start - CUE_WINDOW) : min(line_end if line_end != -1 else len(text),
                                                                    mention.end + CUE_WINDOW)]
    return bool({w.lower() for w in WORD.findall(window)} & GOVERNMENT_CUES)


def implied(kb: KnowledgeBase, titles: list[TitleMention], text: str,
            mentions: dict[str, list[Mention]] | None = None) -> dict[str, list[Mention]]:
    """Return the organizations named by implication: each title's role's organization at the title's words
    ("Chinese Defense Minister" names China's defense ministry), and a country's government where the country
    is named as one that acts ("officials from Sri Lanka", "Indonesia said", "Australia PM")."""
    found: dict[str, list[Mention]] = defaultdict(list)
    governments = _governments(kb)
    for rid, spans in (mentions or {}).items():
        government = governments.get(rid)
        if government is None:
            continue
        for mention in spans:
            if _acts(text, mention):
                found[government].append(Mention(mention.start, mention.end, government, "organizations",
                                                 mention.words))
    roles = kb.of("roles")
    for title in titles:
        role = roles.get(title.role)
        if isinstance(role, Role):
            found[role.organization].append(Mention(title.start, title.end, role.organization, "organizations",
                                                    text[title.start : title.end]))
    return dict(found)
