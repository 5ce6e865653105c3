"""The reconciliation service (kb.api.reconcile, kb.serve.reconcile) over HTTP on the real app and the project's
own knowledge base: names as journalists write them find kb's people and organizations; types and properties
constrain; ``match`` only for a confident, unambiguous candidate; suggest by prefix; the preview card escapes
what curators wrote; bad requests are 4xx that say what is wrong, never a 500.

The answers' conformance to the API's JSON Schemas, CORS and JSONP are in tests/test_reconcile_conformance.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.api.reconcile import names
from kb.api.reconcile.index import build
from kb.config import Limits
from tests import apikit

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def http() -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(ROOT, "oxigraph")) as client:
        yield client


def reconcile(http: apikit.Http, queries: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """POST a query batch as OpenRefine does (a form field ``queries``) and return each query's candidates."""
    response = http.post("/reconcile", data={"queries": json.dumps(queries)})
    assert response.status_code == 200, response.text
    return {key: answer["result"] for key, answer in response.json().items()}


def one(http: apikit.Http, query: str, **fields: Any) -> list[dict[str, Any]]:
    return reconcile(http, {"q": {"query": query, **fields}})["q"]


def ids(candidates: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in candidates]


def matched(candidates: list[dict[str, Any]]) -> str | None:
    """Return the id of the candidate marked as the match, or None (and check that at most one is)."""
    found = [c["id"] for c in candidates if c["match"]]
    assert len(found) <= 1
    return found[0] if found else None


def feature(candidate: dict[str, Any], name: str) -> object:
    """Return the value of one matching feature of a candidate (None when it has none)."""
    return next((f["value"] for f in candidate["features"] if f["id"] == name), None)


def refused(response: httpx.Response, status: int) -> str:
    """Return the message of a refusal, checking its status and that it is JSON."""
    assert response.status_code == status, response.text
    message: str = response.json()["error"]
    return message


@pytest.mark.parametrize(("query", "expected"), [
    ("Matt Miller", "person/matthew-miller"),
    ("Li Shang-fu", "person/li-shangfu"),
    ("li shang fu", "person/li-shangfu"),
    ("Antony Blinken", "person/antony-blinken"),
    ("BLINKEN, Antony", "person/antony-blinken"),
    ("Secretary Blinken", "person/antony-blinken"),
    ("Secretary of State Antony Blinken", "person/antony-blinken"),
    ("Foreign Minister Wang Yi", "person/wang-yi"),
    ("Chinese Defense Minister Li Shangfu", "person/li-shangfu"),
    ("Janet L. Yellen", "person/janet-yellen"),
])
def test_names_as_written_match_the_person(http: apikit.Http, query: str, expected: str) -> None:
    candidates = one(http, query)
    assert candidates[0]["id"] == expected
    assert matched(candidates) == expected
    assert candidates[0]["score"] >= 90


def test_a_nickname_kb_does_not_list_finds_the_person(http: apikit.Http) -> None:
    """"Tony" is nowhere in kb's aliases of Antony Blinken: the nickname table gives it."""
    person = reconcile(http, {"q": {"query": "person/antony-blinken"}})["q"][0]
    assert person["id"] == "person/antony-blinken"
    preview = http.get("/reconcile/preview", params={"id": "person/antony-blinken"}).text
    assert "Tony" not in preview
    candidates = one(http, "Tony Blinken", type="Person")
    assert candidates[0]["id"] == "person/antony-blinken"
    assert feature(candidates[0], "nickname") is True


def test_an_organization_is_found_by_its_alias(http: apikit.Http) -> None:
    candidates = one(http, "State Department", type="Organization")
    assert matched(candidates) == "organization/us-state-department"
    assert candidates[0]["name"] == "US Department of State"


def test_a_type_constraint_excludes_other_types(http: apikit.Http) -> None:
    assert ids(one(http, "Wang Yi"))[0] == "person/wang-yi"
    assert "person/wang-yi" not in ids(one(http, "Wang Yi", type="Organization"))
    assert all(c["type"][0]["id"] == "Organization" for c in one(http, "Foreign Ministry", type=["Organization"]))


