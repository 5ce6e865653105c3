"""Write changed values back into YAML text line by line, so a file keeps its formatting.

ruamel's round-trip dump keeps comments and key order, but not always where a blank line or comment sits: a
comment or blank line after a mapping's last value belongs, for ruamel, to that value, so a key inserted after
it lands below the blank line and the blank line before the next record disappears. Here the YAML text is
edited in place: a changed value replaces the lines of its own entry; a new key is written as a line right
after the entry it follows, at that entry's indentation. Every other byte is left as it was.

:func:`apply` returns None when it cannot be sure (a value it cannot write on one line, a result that does not
read back as the intended document); the caller then falls back to ruamel's dump.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml as pyyaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

_INT_VALUE = re.compile(r"^(?P<head>.*?:[ \t]*)(?P<value>-?\d+|null|~)?(?P<tail>[ \t]*(#.*)?)$")


@dataclass(frozen=True)
class Entry:
    """One key of a mapping as written: the lines its entry spans (first..last, 0-based) and its column."""

    key: str
    first: int
    last: int
    column: int


def entries(node: CommentedMap, lines: list[str], keys: list[str]) -> dict[str, Entry]:
    """Return where each of ``keys`` (the keys ``node`` was read with, in order) is written in ``lines``.

    An entry runs from its key's line to the line before the next key, or, for the last key, over the lines
    indented deeper than the key; trailing blank and comment lines belong to no entry.
    """
    found: dict[str, Entry] = {}
    for index, key in enumerate(keys):
        line, column = node.lc.key(key)
        if index + 1 < len(keys):
            stop = node.lc.key(keys[index + 1])[0]
        else:
            stop = line + 1
            while stop < len(lines) and (not lines[stop].strip() or _indent(lines[stop]) > column):
                stop += 1
        last = stop - 1
        while last > line and (not lines[last].strip() or lines[last].lstrip().startswith("#")):
            last -= 1
        found[str(key)] = Entry(str(key), line, last, column)
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def scalar(old: Any, new: Any) -> str | None:
    """Return ``new`` written as a one-line YAML scalar in the style ``old`` was written in, or None."""
    if isinstance(new, bool) or new is None:
        return None
    if isinstance(new, int):
        return str(new)
    text = str(new)
    if isinstance(old, SingleQuotedScalarString):
        return "'" + text.replace("'", "''") + "'" if "\n" not in text else None
    if isinstance(old, DoubleQuotedScalarString) or type(old) is not str:
        return json.dumps(text, ensure_ascii=False)
    try:
        plain = pyyaml.safe_load(f"k: {text}") == {"k": text} and "\n" not in text
    except pyyaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _replaced(lines: list[str], entry: Entry, value: str) -> list[str]:
    """Return the lines that write ``entry`` with ``value``: a number in place, keeping a trailing comment."""
    head = lines[entry.first]
    match = _INT_VALUE.match(head)
    if entry.first == entry.last and match and re.fullmatch(r"-?\d+", value):
        return [f"{match['head']}{value}{match['tail']}"]
    prefix = head[: entry.column]
    return [f"{prefix}{entry.key}: {value}"]


def apply(text: str, changes: list[tuple[CommentedMap, dict[str, Any]]],
          reads_back: Callable[[str], bool]) -> str | None:
    """Return ``text`` with each node's changed keys rewritten and new keys added, or None when unsure.

    ``changes`` holds, for each node that changed, its values before the change (a key it did not have is
    absent); the node itself holds the values after. ``reads_back(new_text)`` says whether the result reads as
    the intended document.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    edits: list[tuple[int, int, list[str]]] = []  # (from, to) lines replaced by new lines, to exclusive
    for node, before in changes:
        where = entries(node, lines, list(before))
        inserted: list[str] | None = None  # the lines being added after the previous key, if it is new
        previous_key: str | None = None
        column = 0
        for key, value in node.items():
            key = str(key)
            if key in before:
                inserted = None
                if key in where and (before[key] != value or type(before[key]) is not type(value)):
                    written = scalar(before[key], value)
                    if written is None:
                        return None
                    entry = where[key]
                    edits.append((entry.first, entry.last + 1, _replaced(lines, entry, written)))
            else:
                written = scalar(None, value)
                if written is None or previous_key is None:
                    return None
                if inserted is None:
                    after = where[previous_key]
                    inserted = []
                    edits.append((after.last + 1, after.last + 1, inserted))
                    column = after.column
                inserted.append(" " * column + f"{key}: {written}")
            previous_key = key
    for start, stop, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:stop] = new
    out = newline.join(lines)
    return out if reads_back(out) else None


def plain(node: Any) -> Any:
    """Return a ruamel document as plain lists, dicts and scalars, for comparing two documents."""
    if isinstance(node, CommentedMap):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
