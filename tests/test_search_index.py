"""The full-text index (kb.api.textindex) on the project's own knowledge base, how words are folded
(kb.api.fold), the passages and their offsets (kb.api.passages), and when each version's index is built and
what a search uses meanwhile (kb.api.searchindex)."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kb.api import fold, passages, searchindex, textindex
from kb.api.textindex import TextIndex
from kb.config import Settings
from kb.errors import StoreError
from kb.graph import kept, restart
from kb.graph.snapshot import Snapshot, from_knowledge_base
from kb.load import pipeline
from kb.model.sources import utf16_offset
from tests.kbs import ROOT


@cache
def snapshot() -> Snapshot:
    return from_knowledge_base(pipeline.load(ROOT), Settings(root=ROOT), "test")


@cache
def index() -> TextIndex:
    return searchindex.build(snapshot())


def keys(text: str, first: int = 5, kind: str | None = None) -> list[str]:
    return [hit.doc.key for hit in index().search(text, first, kind=kind).hits]


@pytest.mark.parametrize(("word", "folded"), [
    ("Defence", "defense"), ("Zürich", "zurich"), ("organised", "organized"), ("normalisation", "normalization"),
    ("honour", "honor"), ("neighbours", "neighbors"), ("Straße", "strasse"), ("王毅", "王毅"), ("rise", "rise"),
    ("hour", "hour"), ("promise", "promise"),
])
def test_fold_lowers_strips_accents_and_makes_british_american(word: str, folded: str) -> None:
    assert fold.fold(word) == folded


def test_fold_allows_more_edits_for_longer_words() -> None:
    assert [fold.edits_allowed(w) for w in ("li", "wang", "jakrta", "shangfu")] == [0, 0, 1, 2]
    assert fold.within("shangfoo", "shangfu", 2) and not fold.within("shangfoo", "shanghai", 2)
    assert fold.within("blinekn", "blinken", 1)  # two neighbours swapped: one edit
    assert fold.matches("jakarta", "jak", prefix=True) and not fold.matches("jakarta", "jak", prefix=False)


def test_blinken_wang_finds_the_jakarta_talks_first() -> None:
    assert keys("Blinken Wang")[0] == "meeting/meeting-blinken-wang-jakarta-2023-07-13"


@pytest.mark.parametrize("text", ["Shangfoo", "defence minister", "Li Shangfu", "shangf", "LI SHANGFU"])
def test_li_shangfu_is_found_with_typos_british_spelling_prefixes_and_case(text: str) -> None:
    assert "person/li-shangfu" in keys(text, 3)


def test_every_word_counts() -> None:
    both = set(keys("Blinken Wang", 100))
    assert both and both <= set(keys("Blinken", 200)) & set(keys("Wang", 200))
    assert keys("Blinken zzzzqqq") == []


def test_search_reads_article_text_descriptions_and_titles_as_worded() -> None:
    found = index().search("defense chief", 10)
    assert any(h.passage and h.passage.field == "title" for h in found.hits)
    article = index().search("stabilize ties", 20, kind="source").hits
    assert article and all(h.doc.kind == "source" and h.passage for h in article)
    assert any(h.passage and h.passage.field == "text" and h.passage.offset for h in article)


def test_passages_mark_each_word_in_code_points_and_utf16() -> None:
    for text in ("Blinken Wang", "jakarta talks", "fentanyl"):
        for hit in index().search(text, 20).hits:
            assert hit.passage is not None and hit.passage.highlights, (text, hit.doc.key)
            whole = dict(hit.doc.texts).get(hit.passage.field, "")
            for mark in hit.passage.highlights:
                word = hit.passage.text[mark.start:mark.end]
                assert fold.fold(word)[:3] in {fold.fold(w)[:3] for w in text.split()}, (word, text)
                assert mark.utf16_start == utf16_offset(hit.passage.text, mark.start)
            assert len(hit.passage.text) <= passages.WINDOW
            if hit.passage.offset:  # a window of a longer text, at its place in it
                assert any(whole[hit.passage.offset:].startswith(hit.passage.text) for whole in
                           [t for f, t in hit.doc.texts if f == hit.passage.field]), whole[:40]


def test_highlights_count_astral_characters_twice_in_utf16() -> None:
    found = passages.best([("quote", "🤝 Blinken met Wang")], ["wang"], textindex.BOOSTS)
    assert found is not None
    (mark,) = found.highlights
    assert (mark.start, mark.end, mark.utf16_start, mark.utf16_end) == (14, 18, 15, 19)


def test_facets_count_kinds_articles_and_people() -> None:
    facets = index().facets("Blinken Wang")
    kinds = {k: n for k, _, n in facets["kind"]}
    assert kinds["meeting"] >= 2 and sum(kinds.values()) == index().search("Blinken Wang", 1).total
    people = {k: label for k, label, _ in facets["person"]}
    assert people["person/antony-blinken"] == "Antony Blinken" and "person/wang-yi" in people
    assert all(k.startswith("source/") for k, _, _ in facets["source"])


class SlowBuild:
    """Counts the builds of a version's index and holds each one until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.builds = 0
        self.release = threading.Event()
        real = searchindex.build

        def build(snap: Snapshot) -> TextIndex:
            self.builds += 1
            self.release.wait(30)
            return real(snap)

        monkeypatch.setattr(searchindex, "build", build)