def test_type_strict_should_keeps_other_types_lower(http: apikit.Http) -> None:
    loose = one(http, "Wang Yi", type="Organization", type_strict="should")
    assert loose[0]["id"] == "person/wang-yi"
    assert loose[0]["score"] < one(http, "Wang Yi")[0]["score"]
    assert one(http, "Wang Yi", type=["Person", "Organization"], type_strict="all") == []


def test_a_property_constraint_changes_the_ranking(http: apikit.Http) -> None:
    plain = one(http, "Foreign Ministry", type="Organization")
    assert plain[0]["id"] == "organization/chinese-foreign-ministry"
    for value in ("Vietnam", "place/vietnam", "vietnam", {"id": "place/vietnam", "name": "Viet Nam"}):
        constrained = one(http, "Foreign Ministry", type="Organization",
                          properties=[{"pid": "country", "v": value}])
        assert constrained[0]["id"] == "organization/vietnamese-foreign-ministry", value
        assert feature(constrained[0], "property_country") is True


def test_a_surname_alone_is_a_candidate_but_no_match_until_a_property_agrees(http: apikit.Http) -> None:
    alone = one(http, "Blinken")
    assert alone[0]["id"] == "person/antony-blinken"
    assert matched(alone) is None
    confirmed = one(http, "Blinken", properties=[{"pid": "memberOf", "v": "State Department"}])
    assert matched(confirmed) == "person/antony-blinken"
    misspelt = one(http, "Blinkn", properties=[{"pid": "memberOf", "v": "State Department"}])
    assert misspelt[0]["id"] == "person/antony-blinken"
    assert misspelt[0]["score"] < confirmed[0]["score"]  # the property lifts the cap, not the typo
    contradicted = one(http, "Antony Blinken", properties=[{"pid": "country", "v": "China"}])
    assert contradicted[0]["id"] == "person/antony-blinken" and matched(contradicted) is None


def test_a_title_that_disagrees_is_no_match(http: apikit.Http) -> None:
    candidates = one(http, "Foreign Minister Antony Blinken")
    assert candidates[0]["id"] == "person/antony-blinken"
    assert matched(candidates) is None
    assert feature(candidates[0], "title") is False


def test_properties_alone_find_the_entities_that_agree(http: apikit.Http) -> None:
    """A query by properties alone (0.2 allows it): every entity agreeing with all of them; a match only when
    one does. Lloyd Austin is "US counterpart of the Chinese Defense Minister": the title's words are his too."""
    title = {"pid": "title", "v": "Defense Minister"}
    by_title = reconcile(http, {"q": {"properties": [title], "type": "Person"}})["q"]
    assert set(ids(by_title)) == {"person/li-shangfu", "person/lloyd-austin"}
    assert matched(by_title) is None
    chinese = reconcile(http, {"q": {"properties": [title, {"pid": "country", "v": "China"}]}})["q"]
    assert ids(chinese) == ["person/li-shangfu"] and matched(chinese) == "person/li-shangfu"


def test_a_nonsense_name_has_no_candidate(http: apikit.Http) -> None:
    assert one(http, "Xyzzy Frobnicator Quux") == []


def test_an_id_as_query_is_that_entity(http: apikit.Http) -> None:
    for query in ("person/wang-yi", "https://kb.example.org/person/wang-yi"):
        assert matched(one(http, query)) == "person/wang-yi"


def test_limit_bounds_the_candidates(http: apikit.Http) -> None:
    assert len(one(http, "Foreign Ministry", limit=2)) == 2
    assert len(one(http, "Foreign Ministry", limit=1)) == 1


def test_get_answers_a_batch_as_post_does(http: apikit.Http) -> None:
    queries = {"a": {"query": "Matt Miller"}, "b": {"query": "Qin Gang", "limit": 1}}
    got = http.get("/reconcile", params={"queries": json.dumps(queries)})
    assert got.status_code == 200
    assert {k: v["result"] for k, v in got.json().items()} == reconcile(http, queries)


def test_suggest_entities_by_prefix(http: apikit.Http) -> None:
    def suggested(**params: str) -> list[str]:
        response = http.get("/reconcile/suggest/entity", params=params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["result"]]

    assert suggested(prefix="Blin") == ["person/antony-blinken"]
    assert suggested(prefix="antony b") == ["person/antony-blinken"]
    assert "person/li-shangfu" in suggested(prefix="shang")  # a later word of the name
    assert suggested(prefix="person/qin") == ["person/qin-gang"]  # an id
    assert suggested(prefix="zzzq") == []
    foreign = suggested(prefix="foreign")
    assert len(foreign) >= 2 and set(foreign[1:]) & set(suggested(prefix="foreign", cursor="1")) == set(foreign[1:])
    assert all(i.startswith("organization/") for i in suggested(prefix="chin", type="Organization"))
    assert "place/china" in suggested(prefix="chin", type="Place")


