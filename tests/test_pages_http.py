"""The pages' HTML over HTTP (httpx on the real ASGI app): highlights, links, disputes, structure, escaping.

The browser tests (tests/test_pages.py) check what a reader does; these check what every page contains, on
the viewer fixture and on every article of the project's own knowledge base.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kb.config import Settings
from kb.serve.app import create_app
from tests.apikit import Http, serve
from tests.conftest import MINI_ARTICLE, write_project
from tests.pages_support import viewer_project, wait_for_picture


class Page(HTMLParser):
    """What the tests need from one HTML page: highlights, anchors, cards, links, landmarks, shown queries."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[tuple[str, ...], str]] = []
        self.ids: Counter[str] = Counter()
        self.cards: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.tags: Counter[str] = Counter()
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.codes: list[str] = []
        self._mark: tuple[str, ...] | None = None
        self._code: list[str] | None = None
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags[tag] += 1
        if found.get("id"):
            self.ids[str(found["id"])] += 1
            self.attrs[str(found["id"])] = found
        if tag == "mark":
            self._mark, self._text = tuple(str(found.get("data-spans", "")).split()), []
        if "data-fact-card" in found:
            self.cards.append(found)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag in ("script", "img", "iframe") and found.get("src") or tag == "link" and found.get("href"):
            self.resources.append(str(found.get("src") or found.get("href")))
        if tag == "code":
            self._code = []
        if tag in ("main", "nav", "aside", "html", "svg"):
            self.attrs.setdefault(f"<{tag}>", found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._mark is not None:
            self.marks.append((self._mark, "".join(self._text)))
            self._mark = None
        if tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._mark is not None:
            self._text.append(data)
        if self._code is not None:
            self._code.append(data)

    def highlighted(self, key: str) -> str:
        """Return the text of every segment covered by span ``key``, in order."""
        return "".join(text for spans, text in self.marks if key in spans)


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Http]:
    root = viewer_project(tmp_path_factory.mktemp("viewer-http"))
    with serve(create_app(Settings(root=root))) as client:
        wait_for_picture(lambda path: client.get(path).text)
        yield client


def get(client: Http, path: str, status: int = 200) -> Page:
    response = client.get(path)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def graphql(client: Http, query: str, **variables: Any) -> dict[str, Any]:
    answer = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in answer, answer["errors"]
    data: dict[str, Any] = answer["data"]
    return data


def evidence_of(client: Http, source: str) -> dict[str, str]:
    """Return span key -> quote for every evidence of article ``source``: facts, their versions and titles,
    and the people, organizations and places named there. Asked of the API directly, not as the pages ask."""
    ev = "evidence { source { slug } quote start end }"
    versions = f"versions {{ {ev} }}"
    data = graphql(client, f"""query($id: ID!) {{
      source(id: $id) {{ facts(first: 100) {{ nodes {{
        {ev}
        ... on Meeting {{ duration {{ {versions} }} characterization {{ {versions} }} outcomes {{ {ev} }} }}
        ... on Role {{ titles {{ {ev} }} }}
      }} }} }}
      people(first: 100) {{ nodes {{ {ev} }} }}
      organizations(first: 100) {{ nodes {{ {ev} }} }}
      places(first: 100) {{ nodes {{ {ev} }} }}
    }}""", id=source)
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "quote" in value and value["source"]["slug"] == source:
                found[f"{value['start']}-{value['end']}"] = value["quote"]
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def check_article(client: Http, source: str) -> Page:
    """Assert that article ``source`` highlights exactly its evidence spans, each with its exact words."""
    page = get(client, f"/sources/{source}")
    expected = evidence_of(client, source)
    anchors = {i.removeprefix("ev-") for i in page.ids if i.startswith("ev-")}
    assert anchors == set(expected), f"{source}: spans highlighted differ from the evidence"
    for key, quote in expected.items():
        assert page.ids[f"ev-{key}"] == 1
        assert page.highlighted(key) == "".join(quote.split("\n")), f"{source} {key}: {quote!r}"
    card_spans = {k for card in page.cards for k in str(card["data-spans"]).split()}
    assert card_spans == set(expected), f"{source}: a highlight without a card or a card without a highlight"
    return page


