"""The pages show why: a person's derived relations (met, attended) with the rule, the premise meetings linked
and their words; each detail of a fact with its own words; how an article's byline and date are known. The real
app over HTTP on the project's own knowledge base, with what to expect asked of the GraphQL API; no JavaScript."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import apikit
from tests.apikit import Http
from tests.test_pages_http import Page


@pytest.fixture(scope="module")
def site() -> Iterator[Http]:
    with apikit.serve(apikit.app(apikit.ROOT, "oxigraph")) as http:
        yield http


def graphql(site: Http, query: str) -> Any:
    response = site.post("/graphql", json={"query": query})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"]


def section(text: str, heading_id: str) -> str:
    """Return the HTML of the section a heading of ``heading_id`` opens."""
    start = text.index(f'id="{heading_id}"')
    return text[start : text.index("</section>", start)]


def test_person_page_says_why_they_met_whom(site: Http) -> None:
    person = "antony-blinken"
    met = graphql(site, f"""{{ person(id: "{person}") {{ metWith {{ agent {{ ... on Person {{ slug }} }}
        why {{ rule {{ label }} premises {{ slug evidence {{ quote }} }} }} }} }} }}""")["person"]["metWith"]
    assert met
    shown = section(site.get(f"/people/{person}").text, "met")
    items = shown.split("<li>")[1:]
    assert len(items) == len(met)
    for encounter, item in zip(met, items, strict=True):
        page = Page(item)
        assert f"/people/{encounter['agent']['slug']}" in page.links
        for reason in encounter["why"]:
            assert f"{html.escape(reason['rule']['label'])}</span>: both took part in" in item
            for premise in reason["premises"]:
                assert f"/meetings/{premise['slug']}" in page.links
                assert f"“{premise['evidence'][0]['quote']}”" in html.unescape(item)


def test_the_quotes_of_a_premise_lead_to_their_passage(site: Http) -> None:
    page = Page(section(site.get("/people/antony-blinken").text, "met"))
    spans = [link for link in page.links if "#ev-" in link]
    assert spans
    for link in set(spans):
        path, anchor = link.split("#")
        assert Page(site.get(path).text).ids[anchor] == 1, f"{link} points nowhere"


def test_person_page_says_why_they_attended(site: Http) -> None:
    found = graphql(site, """{ people(first: 100) { nodes { slug attended { meeting { slug } } } } }""")
    person = next(p for p in found["people"]["nodes"] if p["attended"])
    shown = Page(section(site.get(f"/people/{person['slug']}").text, "attended"))
    assert {f"/meetings/{a['meeting']['slug']}" for a in person["attended"]} <= set(shown.links)


def test_fact_page_shows_the_words_behind_each_detail(site: Http) -> None:
    facts = graphql(site, "{ facts(first: 100) { nodes { __typename slug links { attribute "
                          "why { kind evidence { quote } } } } } }")["facts"]["nodes"]
    fact = next(f for f in facts if any(w["evidence"] for link in f["links"] for w in link["why"]))
    shown = html.unescape(section(site.get(f"/{fact['__typename'].lower()}s/{fact['slug']}").text, "details"))
    for link in fact["links"]:
        assert link["attribute"].replace("-", " ") in shown
        for reason in link["why"]:
            for evidence in reason["evidence"]:
                assert f"“{evidence['quote']}”" in shown


def test_article_page_says_how_its_byline_and_date_are_known(site: Http) -> None:
    sources = graphql(site, "{ sources(first: 100) { nodes { slug note credits { attribute value "
                            "why { kind basis evidence { quote } } } } } }")["sources"]["nodes"]
    source = next(s for s in sources if s["credits"])
    text = site.get(f"/sources/{source['slug']}").text
    shown = html.unescape(text[text.index('class="provenance"') : text.index("</details>")])
    for credit in source["credits"]:
        assert f"{credit['attribute']}: {credit['value']}" in shown
        for reason in credit["why"]:
            if reason["kind"] == "CURATOR":
                assert f"({reason['basis'].lower()}" in shown
            for evidence in reason["evidence"]:
                assert f"<q>{evidence['quote']}</q>" in shown
    if source["note"]:
        assert re.sub(r"\s+", " ", source["note"]) in re.sub(r"\s+", " ", shown)
