"""The pipeline in one call: read seeds and curation, validate, and return the knowledge base."""

from __future__ import annotations

from pathlib import Path

from kb.load import loader, validate
from kb.model.knowledge_base import KnowledgeBase


def load(root: Path) -> KnowledgeBase:
    """Read and validate the knowledge base under ``root``. Raises CurationErrors listing every problem."""
    return validate.check(loader.read(root))
