"""What a kept build keeps beside it to be patched later, as plain JSON: the incremental loader's reads of every
curation file (records as plain values, positions, text), the sha256 of every article, and how many records
make each shared line.

Plain data, never pickle: the cache folder sits in the root, where a pull request could put files, and reading
it must not run code. Restoring checks the records again (kb.load.validate, from the reads, without parsing
YAML), so a tampered state can at worst give a wrong patch of a build kb would not serve anyway: the manifest
decides what is served, and a restored state whose knowledge base does not validate is refused.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import CurationErrors
from kb.graph.ntriples import LineKey
from kb.load import files, loader
from kb.load.incremental import IncrementalLoader
from kb.model.sources import Article

FORMAT = 2  # 2: shared lines by their keys (kb.graph.ntriples.line_key)
SHARED_BATCH = 50_000


@dataclass
class State:
    """The incremental loader that read a build's files (its cache of every file, and the knowledge base), and
    how many records make each shared line."""

    loader: IncrementalLoader
    shared: Counter[LineKey]


def dump(state: State, path: Path) -> None:
    """Write ``state`` to ``path`` (write, then rename: never half a file). Raises TypeError for a record value
    JSON cannot hold, OSError when it cannot be written."""
    def text(value: object) -> str:
        # json.dumps encodes in C; json.dump to a file walks the document in Python (5 s of 27 at 10k facts).
        # A piece at a time keeps the whole text (166 MB at 100k) out of memory.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def array(pieces: Iterable[str]) -> None:  # a JSON array written a piece at a time
        out.write("[")
        for n, piece in enumerate(pieces):
            out.write(("," if n else "") + piece)
        out.write("]")

    articles = {name: sha for name, (sha, _) in state.loader.articles.items()}
    counts = iter(state.shared.items())
    slices = iter(lambda: list(itertools.islice(counts, SHARED_BATCH)), [])  # 1.2 M counts at 100k facts
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write(f'{{"format":{text(FORMAT)},"articles":{text(articles)},"shared":')
        array(text([[key.hex(), n] for key, n in batch])[1:-1] for batch in slices)  # a slice's items, unbracketed
        out.write(',"files":')
        array(text(_file(name, sha, raw)) for name, sha, raw in state.loader.reads())
        out.write("}")
    os.replace(partial, path)


def _file(name: str, sha: str, raw: loader.RawFile) -> dict[str, Any]:
    return {"name": name, "sha": sha, "path": raw.path, "kind": raw.kind, "records": raw.records,
            "positions": [[list(key), line, column] for key, (line, column) in raw.positions.items()],
            "source": raw.source}


def load(path: Path, root: Path) -> State | None:
    """Return the state written to ``path`` with the loader's knowledge base checked again from its reads, or
    None when there is none, it cannot be read, an article changed since (its old text is gone), or its records
    do not validate."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            return None
        reads = [_restored(f) for f in document["files"]]
        articles = _articles(root, document["articles"])
        shared = Counter({bytes.fromhex(key): n for key, n in document["shared"]})
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None
    if articles is None:
        return None
    restored = IncrementalLoader(root)
    try:
        restored.restore(reads, articles)
    except CurationErrors:
        return None
    return State(restored, shared)


def _restored(found: dict[str, Any]) -> tuple[str, str, loader.RawFile]:
    raw = loader.RawFile(path=found["path"], kind=found["kind"], records=found["records"],
                         positions={tuple(key): (line, column) for key, line, column in found["positions"]},
                         source=found["source"])
    return found["name"], found["sha"], raw


def _articles(root: Path, recorded: dict[str, str]) -> dict[str, tuple[str, Article]] | None:
    """Return the articles under seeds/ as the loader caches them, or None when any differs from ``recorded``."""
    found: dict[str, tuple[str, Article]] = {}
    for article in files.listing(root).seeds:
        data = files.read_bytes(article)
        sha = hashlib.sha256(data).hexdigest()
        if recorded.get(article.name) != sha:
            return None
        found[article.name] = (sha, Article.from_bytes(article.name, data))
    return found if set(found) == set(recorded) else None
