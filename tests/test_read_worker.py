"""kb.load.loader.parse_files with its second process (kb.load.read_worker): the same files, records, positions and
errors as reading in one process, and the same again when the worker cannot run."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from kb.errors import CurationError
from kb.load import loader, pipeline
from kb.load.incremental import IncrementalLoader

ROOT = Path(__file__).resolve().parent.parent


def read_both(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[loader.RawKnowledgeBase, loader.RawKnowledgeBase]:
    """Read ``root`` in one process, then with the worker taking half (the threshold lowered to every size)."""
    alone = loader.read(root)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 1)
    monkeypatch.setattr("kb.load.loader.os.cpu_count", lambda: 2)
    return alone, loader.read(root)


def test_read_with_a_worker_gives_the_same_files_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    alone, shared = read_both(ROOT, monkeypatch)
    assert [f.path for f in shared.files] == [f.path for f in alone.files] and len(alone.files) >= 8
    assert shared.files == alone.files  # records and positions
    assert [f.source for f in shared.files] == [f.source for f in alone.files]
    first = shared.files[-1]  # from the worker's half: positions of nested values still resolve
    assert first.location((0,)) == alone.files[-1].location((0,))


def test_errors_from_the_workers_half_keep_file_line_and_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "seeds", root / "seeds")
    shutil.copytree(ROOT / "curation", root / "curation")
    broken = root / "curation" / "topics.yaml"  # last in order: the worker's half
    broken.write_text(broken.read_text("utf-8") + "- id: [unclosed\n", "utf-8")
    alone, shared = read_both(root, monkeypatch)
    assert [str(e) for e in shared.errors] == [str(e) for e in alone.errors]
    (error,) = shared.errors
    assert isinstance(error, CurationError) and error.location.path == "curation/topics.yaml"
    assert error.location.line == len(broken.read_text("utf-8").splitlines()) + 1  # where the stream ended
    assert "expected ',' or ']'" in error.message


@pytest.mark.parametrize(("executable", "warning"), [
    (shutil.which("false"), "reading worker failed (exit 1)"),  # starts, answers nothing, exits 1
    ("/nonexistent/python", "did not start"),
])
def test_a_worker_that_fails_leaves_its_files_to_this_process(executable: str | None, warning: str,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    alone = loader.read(ROOT)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 1)
    monkeypatch.setattr("kb.load.loader.os.cpu_count", lambda: 2)
    monkeypatch.setattr("kb.load.loader.sys.executable", executable)
    with caplog.at_level(logging.WARNING, logger="kb.load.loader"):
        shared = loader.read(ROOT)
    assert shared.files == alone.files and shared.errors == alone.errors == []
    assert warning in caplog.text


def test_files_the_fast_parser_leaves_are_parsed_here_with_ruamel(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "seeds", root / "seeds")
    shutil.copytree(ROOT / "curation", root / "curation")
    topics = root / "curation" / "topics.yaml"  # a number other than a plain integer: only ruamel reads those
    topics.write_text(topics.read_text("utf-8").replace("- id:", "- weight: 1.5e3\n  id:", 1), "utf-8")
    alone, shared = read_both(root, monkeypatch)
    assert shared.files == alone.files and shared.errors == alone.errors == []
    assert shared.files[-1].records[0]["weight"] == 1500.0
    assert alone.files[-1].path == "curation/topics.yaml" and shared.files[-1].source is None  # ruamel's


def test_the_incremental_loader_reads_with_the_worker_too(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = pipeline.load(ROOT)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 1)
    monkeypatch.setattr("kb.load.loader.os.cpu_count", lambda: 2)
    started: list[int] = []
    real = loader._Worker.__init__

    def counting(self: loader._Worker, tasks: list[loader.Task]) -> None:
        started.append(len(tasks))
        real(self, tasks)

    monkeypatch.setattr(loader._Worker, "__init__", counting)
    incremental = IncrementalLoader(ROOT).load()
    assert started and started[0] > 0  # the worker took a share
    assert list(incremental.by_kind()) == list(expected.by_kind())
    assert incremental.by_kind() == expected.by_kind()
