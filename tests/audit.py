"""A pytest plugin: an audit hook (PEP 578) watching every test for network use and for files outside the
project's data. The session fails when anything was recorded.

Allowed, and why:
    network     connections and name look-ups to 127.0.0.1, ::1 and localhost only (test servers, the app
                under test); Unix sockets (local by construction)
    files       the project folder (seeds, curation, schema, tests, benchmarks, the venv inside it); the
                temporary folder (every test's tmp_path); Python itself and its packages (sys.prefix,
                sys.base_prefix, site-packages, wherever an imported package lives); system files a library
                reads to work (/usr, /lib, /etc, /proc, /sys, /dev) -- and nothing under anyone's home,
                /root, /var, /opt, /srv, /mnt or /media unless one of the above puts it there -- but for
                ``LIBRARY_FILES``: the user settings a library looks for when imported, whether or not they exist

Child processes (the SPARQL worker, Virtuoso, Chromium) are outside the hook: what they do is checked by the
tests that start them (the SPARQL worker, for one, is never handed a query that names a remote IRI).
"""

from __future__ import annotations

import ipaddress
import os
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})
SYSTEM = ("/usr/", "/lib/", "/lib64/", "/etc/", "/proc/", "/sys/", "/dev/", "/bin/", "/sbin/")
LIBRARY_FILES = frozenset({os.path.expanduser("~/.igraphrc")})
"""igraph reads its user settings on import (plotting and shell defaults only: a layout never depends on them)."""


@dataclass(frozen=True)
class Violation:
    """One thing a test did that it should not: which test, which audit event, and its argument."""

    test: str
    event: str
    detail: str

    def __str__(self) -> str:
        return f"{self.test}: {self.event} {self.detail}"


def _allowed_roots() -> tuple[str, ...]:
    roots = {
        str(ROOT), tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()), sys.prefix, sys.base_prefix,
        sys.exec_prefix, os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
        *(sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    return tuple(sorted({r.rstrip("/") + "/" for r in roots}))


def is_local_host(host: object) -> bool:
    """Return True for a loopback address or a name for this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class Auditor:
    """Collects violations; :meth:`hook` is what ``sys.addaudithook`` calls for every audited event."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.test = "(collection)"
        self.roots = _allowed_roots()
        self.enabled = True

    def file_allowed(self, path: object) -> bool:
        if isinstance(path, int):
            return True  # an already open descriptor
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, (str, os.PathLike)):
            return True
        full = os.path.abspath(os.fspath(path)) + "/"
        return full.startswith(self.roots) or full.startswith(SYSTEM) or full[:-1] in LIBRARY_FILES

    def record(self, event: str, detail: object) -> None:
        self.violations.append(Violation(self.test, event, repr(detail)[:200]))

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.enabled:
            return
        if event == "open":
            if not self.file_allowed(args[0]):
                self.record(event, args[0])
        elif event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and not is_local_host(address[0]):
                self.record(event, address)
        elif event == "socket.getaddrinfo":
            if not is_local_host(args[0]):
                self.record(event, args[0])
        elif event in {"socket.sendto", "socket.sendmsg"}:
            address = args[-1]
            if isinstance(address, tuple) and not is_local_host(address[0]):
                self.record(event, address)


AUDITOR = Auditor()


def pytest_configure(config: pytest.Config) -> None:
    # Audit hooks cannot be removed: install once per interpreter, however often pytest configures.
    if not getattr(sys, "_kb_audit_installed", False):
        sys.addaudithook(AUDITOR.hook)
        sys._kb_audit_installed = True  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    AUDITOR.test = item.nodeid
    yield
    AUDITOR.test = "(between tests)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if AUDITOR.violations:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if AUDITOR.violations:
        terminalreporter.section("audit: network or files outside the project's data", red=True)
        for violation in AUDITOR.violations[:50]:
            terminalreporter.line(str(violation))
        terminalreporter.line(f"{len(AUDITOR.violations)} violation(s); see tests/audit.py for what is allowed")
