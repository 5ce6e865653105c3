"""The finding pages in headless Chromium against uvicorn: the search box on every page, its results, place and
topic pages, the timeline and a person's timeline; and every place and topic of the real knowledge base has a
page. No page needs JavaScript: each is a plain GET (a form submits to /search and /timeline)."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from kb.api import searchindex
from kb.config import Settings
from kb.serve.app import create_app
from tests.pages_support import chromium, live_server

WAIT = 30.0
INDEX_WAIT = 120.0
"""The index is built in the store pool, behind whatever else waits there on a loaded machine."""


def graphql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(base + "/graphql", json={"query": query, "variables": variables}, timeout=WAIT)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def busy_pool() -> str:
    """Return where each thread of the store pool is (why a build waits), for a failure's message."""
    names = {t.ident: t.name for t in threading.enumerate()}
    return "\n".join(f"{names.get(ident)}: {''.join(traceback.format_stack(frame)[-3:])}"
                     for ident, frame in sys._current_frames().items() if "kb-store" in str(names.get(ident)))


@pytest.fixture(scope="module")
def site(root: Path) -> Iterator[str]:
    """Base URL of the app serving the project's own knowledge base, its search index built (the app starts
    it as it starts serving; until then searches answer from the slow path, which knows no typos)."""
    app = create_app(Settings(root=root))
    with live_server(app) as url:
        deadline = time.monotonic() + INDEX_WAIT
        while not graphql(url, '{ search(text: "Shangfoo") { totalCount } }')["search"]["totalCount"]:
            built = app.state.served.current.ready(searchindex.KEY)
            failed = built.exception() if built is not None and built.done() else None
            assert time.monotonic() < deadline, (f"the search index was not built (its build: {built!r}, "
                                                 f"{failed!r}): {busy_pool()}")
            time.sleep(0.1)
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def search_from_the_box(browser: WebDriver, site: str, text: str, start: str = "/") -> list[str]:
    """Type ``text`` into the header's search box of page ``start``, submit, and return the result links."""
    browser.get(site + start)
    box = browser.find_element(By.ID, "site-search")
    box.send_keys(text, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda d: "/search?q=" in d.current_url and d.execute_script(
        "return document.readyState") == "complete")
    return [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "li.result .title a")]


def test_search_box_finds_the_jakarta_talks_first(browser: WebDriver, site: str) -> None:
    links = search_from_the_box(browser, site, "Blinken Wang", "/people/wang-yi")
    assert links[0].endswith("/meetings/meeting-blinken-wang-jakarta-2023-07-13")
    marked = [m.text.lower() for m in browser.find_elements(By.CSS_SELECTOR, "li.result mark")]
    assert "blinken" in marked and "wang" in marked
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.results h3")]
    assert headings[0] == "Meetings" and len(headings) == len(set(headings))  # grouped by kind


@pytest.mark.parametrize("text", ["Shangfoo", "defence minister", "li shangf"])
def test_search_page_finds_li_shangfu_with_typos_british_spelling_and_prefixes(
        browser: WebDriver, site: str, text: str) -> None:
    links = search_from_the_box(browser, site, text)
    assert any(link.endswith("/people/li-shangfu") for link in links[:3]), links[:5]


def test_search_page_counts_by_kind_and_filters_one_kind(browser: WebDriver, site: str) -> None:
    browser.get(site + "/search?q=wang")
    kinds = browser.find_elements(By.CSS_SELECTOR, "nav.facets a")
    assert kinds and all("(" in k.text for k in kinds)
    browser.get(site + "/search?q=wang&kind=person")
    assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.results h3")] == ["People"]
    refused = httpx.get(site + "/search", params={"q": "x" * 201}, timeout=WAIT)
    assert refused.status_code == 400 and "1 to 200 characters" in refused.text


def test_place_page_lists_its_meetings_with_their_quotes(browser: WebDriver, site: str) -> None:
    browser.get(site + "/places/jakarta")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Jakarta"
    meetings = browser.find_elements(By.CSS_SELECTOR, "#meetings ~ ul li.fact")
    assert meetings and all(m.find_elements(By.CSS_SELECTOR, "blockquote.quote") for m in meetings)
    assert httpx.get(site + "/places/nowhere-at-all", timeout=WAIT).status_code == 404


def test_topic_page_lists_meetings_and_statements_on_it(browser: WebDriver, site: str) -> None:
    browser.get(site + "/topics/fentanyl")
    assert browser.find_element(By.TAG_NAME, "h1").text.lower().startswith("fentanyl")
    facts = browser.find_elements(By.CSS_SELECTOR, "li.fact")
    assert facts and all(f.find_elements(By.CSS_SELECTOR, "blockquote.quote") for f in facts)


def test_timeline_is_in_date_order_and_filters_by_person(browser: WebDriver, site: str) -> None:
    browser.get(site + "/timeline")
    months = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section h2")]
    dated = [m for m in months if m != "undated"]
    assert dated == sorted(dated) and len(dated) >= 2
    browser.find_element(By.ID, "filter-person").send_keys("li-shangfu", Keys.ENTER)
    WebDriverWait(browser, WAIT).until(lambda d: "person=li-shangfu" in d.current_url and d.execute_script(
        "return document.readyState") == "complete")
    facts = browser.find_elements(By.CSS_SELECTOR, "li.fact")
    assert facts and all("Li Shangfu" in f.text for f in facts)


def test_person_page_has_a_timeline(browser: WebDriver, site: str) -> None:
    browser.get(site + "/people/antony-blinken")
    section = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=timeline]")
    times = [t.get_attribute("datetime") or "" for t in section.find_elements(By.TAG_NAME, "time")]
    assert len(times) >= 3 and times == sorted(times)
    assert section.find_element(By.PARTIAL_LINK_TEXT, "timeline with every quote").get_attribute("href")


def test_every_place_and_topic_has_a_page(site: str) -> None:
    data = graphql(site, "{ places(first: 100) { nodes { slug name } } topics(first: 100) { nodes { slug label } } }")
    pages = [(f"/places/{p['slug']}", p["name"]) for p in data["places"]["nodes"]]
    pages += [(f"/topics/{t['slug']}", t["label"]) for t in data["topics"]["nodes"]]
    assert len(pages) > 10
    for path, name in pages:
        response = httpx.get(site + path, timeout=WAIT)
        assert response.status_code == 200, path
        assert f"<h1>{name}</h1>" in response.text.replace("&#39;", "'"), path


def test_search_and_timeline_work_without_javascript(browser: WebDriver, site: str) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        links = search_from_the_box(browser, site, "jakarta", "/timeline")
        assert any(link.endswith("/places/jakarta") for link in links)
        browser.get(site + "/places/jakarta")
        browser.find_element(By.PARTIAL_LINK_TEXT, "Timeline of Jakarta").click()
        WebDriverWait(browser, WAIT).until(lambda d: "place=jakarta" in d.current_url)
        assert browser.find_elements(By.CSS_SELECTOR, "li.fact")
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
