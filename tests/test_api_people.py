"""People, organizations, places and topics through the API, and roles as of a day."""

from __future__ import annotations

import pytest

from tests import apikit
from tests.apikit import Api, ids

api = apikit.fixture()


def test_person_by_curation_id_and_by_global_id(api: Api) -> None:
    for identifier in ("wang-yi", "person/wang-yi"):
        person = api.data('query($id: ID!) { person(id: $id) { id slug iri name aliases } }',
                          {"id": identifier})["person"]
        assert person == {"id": "person/wang-yi", "slug": "wang-yi", "iri": "https://kb.example.org/person/wang-yi",
                          "name": "Wang Yi", "aliases": ["Wang", "王毅"]}


@pytest.mark.parametrize("identifier", ["organization/wang-yi", "nobody", "person/wang-yi/x"])
def test_person_unknown_id_is_null(api: Api, identifier: str) -> None:
    assert api.data('query($id: ID!) { person(id: $id) { id } }', {"id": identifier})["person"] is None


@pytest.mark.parametrize("identifier", ["Wang Yi", "person/", "x\"}", ""])
def test_person_malformed_id_is_refused(api: Api, identifier: str) -> None:
    # tests/test_client_errors.py walks every field taking an id with hostile ones
    body = api.post('query($id: ID!) { person(id: $id) { id } }', {"id": identifier}).json()
    assert body["data"] == {"person": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_person_evidence_and_country(api: Api) -> None:
    person = api.data(f'{{ person(id: "wang-yi") {{ country {{ name }} sourceCount sources {{ id }} '
                      f'evidence {{ {apikit.EVIDENCE} }} }} }}')["person"]
    assert person["country"] == {"name": "China"}
    assert [e["quote"] for e in person["evidence"]] == ["Wang Yi 王毅"]
    assert person["sourceCount"] == 1 and person["sources"] == [{"id": "source/post-beijing"}]


def test_people_ordered_by_name(api: Api) -> None:
    people = api.data("{ people { totalCount nodes { id } } }")["people"]
    assert ids(people) == ["person/antony-blinken", "person/matthew-miller", "person/qin-gang", "person/wang-yi"]
    assert people["totalCount"] == 4


@pytest.mark.parametrize(("args", "expected"), [
    ('name: "wang"', ["person/wang-yi"]),
    ('name: "王毅"', ["person/wang-yi"]),
    ('name: "MATT"', ["person/matthew-miller"]),
    ('name: "nobody"', []),
    ('role: "foreign minister"', ["person/qin-gang", "person/wang-yi"]),
    ('role: "Spokesperson"', ["person/matthew-miller"]),
    ('organization: "prc-mfa"', ["person/qin-gang", "person/wang-yi"]),
    ('name: "wang", role: "diplomat"', ["person/wang-yi"]),
    ('name: "qin", role: "diplomat"', []),
])
def test_people_filters(api: Api, args: str, expected: list[str]) -> None:
    assert ids(api.data(f"{{ people({args}) {{ nodes {{ id }} }} }}")["people"]) == expected


@pytest.mark.parametrize(("day", "expected"), [
    ("2022-11-30", []),
    ("2022-12-15", ["role/qin-gang-foreign-minister"]),  # begun "2022-12": the whole month counts
    ("2023-07-01", ["role/qin-gang-foreign-minister"]),
    ("2023-07-25", ["role/qin-gang-foreign-minister", "role/wang-yi-foreign-minister"]),  # handover day
    ("2023-08-01", ["role/wang-yi-foreign-minister"]),
])
def test_roles_as_of_a_day(api: Api, day: str, expected: list[str]) -> None:
    roles = api.data(f'{{ roles(asOf: "{day}", organization: "prc-mfa") '
                     f'{{ nodes {{ id holder {{ id }} }} }} }}')["roles"]
    assert ids(roles) == expected


def test_roles_without_dates_count_as_held_any_day(api: Api) -> None:
    roles = api.data('{ roles(asOf: "2023-07-01") { nodes { id } } }')["roles"]
    assert ids(roles) == ["role/qin-gang-foreign-minister", "role/blinken-secretary-of-state",
                          "role/miller-spokesperson", "role/wang-yi-top-diplomat"]


def test_roles_filters_by_holder_and_title(api: Api) -> None:
    assert ids(api.data('{ roles(holder: "wang-yi") { nodes { id } } }')["roles"]) == [
        "role/wang-yi-foreign-minister", "role/wang-yi-top-diplomat"]
    assert ids(api.data('{ roles(title: "top diplomat") { nodes { id } } }')["roles"]) == ["role/wang-yi-top-diplomat"]


def test_role_fields(api: Api) -> None:
    role = api.data(f"""{{ role(id: "qin-gang-foreign-minister") {{
        label title holder {{ name }} organization {{ name }}
        start {{ value precision asWritten earliest latest }}
        end {{ value precision asWritten resolvedAgainst {{ id }} }}
        titles {{ attribute value disputed evidence {{ {apikit.EVIDENCE} }} }}
        certainty disputed sourceCount }} }}""")["role"]
    assert role["title"] == "Minister of Foreign Affairs"
    assert role["holder"] == {"name": "Qin Gang"}
    assert role["start"] == {"value": "2022-12", "precision": "MONTH", "asWritten": "December 2022",
                             "earliest": "2022-12-01", "latest": "2022-12-31"}
    assert role["end"] == {"value": "2023-07-25", "precision": "DAY", "asWritten": "July 25",
                           "resolvedAgainst": {"id": "source/post-beijing"}}
    assert [(t["attribute"], t["value"], t["disputed"]) for t in role["titles"]] == [
        ("title", "the foreign minister", False)]
    assert role["titles"][0]["evidence"][0]["quote"] == "Qin Gang, the foreign minister 🧑‍💼"
    assert (role["certainty"], role["disputed"], role["sourceCount"]) == ("STATED", False, 1)


def test_person_roles_titles_and_connections(api: Api) -> None:
    person = api.data("""{ person(id: "wang-yi") {
        titles early: titles(asOf: "2023-07-01")
        roles { totalCount nodes { id } } current: roles(asOf: "2023-08-01") { nodes { title } }
        meetings { nodes { id } } statements { nodes { id } } sanctions { totalCount }
        met { ... on Person { id } } } }""")["person"]
    assert person["titles"] == ["China's top diplomat", "foreign minister"]
    assert person["early"] == ["China's top diplomat"]
    assert person["roles"]["totalCount"] == 2
    assert [r["title"] for r in person["current"]["nodes"]] == [
        "Minister of Foreign Affairs", "Director of the Office of the Central Foreign Affairs Commission"]
    assert ids(person["meetings"]) == ["meeting/blinken-wang-jakarta"]
    assert ids(person["statements"]) == ["statement/wang-lift-sanctions", "statement/wang-fentanyl"]
    assert person["sanctions"]["totalCount"] == 0
    assert person["met"] == [{"id": "person/antony-blinken"}]


def test_person_meetings_filters(api: Api) -> None:
    person = api.data("""{ person(id: "antony-blinken") {
        all: meetings { nodes { id } } held: meetings(status: HELD) { nodes { id } }
        august: meetings(from: "2023-08-01") { nodes { id } } """
                      """onSanctions: meetings(topic: "sanctions") { nodes { id } } } }""")["person"]
    assert ids(person["all"]) == ["meeting/blinken-wang-jakarta", "meeting/blinken-qin-call"]
    assert ids(person["held"]) == ["meeting/blinken-wang-jakarta"]
    assert ids(person["august"]) == ["meeting/blinken-qin-call"]
    assert ids(person["onSanctions"]) == ["meeting/blinken-wang-jakarta"]


def test_organizations(api: Api) -> None:
    data = api.data("""{ organizations { nodes { id } } governments: organizations(kind: GOVERNMENT) { nodes { id } }
        named: organizations(name: "foreign ministry") { nodes { id } }
        organization(id: "prc-mfa") { name aliases kind parent { id } country { id }
          roles { nodes { id } } statements { nodes { id } } meetings { totalCount } }
        us: organization(id: "us-government") { sanctionsImposed { nodes { id } } sanctions { totalCount } } }""")
    assert ids(data["organizations"]) == ["organization/prc-government", "organization/prc-mfa",
                                          "organization/us-government", "organization/us-state-department"]
    assert ids(data["governments"]) == ["organization/prc-government", "organization/us-government"]
    assert ids(data["named"]) == ["organization/prc-mfa"]
    mfa = data["organization"]
    assert (mfa["kind"], mfa["parent"], mfa["country"]) == ("MINISTRY", {"id": "organization/prc-government"},
                                                             {"id": "place/china"})
    assert ids(mfa["roles"]) == ["role/qin-gang-foreign-minister", "role/wang-yi-foreign-minister"]
    assert ids(mfa["statements"]) == ["statement/qin-health-reasons"]
    assert mfa["meetings"]["totalCount"] == 0
    assert ids(data["us"]["sanctionsImposed"]) == ["sanction/us-sanctions-chinese-firms"]
    assert data["us"]["sanctions"]["totalCount"] == 0


def test_places(api: Api) -> None:
    data = api.data(f"""{{ places {{ nodes {{ id }} }}
        place(id: "jakarta") {{ name kind country {{ name }} meetings {{ nodes {{ id }} }} """
                      f"""evidence {{ {apikit.EVIDENCE} }} }} }}""")
    assert ids(data["places"]) == ["place/china", "place/indonesia", "place/jakarta", "place/united-states"]
    place = data["place"]
    assert (place["kind"], place["country"]) == ("CITY", {"name": "Indonesia"})
    assert ids(place["meetings"]) == ["meeting/blinken-wang-jakarta"]
    assert place["evidence"][0]["quote"] == "in Jakarta 🇮🇩"


def test_topics(api: Api) -> None:
    data = api.data("""{ topics { nodes { id label } }
        topic(id: "fentanyl") { label aliases broader { label } statements { nodes { id } } meetings { totalCount } }
        sanctions: topic(id: "sanctions") { description meetings { nodes { id } } statements { totalCount } } }""")
    assert [t["label"] for t in data["topics"]["nodes"]] == ["drug trafficking", "fentanyl", "sanctions"]
    assert data["topic"] == {"label": "fentanyl", "aliases": ["fentanyl cooperation"],
                             "broader": {"label": "drug trafficking"},
                             "statements": {"nodes": [{"id": "statement/wang-fentanyl"}]},
                             "meetings": {"totalCount": 0}}
    assert ids(data["sanctions"]["meetings"]) == ["meeting/blinken-wang-jakarta"]
    assert data["sanctions"]["statements"]["totalCount"] == 2


@pytest.mark.parametrize(("identifier", "typename"), [
    ("person/wang-yi", "Person"), ("organization/prc-mfa", "Organization"), ("place/jakarta", "Place"),
    ("topic/fentanyl", "Topic"), ("meeting/blinken-qin-call", "Meeting"), ("role/miller-spokesperson", "Role"),
    ("statement/wang-fentanyl", "Statement"), ("sanction/us-sanctions-chinese-firms", "Sanction"),
    ("source/wire-jakarta", "Source"), ("dispute/why-qin-was-absent", "Dispute"),
    ("meeting/blinken-wang-jakarta/duration/1", "Version"),
])
def test_node_by_global_id(api: Api, identifier: str, typename: str) -> None:
    node = api.data('query($id: ID!) { node(id: $id) { __typename id } }', {"id": identifier})["node"]
    assert node == {"__typename": typename, "id": identifier}


@pytest.mark.parametrize("identifier",
                         ["wang-yi", "person/nobody", "evidence/wang-yi/1", "post/prc-mfa/x", "a/b/c/d/e"])
def test_node_unknown_is_null(api: Api, identifier: str) -> None:
    assert api.data('query($id: ID!) { node(id: $id) { id } }', {"id": identifier})["node"] is None
