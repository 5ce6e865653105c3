"""A broken live edit is visible on every page: a banner naming each error at path:line:col, gone once fixed;
each error is logged once, not on every poll."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By

from kb.serve.banner import banner
from tests.pages_support import chromium
from tests.test_reload import MEETINGS, WAIT_SECONDS, live_server, meetings_labelled, project, save, wait_for

__all__ = ["project"]  # the fixture, shared with tests/test_reload.py

ERROR = re.compile(r"curation/meetings\.yaml:\d+:\d+: participants\.0: unknown id &#x27;nobody-at-all&#x27;")


def test_a_refused_edit_puts_a_banner_on_every_page_until_it_is_fixed(project: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    meetings = project / "curation" / "meetings.yaml"
    with live_server(project) as (url, _), httpx.Client(base_url=url, timeout=30) as client:
        pages = ["/", "/disputes", "/timeline"]
        clean = {page: client.get(page) for page in pages}
        assert all(r.status_code == 200 and "kb-stale" not in r.text for r in clean.values())
        with caplog.at_level(logging.WARNING, logger="kb.serve.reload"):
            save(meetings, meetings_labelled(1, broken="reference"))
            wait_for(client, lambda body: body["status"] == "stale")
            for page in pages:
                response = client.get(page, headers={"If-None-Match": clean[page].headers.get("etag", "")})
                assert response.status_code == 200, page  # never revalidated into the page without the banner
                assert 'id="kb-stale"' in response.text and ERROR.search(response.text), page
                assert response.text.index("kb-stale") > response.text.index("<body")
            time.sleep(2.5)  # a couple of polls of the unchanged broken files
        logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("not reloaded:")]
        assert len(logged) == 1 and "nobody-at-all" in logged[0]
        assert client.get("/health").json()["counts"]  # the API keeps answering from the last good version
        save(meetings, meetings_labelled(2))
        wait_for(client, lambda body: body["status"] == "ok" and body["reload"]["reloads"] >= 1)
        deadline = time.monotonic() + WAIT_SECONDS
        while "kb-stale" in client.get("/").text:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert all("kb-stale" not in client.get(page).text for page in pages)
        assert client.get("/graphql", params={"query": "{ __typename }"}).text.find("kb-stale") == -1
    save(meetings, MEETINGS)


def test_banner_escapes_and_counts_errors() -> None:
    text = banner("abcdef0123456789", ["curation/x.yaml:1:2: a: <b>", "curation/x.yaml:3:4: b: c"])
    assert "&lt;b&gt;" in text and "2 errors" in text and "abcdef012345" in text
    assert "(error)" in banner("v", ["one"])


def test_the_banner_is_seen_in_a_browser_and_goes_with_the_fix(project: Path) -> None:
    meetings = project / "curation" / "meetings.yaml"
    with live_server(project) as (url, _), httpx.Client(base_url=url, timeout=30) as client, chromium() as driver:
        save(meetings, meetings_labelled(1, broken="reference"))
        wait_for(client, lambda body: body["status"] == "stale")
        driver.get(url + "/")
        banner_element = driver.find_element(By.ID, "kb-stale")
        assert banner_element.is_displayed()
        assert re.search(r"curation/meetings\.yaml:\d+:\d+: participants\.0: unknown id 'nobody-at-all'",
                         banner_element.text)
        assert banner_element.location["y"] < 50  # the first thing on the page
        save(meetings, MEETINGS)
        wait_for(client, lambda body: body["status"] == "ok")
        driver.get(url + "/")
        assert driver.find_elements(By.ID, "kb-stale") == []