def test_home_lists_every_article_and_person(viewer: Http) -> None:
    page = get(viewer, "/")
    assert {link for link in page.links if link.startswith("/sources/")} == {
        "/sources/bloomberg-jakarta", "/sources/cnn-jakarta", "/sources/geo-jakarta", "/sources/emoji-wire"}
    people = {link for link in page.links if link.startswith("/people/")}
    assert {"/people/wang-yi", "/people/antony-blinken", "/people/qin-gang"} <= people
    assert page.tags["svg"] == 1


def test_article_with_emoji_highlights_each_quote_exactly(viewer: Http) -> None:
    page = check_article(viewer, "emoji-wire")
    assert ((("40-113", "40-173"), "Wang Yi, director of the Office of the Central Foreign Affairs Commission")
            in page.marks)
    assert page.highlighted("40-173").endswith("that the US must stop 🛑 “containing” China")


@pytest.mark.parametrize("source", ["bloomberg-jakarta", "cnn-jakarta"])
def test_article_with_overlapping_spans_highlights_each_quote_exactly(viewer: Http, source: str) -> None:
    page = check_article(viewer, source)
    assert any(len(spans) > 1 for spans, _ in page.marks), "the fixture has overlapping spans in this article"


def test_article_without_overlaps_highlights_each_quote_exactly(viewer: Http) -> None:
    check_article(viewer, "geo-jakarta")


def test_article_page_has_landmarks_and_a_live_fact_panel(viewer: Http) -> None:
    page = get(viewer, "/sources/cnn-jakarta")
    assert page.attrs["<html>"]["lang"] == "en"
    assert page.tags["h1"] == 1 and page.tags["main"] == 1 and page.tags["header"] >= 1
    assert page.attrs["<nav>"]["aria-label"] and page.attrs["<main>"]["id"] == "main"
    panel = page.attrs["fact-panel"]
    assert panel["aria-live"] == "polite" and panel["aria-labelledby"] == "panel-heading"
    assert not [i for i, n in page.ids.items() if n > 1], "duplicate ids"


def test_person_page_shows_roles_meetings_statements_each_linked_to_its_span(viewer: Http) -> None:
    page = get(viewer, "/people/wang-yi")
    assert "/roles/wang-yi-foreign-affairs-director" in page.links
    assert {"/meetings/blinken-wang-jakarta", "/meetings/blinken-wang-beijing"} <= set(page.links)
    assert {"/statements/wang-illegal-sanctions", "/statements/wang-stop-containing"} <= set(page.links)
    spans = [link for link in page.links if "#ev-" in link]
    assert "/sources/emoji-wire#ev-40-173" in spans
    for link in set(spans):
        path, anchor = link.split("#")
        assert get(viewer, path).ids[anchor] == 1, f"{link} points nowhere"


def test_sanction_target_page_lists_the_sanction(viewer: Http) -> None:
    page = get(viewer, "/people/li-shangfu")
    assert "/sanctions/us-sanctions-li-shangfu" in page.links
    assert "/sources/bloomberg-jakarta#ev-4174-4265" in page.links


def test_disputed_attribute_shows_every_version_with_its_quotes(viewer: Http) -> None:
    text = viewer.get("/meetings/blinken-wang-jakarta").text
    versions = re.findall(r'<div class="version">(.*?)</div>', text, re.DOTALL)
    durations = [v for v in versions if "1 h 30 min" in v or "for hours" in v]
    assert len(durations) == 2
    assert any("talked on wide-ranging issues for hours" in v for v in durations)
    assert any("lasted about 90 minutes, longer than the planned hour" in v for v in durations)


def test_disputed_facts_link_each_other_side_by_side(viewer: Http) -> None:
    page = get(viewer, "/statements/qin-health-reasons")
    assert "/statements/qin-physical-condition" in page.links
    assert "/sources/bloomberg-jakarta#ev-4371-4421" in page.links
    listing = get(viewer, "/disputes")
    assert {"/statements/qin-physical-condition", "/statements/qin-health-reasons"} <= set(listing.links)


@pytest.mark.parametrize("path", ["/people/nobody", "/sources/nothing", "/meetings/wang-yi", "/organizations/wang-yi"])
def test_unknown_or_wrong_kind_ids_are_404_pages(viewer: Http, path: str) -> None:
    page = get(viewer, path, status=404)
    assert page.tags["h1"] == 1


