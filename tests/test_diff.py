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
from kb.load import pipeline
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
    """Return a passage of the article that occurs once and is not already a whole quote."""
    for start in range(200, len(text) - NEW_QUOTE_LENGTH, 37):
        passage = text[start : start + NEW_QUOTE_LENGTH]
        if text.count(passage) == 1 and "\n" not in passage and passage == passage.strip():
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


def test_diff_of_an_edited_article_reports_moved_evidence(repo: Path) -> None:
    kb = pipeline.load(repo)
    source_id = min(kb.sources)
    article = repo / "seeds" / kb.sources[source_id].file
    note = "Editor’s note: this article was corrected.\n"
    article.write_bytes(note.encode() + article.read_bytes())
    sources = repo / "curation" / "sources.yaml"
    old_sha = kb.sources[source_id].sha256
    assert run("anchor", "--root", str(repo), "--fix")[0] == 0
    sources.write_text(sources.read_text("utf-8").replace(old_sha, hashlib.sha256(article.read_bytes()).hexdigest()))

    code, out, _ = run("diff", "--root", str(repo), "HEAD", "--json")  # HEAD against the working tree
    assert code == 0
    report = json.loads(out)
    assert report["head"] == "working tree"
    moves = [m for r in report["records"] for m in r["evidence_moved"]]
    assert moves and all(m["source"] == source_id for m in moves)
    assert all(m["new"] == [m["old"][0] + len(note), m["old"][1] + len(note)] for m in moves)
    assert report["counts"]["evidence_added"] == report["counts"]["evidence_removed"] == 0
    [source] = [r for r in report["records"] if r["kind"] == "source"]
    assert {f["field"] for f in source["fields"]} == {"sha256", "text"}
    others = [r for r in report["records"] if r["kind"] != "source"]
    assert others and all(r["status"] == "changed" and not r["fields"] for r in others)
    markdown = run("diff", "--root", str(repo), "HEAD")[1]
    assert re.search(rf"  - evidence moved: “.+” — `{source_id}` \d+\.\.\d+ → \d+\.\.\d+", markdown)


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
