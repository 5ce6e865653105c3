"""Builds the full-text index of a kept build (kb.graph.kept) in a process of its own, into the build's folder.

``python -m kb.api.indexworker STORE BASE FOLDER`` opens the on-disk store ``STORE`` read-only (the server holds
it open too), reads its documents and writes their index into ``FOLDER``, which must not exist yet. At 100k facts
the build takes seconds of the interpreter's lock and about a gigabyte of transient memory: in the server's own
process they would slow every request meanwhile and stay in its resident memory afterwards (the allocator keeps
what it freed). Exit 0 when written; 1 with a line on stderr otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

from kb.api.textindex import TextIndex, read


def main(argv: list[str]) -> int:
    """Build the index named by ``argv`` (STORE BASE FOLDER); return the exit code."""
    if len(argv) != 3:
        print("usage: python -m kb.api.indexworker STORE BASE FOLDER", file=sys.stderr)
        return 64
    store, base, folder = argv
    try:
        native = ox.Store.read_only(store)
        TextIndex(read(native, base), Path(folder))
    except (OSError, ValueError) as exc:
        print(f"kb.api.indexworker: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
