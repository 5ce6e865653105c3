"""Shared fixtures: the project root and its validated knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import pipeline
from kb.validate import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder holding seeds/ and curation/."""
    return ROOT


@pytest.fixture(scope="session")
def knowledge_base(root: Path) -> KnowledgeBase:
    """The real, validated knowledge base of the project."""
    return pipeline.load(root)
