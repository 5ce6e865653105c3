"""Whose words a span is: a statement's evidence must be the words the article attributes to its speaker, not
the article's own narration; and hedging words inside a stated claim's span are pointed out to the curator.

A span cited as a statement's words is attributed when it lies inside a quotation, or in a sentence that
attributes speech (said, told, according to, a readout ...), or in the paragraph of another of the statement's
spans that is (a quotation that runs on past its attributing sentence). A statement of channel ``report`` (the
article reports it without saying how it was said) is only warned about. Pure: text and records in, problems out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import CuratedRecord, Evidence, Fact, Link, Statement

Problem = tuple[tuple[int | str, ...], str, str]
"""Where in the record (a path of keys), the field as written, and the message (as kb.load.links)."""

SAYING = re.compile(
    r"\b(said|says|say|saying|told|tells|tell|stated|states|added|adding|according to|announced|urged|urging|"
    r"warned|warning|described|describing|called|calling|reiterated|emphasi[sz]ed|underscored|stressed|"
    r"demanding|demanded|demands|noted|claimed|claims|raised|made clear|termed|decried|blasting|blasted|accuse[ds]?|"
    r"spoke|asked|readout|statement|insisted|complained|credited|questioned|criticized|hoping|expect|expects|"
    r"urge|reported|reports|citing|cited)\b",
    re.IGNORECASE)
"""Words by which an article attributes speech to someone."""

HEDGES = re.compile(r"\b(likely|apparent|apparently|alleged|allegedly|reportedly|expected to|possibly|may have|"
                    r"purportedly|believed to)\b", re.IGNORECASE)
"""Words by which an article hedges a claim."""

_SENTENCE_END = re.compile(r"[.!?][\"”’)]*\s+")


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the sentence(s) holding ``text[start:end]``, within its paragraph."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    begin = para_start
    for match in _SENTENCE_END.finditer(text, para_start, start):
        begin = match.end()
    found = _SENTENCE_END.search(text, max(end - 1, begin), para_end)
    return begin, (found.start() + 1 if found else para_end)


def quoted(text: str, start: int, end: int) -> bool:
    """Return True when ``text[start:end]`` lies inside one quotation (curly or straight) of its paragraph."""
    para_start = text.rfind("\n", 0, start) + 1
    before = text[para_start:start]
    para_end = text.find("\n", end)
    after = text[end:len(text) if para_end < 0 else para_end]
    inside = text[start:end]
    if before.count("“") > before.count("”") and "”" in after and "“" not in inside.replace("”", ""):
        return True
    return before.count('"') % 2 == 1 and '"' in after


def attributed(text: str, evidence: Evidence) -> bool:
    """Return True when a span is words the article attributes to someone: quoted, or in a sentence of
    speech."""
    start, end = evidence.start or 0, evidence.end or 0
    if quoted(text, start, end):
        return True
    begin, finish = sentence(text, start, end)
    return SAYING.search(text, begin, finish) is not None


def problems(record: CuratedRecord, kb: KnowledgeBase) -> Iterator[Problem]:
    """Yield each span of a statement that is not attributed (see the module's docstring): errors, but for a
    statement of channel ``report`` (the article reports it without saying how it was said), whose
    unattributed spans are only warned about (:func:`narration`)."""
    if isinstance(record, Statement) and record.channel != "report":
        yield from narration(record, kb)


def narration(record: CuratedRecord, kb: KnowledgeBase) -> Iterator[Problem]:
    """Yield each span of a statement that is the article's narration rather than attributed words."""
    if not isinstance(record, Statement):
        return
    paragraphs: set[tuple[str, int]] = set()
    loose: list[tuple[int, Evidence]] = []
    for index, evidence in enumerate(record.evidence):
        article = kb.articles.get(evidence.source)
        if article is None or evidence.start is None:
            continue
        paragraph = article.text.rfind("\n", 0, evidence.start)
        if attributed(article.text, evidence):
            paragraphs.add((evidence.source, paragraph))
        else:
            loose.append((index, evidence))
    for index, evidence in loose:
        text = kb.articles[evidence.source].text
        if (evidence.source, text.rfind("\n", 0, evidence.start or 0)) not in paragraphs:
            yield (("evidence", index), f"evidence.{index}",
                   (f"{evidence.quote[:60]!r} is the article's narration, not words it attributes to "
                   f"{record.speaker}: cite the quotation or the sentence that attributes it"))


def hedges(record: CuratedRecord) -> Iterator[Problem]:
    """Yield each span of a stated fact or link that holds hedging words: a hint that the hedge belongs on
    the fact or on the link it qualifies (``certainty: hedged``, ``hedge``)."""
    if not isinstance(record, Fact):
        return
    owners: Sequence[tuple[tuple[int | str, ...], Fact | Link]] = [
        ((), record), *((("links", i), link) for i, link in enumerate(record.links))]
    for key, owner in owners:
        if owner.certainty == "hedged":
            continue
        for index, evidence in enumerate(owner.evidence):
            found = HEDGES.search(evidence.quote)
            if found:
                where = ".".join(map(str, (*key, "evidence", index)))
                yield ((*key, "evidence", index), where,
                       (f"hedging words {found.group()!r} in a stated claim's span: if they qualify this claim, "
                       "say so (certainty: hedged, hedge: the words) on the fact or on the link they qualify"))
