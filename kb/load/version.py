"""The version of a knowledge base on disk: a hash of the files it is read from."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kb.load import files

VERSION_CHARS = 16


def kb_version(root: Path) -> str:
    """Return the version of the knowledge base under ``root``: the first 16 hex digits of a sha256 over the
    names and sha256 digests of every seed article and curation file, in sorted order (a file's digest is
    remembered while its stat is unchanged: kb.load.files.sha256).

    A link under seeds/ or curation/ counts by its name alone: its target is never read (kb.load.files), yet
    adding or removing one changes the version, so a live server notices and reports it.
    """
    return fingerprint(root)[0]


def fingerprint(root: Path) -> tuple[str, dict[str, str]]:
    """Return :func:`kb_version` of ``root`` and, from the same digests, the sha256 of every
    input file by path from the root (``unreadable`` for a file that cannot be read, ``refused`` for a link out
    of the tree): what a kept build's manifest records (kb.graph.kept)."""
    digest = hashlib.sha256()
    inputs: dict[str, str] = {}
    listed = files.listing(root)
    for path in listed.seeds + listed.curation:
        shown = path.relative_to(root).as_posix()
        name = shown.encode()
        try:
            sha = files.sha256(path)
        except OSError:
            digest.update(b"unreadable:%d:%s" % (len(name), name))
            inputs[shown] = "unreadable"
            continue
        digest.update(b"%d:%s%s:" % (len(name), name, sha.encode()))
        inputs[shown] = sha
    for error in listed.refused:
        name = error.location.path.encode()
        digest.update(b"refused:%d:%s" % (len(name), name))
        inputs[error.location.path] = "refused"
    return digest.hexdigest()[:VERSION_CHARS], inputs
