"""The pages in a real browser: headless Chromium (Selenium) against uvicorn serving the app on 127.0.0.1.

Two knowledge bases: the viewer fixture (tests/fixtures/mini + tests/fixtures/viewer: an article with emoji
before and inside its evidence spans, nested and crossing spans, disputes) for exact assertions, and the
project's own curated knowledge base for a reader's walk through every article. Screenshots of each page go
to tests/artifacts/; with KB_UPDATE_SCREENSHOTS=1 those of the real knowledge base are also copied to
docs/img/ for docs/viewer.md. Without Chromium these tests fail: they never skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from kb.config import Settings
from kb.serve.app import create_app
from tests.pages_support import chromium, live_server, viewer_project, wait_for_picture

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
WAIT = 15.0
ROLE_SPAN, STATEMENT_SPAN = "40-113", "40-173"


@pytest.fixture(scope="module")
def viewer_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app serving the viewer fixture."""
    root = viewer_project(tmp_path_factory.mktemp("viewer"))
    with live_server(create_app(Settings(root=root))) as url:
        wait_for_picture(lambda path: httpx.get(url + path, timeout=WAIT).text)
        yield url


@pytest.fixture(scope="module")
def real_site(root: Path) -> Iterator[str]:
    """Base URL of the app serving the project's own knowledge base."""
    with live_server(create_app(Settings(root=root))) as url:
        wait_for_picture(lambda path: httpx.get(url + path, timeout=WAIT).text)
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT)


def open_page(driver: WebDriver, url: str) -> None:
    """Load ``url``, wait until the document and its deferred script have run; fail on any console error."""
    driver.get(url)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"{url}: {errors}"


