"""Shared fixtures: the project root and its validated knowledge base."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase

# An audit hook fails the session if any test opens a network connection or a file outside the project's data.
pytest_plugins = ("tests.audit",)

ROOT = Path(__file__).resolve().parent.parent


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
    """A private Virtuoso on 127.0.0.1 (tests/virtuoso.py), started once per session; skipped only outside CI
    when Debian's virtuoso-opensource is not installed."""
    from tests import virtuoso

    reason = virtuoso.available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
