"""The audit plugin (tests/audit.py) sees what it must: these probes do something forbidden on purpose,
check it was recorded, then take the record back so the session itself still passes."""

from __future__ import annotations

import socket
import sys

import pytest

from tests.audit import AUDITOR, Violation, is_local_host


def _take(start: int) -> list[Violation]:
    taken = AUDITOR.violations[start:]
    del AUDITOR.violations[start:]
    return taken


def test_audit_hook_is_installed() -> None:
    assert getattr(sys, "_kb_audit_installed", False)


def test_file_outside_the_project_is_recorded() -> None:
    start = len(AUDITOR.violations)
    with pytest.raises(OSError), open("/var/lib/kb-audit-probe/never"):
        pass  # never reached: the attempt to open is what the hook sees
    [violation] = _take(start)
    assert (violation.event, violation.test) == ("open", __name__.replace(".", "/") + ".py::"
                                                 "test_file_outside_the_project_is_recorded")


def test_files_of_the_project_and_temp_are_not_recorded(tmp_path: object) -> None:
    start = len(AUDITOR.violations)
    (tmp_path / "x.txt").write_text("x")  # type: ignore[operator]
    with open(__file__, encoding="utf-8") as handle:
        handle.read(1)
    assert _take(start) == []


def test_connection_to_another_host_is_recorded() -> None:
    start = len(AUDITOR.violations)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setblocking(False)
        probe.connect_ex(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): routed nowhere
    [violation] = _take(start)
    assert violation.event == "socket.connect" and "192.0.2.1" in violation.detail


def test_loopback_connections_are_not_recorded() -> None:
    start = len(AUDITOR.violations)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        server.bind(("127.0.0.1", 0))
        server.listen()
        probe.connect(server.getsockname())
    assert _take(start) == []


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.8.9.10", True),
    ("192.0.2.1", False), ("example.org", False), ("10.0.0.1", False), (None, False),
])
def test_is_local_host(host: object, local: bool) -> None:
    assert is_local_host(host) is local
