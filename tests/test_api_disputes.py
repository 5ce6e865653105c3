"""Disputes through the API: every disagreement, every version, each with its own evidence."""

from __future__ import annotations

from tests import apikit
from tests.apikit import EVIDENCE, Api, ids

api = apikit.fixture()

VERSIONS = f"""versions {{ __typename
    ... on Version {{ id value asWritten disputed sourceCount evidence {{ {EVIDENCE} }} }}
    ... on Statement {{ id summary disputed sourceCount evidence {{ {EVIDENCE} }} }} }}"""


def test_disputes_lists_every_disagreement(api: Api) -> None:
    disputes = api.data(f"{{ disputes {{ totalCount nodes {{ id label description attribute fact {{ id }} "
                        f"{VERSIONS} }} }} }}")["disputes"]
    assert ids(disputes) == ["dispute/blinken-wang-jakarta/duration", "dispute/why-qin-was-absent"]
    assert disputes["totalCount"] == 2
    duration, absence = disputes["nodes"]
    assert (duration["attribute"], duration["fact"]) == ("duration", {"id": "meeting/blinken-wang-jakarta"})
    assert [(v["__typename"], v["value"], v["asWritten"]) for v in duration["versions"]] == [
        ("Version", "PT1H", "an hour"), ("Version", "PT1H30M", "about 90 minutes")]
    assert (absence["attribute"], absence["fact"], absence["label"]) == (None, None, "Why Qin Gang was absent")
    assert absence["description"] == "One article says health reasons, the other a physical condition."
    assert [(v["__typename"], v["id"]) for v in absence["versions"]] == [
        ("Statement", "statement/qin-health-reasons"), ("Statement", "statement/qin-physical-condition")]


def test_each_version_keeps_its_own_evidence(api: Api) -> None:
    disputes = api.data(f"{{ disputes {{ nodes {{ {VERSIONS} }} }} }}")["disputes"]["nodes"]
    for dispute in disputes:
        sources = [{e["source"]["id"] for e in v["evidence"]} for v in dispute["versions"]]
        assert all(sources) and sources[0] != sources[1]
        assert all(v["disputed"] and v["sourceCount"] == 1 for v in dispute["versions"])


def test_a_disputed_fact_leads_to_its_dispute(api: Api) -> None:
    statement = api.data("""{ statement(id: "qin-physical-condition") { disputed disputes { id versions {
        ... on Statement { id } } } } }""")["statement"]
    assert statement["disputed"] is True
    assert statement["disputes"] == [{"id": "dispute/why-qin-was-absent", "versions": [
        {"id": "statement/qin-health-reasons"}, {"id": "statement/qin-physical-condition"}]}]


def test_undisputed_fact_has_no_disputes(api: Api) -> None:
    statement = api.data('{ statement(id: "wang-fentanyl") { disputed disputes { id } } }')["statement"]
    assert statement == {"disputed": False, "disputes": []}


def test_dispute_by_id(api: Api) -> None:
    data = api.data('{ a: dispute(id: "why-qin-was-absent") { id } '
                    'b: dispute(id: "dispute/blinken-wang-jakarta/duration") { id }\n'
                    '        c: node(id: "dispute/blinken-wang-jakarta/duration") { id } '
                    'd: dispute(id: "blinken-wang-jakarta/duration/x") { id } }')
    assert data == {"a": {"id": "dispute/why-qin-was-absent"}, "b": {"id": "dispute/blinken-wang-jakarta/duration"},
                    "c": {"id": "dispute/blinken-wang-jakarta/duration"}, "d": None}
