"""``kb anchor --fix`` keeps a file's formatting: only the lines of values it changes differ, byte for byte."""

from __future__ import annotations

import difflib

from kb.curate.anchor import fix_text
from tests.conftest import ROOT
from tests.test_anchor import NEW, OLD, _offsets

FIXTURE = """\
# yaml-language-server: $schema=../schema/meetings.schema.json
# A header comment, then records separated by blank lines.

- id: m1  # the Jakarta talks
  kind: talks
  label: 'Blinken–Wang talks'
  evidence:
  # a comment above the first entry
  - source: src
    quote: "Blinken met Wang Yi in Jakrta on Thursday"
    start: {a_start}   # kept
    end: {a_end}
  - quote: 'lasted about 90 minutes'  # key order: quote first
    source: src
    occurrence: 2
    start: {b_start}
    end: {b_end}
  - source: src
    quote: candid and constructive

- id: m2
  label: "Second"
  evidence:
  - end: {c_end}
    start: {c_start}
    source: src
    quote: Miller called the talks


# two blank lines before the last record
- id: m3
  evidence:
  - source: src
    quote: "a Chinese official said"
"""


def _fixture() -> str:
    a = _offsets(OLD, "Blinken met Wang Yi in Jakrta on Thursday")
    b = _offsets(OLD, "lasted about 90 minutes", 2)
    c = _offsets(OLD, "Miller called the talks")
    return FIXTURE.format(a_start=a[0], a_end=a[1], b_start=b[0], b_end=b[1], c_start=c[0], c_end=c[1])


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Return the lines only in ``before`` and only in ``after``."""
    gone, came = [], []
    for line in difflib.ndiff(before.splitlines(True), after.splitlines(True)):
        if line.startswith("- "):
            gone.append(line[2:])
        elif line.startswith("+ "):
            came.append(line[2:])
    return gone, came


def test_fix_fills_offsets_without_moving_blank_lines_or_comments() -> None:
    before = _fixture()
    after, changes = fix_text(before, {"src": OLD})
    assert [c.reason for c in changes] == ["filled", "filled"]
    gone, came = _changed_lines(before, after)
    candid, official = _offsets(OLD, "candid and constructive"), _offsets(OLD, "a Chinese official said")
    assert gone == []
    assert came == [f"    start: {candid[0]}\n", f"    end: {candid[1]}\n",
                    f"    start: {official[0]}\n", f"    end: {official[1]}\n"]
    # the new lines sit right under their quote, before the blank line that ends the record
    assert "    quote: candid and constructive\n" \
           f"    start: {candid[0]}\n    end: {candid[1]}\n\n- id: m2\n" in after
    assert after.endswith(f'    quote: "a Chinese official said"\n    start: {official[0]}\n'
                          f"    end: {official[1]}\n")


def test_fix_moves_and_requotes_only_the_changed_lines() -> None:
    before = _fixture()
    after, changes = fix_text(before, {"src": NEW}, {"src": OLD})
    by_quote = {c.quote: c for c in changes}
    assert by_quote["Blinken met Wang Yi in Jakrta on Thursday"].new_quote == \
        "Blinken met Wang Yi in Jakarta on Thursday"
    gone, came = _changed_lines(before, after)
    a = _offsets(NEW, "Blinken met Wang Yi in Jakarta on Thursday")
    b = _offsets(NEW, "lasted about 90 minutes", 3)
    c = _offsets(NEW, "Miller called the talks")
    # each changed value keeps its line, its quoting style and its trailing comment
    assert '    quote: "Blinken met Wang Yi in Jakarta on Thursday"\n' in came
    assert f"    start: {a[0]}   # kept\n" in came
    assert f"    end: {a[1]}\n" in came and f"    start: {b[0]}\n" in came and f"  - end: {c[1]}\n" in came
    assert "    occurrence: 3\n" in came
    assert all(line.strip().split(":")[0] in {"quote", "start", "end", "- end", "occurrence"} for line in came)
    # everything else, byte for byte: the same lines in the same order
    kept_before = [line for line in before.splitlines(True) if line not in gone]
    kept_after = [line for line in after.splitlines(True) if line not in came]
    assert kept_before == kept_after


def test_fix_on_the_sanctions_file_keeps_the_blank_line_between_records() -> None:
    text = (ROOT / "curation" / "sanctions.yaml").read_text("utf-8")
    first_record_end = text.index("\n\n- id: ", text.index("- id: ")) + 1
    added = "  - source: src\n    quote: 'Miller called the talks'\n"
    before = text[:first_record_end] + added + text[first_record_end:]
    after, _ = fix_text(before, {"src": OLD})
    start, end = _offsets(OLD, "Miller called the talks")
    assert after == text[:first_record_end] + added + f"    start: {start}\n    end: {end}\n" \
        + text[first_record_end:]