def fresh(version: str) -> Snapshot:
    """A snapshot of the same graph as another version: nothing computed for it yet."""
    return replace(snapshot(), version=version, memo={})


def test_concurrent_first_searches_build_the_index_once(monkeypatch: pytest.MonkeyPatch) -> None:
    slow, served = SlowBuild(monkeypatch), fresh("concurrent")
    with ThreadPoolExecutor(8) as pool:
        futures = list(pool.map(lambda _: searchindex.start(served), range(8)))
    slow.release.set()
    assert len({id(f) for f in futures}) == 1
    assert futures[0] is not None and isinstance(futures[0].result(30), TextIndex)
    assert slow.builds == 1


def test_a_search_never_waits_long_and_uses_the_previous_index_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    handoff = searchindex.Handoff()
    first = fresh("v1")
    built = handoff.serve(first)
    assert built is not None
    built.result(60)
    slow, second = SlowBuild(monkeypatch), fresh("v2")
    handoff.serve(second)
    started = time.perf_counter()
    used: Any = asyncio.run(searchindex.index_for(second))
    waited = time.perf_counter() - started
    assert used is built.result() and waited < 0.5  # 100 ms, with room for a loaded machine
    slow.release.set()
    own = second.ready(searchindex.KEY)
    assert own is not None and own.result(60) is not used
    assert searchindex.FALLBACK not in second.memo  # the old index is let go once the new one is ready
    assert asyncio.run(searchindex.index_for(second)) is own.result()


def test_without_an_earlier_index_a_search_takes_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    slow, served = SlowBuild(monkeypatch), fresh("alone")
    assert asyncio.run(searchindex.index_for(served)) is None
    slow.release.set()


def test_versions_served_while_an_index_builds_wait_and_only_the_newest_is_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    slow, handoff = SlowBuild(monkeypatch), searchindex.Handoff()
    v1, v2, v3 = fresh("quick-1"), fresh("quick-2"), fresh("quick-3")
    building = handoff.serve(v1)
    assert building is not None
    assert handoff.serve(v2) is None and handoff.serve(v3) is None  # saved while v1's index is being built
    slow.release.set()
    building.result(60)
    deadline = time.monotonic() + 60
    while (newest := v3.ready(searchindex.KEY)) is None:  # started by v1's build as it ends, in the pool
        assert time.monotonic() < deadline, "the newest version's index was never built"
        time.sleep(0.01)
    assert isinstance(newest.result(60), TextIndex)
    assert v2.ready(searchindex.KEY) is None and slow.builds == 2  # v2 was superseded before its turn


