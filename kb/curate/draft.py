"""The draft ``kb suggest`` writes: one record per known person, organization, place or role title found in an
article, each with its evidence anchored (quote, start, end), for a curator to keep or delete record by record.

A draft lives in ``curation/drafts/`` and starts with :data:`MARK`. ``kb validate`` refuses it while it is
there (:func:`kb.load.validate.check`: a draft is not reviewed curation); ``kb suggest --accept`` adds the
evidence of every record left in it to the records it names (:mod:`kb.curate.accept`) and removes it.

Each draft record says what it adds to::

    - person: wang-yi            # or organization:, place:
      evidence:
      - source: reuters-2023-08-01
        quote: "Wang Yi"
        start: 120
        end: 127

    - role: role-wang-yi-director-ccp-foreign-affairs-office
      title: "China’s top diplomat"      # the wording, as the article has it
      evidence:
      - source: …
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kb.curate.suggest import Mention, Suggestions, TitleMention

MARK = "# kb suggest draft"
HONORIFIC = re.compile(r"^(Mr|Ms|Mrs|Dr)\.?\s+")  # "Mr. Wang" is no fuller a naming than "Wang"
DRAFTS = "drafts"  # under curation/
FIELD = {"people": "person", "organizations": "organization", "places": "place", "roles": "role"}
KIND_OF_FIELD = {v: k for k, v in FIELD.items()}


@dataclass(frozen=True, order=True)
class Proposal:
    """One piece of evidence a draft proposes: for ``record`` (of ``kind``), ``text[start:end]``; ``title`` is
    the wording for a role's title, None for a mention."""

    kind: str
    record: str
    start: int
    end: int
    quote: str
    title: str | None = None


def proposals(found: Suggestions, text: str | None = None) -> list[Proposal]:
    """Return what a draft proposes for ``found``: the first mention of every record and every title, in
    order of kind, record, then text."""
    out: list[Proposal] = []
    for rid in sorted(set(found.mentions) | set(found.implied)):
        best = chosen(found.mentions.get(rid) or found.implied[rid])
        out.append(Proposal(best.kind, rid, best.start, best.end, best.words))
    seen: set[tuple[str, str]] = set()
    # of titles of one role that overlap ("the US State Department spokesperson", "US State Department
    # spokesperson"), the longest
    titles = sorted(found.titles, key=lambda t: (t.start, -t.end))
    kept: list[TitleMention] = []
    for title in titles:
        if kept and kept[-1].role == title.role and title.start < kept[-1].end:
            continue
        kept.append(title)
    for title in kept:
        key = (title.role, title.wording.lower())
        if not title.alone:
            if key in seen:
                continue  # as curators do: one piece of evidence for each wording beside the name
            seen.add(key)
        quote = text[title.start : title.end] if text is not None else title.wording
        out.append(Proposal("roles", title.role, title.start, title.end, quote, title.wording))
    return sorted(out)


def chosen(mentions: list[Mention]) -> Mention:
    """Return the mention to quote for a record, as curators pick it: the fullest naming (the longest words),
    the first of those."""
    return min(mentions, key=lambda m: (-len(HONORIFIC.sub("", m.words)), m.start))


def render(found: Suggestions, text: str, article: str) -> str:
    """Return the draft YAML for ``found`` in ``text`` (the article ``seeds/<article>``)."""
    lines = [
        f"{MARK} for {found.source} (seeds/{article}).",
        "# Review it record by record: delete a record (or one of its evidence entries) that is wrong, keep the",
        "# others, then run  kb suggest --accept <this file>  to add the evidence kept here to the records it",
        "# names and remove this file. kb validate refuses the knowledge base while a draft is left in curation/.",
    ]
    grouped: dict[tuple[str, str, str | None], list[Proposal]] = {}
    for proposal in proposals(found, text):
        grouped.setdefault((proposal.kind, proposal.record, proposal.title), []).append(proposal)
    for (kind, record, title), entries in sorted(grouped.items(), key=lambda g: (g[1][0].start, g[0])):
        lines += ["", f"- {FIELD[kind]}: {record}"]
        if title is not None:
            lines.append(f"  title: {json.dumps(title, ensure_ascii=False)}")
        lines.append("  evidence:")
        for entry in sorted(entries, key=lambda p: p.start):
            lines += [f"  - source: {found.source}", f"    quote: {json.dumps(entry.quote, ensure_ascii=False)}",
                      f"    start: {entry.start}", f"    end: {entry.end}"]
    return "\n".join(lines) + "\n"
