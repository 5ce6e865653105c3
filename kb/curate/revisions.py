"""Earlier versions of the project from git: an edge module (it runs ``git``), used by ``kb diff`` and
``kb anchor --fix``.

Revisions are read with ``git archive`` and ``git show``, never by checking out, so the working tree, the
index and any uncommitted work stay untouched.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

from kb.errors import GitError

PROJECT_PATHS = ("seeds", "curation")
HISTORY_LIMIT = 200


def git(root: Path, *args: str) -> bytes:
    """Run ``git -C root ARGS`` and return its stdout. Raises GitError with git's message."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {message[-1] if message else f'exit {done.returncode}'}")
    return done.stdout


def resolve(root: Path, revision: str) -> str:
    """Return the commit id ``revision`` names. Raises GitError when it names none."""
    return git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()


def export(root: Path, revision: str, dest: Path, paths: tuple[str, ...] = PROJECT_PATHS) -> Path:
    """Write ``paths`` (relative to ``root``) as they are in ``revision`` into ``dest``; return ``dest``.

    A path missing from that revision is skipped (an empty curation/ at the first commit). Raises GitError.
    """
    dest.mkdir(parents=True, exist_ok=True)
    present = [p for p in paths if git(root, "ls-tree", "--name-only", revision, "--", f"./{p}").strip()]
    if not present:
        return dest
    data = git(root, "archive", "--format=tar", revision, "--", *(f"./{p}" for p in present))
    prefix = git(root, "rev-parse", "--show-prefix").decode().strip()
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix(prefix)
            if member.isfile() and not Path(name).is_absolute() and ".." not in Path(name).parts:
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = archive.extractfile(member)
                target.write_bytes(handle.read() if handle else b"")
    return dest


def show(root: Path, revision: str, path: str) -> bytes | None:
    """Return the bytes of ``path`` (relative to ``root``) in ``revision`` (``""`` for the index), or None."""
    try:
        return git(root, "show", f"{revision}:./{path}")
    except GitError:
        return None


def version_with_sha256(root: Path, path: str, sha256: str) -> bytes | None:
    """Return the bytes of the version of ``path`` whose sha256 is ``sha256``: from the index, HEAD, or the
    commits that touched it (newest first, at most ``HISTORY_LIMIT``). None when git has no such version."""
    try:
        log = git(root, "log", f"-n{HISTORY_LIMIT}", "--format=%H", "--", f"./{path}").decode().split()
    except GitError:
        return None
    for revision in ["", "HEAD", *log]:
        data = show(root, revision, path)
        if data is not None and hashlib.sha256(data).hexdigest() == sha256:
            return data
    return None