def screenshot(driver: WebDriver, name: str, docs: bool = False) -> Path:
    """Save the viewport as tests/artifacts/{name}.png (and docs/img/ when asked and KB_UPDATE_SCREENSHOTS=1)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"could not write {path}"
    if docs and os.environ.get("KB_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)
    return path


def mark_with(driver: WebDriver, keys: str) -> WebElement:
    """Return the highlight segment whose covering spans are exactly ``keys``."""
    return driver.find_element(By.CSS_SELECTOR, f'mark.hl[data-spans="{keys}"]')


def panel_titles(driver: WebDriver) -> list[str]:
    """Return the titles of the facts the fact panel shows."""
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#fact-panel .title")]


def panel_shows(driver: WebDriver, count: int) -> list[str]:
    wait(driver).until(lambda d: len(panel_titles(d)) == count)
    return panel_titles(driver)


def graphql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, timeout=WAIT).json()
    assert "errors" not in answer, answer
    data: dict[str, Any] = answer["data"]
    return data


def test_article_click_on_a_highlight_names_its_facts_in_the_panel(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/sources/emoji-wire")
    panel = browser.find_element(By.ID, "fact-panel")
    assert panel.get_attribute("aria-live") == "polite"
    ActionChains(browser).move_to_element(mark_with(browser, f"{ROLE_SPAN} {STATEMENT_SPAN}")).perform()
    assert len(panel_shows(browser, 2)) == 2  # pointing previews
    mark_with(browser, STATEMENT_SPAN).click()
    assert panel_shows(browser, 1) == ["Wang Yi tells Blinken the US must stop containing China"]
    assert mark_with(browser, STATEMENT_SPAN).get_attribute("aria-pressed") == "true"
    mark_with(browser, f"{ROLE_SPAN} {STATEMENT_SPAN}").click()
    assert sorted(panel_shows(browser, 2)) == [
        "Wang Yi tells Blinken the US must stop containing China",
        "Wang Yi: Director of the Office of the Central Foreign Affairs Commission",
    ]
    assert mark_with(browser, STATEMENT_SPAN).get_attribute("aria-pressed") == "false"
    screenshot(browser, "viewer-article-selected")


def test_article_highlights_are_reached_and_selected_with_the_keyboard(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/sources/emoji-wire")
    body = browser.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(40):
        active = browser.switch_to.active_element
        if active.tag_name == "mark":
            break
        active.send_keys(Keys.TAB)
    first = browser.switch_to.active_element
    assert first.get_attribute("data-spans") == f"{ROLE_SPAN} {STATEMENT_SPAN}"
    assert first.get_attribute("role") == "button"
    first.send_keys(Keys.ENTER)
    panel_shows(browser, 2)
    first.send_keys(Keys.ARROW_RIGHT)
    second = browser.switch_to.active_element
    assert second.get_attribute("data-spans") == STATEMENT_SPAN
    assert second.get_attribute("aria-pressed") == "true"
    assert panel_shows(browser, 1) == ["Wang Yi tells Blinken the US must stop containing China"]
    second.send_keys(Keys.ESCAPE)
    panel_shows(browser, 0)
    second.send_keys(Keys.SPACE)
    assert panel_shows(browser, 1) == ["Wang Yi tells Blinken the US must stop containing China"]


def test_article_with_emoji_highlights_exactly_each_quote(browser: WebDriver, viewer_site: str) -> None:
    data = graphql(viewer_site, """query($id: ID!) { source(id: $id) { text facts { nodes { evidence {
        source { slug } quote start end utf16Start utf16End } } } } }""", id="emoji-wire")
    evidence = [e for f in data["source"]["facts"]["nodes"] for e in f["evidence"]
                if e["source"]["slug"] == "emoji-wire"]
    assert {f"{e['start']}-{e['end']}" for e in evidence} == {ROLE_SPAN, STATEMENT_SPAN}
    open_page(browser, f"{viewer_site}/sources/emoji-wire")
    for e in evidence:
        key = f"{e['start']}-{e['end']}"
        shown = browser.execute_script(
            "return Array.from(document.querySelectorAll('mark.hl'))"
            ".filter(m => m.dataset.spans.split(' ').includes(arguments[0])).map(m => m.textContent).join('')", key)
        sliced = browser.execute_script("return arguments[0].slice(arguments[1], arguments[2])",
                                        data["source"]["text"], e["utf16Start"], e["utf16End"])
        assert shown == sliced == e["quote"]
        assert e["utf16Start"] > e["start"]  # the emoji before the span take two UTF-16 units each


def test_panel_link_leads_to_the_person_page_with_roles_and_meetings(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/sources/emoji-wire")
    mark_with(browser, STATEMENT_SPAN).click()
    panel_shows(browser, 1)
    browser.find_element(By.CSS_SELECTOR, '#fact-panel .who a[href="/people/wang-yi"]').click()
    wait(browser).until(ec.url_to_be(f"{viewer_site}/people/wang-yi"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Wang Yi"
    roles = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=roles]").text
    assert "Director of the Office of the Central Foreign Affairs Commission" in roles
    assert "since 2023-01" in roles
    meetings = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=meetings]").text
    assert "Blinken and Wang Yi talks in Jakarta" in meetings
    assert "Blinken and Wang Yi meeting in Beijing" in meetings
    screenshot(browser, "viewer-person-wang-yi")


def test_quote_link_on_a_person_page_selects_its_span_in_the_article(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/people/wang-yi")
    link = browser.find_element(By.CSS_SELECTOR, f'a[href="/sources/emoji-wire#ev-{STATEMENT_SPAN}"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    wait(browser).until(ec.url_to_be(f"{viewer_site}/sources/emoji-wire#ev-{STATEMENT_SPAN}"))
    wait(browser).until(lambda d: d.switch_to.active_element.tag_name == "mark")
    selected = browser.switch_to.active_element
    assert STATEMENT_SPAN in selected.get_attribute("data-spans").split()
    assert "selected" in selected.get_attribute("class").split()
    assert "Wang Yi tells Blinken the US must stop containing China" in panel_titles(browser)


def test_disputed_versions_stand_side_by_side(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/meetings/blinken-wang-jakarta")
    durations = next(d for d in browser.find_elements(By.CSS_SELECTOR, "section.dispute .versions")
                     if "for hours" in d.text)
    columns = durations.find_elements(By.CSS_SELECTOR, ".version")
    texts = sorted(c.text.splitlines()[0] for c in columns)
    assert any("1 h 30 min" in t for t in texts) and any("for hours" in t for t in texts)
    tops = {round(c.rect["y"]) for c in columns}
    lefts = {round(c.rect["x"]) for c in columns}
    assert len(tops) == 1 and len(lefts) == len(columns), "versions are not laid out side by side"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", durations)
    screenshot(browser, "viewer-meeting-disputed")


def test_network_picture_links_each_person(browser: WebDriver, viewer_site: str) -> None:
    open_page(browser, f"{viewer_site}/network")
    svg = browser.find_element(By.CSS_SELECTOR, "figure.network svg")
    assert svg.get_attribute("role") == "img"
    people = svg.find_elements(By.CSS_SELECTOR, "g.node.person")
    assert {p.get_attribute("data-node") for p in people} >= {"person/wang-yi", "person/antony-blinken"}
    svg.find_element(By.CSS_SELECTOR, 'g.node[data-node="person/wang-yi"] circle').click()
    wait(browser).until(ec.url_to_be(f"{viewer_site}/people/wang-yi"))


def test_real_knowledge_base_a_reader_reaches_facts_and_people_from_every_article(
    browser: WebDriver, real_site: str
) -> None:
    open_page(browser, real_site + "/")
    screenshot(browser, "home", docs=True)
    articles = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#articles + ul a")]
    assert len(articles) == 5
    for number, url in enumerate(articles):
        open_page(browser, url)
        marks = browser.find_elements(By.CSS_SELECTOR, "mark.hl")
        assert marks, f"no highlight in {url}"
        deepest = max(marks, key=lambda m: int(m.get_attribute("data-depth")))
        browser.execute_script("arguments[0].scrollIntoView({block: 'nearest'})", deepest)
        deepest.click()
        wait(browser).until(lambda d: panel_titles(d))
        links = browser.find_elements(By.CSS_SELECTOR, "#fact-panel .title a")
        assert links and all(link.get_attribute("href") for link in links)
        if number == 0:
            screenshot(browser, "article", docs=True)
    open_page(browser, real_site + "/people/wang-yi")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Wang Yi"
    assert browser.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=roles] li.fact")
    assert browser.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=meetings] li.fact")
    screenshot(browser, "person-wang-yi", docs=True)
    disputed = browser.find_element(
        By.XPATH, "//section[@aria-labelledby='meetings']//h3[span[contains(@class, 'disputed')]]/a")
    open_page(browser, disputed.get_attribute("href"))
    versions = browser.find_element(By.CSS_SELECTOR, "section.dispute")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", versions)
    screenshot(browser, "meeting-disputed", docs=True)
    open_page(browser, real_site + "/network")
    screenshot(browser, "network", docs=True)
    open_page(browser, real_site + "/disputes")
    screenshot(browser, "disputes", docs=True)
