"""The version of a knowledge base on disk: a hash of the files it is read from."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kb.load.loader import curation_files

VERSION_CHARS = 16


def kb_version(root: Path) -> str:
    """Return the version of the knowledge base under ``root``: the first 16 hex digits of a sha256 over the
    names and bytes of every seed article and curation file, in sorted order."""
    digest = hashlib.sha256()
    seeds = root / "seeds"
    paths = sorted(p for p in seeds.iterdir() if p.is_file()) if seeds.is_dir() else []
    paths += list(curation_files(root / "curation")) if (root / "curation").is_dir() else []
    for path in paths:
        name = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()[:VERSION_CHARS]
