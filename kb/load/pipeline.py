"""The pipeline in one call: read seeds and curation, validate, and return the knowledge base."""

from __future__ import annotations

from pathlib import Path

from kb.load import loader, validate
from kb.model.knowledge_base import KnowledgeBase
from kb.progress import Progress, silent


def load(root: Path, progress: Progress = silent) -> KnowledgeBase:
    """Read and validate the knowledge base under ``root``, reporting "reading" then "checking" to ``progress``.
    Raises CurationErrors listing every problem."""
    progress("reading", 0, 0)
    read = loader.read(root)
    progress("reading", 1, 1)
    progress("checking", 0, 0)
    kb = validate.check(read)
    progress("checking", 1, 1)
    return kb
