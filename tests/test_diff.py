from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from kb.cli import main
from kb.curate.diffreport import MARKER, md
from kb.load import attribution, pipeline
from kb.load.validate import walk
from kb.model.records import KINDS, Evidence
from tests import gitrepo
from tests.conftest import ROOT

NEW_QUOTE_LENGTH = 48


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def edit(path: Path, change: Any) -> None:
    """Load a curation file, let ``change`` alter its records in place, and write it back (comments kept)."""
    yaml = _yaml()
    records = yaml.load(path.read_text("utf-8"))
    change(records)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(records, out)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """The project's seeds/ and curation/ committed into a fresh git repository."""
    for folder in ("seeds", "curation"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    gitrepo.init(tmp_path)
    gitrepo.commit(tmp_path, "the curated knowledge base")
    return tmp_path


def unique_passage(text: str) -> str:
    """Return a passage of the article that occurs once, is not already a whole quote, and is words the
    article attributes to someone (a statement's evidence must be: kb.load.attribution)."""
    for start in range(200, len(text) - NEW_QUOTE_LENGTH, 37):
        passage = text[start : start + NEW_QUOTE_LENGTH]
        span = Evidence(source="any", quote=passage, start=start, end=start + len(passage))
        if (text.count(passage) == 1 and "\n" not in passage and passage == passage.strip()
                and attribution.attributed(text, span)):
            return passage
    raise AssertionError("no unique passage")


def test_diff_of_a_known_edit_between_two_commits(repo: Path) -> None:
    kb = pipeline.load(repo)
    source_id = min(kb.sources)
    passage = unique_passage(kb.articles[source_id].text)
    speaker = min(kb.of("people"))
    meeting_id = min(kb.of("meetings"))
    old_label = kb.meetings[meeting_id].label
    dispute_id = min(kb.of("disputes"))
    dispute = kb.of("disputes")[dispute_id]

    with (repo / "curation" / "statements.yaml").open("a", encoding="utf-8") as statements:
        statements.write(f"\n- id: test-added-statement\n  speaker: {speaker}\n  summary: A statement added in review\n"
                         f"  channel: report\n  evidence:\n  - source: {source_id}\n    quote: {json.dumps(passage)}\n")

    def relabel(records: Any) -> None:
        [meeting] = [r for r in records if r["id"] == meeting_id]
        meeting["label"] = "A relabelled meeting"
        meeting["evidence"].append({"source": source_id, "quote": passage})

    edit(repo / "curation" / "meetings.yaml", relabel)
    edit(repo / "curation" / "disputes.yaml", lambda records: records.pop(
        next(i for i, r in enumerate(records) if r["id"] == dispute_id)))
    assert run("anchor", "--root", str(repo), "--fix")[0] == 0
    before = gitrepo.git(repo, "rev-parse", "HEAD").strip()
    gitrepo.commit(repo, "a known edit")

    code, out, _ = run("diff", "--root", str(repo), before, "HEAD")
    assert code == 0
    assert out.startswith(f"{MARKER}\n### Knowledge base diff: {before[:8]} → HEAD (")
    start = kb.articles[source_id].text.index(passage)
    quote = f"“{md(passage)}” — `{source_id}` {start}..{start + len(passage)}"
    added = out.split("#### Added (1)\n\n")[1].split("\n\n")[0]
    assert added.startswith("- **statement** `test-added-statement` — A statement added in review "
                            "(curation/statements.yaml:")
    assert f"  - speaker: {speaker}\n" in added and f"  - > {quote}" in added
    changed = out.split("#### Changed")[1].split("####")[0]
    assert f"- **meeting** `{meeting_id}` — A relabelled meeting (curation/meetings.yaml:" in changed
    assert f"  - label: ~~{md(old_label)}~~ → A relabelled meeting\n" in changed
    assert f"  - evidence added: {quote}\n" in changed
    disputes = out.split("#### Disputes")[1]
    assert f"- **resolved**: {md(dispute.label)} (`{dispute_id}`)" in disputes  # type: ignore[attr-defined]
    for fact in dispute.facts:  # type: ignore[attr-defined]
        assert f"  - `{fact}` — " in disputes
    assert "#### Removed" not in out

    code, out, _ = run("diff", "--root", str(repo), before, "HEAD", "--json")
    report = json.loads(out)
    assert report["counts"]["records_added"] == 1 and report["counts"]["records_removed"] == 0
    assert report["counts"]["disputes_resolved"] == 1 and report["counts"]["disputes_opened"] == 0
    assert {(r["kind"], r["id"], r["status"]) for r in report["records"]} >= {
        ("statement", "test-added-statement", "added"), ("meeting", meeting_id, "changed")}
    [meeting] = [r for r in report["records"] if r["id"] == meeting_id]
    assert meeting["evidence_added"] == [
        {"of": "", "source": source_id, "start": start, "end": start + len(passage), "quote": passage}]


def _correct_article(repo: Path, source_id: str, change: Any) -> tuple[str, str]:
    """Edit an article with ``change(text) -> text``, run kb anchor --fix and record the new sha256.

    Returns the article's text before and after."""
    kb = pipeline.load(repo)
    article = repo / "seeds" / kb.sources[source_id].file
    before = article.read_text("utf-8")
    article.write_text(change(before), "utf-8")
    assert run("anchor", "--root", str(repo), "--fix")[0] == 0
    sources = repo / "curation" / "sources.yaml"
    new_sha = hashlib.sha256(article.read_bytes()).hexdigest()
    sources.write_text(sources.read_text("utf-8").replace(kb.sources[source_id].sha256, new_sha), "utf-8")
    return before, article.read_text("utf-8")


def test_diff_of_an_edited_article_counts_shifted_evidence_on_the_article(repo: Path) -> None:
    source_id = min(pipeline.load(repo).sources)
    note = "Editor’s note: this article was corrected.\n"
    _correct_article(repo, source_id, lambda text: note + text)

    code, out, _ = run("diff", "--root", str(repo), "HEAD", "--json")  # HEAD against the working tree
    assert code == 0
    report = json.loads(out)
    assert report["head"] == "working tree"
    [article] = report["articles"]
    assert article["source"] == source_id and article["diff"][:2] == ["@@ -1 +1,2 @@", "+" + note.strip()]
    moves = article["shifted"]
    assert moves and all(m["source"] == source_id for m in moves)
    assert all(m["new"] == [m["old"][0] + len(note), m["old"][1] + len(note)] for m in moves)
    assert report["records"] == []  # nothing but shifted spans: no record to review
    c = report["counts"]
    assert c["evidence_shifted"] == len(moves) and c["evidence_moved"] == c["evidence_added"] == 0
    markdown = run("diff", "--root", str(repo), "HEAD")[1]
    assert f"{len(moves)} spans shifted, quotes unchanged" in markdown
    assert "evidence moved" not in markdown


def test_a_one_line_insertion_into_seed_000_reviews_in_under_15_lines(repo: Path) -> None:
    kb = pipeline.load(repo)
    [source_id] = [sid for sid, s in kb.sources.items() if s.file.startswith("000_")]
    inserted = "A line the wire added in a correction."

    def insert(text: str) -> str:
        lines = text.split("\n")
        return "\n".join([*lines[:6], inserted, *lines[6:]])

    _correct_article(repo, source_id, insert)
    code, out, _ = run("diff", "--root", str(repo), "HEAD")
    assert code == 0
    assert len(out.splitlines()) < 15, out
    assert f"\n  +{inserted}\n" in out and "  ```diff\n  @@ -6,2 +6,3 @@\n" in out
    assert re.search(r"; \d+ spans shifted, quotes unchanged\n", out)
    assert "**1 article changed · no record changed · evidence: " in out


def test_diff_of_a_fuzzy_reanchor_says_quote_changed_with_both_passages(repo: Path) -> None:
    kb = pipeline.load(repo)
    source_id = min(kb.sources)
    text = kb.articles[source_id].text
    quoted = {value.quote for kind in KINDS for record in kb.of(kind).values() for _, value in walk(record)
              if isinstance(value, Evidence) and value.source == source_id}
    word = next(w for w in sorted(quoted, key=len, reverse=True) if " the " in w and text.count(w) == 1)
    edited = word.replace(" the ", " that ", 1)
    _correct_article(repo, source_id, lambda t: t.replace(word, edited))
    report = json.loads(run("diff", "--root", str(repo), "HEAD", "--json")[1])
    changes = [q for r in report["records"] for q in r["quotes_changed"]]
    assert word in {q["old"]["quote"] for q in changes}
    assert all(q["new"]["quote"] == q["old"]["quote"].replace(" the ", " that ", 1) for q in changes)
    assert report["counts"]["evidence_added"] == report["counts"]["evidence_removed"] == 0
    markdown = run("diff", "--root", str(repo), "HEAD")[1]
    assert f"  - quote changed: “{md(word)}” → “{md(edited)}” — `{source_id}` " in markdown
    assert any(line.startswith("  -") and word in line for line in markdown.split("```diff")[1].splitlines())


def test_diff_of_reordered_yaml_is_no_change(repo: Path) -> None:
    def reverse_everything(records: Any) -> None:
        records.reverse()
        for record in records:
            for value in record.values():
                if isinstance(value, list):
                    value.reverse()

    for name in ("people.yaml", "meetings.yaml", "statements.yaml", "roles.yaml"):
        edit(repo / "curation" / name, reverse_everything)
    # move one person into a file of its own: curation/people/<file>.yaml is read as people too
    people = _yaml().load((repo / "curation" / "people.yaml").read_text("utf-8"))
    moved = people.pop(0)
    with (repo / "curation" / "people.yaml").open("w", encoding="utf-8") as out:
        _yaml().dump(people, out)
    (repo / "curation" / "people").mkdir()
    with (repo / "curation" / "people" / "moved.yaml").open("w", encoding="utf-8") as out:
        _yaml().dump([moved], out)
    gitrepo.commit(repo, "reorder")
    assert gitrepo.git(repo, "diff", "--stat", "HEAD~1", "HEAD").strip()  # the YAML did change
    code, out, _ = run("diff", "--root", str(repo), "HEAD~1", "HEAD")
    assert code == 0 and "**No change to the knowledge base.**" in out
    report = json.loads(run("diff", "--root", str(repo), "HEAD~1", "--json")[1])
    assert report["triples_added"] == report["triples_removed"] == 0 and report["records"] == []


def test_diff_of_a_broken_side_exits_2_with_its_errors(repo: Path) -> None:
    statements = repo / "curation" / "statements.yaml"
    statements.write_text(statements.read_text("utf-8") + "\n- id: broken\n  speaker: nobody\n")
    code, _, err = run("diff", "--root", str(repo), "HEAD")
    assert code == 2
    assert "error: working tree: does not validate" in err
    assert re.search(r"working tree: curation/statements\.yaml:\d+:\d+: ", err)
    code, _, err = run("diff", "--root", str(repo), "no-such-revision")
    assert code == 2 and "no-such-revision" in err


def test_diff_markdown_escapes_what_github_would_render(repo: Path) -> None:
    assert md("a <b>*c*</b> | `d`\nnext") == r"a &lt;b&gt;\*c\*&lt;/b&gt; \| \`d\` next"
