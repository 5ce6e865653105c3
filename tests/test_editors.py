"""GraphiQL at /graphql and YASGUI at /sparql, served by kb itself (kb.serve.editors): in a real Chromium that
can reach no host but 127.0.0.1, and over HTTP (which request gets an editor, the vendored files, their licences)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from kb.config import Settings
from kb.serve.app import create_app
from kb.serve.editors import CONTENT_SECURITY_POLICY, IMMUTABLE, STATIC, prefers_html
from tests.pages_support import FIXTURES, chromium, live_server, viewer_project

ROOT = Path(__file__).resolve().parent.parent
VENDOR = STATIC / "vendor"
WAIT = 30.0
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",)
"""Chromium resolves no name but 127.0.0.1: a request for a file of another host (a CDN) fails."""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SPARQL_JSON = "application/sparql-results+json"
LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name WHERE { ?thing rdfs:label ?name } ORDER BY ?name LIMIT 3"""
PERSON = '{ person(id: "wang-yi") { name } }'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app serving the viewer fixture (development: GraphiQL on)."""
    with live_server(create_app(Settings(root=viewer_project(tmp_path_factory.mktemp("editors"))))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium(arguments=OFFLINE, network_log=True) as driver:
        yield driver


def sent(driver: WebDriver) -> list[tuple[str, str]]:
    """Return (method, URL) of every request the page sent over the network since the last call (the browser's
    own chrome:// and data: loads left out)."""
    events = (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
    return [(event["params"]["request"]["method"], event["params"]["request"]["url"]) for event in events
            if event["method"] == "Network.requestWillBeSent"
            and urlsplit(event["params"]["request"]["url"]).scheme in ("http", "https", "ws", "wss")]


def assert_clean(driver: WebDriver, requests: list[tuple[str, str]]) -> None:
    """Fail when a request left 127.0.0.1 or the console holds an error (a file refused by the content security
    policy, a failed load, a script error)."""
    hosts = {urlsplit(url).hostname for _, url in requests}
    assert hosts == {"127.0.0.1"}, requests
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def editor_text(driver: WebDriver, selector: str) -> str:
    """Return the text of the CodeMirror editor under ``selector``."""
    text: str = driver.execute_script(f"return document.querySelector({selector!r}).CodeMirror.getValue()")
    return text


def answer_on_screen(driver: WebDriver, selector: str, expected: str) -> str:
    """Wait until the element ``selector`` shows ``expected``; return its text."""
    WebDriverWait(driver, WAIT).until(
        lambda d: any(expected in e.text for e in d.find_elements(By.CSS_SELECTOR, selector)))
    return "\n".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, selector))


def test_graphiql_runs_a_query_against_kb_with_no_other_host(site: str, browser: WebDriver) -> None:
    expected = httpx.post(f"{site}/graphql", json={"query": PERSON}, timeout=WAIT).json()["data"]["person"]["name"]
    sent(browser)
    browser.get(f"{site}/graphql")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    assert "people(first: 5)" in editor_text(browser, ".graphiql-query-editor .CodeMirror")  # kb's first query
    browser.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0])", PERSON)
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    shown = answer_on_screen(browser, ".graphiql-response", expected)
    assert json.loads(shown) == {"data": {"person": {"name": expected}}}
    requests = sent(browser)
    assert ("POST", f"{site}/graphql") in requests  # the query went to kb's endpoint
    assert_clean(browser, requests)


def test_yasgui_runs_a_select_from_the_url_against_kb_with_no_other_host(site: str, browser: WebDriver) -> None:
    bindings = httpx.get(f"{site}/sparql", params={"query": LABELS}, headers={"accept": SPARQL_JSON},
                         timeout=WAIT).json()["results"]["bindings"]
    names = [row["name"]["value"] for row in bindings]
    assert len(names) == 3
    sent(browser)
    browser.get(f"{site}/sparql?query={quote(LABELS)}")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasqe .CodeMirror"))
    assert editor_text(browser, ".yasqe .CodeMirror") == LABELS  # filled from ?query=
    endpoint = browser.find_element(By.CSS_SELECTOR, ".autocompleteWrapper input").get_attribute("value")
    assert endpoint == f"{site}/sparql"
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    answer_on_screen(browser, ".yasr table", names[-1])
    cells = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, ".yasr table tbody td")]
    assert [cell for cell in cells if cell in names] == names  # in the endpoint's order, one row each
    requests = sent(browser)
    assert ("POST", f"{site}/sparql") in requests
    assert_clean(browser, requests)


def test_yasgui_shows_a_hostile_query_as_text(site: str, browser: WebDriver) -> None:
    hostile = 'SELECT * { ?s ?p "</div><script>document.title=1</script>" }'
    page = httpx.get(f"{site}/sparql", params={"query": hostile}, headers={"accept": BROWSER}, timeout=WAIT)
    assert "<script>document.title" not in page.text and "&lt;script&gt;" in page.text
    browser.get(f"{site}/sparql?query={quote(hostile)}")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasqe .CodeMirror"))
    assert editor_text(browser, ".yasqe .CodeMirror") == hostile
    assert browser.title == "SPARQL · kb"
    assert_clean(browser, sent(browser))


@pytest.mark.parametrize(("accept", "editor"), [
    (BROWSER, True),  # Chrome
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # Firefox
    ("text/html", True),
    ("application/xhtml+xml", True),
    ("TEXT/HTML ; q=1, application/sparql-results+json;q=0.5", True),
    ("", False),
    ("*/*", False),  # curl
    ("text/*", False),  # HTML only by a wildcard: a client that did not name it
    (SPARQL_JSON, False),
    ("application/sparql-results+json,text/html;q=0.5", False),
    ("text/html,application/sparql-results+xml", False),  # a tie goes to the endpoint
    ("text/html;q=0", False),
    ("text/html;q=abc", False),  # a q that is not a number counts as 0
    ("text/html;q=2", False),
    ("text/html;level=1;q=0.9, text/csv;q=0.8", True),
    (",,;;text/html/x,q=,", False),
])
def test_prefers_html(accept: str, editor: bool) -> None:
    assert prefers_html(accept) is editor