def test_asking_for_no_hits_still_counts_them() -> None:
    found = index().search("Blinken Wang", 0)
    assert found.hits == [] and found.total >= 1


def test_a_build_that_ends_as_the_process_ends_leaves_the_next_unbuilt_without_raising(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    handoff = searchindex.Handoff()
    v1, v2 = fresh("ending-1"), fresh("ending-2")
    building = threading.Event()
    pool = ThreadPoolExecutor(1)
    monkeypatch.setattr("kb.graph.snapshot.executor", lambda: pool)
    built = index()
    monkeypatch.setattr(searchindex, "build", lambda snapshot: building.wait(60) and built)
    first = handoff.serve(v1)
    assert first is not None and handoff.serve(v2) is None  # waits for the first to end
    pool.shutdown(wait=False)  # as at interpreter exit: the pool takes no more work
    building.set()
    assert first.result(60) is built
    pool.shutdown(wait=True)  # its callback has run: it tried to start v2's build and was refused, quietly
    assert v2.ready(searchindex.KEY) is None
    assert not [r for r in caplog.records if r.name == "concurrent.futures"], caplog.text


def test_after_a_slow_build_the_next_waits_for_edits_to_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searchindex, "PAUSE_SECONDS", 0.3)
    handoff = searchindex.Handoff()
    handoff.last_build_seconds = searchindex.SLOW_BUILD_SECONDS + 1  # as at 100k facts
    v1, v2 = fresh("paused-1"), fresh("paused-2")
    assert handoff.serve(v1) is None and handoff.serve(v2) is None
    assert v1.ready(searchindex.KEY) is None and v2.ready(searchindex.KEY) is None  # nothing built during edits
    deadline = time.monotonic() + 60
    while v2.ready(searchindex.KEY) is None:
        assert time.monotonic() < deadline, "the index was never built after the edits paused"
        time.sleep(0.01)
    assert isinstance(v2.ready(searchindex.KEY).result(60), TextIndex)  # type: ignore[union-attr]
    assert v1.ready(searchindex.KEY) is None  # superseded before its turn


def kept_snapshot(root: Path) -> Snapshot:
    return restart.start(Settings(root=root, store="disk")).snapshot


def test_a_kept_build_keeps_its_index_built_by_another_process_and_a_restart_opens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "kb"
    shutil.copytree(ROOT / "seeds", project / "seeds")
    shutil.copytree(ROOT / "curation", project / "curation")
    snap = kept_snapshot(project)
    kept_build = snap.graph.kept
    assert kept_build is not None
    expected = [hit.doc.key for hit in index().search("Blinken Wang", 5).hits]
    facets = index().facets("Blinken")

    def not_here(*_: object, **__: object) -> None:
        raise AssertionError("the index was built in the server's process")

    monkeypatch.setattr(textindex.TextIndex, "__init__", not_here)
    built = searchindex.build(snap)
    folder = kept_build.path / searchindex.INDEX_FOLDER
    assert folder.is_dir() and not list(kept_build.path.glob("*.partial"))
    assert [hit.doc.key for hit in built.search("Blinken Wang", 5).hits] == expected
    assert built.facets("Blinken") == facets

    # a restart opens the kept index: no process is started to build it again
    monkeypatch.setattr(searchindex.subprocess, "run", not_here)
    reopened = searchindex.build(kept_snapshot(project))
    assert [hit.doc.key for hit in reopened.search("Blinken Wang", 5).hits] == expected
    hit = reopened.search("Shangfu", 1).hits[0]
    assert hit.doc.key == "person/li-shangfu" and hit.passage is not None


def test_a_failed_index_build_raises_a_store_error_and_leaves_no_partial_folder(tmp_path: Path) -> None:
    build_folder = tmp_path / "build"
    (build_folder / "store").mkdir(parents=True)  # not an Oxigraph store
    broken = kept.Kept(build_folder, None)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="search index"):
        searchindex.kept_index(broken, "https://kb.example.org/")
    assert sorted(p.name for p in build_folder.iterdir()) == ["store"]
