"""benchmarks/generate.py: a synthetic knowledge base that the real pipeline accepts, the same every time."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import generate
from kb import cli
from kb.load import pipeline
from kb.model.sources import utf16_offset
from tests.conftest import ROOT


def digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        sha.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def test_generated_kb_validates_with_every_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "RECORDS_PER_FILE", 40)
    counts = generate.write(tmp_path, facts=400)
    kb = pipeline.load(tmp_path)
    assert kb.counts() == counts
    assert sum(counts[k] for k in ("roles", "meetings", "statements", "sanctions")) in range(400, 420)
    assert all(counts[kind] > 0 for kind in counts)
    assert len(list((tmp_path / "curation" / "meetings").glob("*.yaml"))) == -(-counts["meetings"] // 40)


def test_generated_kb_has_hubs_disputes_and_astral_offsets(tmp_path: Path) -> None:
    generate.write(tmp_path, facts=600)
    kb = pipeline.load(tmp_path)
    meetings = Counter(p for m in kb.meetings.values() for p in m.participants)
    hubs = [meetings[f"person-{i:06d}"] for i in range(generate.HUBS)]
    ordinary = sorted(meetings.values())[len(meetings) // 2]
    assert min(hubs) > 10 * ordinary
    assert kb.disputes
    assert any(len(m.duration) > 1 for m in kb.meetings.values())
    evidence = next(iter(kb.meetings.values())).evidence
    text = kb.articles[evidence[0].source].text
    assert utf16_offset(text, evidence[0].start) == evidence[0].start + 1  # one emoji before every quote


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate.write(tmp_path / "a", facts=150)
    generate.write(tmp_path / "b", facts=150)
    generate.write(tmp_path / "c", facts=150, seed=8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_command_line_writes_a_kb_that_kb_validate_accepts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--facts", "100", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=60, check=True)
    assert '"facts": 10' in done.stdout
    result = CliRunner().invoke(cli.main, ["validate", "--root", str(tmp_path), "--no-shapes"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")
