"""IncrementalLoader: the same knowledge base (or the same errors) as pipeline.load, re-reading only changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import generate
from kb.errors import CurationErrors
from kb.load import files, pipeline
from kb.load.incremental import IncrementalLoader
from kb.load.version import kb_version
from kb.model.knowledge_base import KnowledgeBase


def same(a: KnowledgeBase, b: KnowledgeBase) -> None:
    def records(kb: KnowledgeBase) -> dict[str, list[tuple[str, object]]]:
        return {kind: list(records.items()) for kind, records in kb.by_kind().items()}

    assert records(a) == records(b)
    assert a.kinds == b.kinds
    assert a.locations == b.locations
    assert a.articles == b.articles


@pytest.fixture()
def kb_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(generate, "RECORDS_PER_FILE", 60)
    generate.write(tmp_path, facts=300)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_first_load_equals_pipeline_load(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    same(loader.load(), pipeline.load(kb_root))
    assert loader.stats.full_check
    assert loader.load() is loader.kb and loader.stats.reason == "nothing changed"


def test_editing_one_file_parses_only_that_file(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    loader.load()
    meetings = kb_root / "curation" / "meetings" / "0001.yaml"
    edit(meetings, 'label: "Talks 60 in', 'label: "Renamed talks 60 in')
    kb = loader.load()
    assert loader.stats.parsed == 1 and not loader.stats.full_check
    assert kb.meetings["meeting-000060"].label.startswith("Renamed talks 60")
    same(kb, pipeline.load(kb_root))


def test_adding_a_record_and_a_file(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    loader.load()
    (kb_root / "curation" / "people" / "9999.yaml").write_text("- id: someone-new\n  name: Someone New\n", "utf-8")
    kb = loader.load()
    assert not loader.stats.full_check and kb.kinds["someone-new"] == "people"
    same(kb, pipeline.load(kb_root))


def test_removing_an_id_checks_everything(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    loader.load()
    people = kb_root / "curation" / "people" / "0000.yaml"
    edit(people, "- id: person-000020\n", "- id: person-000020-renamed\n")
    with pytest.raises(CurationErrors) as incremental:
        loader.load()
    assert loader.stats.full_check and "person-000020" in loader.stats.reason
    with pytest.raises(CurationErrors) as full:
        pipeline.load(kb_root)
    assert [str(e) for e in incremental.value] == [str(e) for e in full.value]


def test_an_error_in_the_edited_file_is_reported_as_pipeline_load_does(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    loader.load()
    meetings = kb_root / "curation" / "meetings" / "0000.yaml"
    edit(meetings, "participants: [", "participants: [nobody, ")
    edit(meetings, "status: held", "status: maybe")
    with pytest.raises(CurationErrors) as incremental:
        loader.load()
    with pytest.raises(CurationErrors) as full:
        pipeline.load(kb_root)
    assert [str(e) for e in incremental.value] == [str(e) for e in full.value]
    edit(meetings, "participants: [nobody, ", "participants: [")
    edit(meetings, "status: maybe", "status: held")
    same(loader.load(), pipeline.load(kb_root))  # recovers on the next good save


def test_a_changed_article_checks_everything(kb_root: Path) -> None:
    loader = IncrementalLoader(kb_root)
    loader.load()
    article = next((kb_root / "seeds").iterdir())
    article.write_bytes(article.read_bytes() + b" more")
    with pytest.raises(CurationErrors):
        loader.load()
    assert loader.stats.reason == "an article changed"



def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    real = files.read_bytes
    monkeypatch.setattr(files, "read_bytes", lambda path: read.append(path.name) or real(path))
    return read


def test_unchanged_files_are_not_read_again_by_the_version_or_the_loader(
        kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "RACY_NS", 0)  # the files were written a moment ago: trust their stat at once
    loader = IncrementalLoader(kb_root)
    loader.load()
    version = kb_version(kb_root)
    read = counting_reads(monkeypatch)
    assert kb_version(kb_root) == version and loader.load() is loader.kb
    assert read == []  # every file known by its stat
    meetings = kb_root / "curation" / "meetings" / "0001.yaml"
    edit(meetings, 'label: "Talks 60 in', 'label: "Renamed talks 60 in')
    assert kb_version(kb_root) != version
    kb = loader.load()
    assert set(read) == {"0001.yaml"} and kb.meetings["meeting-000060"].label.startswith("Renamed")
    same(kb, pipeline.load(kb_root))


def test_a_file_written_within_the_racy_window_is_read_each_time(
        kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meetings = kb_root / "curation" / "meetings" / "0001.yaml"
    edit(meetings, 'label: "Talks 60 in', 'label: "Talks 06 in')  # just now: its stat cannot be trusted yet
    read = counting_reads(monkeypatch)
    files.sha256(meetings)
    files.sha256(meetings)
    assert read == ["0001.yaml", "0001.yaml"]


def test_a_same_size_rewrite_with_its_old_time_put_back_is_still_seen(
        kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "RACY_NS", 0)
    loader = IncrementalLoader(kb_root)
    loader.load()
    version = kb_version(kb_root)
    meetings = kb_root / "curation" / "meetings" / "0001.yaml"
    before = meetings.stat()
    edit(meetings, 'label: "Talks 60 in', 'label: "Talks 06 in')  # same size
    os.utime(meetings, ns=(before.st_atime_ns, before.st_mtime_ns))  # and its old time: the change time moves
    assert meetings.stat().st_size == before.st_size
    assert kb_version(kb_root) != version
    assert loader.load().meetings["meeting-000060"].label.startswith("Talks 06")
