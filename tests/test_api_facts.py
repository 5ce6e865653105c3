"""Meetings, statements, sanctions and sources through the API: every field and filter."""

from __future__ import annotations

import pytest

from tests import apikit
from tests.apikit import EVIDENCE, Api, ids

api = apikit.fixture()


def test_meetings_ordered_by_date_undated_last(api: Api) -> None:
    meetings = api.data("{ meetings { totalCount nodes { id date { value } } } }")["meetings"]
    assert ids(meetings) == ["meeting/blinken-wang-jakarta", "meeting/blinken-qin-call"]
    assert meetings["totalCount"] == 2


@pytest.mark.parametrize(("args", "expected"), [
    ('participant: "qin-gang"', ["meeting/blinken-qin-call"]),
    ('participant: "person/wang-yi"', ["meeting/blinken-wang-jakarta"]),
    ('participant: "prc-mfa"', []),
    ('participant: "no-such-id"', []),  # a malformed one ("no such id") is refused: tests/test_client_errors.py
    ('place: "jakarta"', ["meeting/blinken-wang-jakarta"]),
    ('topic: "sanctions"', ["meeting/blinken-wang-jakarta"]),
    ("status: CANCELLED", ["meeting/blinken-qin-call"]),
    ("status: HELD", ["meeting/blinken-wang-jakarta"]),
    ("kind: CALL", ["meeting/blinken-qin-call"]),
    ('from: "2023-08-15"', ["meeting/blinken-qin-call"]),  # "2023-08" overlaps the 15th
    ('to: "2023-07-31"', ["meeting/blinken-wang-jakarta"]),
    ('from: "2023-07-13", to: "2023-07-13"', ["meeting/blinken-wang-jakarta"]),
    ('from: "2023-07-14", to: "2023-07-31"', []),
    ('participant: "antony-blinken", status: HELD, place: "jakarta"', ["meeting/blinken-wang-jakarta"]),
])
def test_meetings_filters(api: Api, args: str, expected: list[str]) -> None:
    assert ids(api.data(f"{{ meetings({args}) {{ nodes {{ id }} }} }}")["meetings"]) == expected


def test_meeting_fields(api: Api) -> None:
    meeting = api.data(f"""{{ meeting(id: "blinken-wang-jakarta") {{
        label kind status certainty hedge note disputed sourceCount sources {{ id }}
        participants {{ __typename ... on Person {{ id }} }} place {{ id }} topics {{ id }} occasion {{ id }} """
        f"""endDate {{ value }}
        date {{ value precision asWritten resolvedAgainst {{ id }} earliest latest }}
        duration {{ value disputed versions {{ id attribute value asWritten disputed evidence {{ {EVIDENCE} }} """
        f"""fact {{ id }} }} }}
        characterization {{ value disputed versions {{ value saidBy {{ ... on Person {{ name }} }} }} }}
        outcomes {{ value }} statements {{ nodes {{ id }} }} disputes {{ id attribute }}
        evidence {{ {EVIDENCE} }} }} }}""")["meeting"]
    assert (meeting["kind"], meeting["status"], meeting["certainty"]) == ("TALKS", "HELD", "STATED")
    assert [p["id"] for p in meeting["participants"]] == ["person/antony-blinken", "person/wang-yi"]
    assert meeting["date"] == {"value": "2023-07-13", "precision": "DAY", "asWritten": "Thursday",
                               "resolvedAgainst": {"id": "source/wire-jakarta"},
                               "earliest": "2023-07-13", "latest": "2023-07-13"}
    assert (meeting["place"], meeting["topics"], meeting["occasion"], meeting["endDate"]) == (
        {"id": "place/jakarta"}, [{"id": "topic/sanctions"}], None, None)
    duration = meeting["duration"]
    assert duration["value"] is None and duration["disputed"] is True
    assert [(v["value"], v["asWritten"], v["disputed"]) for v in duration["versions"]] == [
        ("PT1H", "an hour", True), ("PT1H30M", "about 90 minutes", True)]
    assert {v["fact"]["id"] for v in duration["versions"]} == {"meeting/blinken-wang-jakarta"}
    assert duration["versions"][0]["evidence"][0]["source"] == {"id": "source/post-beijing"}
    assert meeting["characterization"] == {"value": "candid and constructive", "disputed": False, "versions": [
        {"value": "candid and constructive", "saidBy": {"name": "Matthew Miller"}}]}
    assert meeting["outcomes"] == []
    assert ids(meeting["statements"]) == ["statement/wang-lift-sanctions"]
    assert meeting["disputed"] is True  # its duration is
    assert meeting["disputes"] == [{"id": "dispute/blinken-wang-jakarta/duration", "attribute": "duration"}]
    assert meeting["sourceCount"] == 1 and meeting["sources"] == [{"id": "source/wire-jakarta"}]


