"""The curated facts themselves: the seeds are the articles recorded, and the facts the issue names are there."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Meeting, Person, Role, Sanction, Source

OFFICIALS = [
    "antony-blinken", "wang-yi", "qin-gang", "xi-jinping", "li-qiang", "li-shangfu", "xie-feng", "janet-yellen",
    "john-kerry", "gina-raimondo", "matthew-miller", "ely-ratner", "lloyd-austin", "joe-biden", "sergey-lavrov",
    "bui-thanh-son",
]


def test_seeds_match_the_sha256_recorded_in_sources(root: Path, knowledge_base: KnowledgeBase) -> None:
    sources = knowledge_base.sources.values()
    assert sorted(s.file for s in sources) == sorted(p.name for p in (root / "seeds").iterdir())
    for source in sources:
        assert isinstance(source, Source)
        assert hashlib.sha256((root / "seeds" / source.file).read_bytes()).hexdigest() == source.sha256


def test_every_named_official_is_a_person_with_a_role(knowledge_base: KnowledgeBase) -> None:
    people = knowledge_base.of("people")
    holders = {r.holder for r in knowledge_base.of("roles").values() if isinstance(r, Role)}
    assert set(OFFICIALS) <= set(people)
    assert set(OFFICIALS) <= holders


def test_name_variants_are_aliases(knowledge_base: KnowledgeBase) -> None:
    aliases = {pid: set(p.aliases) for pid, p in knowledge_base.of("people").items() if isinstance(p, Person)}
    assert "Matt Miller" in aliases["matthew-miller"]
    assert "Janet L. Yellen" in aliases["janet-yellen"]
    assert "Sergey V. Lavrov" in aliases["sergey-lavrov"]
    assert "Mr. Wang" in aliases["wang-yi"]


def test_wang_yi_is_described_in_at_least_four_ways(knowledge_base: KnowledgeBase) -> None:
    titles = {t.text for r in knowledge_base.of("roles").values() if isinstance(r, Role) and r.holder == "wang-yi"
              for t in r.titles}
    assert len(titles) >= 4


def test_meetings_cover_held_planned_and_declined(knowledge_base: KnowledgeBase) -> None:
    meetings = [m for m in knowledge_base.of("meetings").values() if isinstance(m, Meeting)]
    assert {"held", "planned", "declined"} <= {m.status for m in meetings}
    declined = [m for m in meetings if m.status == "declined"]
    assert any({"li-shangfu", "lloyd-austin"} <= set(m.participants) for m in declined)
    jakarta = [m for m in meetings if {"antony-blinken", "wang-yi"} <= set(m.participants) and m.place == "jakarta"]
    [talks] = [m for m in jakarta if m.kind == "talks"]
    assert talks.date is not None and talks.date.value == "2023-07-13" and talks.date.resolved_against
    assert len({v.value for v in talks.characterization}) == 2  # constructive against productive: disputed
    assert len(talks.duration) == 2
    assert len({e.source for e in talks.evidence}) >= 3


def test_li_shangfu_sanction_is_stated_and_its_link_to_the_demand_hedged(knowledge_base: KnowledgeBase) -> None:
    sanctions = [s for s in knowledge_base.of("sanctions").values() if isinstance(s, Sanction)]
    [li] = [s for s in sanctions if s.target == "li-shangfu"]
    assert li.certainty == "stated"  # "who is sanctioned by the US government" (bloomberg-2023-06-19-beijing)
    hedged = [link for link in li.links if link.certainty == "hedged"]
    assert [(link.of.split(" ")[0], link.hedge) for link in hedged] == [("related-statement", "likely a reference to")]
    assert all("likely" not in e.quote for e in li.evidence)
    assert li.related_statements


def test_every_quote_is_reproduced_by_its_offsets(knowledge_base: KnowledgeBase) -> None:
    from kb.load.validate import walk
    from kb.model.records import Evidence

    count = 0
    for records in knowledge_base.by_kind().values():
        for record in records.values():
            for _, value in walk(record):
                if isinstance(value, Evidence):
                    text = knowledge_base.articles[value.source].text
                    assert value.start is not None and value.end is not None
                    assert text[value.start : value.end] == value.quote
                    count += 1
    assert count >= 300
