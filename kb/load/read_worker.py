"""Parses a share of the curation files for :func:`kb.load.loader.parse_files` in a process of its own.

    python -m kb.load.read_worker < JSON [[path, display, kind], ...]

Writes to stdout a JSON list with, for each file in order, what the fast parser (:mod:`kb.load.fastyaml`) read
(``{"records", "positions", "source"}``), or ``null`` for a file the parent must parse itself: one with an
error (so the error is raised where it is reported) or one only ruamel reads. Fast-path values are
strings, integers, booleans, nulls, lists and mappings with string keys, which JSON carries exactly; a file
with another key is left to the parent too. JSON rather than pickle: nothing read back runs code. A module
run with ``-m``, not a multiprocessing child: those re-import the caller's main script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kb.errors import CurationError
from kb.load.files import read_bytes
from kb.load.gc import gc_paused
from kb.load.loader import parse_yaml


def main() -> None:
    tasks = json.loads(sys.stdin.buffer.read())
    with gc_paused():
        answers = [answer(Path(path), display, kind) for path, display, kind in tasks]
        sys.stdout.write(json.dumps(answers, ensure_ascii=False, separators=(",", ":")))


def answer(path: Path, display: str, kind: str) -> dict[str, Any] | None:
    """Return what the fast parser read from ``path``, or None when the parent must parse it."""
    try:
        parsed = parse_yaml(read_bytes(path), display, kind)  # never through a link: kb.load.files
    except (CurationError, OSError):
        return None  # the parent reports it
    if parsed.source is None or not _string_keys(parsed.records):
        return None  # ruamel's reading, or a key JSON would alter
    positions = [[list(key), line, column] for key, (line, column) in parsed.positions.items()]
    return {"records": parsed.records, "positions": positions, "source": parsed.source}


def _string_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _string_keys(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_string_keys(item) for item in value)
    return isinstance(value, (str, int, bool)) or value is None


if __name__ == "__main__":
    main()