def test_cancelled_call_has_a_month_date(api: Api) -> None:
    call = api.data('{ meeting(id: "blinken-qin-call") { status kind '
                    'date { value precision earliest latest asWritten } disputed duration { value } } }')["meeting"]
    assert call == {"status": "CANCELLED", "kind": "CALL", "disputed": False, "duration": None, "date": {
        "value": "2023-08", "precision": "MONTH", "earliest": "2023-08-01", "latest": "2023-08-31",
        "asWritten": "August"}}


def test_statements_ordered_by_date_undated_last(api: Api) -> None:
    assert ids(api.data("{ statements { nodes { id } } }")["statements"]) == [
        "statement/wang-lift-sanctions", "statement/wang-fentanyl",
        "statement/qin-health-reasons", "statement/qin-physical-condition"]


@pytest.mark.parametrize(("args", "expected"), [
    ('speaker: "wang-yi"', ["statement/wang-lift-sanctions", "statement/wang-fentanyl"]),
    ('speaker: "prc-mfa"', ["statement/qin-health-reasons"]),
    ('topic: "fentanyl"', ["statement/wang-fentanyl"]),
    ('topic: "sanctions", speaker: "wang-yi"', ["statement/wang-lift-sanctions", "statement/wang-fentanyl"]),
    ('about: "qin-gang"', ["statement/qin-health-reasons", "statement/qin-physical-condition"]),
    ('meeting: "blinken-wang-jakarta"', ["statement/wang-lift-sanctions"]),
    ("channel: STATEMENT", ["statement/wang-fentanyl", "statement/qin-physical-condition"]),
    ('from: "2023-07-20"', ["statement/wang-fentanyl"]),
    ('to: "2023-07-20"', ["statement/wang-lift-sanctions"]),
])
def test_statements_filters(api: Api, args: str, expected: list[str]) -> None:
    assert ids(api.data(f"{{ statements({args}) {{ nodes {{ id }} }} }}")["statements"]) == expected


def test_statement_fields(api: Api) -> None:
    statement = api.data(f"""{{ statement(id: "wang-lift-sanctions") {{
        summary label quote channel disputed certainty
        speaker {{ __typename ... on Person {{ id }} }} via {{ __typename }} audience {{ ... on Person {{ id }} }}
        about {{ __typename id }} topics {{ id }} meeting {{ id }} date {{ value asWritten }}
        evidence {{ {EVIDENCE} }} }} }}""")["statement"]
    assert statement["quote"] == "the US must lift illegal sanctions 𝕊 on Chinese firms before ties can improve"
    assert statement["quote"] == statement["evidence"][0]["quote"]
    assert statement["summary"] == statement["label"] != statement["quote"]
    assert (statement["channel"], statement["disputed"], statement["certainty"]) == ("REMARKS", False, "STATED")
    assert statement["speaker"] == {"__typename": "Person", "id": "person/wang-yi"}
    assert statement["via"] is None
    assert statement["audience"] == [{"id": "person/antony-blinken"}]
    assert statement["about"] == [{"__typename": "Organization", "id": "organization/us-government"}]
    assert statement["meeting"] == {"id": "meeting/blinken-wang-jakarta"}
    assert statement["date"] == {"value": "2023-07-13", "asWritten": None}


