"""Progress on stderr: drawn for a terminal (here forced with KB_PROGRESS=always), never on stdout, and nothing
at all into a pipe or with --quiet."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main, serving
from tests.hostile import MINI


def run(*argv: str, progress: str | None = None) -> tuple[str, str]:
    result = CliRunner().invoke(main, list(argv), env={"KB_PROGRESS": progress})
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.mark.parametrize("argv", [["validate"], ["export", "--format", "nt"]])
def test_progress_is_drawn_on_stderr_only(argv: list[str]) -> None:
    quiet_out, quiet_err = run(*argv, "--root", str(MINI))
    out, err = run(*argv, "--root", str(MINI), progress="always")
    assert out == quiet_out  # stdout byte for byte the same
    assert "reading" in err and "checking" in err and "building" in err
    assert "reading" not in quiet_err and "\x1b[" not in quiet_err  # a pipe: nothing extra


def test_quiet_silences_progress_even_when_forced() -> None:
    _, err = run("validate", "--root", str(MINI), "--quiet", progress="always")
    assert err == ""


def test_anchor_fix_reports_files(tmp_path: Path) -> None:
    out, err = run("anchor", "--root", str(MINI), "--fix", "--check", progress="always")
    assert "anchoring" in err and "anchoring" not in out


@pytest.mark.parametrize("live", [False, True])
def test_serve_shows_progress_while_it_builds(live: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: started.append(app))  # built, not served
    out, err = run("serve", "--root", str(MINI), *(["--reload"] if live else []), progress="always")
    assert started and out == ""
    assert ("reading, checking and building" in err) if live else ("reading" in err and "building" in err)
    _, quiet = run("serve", "--root", str(MINI), "--quiet", progress="always")
    assert "building" not in quiet