def test_suggest_types_and_properties_by_prefix(http: apikit.Http) -> None:
    types = http.get("/reconcile/suggest/type", params={"prefix": "pe"}).json()["result"]
    assert [t["id"] for t in types] == ["Person"]
    properties = http.get("/reconcile/suggest/property", params={"prefix": "mem"}).json()["result"]
    assert [p["id"] for p in properties] == ["memberOf"]
    of_places = http.get("/reconcile/suggest/property", params={"prefix": "", "type": "Place"}).json()["result"]
    assert {p["id"] for p in of_places} == {"country", "alias"}


class _Texts(HTMLParser):
    """Collects the text and the tags of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_preview_shows_what_kb_knows_and_links_to_the_page(http: apikit.Http) -> None:
    response = http.get("/reconcile/preview", params={"id": "person/wang-yi"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Texts()
    page.feed(response.text)
    text = " ".join(page.text)
    assert "Wang Yi" in text and "China" in text and "CCP Central Foreign Affairs Office" in text
    assert page.links == ["http://kb.test/people/wang-yi"]
    assert http.get("/reconcile/preview", params={"id": "person/nobody"}).status_code == 404
    view = http.get("/reconcile/view", params={"id": "organization/us-state-department"})
    assert view.status_code == 302 and view.headers["location"] == "/organizations/us-state-department"
    assert http.get(view.headers["location"]).status_code == 200


HOSTILE = '<script>alert("x")</script> & <b>Bold</b>'


def test_preview_escapes_what_curators_wrote(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    people = root / "curation" / "people.yaml"
    people.write_text(people.read_text("utf-8") + f"- id: hostile\n  name: {json.dumps(HOSTILE)}\n"
                      f"  aliases: [{json.dumps('<i>x</i>')}]\n  description: {json.dumps('</dl><img src=x>')}\n",
                      "utf-8")
    with apikit.serve(apikit.app(root, "oxigraph")) as client:
        response = client.get("/reconcile/preview", params={"id": "person/hostile"})
        assert response.status_code == 200
        page = _Texts()
        page.feed(response.text)
        assert not {"script", "b", "i", "img"} & set(page.tags)
        assert HOSTILE in "".join(page.text) and "</dl><img src=x>" in "".join(page.text)
        found = reconcile(client, {"q": {"query": HOSTILE}})["q"]
        assert found[0]["id"] == "person/hostile" and found[0]["name"] == HOSTILE


def test_the_index_is_the_same_on_oxigraph_and_rdflib() -> None:
    native = build(apikit.snapshot(MINI, "oxigraph"))
    engine = build(apikit.snapshot(MINI, "rdflib"))
    assert native.entities == engine.entities and len(native.entities) > 5
    assert all(a.links == b.links for a, b in zip(native.entities, engine.entities))


def test_every_store_this_server_holds_answers_alike() -> None:
    """Oxigraph in memory, kept on disk (opened read-only), and rdflib's engine (read through its backend)."""
    queries = {"a": {"query": "Matt Miller"}, "b": {"query": "Wang", "properties": [{"pid": "country", "v": "China"}]},
               "c": {"query": "antony j blinken", "type": "Person"}}
    answers = []
    for backend in ("oxigraph", "disk", "rdflib"):
        with apikit.serve(apikit.app(MINI, backend)) as client:
            answers.append(reconcile(client, queries))
    assert answers[0] == answers[1] == answers[2]
    assert [matched(answers[0][key]) for key in "abc"] == ["person/matthew-miller", "person/wang-yi",
                                                          "person/antony-blinken"]


def test_names_fold_hyphens_accents_dots_and_honorifics() -> None:
    assert names.words("Li Shang-fu") == names.words("li shangfu") == ("li", "shangfu")
    assert names.words("Mr. José Ramos-Horta") == ("jose", "ramoshorta")
    assert names.words("U.S. Department") == ("us", "department")
    assert "matthew" in names.given_name_forms("matt")
    assert ("matthew", "miller") in [form for form, _ in names.variants(("matt", "miller"))]


