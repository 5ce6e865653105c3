"""Fill and repair evidence offsets from quotes, so curators never count characters.

Works on ruamel round-trip documents, so comments, key order and formatting survive ``kb anchor --fix``.
A quote is placed by exact match first (``occurrence``/``near`` disambiguate; otherwise the occurrence
nearest the old offset), and an evidence entry that cannot be placed is reported as an orphan, never guessed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kb.sources import AnchorError, locate, occurrences


@dataclass(frozen=True)
class Change:
    """What ``--fix`` did to one evidence entry (``start``/``end`` None for an orphan)."""

    line: int
    source: str
    quote: str
    old: tuple[int | None, int | None]
    new: tuple[int | None, int | None]
    reason: str

    @property
    def orphan(self) -> bool:
        return self.new[0] is None


def _round_trip() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def evidence_nodes(node: Any) -> Iterator[CommentedMap]:
    """Yield every mapping that looks like an evidence entry (has ``source`` and ``quote``)."""
    if isinstance(node, CommentedMap):
        if "source" in node and "quote" in node:
            yield node
        for value in node.values():
            yield from evidence_nodes(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            yield from evidence_nodes(item)


def place(text: str, quote: str, old_start: int | None, occurrence: int | None, near: str | None) -> tuple[int, int]:
    """Return the offsets of ``quote``: exact and unambiguous, or the occurrence nearest ``old_start``.

    Raises AnchorError when the quote is not in the text or is repeated with nothing to choose between them.
    """
    if occurrence is not None or near is not None:
        return locate(text, quote, occurrence, near)
    starts = occurrences(text, quote)
    if len(starts) > 1 and old_start is not None:
        best = min(starts, key=lambda s: abs(s - old_start))
        return best, best + len(quote)
    return locate(text, quote)


def fix_document(document: Any, texts: dict[str, str]) -> list[Change]:
    """Set ``start``/``end`` of every evidence entry in ``document`` in place. Returns what changed or failed."""
    changes: list[Change] = []
    for node in evidence_nodes(document):
        source, quote = str(node["source"]), str(node["quote"])
        old = (node.get("start"), node.get("end"))
        text = texts.get(source)
        line = node.lc.line + 1
        if text is None:
            changes.append(Change(line, source, quote, old, (None, None), f"unknown source {source!r}"))
            continue
        if old[0] is not None and old[1] is not None and text[old[0] : old[1]] == quote:
            continue
        try:
            start, end = place(text, quote, old[0], node.get("occurrence"), node.get("near"))
        except AnchorError as exc:
            changes.append(Change(line, source, quote, old, (None, None), str(exc)))
            continue
        _set_offsets(node, start, end)
        changes.append(Change(line, source, quote, old, (start, end), "filled" if old[0] is None else "moved"))
    return changes


def _set_offsets(node: CommentedMap, start: int, end: int) -> None:
    if "start" in node:
        node["start"], node["end"] = start, end
        return
    position = list(node.keys()).index("quote") + 1
    node.insert(position, "start", start)
    node.insert(position + 1, "end", end)


def fix_text(yaml_text: str, texts: dict[str, str]) -> tuple[str, list[Change]]:
    """Return ``yaml_text`` with every evidence offset filled or moved, and the list of changes."""
    yaml = _round_trip()
    document = yaml.load(yaml_text)
    changes = fix_document(document, texts)
    if not any(not c.orphan for c in changes):
        return yaml_text, changes
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), changes
