"""``kb suggest --accept DRAFT``: add the evidence a curator kept in a draft to the records it names.

Each draft record (:mod:`kb.curate.draft`) names a person, organization, place or role; its evidence entries are
appended to that record's ``evidence`` (for a role, to the evidence of the title with the same wording, or as a
new title). The curation files are edited as text, line by line (as :mod:`kb.curate.yamltext` does), so nothing
else in them moves; an entry the record already has is not added twice. The draft is removed once every record
in it has found its place; otherwise nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kb.curate.draft import KIND_OF_FIELD
from kb.curate.yamltext import entries, plain
from kb.errors import CurationError, CurationErrors, Location
from kb.load import loader
from kb.load.validate import DRAFTS


@dataclass(frozen=True)
class Added:
    """One evidence entry added to a record (``title`` for a role's title), in ``path``."""

    path: str
    record: str
    title: str | None
    source: str
    quote: str


def _error(draft: Path, root: Path, item: Any, message: str) -> CurationErrors:
    line = item.lc.line + 1 if hasattr(item, "lc") else 1
    shown = draft.resolve().relative_to(root.resolve()).as_posix() if draft.resolve().is_relative_to(root.resolve()) \
        else str(draft)
    return CurationErrors([CurationError(Location(shown, line, 1), message)])


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    return yaml


def _records(root: Path) -> dict[str, tuple[Path, CommentedMap]]:
    """Return every curated record by id with the file it is written in (drafts left out)."""
    found: dict[str, tuple[Path, CommentedMap]] = {}
    for path in loader.curation_files(root / "curation"):
        if path.relative_to(root / "curation").parts[0] == DRAFTS:
            continue
        document = _yaml().load(path.read_text("utf-8"))
        for node in document if isinstance(document, CommentedSeq) else []:
            if isinstance(node, CommentedMap) and "id" in node:
                found[str(node["id"])] = (path, node)
    return found


def _entry_lines(entry: Any, dash: int) -> list[str]:
    pad = " " * dash
    quote = json.dumps(str(entry["quote"]), ensure_ascii=False)
    lines = [f"{pad}- source: {entry['source']}", f"{pad}  quote: {quote}"]
    return lines + [f"{pad}  {key}: {entry[key]}" for key in ("start", "end", "occurrence") if key in entry]


def _known(evidence: Any, entry: Any) -> bool:
    return any(isinstance(e, CommentedMap) and (e.get("source"), e.get("start"), e.get("end"))
               == (entry["source"], entry.get("start"), entry.get("end")) for e in evidence or [])


Edit = tuple[int, int, list[str]]  # lines [from, to) replaced by these


def _insertion(node: CommentedMap, lines: list[str], key: str, fresh: list[Any]) -> Edit:
    """Return the edit adding ``fresh`` entries to the block list under ``key`` of ``node``: after its last
    item; or, when the list is empty or written inline, the key written again as a block list with them."""
    existing = node.get(key)
    where = entries(node, lines, [str(k) for k in node])
    if isinstance(existing, CommentedSeq) and existing and existing.fa.flow_style() is False:
        after = where[key].last + 1
        return after, after, [line for e in fresh for line in _entry_lines(e, existing.lc.col)]
    if key in where:  # "evidence: []" or an inline list: written again as a block list, old items kept
        entry = where[key]
        kept = [e for e in existing or [] if isinstance(e, CommentedMap)]
        return entry.first, entry.last + 1, [f"{' ' * entry.column}{key}:", *(
            line for e in [*kept, *fresh] for line in _entry_lines(e, entry.column))]
    last = where[list(where)[-1]]
    return last.last + 1, last.last + 1, [f"{' ' * last.column}{key}:",
                                          *(line for e in fresh for line in _entry_lines(e, last.column))]


def accept(root: Path, draft: Path) -> list[Added]:
    """Add the evidence kept in ``draft`` to the records it names, remove the draft; return what was added.

    Raises CurationErrors (at the draft's line), writing nothing, when a draft record names no known record
    or is malformed.
    """
    records = _records(root)
    document = _yaml().load(draft.read_text("utf-8")) or []
    edits: dict[Path, list[Edit]] = {}
    texts: dict[Path, list[str]] = {}
    added: list[Added] = []
    for item in document:
        field = next((f for f in KIND_OF_FIELD if isinstance(item, CommentedMap) and f in item), None)
        if field is None or not isinstance(item.get("evidence"), CommentedSeq):
            raise _error(draft, root, item, "a draft record names a person, organization, place or role, "
                                "and has evidence")
        rid = str(item[field])
        if rid not in records:
            raise _error(draft, root, item, f"no record {rid!r} in curation/")
        path, node = records[rid]
        lines = texts.setdefault(path, path.read_text("utf-8").split("\n"))
        title = None if item.get("title") is None else str(item["title"])
        target = _title(node, title) if field == "role" else node
        fresh = [e for e in item["evidence"] if not _known(target.get("evidence") if target else None, e)]
        if not fresh:
            continue
        edit = _new_title(node, lines, str(title), fresh) if target is None \
            else _insertion(target, lines, "evidence", fresh)
        edits.setdefault(path, []).append(edit)
        added += [Added(path.relative_to(root).as_posix(), rid, title, str(e["source"]), str(e["quote"]))
                  for e in fresh]
    for path, changes in edits.items():
        lines = texts[path]
        for start, stop, new in sorted(changes, key=lambda c: c[0], reverse=True):
            lines[start:stop] = new
        _check(path, "\n".join(lines), [a for a in added if a.path == path.relative_to(root).as_posix()])
    for path in edits:
        path.write_text("\n".join(texts[path]), "utf-8")
    draft.unlink()
    return added


def _check(path: Path, text: str, added: list[Added]) -> None:
    """Raise CurationErrors unless ``text`` reads as YAML holding every entry of ``added`` in its record."""
    document = _yaml().load(text)
    found = {str(n["id"]): plain(n) for n in document if isinstance(n, CommentedMap) and "id" in n}
    for entry in added:
        record = found.get(entry.record, {})
        spans = record.get("evidence", []) + [e for t in record.get("titles", []) for e in t.get("evidence", [])]
        if not any(e.get("source") == entry.source and e.get("quote") == entry.quote for e in spans):
            raise CurationErrors([CurationError(Location(path.name, 1, 1), f"could not add {entry.quote!r} to "
                                                f"{entry.record} without rewriting the file; add it by hand")])


def _title(node: CommentedMap, wording: str | None) -> CommentedMap | None:
    """Return the title of a role worded ``wording``, None when the role has none so worded."""
    titles = node.get("titles")
    for title in titles if isinstance(titles, CommentedSeq) else []:
        if isinstance(title, CommentedMap) and str(title.get("text")) == wording:
            return title
    return None


def _new_title(node: CommentedMap, lines: list[str], wording: str, evidence: list[Any]) -> Edit:
    """Return the edit adding a title worded ``wording``, with ``evidence``, to the role ``node``."""
    titles = node.get("titles")
    if not isinstance(titles, CommentedSeq) or not titles:
        raise CurationErrors([CurationError(Location("curation", 1, 1), f"role {node.get('id')!r} has no titles")])
    where = entries(node, lines, [str(k) for k in node])
    pad = " " * titles.lc.col
    new = [f"{pad}- text: {json.dumps(wording, ensure_ascii=False)}", f"{pad}  evidence:"]
    new += [line for e in evidence for line in _entry_lines(e, titles.lc.col + 2)]
    after = where["titles"].last + 1
    return after, after, new
