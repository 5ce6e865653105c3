"""docs/curating.md is run as written: its ``bash`` blocks in order, in one shell, on a copy of the project.

A ``text`` block right after a ``bash`` block is what that block prints: each of its lines must appear in one
line of the output, where ``…`` stands for anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests import gitrepo
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "curating.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
MARK = "<<<kb-doc-block {}>>>"


def fenced(text: str) -> list[tuple[str, str]]:
    """Return every fenced block of ``text`` as (language, body), in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def commands_and_outputs(text: str) -> list[tuple[str, str | None]]:
    """Return each bash block with the text block that follows it, if one does."""
    blocks = fenced(text)
    pairs: list[tuple[str, str | None]] = []
    for index, (language, body) in enumerate(blocks):
        if language == "bash":
            following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
            pairs.append((body, following[1] if following[0] == "text" else None))
    return pairs


def shows(expected: str, output: str) -> list[str]:
    """Return the expected lines that no output line matches (``…`` matches anything)."""
    lines = output.splitlines()
    missing = []
    for want in filter(None, (line.strip() for line in expected.splitlines())):
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("…")))
        if not any(pattern.search(line) for line in lines):
            missing.append(want)
    return missing


def test_the_guide_has_commands_and_outputs_to_check() -> None:
    pairs = commands_and_outputs(GUIDE.read_text("utf-8"))
    assert len(pairs) >= 10 and sum(1 for _, out in pairs if out) >= 6


def test_every_bash_block_of_the_guide_works_on_a_copy_of_the_project(tmp_path: Path) -> None:
    repo = tmp_path / "kb"
    for folder in ("seeds", "curation", "schema", "docs"):
        shutil.copytree(ROOT / folder, repo / folder)
    gitrepo.init(repo)
    gitrepo.commit(repo, "the project")
    pairs = commands_and_outputs(GUIDE.read_text("utf-8"))
    script = ["set -euo pipefail", "exec 2>&1"]
    for index, (body, _) in enumerate(pairs):
        script += [f"echo '{MARK.format(index)}'", body]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "New Curator", "GIT_AUTHOR_EMAIL": "curator@example.org",
           "GIT_COMMITTER_NAME": "New Curator", "GIT_COMMITTER_EMAIL": "curator@example.org"}
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:]
    outputs = re.split(r"^<<<kb-doc-block \d+>>>\n", done.stdout, flags=re.MULTILINE)[1:]
    assert len(outputs) == len(pairs), done.stdout[-4000:]
    for index, ((body, expected), output) in enumerate(zip(pairs, outputs, strict=True)):
        if expected is not None:
            assert shows(expected, output) == [], f"block {index}:\n{body}\nprinted:\n{output}"
    assert not (tmp_path / "kb-practice").exists()  # the walkthrough cleans up after itself
    assert gitrepo.git(repo, "status", "--porcelain") == ""
