from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.cli import main
from kb.curate.anchor import Context, fix_text, reanchor
from kb.errors import AnchorError
from kb.load import pipeline
from kb.load.match import end_errors, search, similarity
from tests import gitrepo
from tests.conftest import write_project

OLD = (
    "Blinken met Wang Yi in Jakrta on Thursday, officials said. "
    "The meeting lasted about 90 minutes, longer than planned. "
    "Miller called the talks “candid and constructive” in a readout. "
    "China said it would respond firmly to any provocation by Washington. "
    "Later the meeting lasted about 90 minutes, a Chinese official said.\n"
)
INTRO = "(Updates with details.) A second meeting lasted about 90 minutes in June, the ministry recalled.\n"
NEW = (
    INTRO
    + OLD.replace("Jakrta", "Jakarta")
    .replace("China said it would respond firmly to any provocation by Washington. ", "")
)
SHA_OLD = hashlib.sha256(OLD.encode()).hexdigest()
SHA_NEW = hashlib.sha256(NEW.encode()).hexdigest()


def _offsets(text: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def _evidence(quote: str, occurrence: int = 1, extra: str = "") -> str:
    start, end = _offsets(OLD, quote, occurrence)
    return f"  - source: src\n    quote: \"{quote}\"\n    start: {start}\n    end: {end}\n{extra}"


CURATION = {
    "sources.yaml": f"- id: src\n  file: a.txt\n  sha256: {SHA_OLD}\n  publisher: Test Wire\n  headline: Talks\n",
    "people.yaml": "- id: blinken\n  name: Antony Blinken\n- id: wang\n  name: Wang Yi\n"
                   "- id: miller\n  name: Matthew Miller\n- id: china\n  name: China\n",
    "meetings.yaml": (
        "# yaml-language-server: $schema=../schema/meetings.schema.json\n"
        "- id: m1  # the Jakarta talks\n  kind: talks\n  status: held\n  label: Blinken–Wang talks\n"
        "  participants: [blinken, wang]\n  evidence:\n"
        + _evidence("Blinken met Wang Yi in Jakrta on Thursday")
        + _evidence("lasted about 90 minutes", 2, "    occurrence: 2\n")
    ),
    "statements.yaml": (
        "- id: s1\n  speaker: miller\n  summary: candid and constructive\n  channel: readout\n  evidence:\n"
        + _evidence("candid and constructive")
        + "- id: s2\n  speaker: china\n  summary: would respond\n  channel: statement\n  evidence:\n"
        + _evidence("respond firmly to any provocation")
    ),
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def edited(tmp_path: Path) -> Path:
    """A git repository whose committed article is OLD, with NEW in the working tree."""
    root = gitrepo.init(write_project(tmp_path, CURATION, {"a.txt": OLD}))
    assert pipeline.load(root).counts()["meetings"] == 1
    gitrepo.commit(root, "curated")
    (root / "seeds" / "a.txt").write_text(NEW, "utf-8")
    return root


def test_fix_after_article_edit_moves_changes_and_orphans(edited: Path) -> None:
    code, out, err = run("anchor", "--root", str(edited), "--fix")
    assert code == 2  # the deleted quote is an orphan
    assert "curation/statements.yaml:15: orphan:" in err and "respond firmly" in err
    assert f"set sha256: {SHA_NEW} for source src" in err
    assert "3 evidence entries updated, 1 orphan(s)" in out
    meetings = (edited / "curation" / "meetings.yaml").read_text()
    # changed: the typo fix is found fuzzily and the quote becomes the article's words, style kept
    start, end = _offsets(NEW, "Blinken met Wang Yi in Jakarta on Thursday")
    assert f'quote: "Blinken met Wang Yi in Jakarta on Thursday"\n    start: {start}\n    end: {end}\n' in meetings
    # repeated quote: context finds the right repeat although the intro added one before it
    start, end = _offsets(NEW, "lasted about 90 minutes", 3)
    assert f"start: {start}\n    end: {end}\n    occurrence: 3\n" in meetings
    assert NEW[end:].startswith(", a Chinese official said")
    assert meetings.startswith("# yaml-language-server: $schema=../schema/meetings.schema.json\n- id: m1  # the")
    statements = (edited / "curation" / "statements.yaml").read_text()
    start, end = _offsets(NEW, "candid and constructive")
    assert f"start: {start}\n    end: {end}\n" in statements
    assert _offsets(OLD, "respond firmly to any provocation")[0] != start  # the orphan was left as it was
    assert f"start: {_offsets(OLD, 'respond firmly to any provocation')[0]}\n" in statements


def test_fix_then_recording_the_new_sha_validates(edited: Path) -> None:
    run("anchor", "--root", str(edited), "--fix")
    statements = edited / "curation" / "statements.yaml"
    statements.write_text(statements.read_text().split("- id: s2")[0])
    sources = edited / "curation" / "sources.yaml"
    sources.write_text(sources.read_text().replace(SHA_OLD, SHA_NEW))
    assert run("validate", "--root", str(edited))[0] == 0
    assert run("anchor", "--root", str(edited), "--fix", "--check")[0] == 0  # idempotent


def test_fix_check_reports_but_writes_nothing(edited: Path) -> None:
    before = {p: p.read_bytes() for p in (edited / "curation").iterdir()}
    code, out, _ = run("anchor", "--root", str(edited), "--fix", "--check")
    assert code == 2 and "would change" in out
    assert {p: p.read_bytes() for p in (edited / "curation").iterdir()} == before


def test_fix_without_the_old_version_never_guesses(tmp_path: Path) -> None:
    # Not a git repository: the recorded version cannot be found, so only exact matches move.
    root = write_project(tmp_path, CURATION, {"a.txt": NEW})
    code, _, err = run("anchor", "--root", str(root), "--fix")
    assert code == 2
    assert "recorded version not in git" in err
    # a repeated quote cannot be told apart: its occurrence counted repeats in a text that is gone
    assert "orphan: quote occurs 3 times" in err and "not in git)" in err
    start, end = _offsets(NEW, "candid and constructive")  # unique exact quotes still move
    assert f"start: {start}\n    end: {end}\n" in (root / "curation" / "statements.yaml").read_text()
    assert "orphan: quote not found in the article; closest passage (98% alike)" in err
    assert "'Blinken met Wang Yi in Jakarta on Thursday'" in err
    assert "Jakrta" in (root / "curation" / "meetings.yaml").read_text()


def test_fix_leaves_a_curators_wrong_quote_as_an_orphan(tmp_path: Path) -> None:
    # The article did not change: a quote that does not match is the curator's to fix, not ours to rewrite.
    curation = dict(CURATION, **{"statements.yaml": CURATION["statements.yaml"].replace(
        'quote: "candid and constructive"', 'quote: "candid and constrictive"')})
    root = gitrepo.init(write_project(tmp_path, curation, {"a.txt": OLD}))
    gitrepo.commit(root, "curated")
    code, _, err = run("anchor", "--root", str(root), "--fix")
    assert code == 2 and "orphan: quote not found" in err and "'candid and constructive'" in err
    assert "constrictive" in (root / "curation" / "statements.yaml").read_text()


def test_fix_finds_the_recorded_version_deeper_in_history(edited: Path) -> None:
    gitrepo.commit(edited, "article re-fetched, curation not yet re-anchored")
    (edited / "seeds" / "a.txt").write_text(NEW + "Updated again.\n", "utf-8")
    code, out, _ = run("anchor", "--root", str(edited), "--fix")
    assert code == 2 and "3 evidence entries updated" in out
    assert "Jakarta on Thursday" in (edited / "curation" / "meetings.yaml").read_text()


def test_reanchor_context_beats_nearness() -> None:
    text = "aa the talks lasted an hour, said X. bb the talks lasted an hour, said Y."
    where = Context(position=3, prefix="bb ", suffix=", said Y.")
    placed = reanchor(text, "the talks lasted an hour", where, fuzzy=True)
    assert text[placed.end :].startswith(", said Y")


def test_reanchor_repeats_without_context_are_ambiguous() -> None:
    with pytest.raises(AnchorError, match="occurs 2 times"):
        reanchor("x said no. y said no.", "said no", Context(), fuzzy=False)
    assert reanchor("x said no. y said no.", "said no", Context(position=12), fuzzy=False).start == 13


def test_reanchor_fuzzy_refuses_a_match_whose_context_changed() -> None:
    where = Context(position=0, prefix="Officials said ", suffix=" on Thursday.")
    text = "Analysts doubted that the meeting was candid and constructve at all, whatever came next."
    with pytest.raises(AnchorError, match="scores"):
        reanchor(text, "the meeting was candid and constructive", where, fuzzy=True)


def test_reanchor_fuzzy_refuses_two_equally_good_matches() -> None:
    where = Context(prefix="said ", suffix=" today")
    text = "said the talks were god today; said the talks were goad today"
    with pytest.raises(AnchorError, match="score alike"):
        reanchor(text, "the talks were good", where, fuzzy=True)


def test_reanchor_fuzzy_refuses_a_rewritten_quote() -> None:
    where = Context(prefix="Miller called it ", suffix=".")
    with pytest.raises(AnchorError, match="not even approximately"):
        reanchor("Miller called it frank but useful.", "candid and constructive", where, fuzzy=True)


def test_fix_text_fills_missing_offsets_and_keeps_comments() -> None:
    yaml_text = "# head\n- id: a  # keep\n  evidence:\n  - source: src\n    quote: 'Miller called'\n"
    out, [change] = fix_text(yaml_text, {"src": OLD})
    start, end = _offsets(OLD, "Miller called")
    assert out == f"# head\n- id: a  # keep\n  evidence:\n  - source: src\n    quote: 'Miller called'\n" \
                  f"    start: {start}\n    end: {end}\n"
    assert change.reason == "filled"


def test_search_finds_approximate_matches_with_their_starts() -> None:
    [match] = search("the meeting lasted ninety minutes", "meating lasted", 2)
    assert (match.start, match.end, match.errors) == (4, 18, 1)
    assert search("abc abc", "abc", 1) == search("abc abc", "abc", 0)  # exact matches only, when any
    assert similarity("x candid and constructive y", "candid and constructve") == 1.0 - 1 / 22


def _edit_distances(text: str, pattern: str) -> list[int]:
    """Textbook dynamic programme: fewest edits matching pattern to a substring of text ending at each j."""
    row = [0] * (len(text) + 1)
    for i, char in enumerate(pattern, start=1):
        new = [i] + [0] * len(text)
        for j in range(1, len(text) + 1):
            new[j] = min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (text[j - 1] != char))
        row = new
    return row[1:]


@settings(max_examples=300, deadline=None)
@given(st.text("abć ", max_size=40), st.text("abć ", min_size=1, max_size=70))
def test_end_errors_agrees_with_the_textbook_algorithm(text: str, pattern: str) -> None:
    assert list(end_errors(text, pattern)) == _edit_distances(text, pattern)
