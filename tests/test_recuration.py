"""The seeds re-curated under the reason rules (issue 16), checked against the articles' own words."""

from __future__ import annotations

from kb.model.records import DateValue, Fact, Meeting, Sanction, Statement
from tests.kbs import knowledge_base


def test_every_meeting_topic_has_words_of_its_own() -> None:
    kb = knowledge_base("real")
    for meeting in kb.meetings.values():
        assert isinstance(meeting, Meeting)
        linked = {link.of.split(" ")[1] for link in meeting.links if link.of.startswith("topic ") and link.evidence}
        assert set(meeting.topics) <= linked, meeting.id


def test_south_china_sea_on_the_jakarta_talks_is_the_bloomberg_sentence() -> None:
    talks = knowledge_base("real").meetings["meeting-blinken-wang-jakarta-2023-07-13"]
    assert isinstance(talks, Meeting)
    [link] = [link for link in talks.links if link.of == "topic south-china-sea-disputes"]
    assert [e.quote for e in link.evidence] == [
        "The two also talked about China’s military activities in the South China Sea"]


def test_relative_dates_resolve_against_the_facts_own_sources() -> None:
    kb = knowledge_base("real")
    for kind in ("meetings", "statements", "sanctions"):
        for fact in kb.of(kind).values():
            assert isinstance(fact, Fact)
            own = {e.source for e in fact.evidence} | {e.source for link in fact.links for e in link.evidence}
            for date in (getattr(fact, "date", None), getattr(fact, "end_date", None)):
                if isinstance(date, DateValue) and date.resolved_against is not None:
                    assert date.resolved_against in own or date.note, fact.id


def test_wang_yi_attended_in_place_of_qin_gang_as_three_articles_say() -> None:
    gathering = knowledge_base("real").meetings["asean-foreign-ministers-meeting-2023-jakarta"]
    assert isinstance(gathering, Meeting)
    [link] = [link for link in gathering.links if link.in_place_of is not None]
    assert (link.of, link.in_place_of) == ("participant wang-yi", "qin-gang")
    assert all("in place of" in e.quote for e in link.evidence) and len(link.evidence) == 3
    assert gathering.note is None or "in place of" not in gathering.note


def test_bylines_have_spans_and_unnamed_publishers_a_basis() -> None:
    kb = knowledge_base("real")
    cnn = kb.sources["cnn-2023-07-13-jakarta"]
    spans = {link.of: [e.quote for e in link.evidence] for link in cnn.links}
    assert spans["author Jennifer Hansler"] == ["Jennifer Hansler"] and spans["author Kylie Atwood"] == ["Kylie Atwood"]
    nyt = kb.sources["nyt-2023-07-13-jakarta"]
    [publisher] = [link for link in nyt.links if link.of == "publisher"]
    assert publisher.basis == "curator" and publisher.note and not publisher.evidence


def test_the_hack_is_attributed_by_whom_to_whom() -> None:
    kb = knowledge_base("real")
    for sid in ("statement-microsoft-hack-from-china-2023-07", "statement-us-officials-hackers-email-2023-07-12"):
        statement = kb.statements[sid]
        assert isinstance(statement, Statement)
        assert "china" in statement.about and any(link.of == "about china" for link in statement.links)
    microsoft = kb.statements["statement-microsoft-hack-from-china-2023-07"]
    assert isinstance(microsoft, Statement)
    assert [(link.of, link.hedge) for link in microsoft.links if link.certainty == "hedged"] == [
        ("topic cybersecurity", "an apparent spying campaign")]


def test_the_sanction_is_stated_and_the_demand_link_hedged_only_for_bloomberg() -> None:
    kb = knowledge_base("real")
    sanction = kb.sanctions["sanction-us-li-shangfu-2018"]
    assert isinstance(sanction, Sanction) and sanction.certainty == "stated"
    demand = kb.statements["statement-beijing-lift-sanctions-before-military-talks"]
    assert isinstance(demand, Statement)
    about = [(link.certainty, {e.source for e in link.evidence}) for link in demand.links
             if link.of == "about sanction-us-li-shangfu-2018"]
    assert sorted(about) == [("hedged", {"bloomberg-2023-07-13-jakarta"}), ("stated", {"cnn-2023-07-13-jakarta"})]
    assert all("likely" not in e.quote for e in demand.evidence)


def test_each_report_of_a_duration_keeps_its_words() -> None:
    talks = knowledge_base("real").meetings["meeting-blinken-wang-jakarta-2023-07-13"]
    assert isinstance(talks, Meeting)
    [version] = [v for v in talks.duration if v.value == "PT1H30M"]
    assert {e.source: e.as_written for e in version.evidence} == {
        "bloomberg-2023-07-13-jakarta": "about 90 minutes", "cnn-2023-07-13-jakarta": "hour and half long",
        "geo-2023-07-14-jakarta": "an hour and a half"}
    for evidence in version.evidence:
        assert evidence.as_written and evidence.as_written in evidence.quote


def test_last_public_appearance_is_the_ministry_websites_statement() -> None:
    statement = knowledge_base("real").statements["statement-china-fm-website-qin-last-appearance"]
    assert isinstance(statement, Statement)
    assert (statement.speaker, statement.channel) == ("chinese-foreign-ministry", "website")
    assert "meeting-qin-gang-bui-thanh-son-beijing-2023-06-25" in statement.about