# ---------------------------------------------------------------------------------------------------------
# refusals: 4xx saying what is wrong


@pytest.mark.parametrize(("queries", "says"), [
    ("{not json", "not JSON kb reads: key must be a string at line 1 column 2"),
    ("[1, 2]", "object"),
    ('{"q": {"query": 5}}', "q.query"),
    ('{"q": {"limit": 3}}', "'query' string or at least one of 'properties'"),
    ('{"q": {"query": "x", "type": "Dog"}}', "unknown type 'Dog'"),
    ('{"q": {"query": "x", "properties": [{"pid": "shoeSize", "v": 9}]}}', "unknown property 'shoeSize'"),
    ('{"q": {"query": "x", "limit": 0}}', "q.limit"),
    ('{"q": {"query": "x", "limit": 1e400}}', "q.limit"),
    ('{"q": {"query": "x", "colour": "red"}}', "q.colour"),
    ('{"q": {"query": "x", "type_strict": "maybe"}}', "q.type_strict"),
    ('{"q": ' * 300 + "{}" + "}" * 300, "recursion limit"),
    ("[" * 100_000 + "]" * 100_000, "recursion limit"),
])
def test_a_malformed_batch_is_a_400_naming_the_problem(http: apikit.Http, queries: str, says: str) -> None:
    assert says in refused(http.post("/reconcile", data={"queries": queries}), 400)
    if len(queries) < 4000:  # what fits in a URL
        assert says in refused(http.get("/reconcile", params={"queries": queries}), 400)


def test_a_batch_over_the_batch_size_is_a_413() -> None:
    with apikit.serve(apikit.app(MINI, "oxigraph", Limits(reconcile_max_batch=3))) as client:
        queries = {f"q{n}": {"query": "Wang"} for n in range(4)}
        assert "at most 3" in refused(client.post("/reconcile", data={"queries": json.dumps(queries)}), 413)
        assert client.get("/reconcile").json()["batchSize"] == 3
        del queries["q0"]
        assert client.post("/reconcile", data={"queries": json.dumps(queries)}).status_code == 200


def test_a_body_over_the_limit_is_a_413() -> None:
    with apikit.serve(apikit.app(MINI, "oxigraph", Limits(reconcile_max_body_bytes=1000))) as client:
        big = json.dumps({f"q{n}": {"query": "Wang Yi"} for n in range(100)})
        assert "over 1000 bytes" in refused(client.post("/reconcile", data={"queries": big}), 413)


@pytest.mark.parametrize(("body", "content_type", "status", "says"), [
    (b'{"q": {"query": "x"}}', "application/json", 415, "x-www-form-urlencoded"),
    (b"nothing=here", "application/x-www-form-urlencoded", 400, "'queries'"),
    (b"extend=%7B%7D", "application/x-www-form-urlencoded", 400, "data extension"),
    (b"queries=%FF%FE", "application/x-www-form-urlencoded", 400, "not UTF-8"),
    (b"&".join(b"f%d=1" % n for n in range(100)), "application/x-www-form-urlencoded", 400, "fields"),
])
def test_a_post_that_is_not_a_form_with_queries_says_why(http: apikit.Http, body: bytes, content_type: str,
                                                           status: int, says: str) -> None:
    response = http.post("/reconcile", content=body, headers={"content-type": content_type})
    assert says in refused(response, status)


@pytest.mark.parametrize(("path", "params", "says"), [
    ("/reconcile/suggest/entity", {}, "prefix"),
    ("/reconcile/suggest/entity", {"prefix": "a", "cursor": "-1"}, "cursor"),
    ("/reconcile/suggest/entity", {"prefix": "a", "type": "Dog"}, "unknown type"),
    ("/reconcile/suggest/entity", {"prefix": "a" * 5000}, "prefix"),
    ("/reconcile", {"callback": "alert(document.cookie)//"}, "callback"),
    ("/reconcile", {"extend": "{}"}, "data extension"),
])
def test_bad_parameters_are_a_400(http: apikit.Http, path: str, params: dict[str, str], says: str) -> None:
    assert says in refused(http.get(path, params=params), 400)
