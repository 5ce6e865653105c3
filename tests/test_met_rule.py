"""kb:rule-met and kb:rule-attended (kb/graph/reasons.py): who met whom is what the articles say."""

from __future__ import annotations

from kb.graph.builder import build
from kb.graph.ntriples import KB
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import DateValue, Meeting
from tests.kbs import BASE, MINT, built, knowledge_base


def met_pairs(lines: frozenset[bytes]) -> set[tuple[str, str]]:
    """(a, b) ids of every kb:met triple."""
    marker = f" {KB.met} ".encode()
    pairs = set()
    for line in lines:
        if marker in line:
            s, _, o = line.decode().split(" ")
            pairs.add((s[1:-1].rsplit("/", 1)[1], o[1:-1].rsplit("/", 1)[1]))
    return pairs


def test_met_on_the_seeds_is_what_the_articles_say() -> None:
    pairs = met_pairs(built("real").lines)
    # 004: Li Shangfu "rejected a meeting with his US counterpart Lloyd Austin" at a forum both attended.
    assert ("li-shangfu", "lloyd-austin") not in pairs and ("lloyd-austin", "li-shangfu") not in pairs
    assert ("antony-blinken", "wang-yi") in pairs and ("wang-yi", "antony-blinken") in pairs
    kb = knowledge_base("real")
    assert all(kb.kinds[a] == "people" and kb.kinds[b] == "people" for a, b in pairs)  # ASEAN meets no one


def test_a_forum_gives_attended_not_met() -> None:
    lines = built("real").lines
    forum = MINT.record("meetings", "defense-forum-singapore-2023-06")
    attended = {line for line in lines if f" {KB.attended} <{forum}>".encode() in line}
    assert {line.split(b" ")[0] for line in attended} == {
        f"<{MINT.record('people', p)}>".encode() for p in ("li-shangfu", "lloyd-austin")}
    asean = MINT.record("meetings", "asean-foreign-ministers-meeting-2023-jakarta")
    assert f"<{MINT.record('organizations', 'asean')}> {KB.attended} <{asean}>".encode() in lines


def _with(kb: KnowledgeBase, *meetings: Meeting) -> KnowledgeBase:
    copy = kb.copy()
    for meeting in meetings:
        copy.add(meeting)
    return copy


def _without_beijing(kb: KnowledgeBase) -> KnowledgeBase:
    """Blinken and Wang also met in Beijing in June: make that meeting a planned one, so only Jakarta counts."""
    beijing = kb.meetings["meeting-blinken-wang-beijing-2023-06-19"]
    return _with(kb, beijing.model_copy(update={"status": "planned"}))


def _talks(kb: KnowledgeBase) -> Meeting:
    talks = kb.meetings["meeting-blinken-wang-jakarta-2023-07-13"]
    assert isinstance(talks, Meeting)
    return talks


def test_a_declined_meeting_on_the_same_day_contradicts_met() -> None:
    kb = knowledge_base("real")
    talks = _talks(kb)
    without = _without_beijing(kb)
    declined = talks.model_copy(update={"id": "declined-jakarta", "status": "declined", "links": [],
                                        "topics": [], "duration": [], "characterization": [], "outcomes": []})
    assert ("antony-blinken", "wang-yi") in met_pairs(build(without, BASE).lines)
    assert ("antony-blinken", "wang-yi") not in met_pairs(build(_with(without, declined), BASE).lines)
    another_day = declined.model_copy(update={"date": DateValue(value="2023-01-01"), "occasion": None})
    assert ("antony-blinken", "wang-yi") in met_pairs(build(_with(without, another_day), BASE).lines)


def test_a_call_or_a_conference_makes_no_one_meet() -> None:
    kb = knowledge_base("real")
    without = _without_beijing(kb)
    for kind in ("call", "conference", "forum", "summit", "news-conference"):
        changed = _talks(kb).model_copy(update={"kind": kind})
        assert ("antony-blinken", "wang-yi") not in met_pairs(build(_with(without, changed), BASE).lines), kind


def test_every_met_triple_names_its_rule_and_meetings() -> None:
    lines = built("real").lines
    derivations = [line.decode() for line in lines if b"/derivation/met/" in line.split(b" ")[0]]
    premises = {line.split(" ")[2] for line in derivations if "#wasDerivedFrom>" in line}
    assert premises and all("/meeting/" in p for p in premises)
    assert sum("#subject>" in line for line in derivations) == len(met_pairs(lines))
