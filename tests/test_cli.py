from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kb.cli import main
from tests.test_validate import MEETINGS, project


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_clean_prints_counts_and_exits_0(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--root", str(project(tmp_path)))
    assert code == 0
    assert out.startswith("ok: 1 sources, 2 people")


def test_validate_errors_exit_2_one_per_line(tmp_path: Path) -> None:
    root = project(tmp_path, meetings=MEETINGS.replace("end: 30", "end: 29").replace("wang]", "qin]"))
    code, _, err = run("validate", "--root", str(root))
    assert code == 2
    lines = err.splitlines()
    assert lines[-1] == "2 error(s)"
    assert all(line.startswith("curation/meetings.yaml:") for line in lines[:-1])


def test_validate_json_lists_errors(tmp_path: Path) -> None:
    root = project(tmp_path, meetings=MEETINGS.replace("end: 30", "end: 29"))
    code, out, _ = run("validate", "--root", str(root), "--json")
    assert code == 2
    [error] = json.loads(out)["errors"]
    assert (error["path"], error["line"], error["field"]) == ("curation/meetings.yaml", 9, "evidence.0.quote")


def test_validate_never_writes(tmp_path: Path) -> None:
    root = project(tmp_path, meetings=MEETINGS.replace("    start: 0\n    end: 30\n", ""))
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert run("validate", "--root", str(root))[0] == 2
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_anchor_prints_offsets_of_a_quote(tmp_path: Path) -> None:
    code, out, err = run("anchor", "--root", str(project(tmp_path)), "src", "candid and constructive")
    assert code == 0
    assert "start: 62\n  end: 85" in out
    assert "called it “[candid and constructive]”" in err


def test_anchor_ambiguous_quote_exits_2(tmp_path: Path) -> None:
    code, _, err = run("anchor", "--root", str(project(tmp_path)), "src", "i")
    assert code == 2 and "add occurrence" in err


def test_anchor_fix_fills_offsets_keeping_comments(tmp_path: Path) -> None:
    meetings = "# my comment\n" + MEETINGS.replace("    start: 0\n    end: 30\n", "")
    root = project(tmp_path, meetings=meetings)
    code, out, _ = run("anchor", "--root", str(root), "--fix")
    assert code == 0 and "1 evidence entry updated" in out
    text = (root / "curation" / "meetings.yaml").read_text()
    assert text.startswith("# my comment\n- id: m1\n")
    assert "    quote: Blinken met Wang Yi in Jakarta\n    start: 0\n    end: 30\n" in text
    assert run("validate", "--root", str(root))[0] == 0


def test_anchor_fix_check_changes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, meetings=MEETINGS.replace("start: 0\n    end: 30", "start: 5\n    end: 35"))
    before = (root / "curation" / "meetings.yaml").read_bytes()
    assert run("anchor", "--root", str(root), "--fix", "--check")[0] == 1
    assert (root / "curation" / "meetings.yaml").read_bytes() == before


def test_anchor_fix_reports_orphans_and_exits_2(tmp_path: Path) -> None:
    root = project(tmp_path, meetings=MEETINGS.replace("quote: Blinken met", "quote: Blinken greeted"))
    code, _, err = run("anchor", "--root", str(root), "--fix")
    assert code == 2 and "orphan: quote not found" in err


def test_every_command_is_documented() -> None:
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert command.help and len(command.help.split()) >= 5, f"kb {name} has no --help text"


def test_exit_codes_usage_errors_are_64_not_2(tmp_path: Path) -> None:
    # 2 means invalid curation: a mistyped command must not look like one (README "Exit codes")
    assert run("no-such-command")[0] == 64
    assert run("validate", "--no-such-option")[0] == 64
    assert run("publish", "--root", str(tmp_path))[0] == 64  # a UsageError raised by the command itself
    assert run("--version")[0] == 0


def test_exit_code_of_an_unexpected_error_is_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("kb.load.pipeline.load", broken)
    assert run("validate", "--root", str(project(tmp_path)))[0] == 1


def test_exit_codes_as_a_shell_sees_them(tmp_path: Path) -> None:
    kb = [sys.executable, "-c", "from kb.cli import main; main()"]
    codes = [subprocess.run([*kb, *args], capture_output=True, timeout=120, check=False).returncode
             for args in (["validate", "--root", str(project(tmp_path))], ["validate", "--bogus"])]
    assert codes == [0, 64]
