"""kb.serve.served: the version names the bytes served; the slot swaps in one step."""

from __future__ import annotations

from pathlib import Path

from kb.config import Settings
from kb.load.version import kb_version
from kb.serve.served import Served, build
from tests.conftest import MINI_ARTICLE, write_project


def test_version_is_stable_for_the_same_bytes(tmp_path: Path) -> None:
    one = write_project(tmp_path / "one", {"people.yaml": "- id: a\n  name: A\n"})
    two = write_project(tmp_path / "two", {"people.yaml": "- id: a\n  name: A\n"})
    assert kb_version(one) == kb_version(two)
    assert len(kb_version(one)) == 16 and int(kb_version(one), 16) >= 0


def test_version_changes_with_any_curation_or_seed_byte(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"people.yaml": "- id: a\n  name: A\n"})
    before = kb_version(root)
    (root / "curation" / "people.yaml").write_text("- id: a\n  name: B\n", "utf-8")
    edited = kb_version(root)
    (root / "seeds" / "a.txt").write_bytes(MINI_ARTICLE.encode() + b" ")
    assert len({before, edited, kb_version(root)}) == 3


def test_version_changes_when_a_file_is_renamed(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"people.yaml": "- id: a\n  name: A\n"})
    before = kb_version(root)
    (root / "seeds" / "a.txt").rename(root / "seeds" / "b.txt")
    assert kb_version(root) != before


def test_build_counts_records_and_triples_and_swap_returns_the_old_one(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"people.yaml": "- id: a\n  name: A\n"})
    first = build(Settings(root=root))
    assert first.counts["people"] == 1 and first.counts["triples"] > 0
    assert first.version == kb_version(root) and first.backend.name == "oxigraph"
    second = build(Settings(root=root, store="rdflib"))
    assert second.backend.name == "rdflib"
    served = Served(first)
    assert served.swap(second) is first and served.current is second


def test_cached_computes_once_per_snapshot(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"people.yaml": "- id: a\n  name: A\n"})
    snapshot, calls = build(Settings(root=root)), []
    for _ in range(3):
        assert snapshot.cached("x", lambda: calls.append(1) or len(calls)) == 1
    assert calls == [1]
