"""Helpers for the page tests: the viewer fixture project, a live uvicorn server, a headless Chromium.

The fixture project is ``tests/fixtures/mini`` plus ``tests/fixtures/viewer`` (an article with emoji before
and inside its evidence spans, a role and a statement of Wang Yi), copied into a temporary folder.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tests.conftest import needs_debian

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,900", "--lang=en-US",
)


PICTURE_PENDING = 'data-picture="pending"'
"""What a page says while its who-met-whom picture is being drawn (kb/pages/templates/_network.html)."""


def wait_for_picture(get: Callable[[str], str], timeout: float = 60.0) -> None:
    """Ask for ``/network`` (``get(path)`` returns a page's text) until its picture is drawn: the pages draw it
    in the background (kb.pages.pictures), and a test that looks at the picture must not race the drawing.
    Raises RuntimeError when it is not drawn within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while PICTURE_PENDING in get("/network"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the who-met-whom picture was not drawn within {timeout} s")
        time.sleep(0.05)


def viewer_project(path: Path) -> Path:
    """Copy the mini fixture and the viewer additions into ``path``; return ``path``."""
    shutil.copytree(FIXTURES / "mini", path, dirs_exist_ok=True)
    for part in ("seeds", "curation"):
        shutil.copytree(FIXTURES / "viewer" / part, path / part, dirs_exist_ok=True)
    return path


@contextmanager
def live_server(app: Any, startup_timeout: float = 20.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL.

    The socket is bound before the thread starts, so the port is known and no other process can take it.
    Raises RuntimeError when the server does not start within ``startup_timeout`` seconds.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="kb-live-server")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} within {startup_timeout} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def chromium(page_load_timeout: float = 30.0, arguments: tuple[str, ...] = (),
             network_log: bool = False) -> Iterator[Any]:
    """Start headless Chromium through chromedriver with a fresh profile; yield the Selenium driver.
    ``arguments`` are added to :data:`CHROMIUM_ARGS`; with ``network_log``, ``driver.get_log("performance")``
    returns the DevTools network events (every request the browser sent).

    Raises the WebDriver error when Chromium cannot start: a browser test must fail, not skip, without one.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    needs_debian("chromium", str(CHROMIUM))
    needs_debian("chromium-driver", str(CHROMEDRIVER))
    options = webdriver.ChromeOptions()
    for arg in (*CHROMIUM_ARGS, *arguments):
        options.add_argument(arg)
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    profile = tempfile.mkdtemp(prefix="kb-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(page_load_timeout)
        driver.set_script_timeout(page_load_timeout)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
