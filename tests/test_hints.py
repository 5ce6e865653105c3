"""Hints that fix: a quote not in its article gets the closest passage, how alike it is, and the exact fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from kb.cli import main
from kb.load.hints import fold, hint, suggest
from tests.conftest import MINI_ARTICLE, ROOT
from tests.test_validate import MEETINGS, errors_of, project


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_gives_the_closest_passage_and_the_line_that_fixes_it(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("quote: Blinken met Wang Yi in Jakarta", "quote: Blinken met Wang Yi in Djakarta")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert error.startswith("curation/meetings.yaml:9:5: evidence.0.quote: ")
    assert "closest passage (94% alike) at 0..30: \"Blinken met Wang Yi in Jakarta\"" in error
    assert 'write quote: "Blinken met Wang Yi in Jakarta"' in error
    assert "kb anchor src 'Blinken met Wang Yi in Jakarta'" in error
    assert "run kb anchor --fix" not in error  # --fix would only make it an orphan


def test_validate_still_sends_stale_offsets_to_anchor_fix(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("start: 0\n    end: 30", "start: 1\n    end: 31")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert error.endswith("not the quote; run kb anchor --fix")


def test_validate_suggests_curly_quotes_but_never_accepts_straight_ones(tmp_path: Path) -> None:
    start = MINI_ARTICLE.index("“")
    quote = '"candid and constructive"'
    meetings = MEETINGS.replace("quote: Blinken met Wang Yi in Jakarta\n    start: 0\n    end: 30",
                                f"quote: '{quote}'\n    start: {start}\n    end: {start + len(quote)}")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert "other quote marks, dashes or spaces (“ for \", ” for \")" in error
    assert 'quote: "“candid and constructive”"' in error


def test_validate_hints_at_a_quote_without_offsets_too(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("quote: Blinken met Wang Yi in Jakarta\n    start: 0\n    end: 30",
                                "quote: Blinken met Wang Yi in Jakarta on Thursday — Miller")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert "the quote is not in the article; closest passage" in error


def test_anchor_with_a_straight_apostrophe_suggests_the_curly_one(tmp_path: Path) -> None:
    article = "He said China’s defense minister – Li Shangfu – would not meet him.\n"
    root = project(tmp_path)
    (root / "seeds" / "a.txt").write_text(article, "utf-8")
    code, out, err = run("anchor", "--root", str(root), "src", "China's defense minister - Li")
    assert code == 2 and out == ""
    assert "quote not found in the article" in err
    assert "(’ for ', – for -)" in err
    assert "kb anchor src 'China’s defense minister – Li'" in err


def test_fold_keeps_offsets_and_suggest_prefers_variants() -> None:
    text = "a\u00a0b — c’s"
    assert len(fold(text)) == len(text) and fold(text) == "a b - c's"
    found = suggest(text, "a b - c's")
    assert found is not None and found.variants and found.words == text
    assert hint("entirely different words here", "nothing alike at all, none", "src") == ""


def test_a_british_spelling_in_the_projects_quote_gets_the_article_s_words(tmp_path: Path) -> None:
    for folder in ("seeds", "curation"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    meetings = tmp_path / "curation" / "meetings.yaml"
    wrong = "used a meeting with Assistant Secretary of Defence Ely Ratner"
    meetings.write_text(meetings.read_text("utf-8").replace(wrong.replace("Defence", "Defense"), wrong), "utf-8")
    code, _, err = run("validate", "--root", str(tmp_path), "--no-shapes", "-q")
    assert code == 2
    [line] = [e for e in err.splitlines() if "curation/meetings.yaml" in e]
    assert "closest passage (99% alike)" in line and "Assistant Secretary of Defense Ely Ratner" in line
    assert "run kb anchor --fix" not in line
    fixed = re.search(r"write (quote: \"[^\"]+\")", line)
    assert fixed is not None and "Defense" in fixed.group(1)
    code, _, err = run("anchor", "--root", str(tmp_path), "--fix")
    assert code == 2 and "orphan" in err  # what --fix would have done: so validate no longer sends you there
