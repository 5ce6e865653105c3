"""Knowledge bases the graph tests run on: the three-article fixture, and the project's own curation.

``tests/fixtures/mini`` is a small hand-made KB (copies of three seeds) with every kind of record, a
record-level dispute, disputed attributes, a hedged fact and dates of every precision. The real KB joins
the graph tests once ``kb validate`` passes on it; until then those cases skip saying why.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from kb.errors import CurationErrors
from kb.graph import store
from kb.graph.builder import build
from kb.graph.sinks import BuiltGraph
from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import Mint

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
BASE = "https://kb.example.org/"
MINT = Mint(BASE)
ROOTS = {"mini": MINI, "real": ROOT}
BOTH = pytest.mark.parametrize("which", ["mini", "real"])


@cache
def _load(which: str) -> KnowledgeBase | str:
    try:
        kb = pipeline.load(ROOTS[which])
    except CurationErrors as errors:
        return f"curation/ does not validate ({len(errors)} errors; see kb validate)"
    if not kb.meetings:
        return "curation/ holds no meetings yet"
    return kb


def knowledge_base(which: str) -> KnowledgeBase:
    """Return the validated KB ``mini`` or ``real``; fail, saying why, when it does not validate."""
    kb = _load(which)
    if isinstance(kb, str):
        pytest.fail(kb)
    return kb


@cache
def built(which: str) -> BuiltGraph:
    """Return the built graph of a KB (cached: building is pure)."""
    return build(knowledge_base(which), BASE)


@cache
def memory_store(which: str) -> store.GraphStore:
    """Return the graph of a KB in the reference rdflib Memory store (cached; tests must not change it)."""
    return store.load(built(which), "memory")
