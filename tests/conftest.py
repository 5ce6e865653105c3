"""Shared fixtures: the project root and its validated knowledge base."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase

# An audit hook fails the session if any test opens a network connection or a file outside the project's data.
pytest_plugins = ("tests.audit",)

ROOT = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    """True under CI (CI=true, as .ci/run is run): there every test must run, none may skip."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def needs_debian(package: str, program: str) -> str:
    """Return the path of ``program`` (a name looked up on PATH, or an absolute path), which the Debian package
    ``package`` installs. Without it the test skips outside CI, naming the package and ``bash .ci/run`` (which
    installs every such package), and fails under CI, where a skip would hide a missing install step."""
    found = shutil.which(program)
    if found is not None:
        return found
    reason = f"{program} not found: install the Debian package {package} (bash .ci/run installs it)"
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def kept_builds_elsewhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kb serve`` and ``kb build`` keep their store in KB_CACHE (kb.graph.kept): a fresh folder for each test,
    never .kb/ inside the checkout's fixtures, so no test starts from what another one built."""
    monkeypatch.setenv("KB_CACHE", str(tmp_path_factory.getbasetemp() / "kept" / f"{next(_CACHES)}"))


_CACHES = itertools.count()


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder holding seeds/ and curation/."""
    return ROOT


@pytest.fixture(scope="session")
def knowledge_base(root: Path) -> KnowledgeBase:
    """The real, validated knowledge base of the project."""
    return pipeline.load(root)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A private Virtuoso on 127.0.0.1 (tests/virtuoso.py), started once per session (needs_debian)."""
    from tests import virtuoso

    needs_debian("virtuoso-opensource", virtuoso.BINARY)
    server = virtuoso.start(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


MINI_ARTICLE = "Blinken met Wang Yi in Jakarta on Thursday. Miller called it “candid and constructive” 🙂.\n"


def write_project(path: Path, curation: dict[str, str], seeds: dict[str, str] | None = None) -> Path:
    """Write a small project (seeds/ + curation/) under ``path`` and return ``path``."""
    (path / "seeds").mkdir(parents=True, exist_ok=True)
    (path / "curation").mkdir(parents=True, exist_ok=True)
    for name, text in (seeds if seeds is not None else {"a.txt": MINI_ARTICLE}).items():
        (path / "seeds" / name).write_bytes(text.encode())
    for name, text in curation.items():
        target = path / "curation" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    return path
