"""The curation workflow (.github/workflows/curation.yml) and the pre-commit hooks, run as far as this machine
can: the hooks' commands on the project, the workflow's diff step in a clone with an ``origin``, and its comment
script under Node with GitHub's API replaced by a recording stand-in."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from kb.cli import main
from kb.curate.diffreport import MARKER
from tests import gitrepo
from tests.conftest import ROOT, needs_debian

WORKFLOW = ROOT / ".github" / "workflows" / "curation.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"


def load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text("utf-8"))


def steps() -> list[dict[str, Any]]:
    jobs = load(WORKFLOW)["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def step(name_part: str) -> dict[str, Any]:
    [found] = [s for s in steps() if name_part in s.get("name", "")]
    return found


def test_workflow_runs_on_pull_requests_and_may_comment() -> None:
    workflow = load(WORKFLOW)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"pull_request"}  # never pull_request_target: PR code must not see secrets
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    runs = "\n".join(s.get("run", "") for s in steps())
    for command in ("kb validate", "kb anchor --fix --check", "kb schema-json --check",
                    'kb diff "origin/${BASE_REF}" HEAD'):
        assert command in runs


@pytest.mark.parametrize("hook", load(PRE_COMMIT)["repos"][0]["hooks"], ids=lambda h: h["id"])
def test_pre_commit_hook_passes_on_the_project(hook: dict[str, Any]) -> None:
    program, *args = shlex.split(hook["entry"])
    assert program == "kb" and hook["language"] == "system" and hook["pass_filenames"] is False
    result = CliRunner().invoke(main, [*args, "--root", str(ROOT)])
    assert result.exit_code == 0, result.output


def _clone_with_a_pull_request(tmp_path: Path, change: str) -> Path:
    origin = tmp_path / "origin"
    for folder in ("seeds", "curation"):
        shutil.copytree(ROOT / folder, origin / folder)
    gitrepo.init(origin)
    gitrepo.commit(origin, "main")
    clone = tmp_path / "clone"
    gitrepo.git(tmp_path, "clone", "-q", str(origin), str(clone))
    with (clone / "curation" / "people.yaml").open("a", encoding="utf-8") as people:
        people.write(change)
    gitrepo.commit(clone, "a pull request")
    return clone


def _run_diff_step(clone: Path, tmp_path: Path) -> tuple[str, str]:
    summary = tmp_path / "summary.md"
    env = {**os.environ, "BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = step("What the change does")["run"]
    done = subprocess.run(["bash", "-e", "-c", script], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return (clone / "kb-diff.md").read_text("utf-8"), summary.read_text("utf-8")


def test_workflow_diff_step_writes_the_comment_and_the_summary(tmp_path: Path) -> None:
    clone = _clone_with_a_pull_request(tmp_path, "\n- id: test-new-person\n  name: Test Person\n")
    body, summary = _run_diff_step(clone, tmp_path)
    assert body.startswith(f"{MARKER}\n### Knowledge base diff: origin/main (")
    assert "- **person** `test-new-person` — Test Person (curation/people.yaml:" in body
    assert summary == body


def test_workflow_diff_step_explains_a_change_that_does_not_validate(tmp_path: Path) -> None:
    clone = _clone_with_a_pull_request(tmp_path, "\n- id: test-new-person\n  name: Test Person\n  country: atlantis\n")
    body, _ = _run_diff_step(clone, tmp_path)
    assert body.startswith(f"{MARKER}\n### Knowledge base diff: not available")
    assert "HEAD: curation/people.yaml:" in body and "country: unknown id 'atlantis'" in body


NODE_HARNESS = """
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const github = {
  paginate: async (fn, args) => existing,
  rest: { issues: {
    listComments: "listComments",
    updateComment: async (args) => calls.push(["update", args]),
    createComment: async (args) => calls.push(["create", args]),
  } },
};
const context = { repo: { owner: "o", repo: "r" }, issue: { number: 7 } };
(async () => {
  await (async function () { %s })();
  console.log(JSON.stringify(calls));
})();
"""


@pytest.mark.parametrize(("existing", "action"), [
    ([], "create"),
    ([{"id": 3, "user": {"type": "User"}, "body": "looks good"},
      {"id": 5, "user": {"type": "Bot"}, "body": f"{MARKER}\nold diff"}], "update"),
])
def test_workflow_comment_script_creates_then_updates_one_comment(tmp_path: Path, existing: list[Any],
                                                                  action: str) -> None:
    (tmp_path / "kb-diff.md").write_text(f"{MARKER}\nnew diff\n", "utf-8")
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS % step("Post the diff")["with"]["script"], "utf-8")
    done = subprocess.run([needs_debian("nodejs", "node"), str(harness)], cwd=tmp_path,
                          env={**os.environ, "EXISTING": json.dumps(existing)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    [[kind, args]] = json.loads(done.stdout)
    assert kind == action and args["body"] == f"{MARKER}\nnew diff\n"
    assert args.get("comment_id") == (5 if action == "update" else None)
    assert args.get("issue_number") == (7 if action == "create" else None)
