"""A throwaway git repository for tests that need history (``kb diff``, ``kb anchor --fix``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "Test Curator", "GIT_AUTHOR_EMAIL": "curator@example.org",
    "GIT_COMMITTER_NAME": "Test Curator", "GIT_COMMITTER_EMAIL": "curator@example.org",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity and no user config; return stdout. Raises on failure."""
    env = {**os.environ, **_ENV, "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout


def init(root: Path) -> Path:
    """Make ``root`` a git repository on branch main; return ``root``."""
    git(root, "init", "-q", "-b", "main")
    return root


def commit(root: Path, message: str) -> str:
    """Commit everything under ``root``; return the new commit id."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()