MALFORMED_URL_IDS = ["a%20b", "%3C", "x%22", "a%5Cb", "%22%3E%3Cscript%3Ealert(1)%3C%5Cscript%3E", "a%00b",
                     "wang-yi%0A", "%0Awang-yi", "Wang-Yi", "-x", "wang_yi", "%E3%83%AF", "%ED%A0%80", "%FF",
                     "x" * 121, "x" * 5_000]


@pytest.mark.parametrize("kind", ["people", "organizations", "sources", "meetings", "roles", "statements",
                                  "sanctions"])
def test_malformed_ids_are_404_pages(viewer: Http, kind: str) -> None:
    # These were 500s on the fact pages: the id went into the query as it was (the API now refuses it).
    for ident in MALFORMED_URL_IDS:
        response = viewer.get(f"/{kind}/{ident}")
        assert response.status_code == 404, (kind, ident, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        page = Page(response.text)
        assert page.tags["h1"] == 1 and page.tags["main"] == 1, (kind, ident)
        assert "<script>alert" not in response.text and "Traceback" not in response.text
    for ident in ("%2F", "person%2Fwang-yi", "a%2F..%2Fb"):  # a "/" decoded: no page route matches (Starlette's 404)
        assert viewer.get(f"/{kind}/{ident}").status_code == 404


def test_network_page_draws_and_tabulates_who_met_whom(viewer: Http) -> None:
    response = viewer.get("/network")
    page = Page(response.text)
    assert page.attrs["<svg>"]["role"] == "img"
    assert {"/people/antony-blinken", "/people/wang-yi", "/meetings/blinken-wang-jakarta"} <= set(page.links)
    row = re.search(r"<tr><td><a href=\"/people/antony-blinken\">Antony Blinken</a></td><td>"
                    r"<a href=\"/people/wang-yi\">Wang Yi</a></td>(.*?)</tr>", response.text, re.DOTALL)
    assert row and "blinken-wang-jakarta" in row.group(1) and "blinken-wang-beijing" in row.group(1)


PAGES = ["/", "/sources/emoji-wire", "/people/wang-yi", "/organizations/prc-government",
         "/meetings/blinken-wang-jakarta", "/roles/blinken-secretary-of-state", "/statements/qin-health-reasons",
         "/sanctions/us-sanctions-li-shangfu", "/network", "/disputes"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_only_its_own_resources(viewer: Http, path: str) -> None:
    page = get(viewer, path)
    assert page.resources and all(r.startswith("/static/") or r == "data:," for r in page.resources)
    for resource in page.resources:
        if resource.startswith("/static/"):
            response = viewer.get(resource)
            assert response.status_code == 200
            assert response.headers["content-type"].split(";")[0] in {"text/css", "text/javascript",
                                                                      "application/javascript"}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_queries_a_frontend_can_post_as_they_are(viewer: Http, path: str) -> None:
    text = viewer.get(path).text
    shown = re.findall(r"<pre><code>(.*?)</code></pre>\s*<p class=\"muted\">variables: <code>(.*?)</code>",
                       text, re.DOTALL)
    assert shown, f"{path} shows no query"
    for query, variables in shown:
        answer = viewer.post("/graphql", json={"query": html.unescape(query),
                                               "variables": json.loads(html.unescape(variables))})
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text[:300]


def test_text_from_curation_is_escaped(tmp_path: Path) -> None:
    sha = hashlib.sha256(MINI_ARTICLE.encode()).hexdigest()
    root = write_project(tmp_path, {
        "sources.yaml": f"- id: a\n  file: a.txt\n  sha256: {sha}\n  publisher: <b>Wire</b>\n"
                        "  headline: <script>alert(1)</script>\n",
        "people.yaml": "- id: wang\n  name: <img src=x onerror=alert(1)>\n  evidence:\n"
                       "  - source: a\n    quote: Wang Yi\n    start: 12\n    end: 19\n",
    })
    with serve(create_app(Settings(root=root))) as client:
        for path in ("/", "/sources/a", "/people/wang"):
            text = client.get(path).text
            assert "<script>alert" not in text and "<img src=x" not in text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text or "&lt;img src=x" in text


def test_every_real_article_highlights_exactly_its_evidence(root: Path) -> None:
    with serve(create_app(Settings(root=root))) as client:
        sources = graphql(client, "{ sources(first: 100) { nodes { slug } } }")["sources"]["nodes"]
        assert len(sources) == 5
        for source in sources:
            check_article(client, source["slug"])