def test_sanctions(api: Api) -> None:
    data = api.data(f"""{{ sanctions {{ nodes {{ id label reason certainty hedge date {{ value }}
          target {{ __typename ... on Organization {{ id }} }} imposedBy {{ ... on Organization {{ id }} }}
          relatedStatements {{ id }} evidence {{ {EVIDENCE} }} }} }}
        onChina: sanctions(target: "prc-government") {{ totalCount }} """
        f"""onWang: sanctions(target: "wang-yi") {{ totalCount }}
        byUs: sanctions(imposedBy: "us-government") {{ totalCount }} }}""")
    (sanction,) = data["sanctions"]["nodes"]
    assert sanction["target"] == {"__typename": "Organization", "id": "organization/prc-government"}
    assert sanction["imposedBy"] == {"id": "organization/us-government"}
    assert (sanction["certainty"], sanction["hedge"], sanction["date"]) == ("HEDGED", "illegal", None)
    assert sanction["relatedStatements"] == [{"id": "statement/wang-lift-sanctions"}]
    assert sanction["evidence"][0]["quote"] == "lift illegal sanctions 𝕊 on Chinese firms"
    assert (data["onChina"], data["onWang"], data["byUs"]) == ({"totalCount": 1}, {"totalCount": 0}, {"totalCount": 1})


def test_sources_ordered_by_publication(api: Api) -> None:
    sources = api.data("""{ sources { nodes { id headline publisher authors url language file sha256 dateline
        published { value precision } publishedBasis } } }""")["sources"]["nodes"]
    assert [s["id"] for s in sources] == ["source/wire-jakarta", "source/post-beijing"]
    post = sources[1]
    assert (post["publisher"], post["authors"], post["published"], post["publishedBasis"]) == (
        "The Fixture Post", ["Desk One", "Desk Two"], {"value": "2023-07-26", "precision": "DAY"}, "INFERRED")
    assert (sources[0]["dateline"], sources[0]["file"], sources[0]["language"]) == (
        "Jakarta, July 13", "wire-jakarta.txt", "en")
    assert len(post["sha256"]) == 64


def test_source_text_is_the_article_byte_for_byte(api: Api) -> None:
    text = api.data('{ source(id: "wire-jakarta") { text } }')["source"]["text"]
    assert text.encode() == (apikit.API_FIXTURE / "seeds" / "wire-jakarta.txt").read_bytes()


def test_source_facts_in_reading_order(api: Api) -> None:
    facts = api.data("""{ source(id: "wire-jakarta") { facts(first: 100) { totalCount nodes { __typename id } } } }""")
    nodes = facts["source"]["facts"]["nodes"]
    assert [n["id"] for n in nodes] == [
        "role/blinken-secretary-of-state", "meeting/blinken-wang-jakarta", "role/wang-yi-top-diplomat",
        "role/miller-spokesperson", "statement/wang-lift-sanctions", "sanction/us-sanctions-chinese-firms",
        "role/qin-gang-foreign-minister", "statement/qin-health-reasons", "meeting/blinken-qin-call"]
    assert facts["source"]["facts"]["totalCount"] == 9
    assert {n["__typename"] for n in nodes} == {"Role", "Meeting", "Statement", "Sanction"}


def test_source_facts_include_facts_it_supports_through_a_version(api: Api) -> None:
    # post-beijing states only the shorter duration of the Jakarta talks, not the talks themselves
    facts = api.data('{ source(id: "post-beijing") { facts { nodes { id } } } }')["source"]["facts"]
    assert "meeting/blinken-wang-jakarta" in ids(facts)