def test_only_a_browser_gets_the_editor_at_sparql(site: str) -> None:
    with httpx.Client(base_url=site, timeout=WAIT) as client:
        page = client.get("/sparql", headers={"accept": BROWSER})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert 'id="yasgui"' in page.text and 'data-query=""' in page.text
        head = client.head("/sparql", headers={"accept": BROWSER})
        assert head.status_code == 200 and head.headers["content-type"] == page.headers["content-type"]
        for headers, params in [({"accept": SPARQL_JSON}, {}), ({"accept": "*/*"}, {}), ({}, {}),
                                ({"accept": BROWSER}, {"format": "json"})]:
            answer = client.get("/sparql", params={"query": LABELS, **params}, headers=headers)
            assert answer.status_code == 200, (headers, params)
            assert len(answer.json()["results"]["bindings"]) == 3
        posted = client.post("/sparql", data={"query": LABELS}, headers={"accept": BROWSER + ",application/json"})
        assert "yasgui" not in posted.text  # a POST is always a protocol request


def test_graphiql_page_and_graphql_answers(site: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=site, timeout=WAIT) as client:
        page = client.get("/graphql", headers={"accept": BROWSER})
        assert page.status_code == 200 and 'id="graphiql"' in page.text
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "unpkg" not in page.text and "<script>" not in page.text  # no CDN, no inline script
        answer = client.post("/graphql", json={"query": PERSON}, headers={"accept": BROWSER})
        people = yaml.safe_load((FIXTURES / "mini" / "curation" / "people.yaml").read_text(encoding="utf-8"))
        assert answer.json() == {"data": {"person": {"name": next(p["name"] for p in people if p["id"] == "wang-yi")}}}
        assert client.get("/graphql", params={"query": PERSON}, headers={"accept": BROWSER}).json()["data"]
    production = create_app(Settings(root=viewer_project(tmp_path / "p"), production=True))
    with live_server(production) as url:
        closed = httpx.get(f"{url}/graphql", headers={"accept": BROWSER}, timeout=WAIT)
        assert closed.status_code == 404 and "graphiql" not in closed.text
        assert 'id="yasgui"' in httpx.get(f"{url}/sparql", headers={"accept": BROWSER}, timeout=WAIT).text


def assets(html: str) -> list[str]:
    """Return the files a page loads, failing on any link that is not to kb's own files or pages."""
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert all(link.startswith("/static/editors/") or link in ("/", "/graphql", "data:,") for link in links), links
    return [link for link in links if link.startswith("/static/")]


def test_the_pages_load_only_kb_files_kept_a_year_by_their_version(site: str) -> None:
    with httpx.Client(base_url=site, timeout=WAIT) as client:
        urls = {url for path in ("/graphql", "/sparql")
                for url in assets(client.get(path, headers={"accept": BROWSER}).text)}
        assert len(urls) == 9  # GraphiQL: React, ReactDOM, its script and style; YASGUI's; kb's three
        for url in urls:
            got = client.get(url)
            assert got.status_code == 200 and got.headers["cache-control"] == IMMUTABLE, url
            assert got.headers["content-type"].split(";")[0] in ("text/javascript", "text/css"), url
            path, _, version = url.partition("?v=")
            assert hashlib.sha256(got.content).hexdigest().startswith(version)
            for other in (path, f"{path}?v=0123456789abcdef"):  # not the current version: ask again each time
                assert client.get(other).headers["cache-control"] == "no-cache"
            revalidated = client.get(path, headers={"if-none-match": got.headers["etag"]})
            assert revalidated.status_code == 304
        assert client.get("/static/editors/vendor/nothing.js").status_code == 404
        assert client.get("/static/kb.css").status_code == 200  # the pages' own files, still theirs


def test_vendored_files_match_the_manifest_and_ship_their_licences(site: str) -> None:
    manifest: dict[str, Any] = json.loads((VENDOR / "MANIFEST.json").read_text())
    on_disk = {path.name for path in VENDOR.iterdir()} - {"MANIFEST.json"}
    assert set(manifest["files"]) == on_disk
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha, f"{name} differs: ui/update.sh"
    pinned = json.loads((ROOT / "ui" / "package.json").read_text())["dependencies"]
    assert manifest["packages"] == pinned
    third_party = (VENDOR / "THIRD-PARTY-LICENSES.txt").read_text()
    locked = json.loads((ROOT / "ui" / "package-lock.json").read_text())["packages"]
    for where, package in locked.items():
        if where:  # "" is ui/ itself
            assert f"{where.rsplit('node_modules/', 1)[1]}@{package['version']} (" in third_party, where
    with httpx.Client(base_url=site, timeout=WAIT) as client:
        for name in pinned:
            licence = client.get(f"/static/editors/vendor/{name.split('/')[-1]}.LICENSE")
            assert licence.status_code == 200 and "Permission is hereby granted" in licence.text, name
        shipped = client.get("/static/editors/vendor/THIRD-PARTY-LICENSES.txt").content
        assert shipped == (VENDOR / "THIRD-PARTY-LICENSES.txt").read_bytes()
    assert sum(path.stat().st_size for path in VENDOR.iterdir()) < 4_000_000  # minified builds only
