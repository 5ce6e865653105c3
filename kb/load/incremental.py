"""Incremental loading: after an edit, read and check only the files whose bytes changed.

:func:`kb.load.pipeline.load` reads, parses and checks every file every time, which on a large knowledge base
takes long (docs/performance.md). :class:`IncrementalLoader` keeps, per file and keyed by the sha256 of its
bytes, what was read (:class:`~kb.load.loader.RawFile`) and the records parsed from it (pydantic models are
frozen, so they are shared safely between versions). A reload then costs: hashing the files, parsing the
changed ones, and the cross-record checks of their records only (:class:`kb.load.validate.Checker`).

When is checking only the changed files' records enough? When every other record's checks would give the
same answer as last time: no article changed (evidence offsets are checked against article text), no id
disappeared or changed kind (other records may refer to it), and the previous version was valid. Otherwise
— and whenever anything is wrong, so that error messages are exactly :func:`kb.load.validate.check`'s, in its
order — the whole knowledge base is checked again (from the cached reads, so still without re-parsing YAML).
:meth:`IncrementalLoader.load` always returns what ``pipeline.load`` would, or raises the same errors.

The graph is rebuilt separately (kb.graph.builder, kb.graph.store); the per-file design for that step is in
docs/performance.md ("Editing one file").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from kb.errors import CurationError, Location
from kb.load import files, loader, validate
from kb.load.gc import gc_paused
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import KINDS, CuratedRecord
from kb.model.sources import Article


@dataclass
class _File:
    """One curation file as last read: its bytes' hash, what was read, and the ids of its records in order."""

    sha: str
    raw: loader.RawFile
    ids: list[str] = field(default_factory=list)


@dataclass
class Stats:
    """What the last :meth:`IncrementalLoader.load` did: files re-read, and whether it checked everything."""

    files: int = 0
    parsed: int = 0
    full_check: bool = True
    reason: str = "first load"


class IncrementalLoader:
    """``pipeline.load(root)`` that remembers each file, so the next load redoes only what changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, _File] = {}
        self.articles: dict[str, tuple[str, Article]] = {}
        self.kb: KnowledgeBase | None = None
        self.stats = Stats()

    def _read_articles(self, listed: files.Listing, errors: list[CurationError]) -> bool:
        """Refresh the article cache; return True when any article was added, changed or removed."""
        found: dict[str, tuple[str, Article]] = {}
        changed = False
        for path in listed.seeds:
            try:
                sha = files.sha256(path)  # an unchanged file is not read again
                cached = self.articles.get(path.name)
                if cached is not None and cached[0] == sha:
                    found[path.name] = cached
                    continue
                data = files.read_bytes(path)
                sha = hashlib.sha256(data).hexdigest()  # what was read, should it have changed since
            except OSError as exc:
                errors.append(loader.unreadable(path.relative_to(self.root).as_posix(), exc))
                continue
            changed = True
            try:
                found[path.name] = (sha, Article.from_bytes(path.name, data))
            except UnicodeDecodeError:
                errors.append(CurationError(Location(path.relative_to(self.root).as_posix()), "unreadable"))
        changed |= set(found) != set(self.articles)
        self.articles = found
        return changed

    def _read_curation(self, listed: files.Listing, errors: list[CurationError]) -> tuple[list[str], list[str]]:
        """Refresh the file cache; return the display paths of changed (or new) files and of removed files."""
        curation = self.root / "curation"
        seen: dict[str, _File] = {}
        dirty: list[str] = []
        tasks: list[loader.Task] = []
        shas: list[str] = []
        order: list[str] = []
        for path in listed.curation:
            display = path.relative_to(self.root).as_posix()
            order.append(display)
            try:
                sha = files.sha256(path)
            except OSError as exc:
                errors.append(loader.unreadable(display, exc))
                continue
            cached = self.files.get(display)
            if cached is not None and cached.sha == sha:
                seen[display] = cached
                continue
            dirty.append(display)
            kind = loader.kind_of(path, curation)
            if kind is None:
                errors.append(CurationError(Location(display, 1, 1), "unknown file kind"))
                continue
            tasks.append((path, display, kind))
            shas.append(sha)
        # Read again to parse: a save in between leaves a hash that no longer matches, so the next look
        # re-reads.
        for (_, display, _), sha, parsed in zip(tasks, shas, loader.parse_files(tasks), strict=True):
            if isinstance(parsed, CurationError):
                errors.append(parsed)
            else:
                seen[display] = _File(sha, parsed)
        seen = {name: seen[name] for name in order if name in seen}  # file order, as loader.read gives them
        removed = [name for name in self.files if name not in seen]
        self.files = seen
        self.stats.parsed = len(dirty)
        return dirty, removed

    def _full(self, reason: str) -> KnowledgeBase:
        """Check everything with kb.load.validate (from the cached reads); raises its CurationErrors
        unchanged."""
        self.kb = None
        self.stats.full_check, self.stats.reason = True, reason
        raw = loader.read(self.root) if reason == "read errors" else loader.RawKnowledgeBase(
            articles={name: article for name, (_, article) in self.articles.items()},
            files=[f.raw for f in self.files.values()], errors=[])
        kb = validate.check(raw)
        for file in self.files.values():
            file.ids = [r["id"] for r in file.raw.records if isinstance(r, dict)]
        self.kb = kb
        return kb

    def reads(self) -> list[tuple[str, str, loader.RawFile]]:
        """Return what was last read of each curation file: its path from the root, its sha256, the read."""
        return [(name, file.sha, file.raw) for name, file in self.files.items()]

    def restore(self, reads: list[tuple[str, str, loader.RawFile]],
                articles: dict[str, tuple[str, Article]]) -> KnowledgeBase:
        """Take ``reads`` (as :meth:`reads` gave them) and ``articles`` (by file name: sha256 and article) as
        this loader's cache, and return the knowledge base they make, checked in full, without parsing YAML:
        the next :meth:`load` re-reads only the files changed since. Raises CurationErrors."""
        self.files = {name: _File(sha, raw) for name, sha, raw in reads}
        self.articles = dict(articles)
        return self._full("restored")

    @gc_paused()
    def load(self) -> KnowledgeBase:
        """Return the validated knowledge base under ``root``, as ``pipeline.load`` does. Raises
        CurationErrors."""
        listed = files.listing(self.root)  # links under seeds/ and curation/ are refused, never followed
        errors: list[CurationError] = list(listed.refused)
        ids_before = {name: file.ids for name, file in self.files.items()}
        articles_changed = self._read_articles(listed, errors)
        dirty, removed = self._read_curation(listed, errors)
        self.stats.files = len(self.files)
        if errors:
            return self._full("read errors")  # loader.read words these errors; let it
        if self.kb is None:
            return self._full("first load" if not ids_before else "the previous version did not validate")
        if articles_changed:
            return self._full("an article changed")
        if not dirty and not removed:
            self.stats.full_check, self.stats.reason = False, "nothing changed"
            return self.kb
        try:
            old_ids = [rid for name in dirty + removed for rid in ids_before.get(name, [])]
            kb = self._update(self.kb, dirty, old_ids)
        except _Fallback as exc:
            return self._full(str(exc))
        self.kb = kb
        self.stats.full_check, self.stats.reason = False, f"{len(dirty)} changed, {len(removed)} removed"
        return kb

    def _parse(self, dirty: list[str], old: KnowledgeBase, old_ids: set[str]) -> dict[str, _Parsed]:
        """Parse the changed files' records. Raises _Fallback on anything kb.load.validate would report."""
        parsed: dict[str, _Parsed] = {}
        for name in dirty:
            file = self.files[name].raw
            model = KINDS[file.kind]
            for index, data in enumerate(file.records):
                if not isinstance(data, dict):
                    raise _Fallback("a record is not a mapping")
                try:
                    record = model.model_validate(data)
                except ValidationError:
                    raise _Fallback("a record does not validate") from None
                rid = record.id
                if rid in parsed or (rid in old.kinds and rid not in old_ids):
                    raise _Fallback(f"duplicate id {rid!r}")
                parsed[rid] = _Parsed(record, file, index)
        return parsed

    def _update(self, old: KnowledgeBase, dirty: list[str], old_ids: list[str]) -> KnowledgeBase:
        """Return the new knowledge base: the changed files parsed and checked, every other record kept."""
        parsed = self._parse(dirty, old, set(old_ids))
        for rid in old_ids:
            now = parsed.get(rid)
            if now is None or now.file.kind != old.kinds[rid]:
                raise _Fallback(f"id {rid!r} removed or changed kind")  # other records may refer to it
            if now.file.kind == "sources":
                raise _Fallback("a source changed")  # evidence everywhere is checked against it
        for name in dirty:
            self.files[name].ids = [rid for rid, p in parsed.items() if p.file is self.files[name].raw]
        kb = self._assemble(old, parsed)
        origin = {rid: (p.file, p.index) for rid, p in parsed.items()}
        for name, file in self.files.items():  # dispute checks look across all disputes: there are few
            if file.raw.kind == "disputes":
                origin.update({rid: (file.raw, index) for index, rid in enumerate(file.ids)})
        if validate.Checker(kb, origin).run():
            raise _Fallback("errors")  # kb.load.validate reports them, in its words and order
        return kb

    def _assemble(self, old: KnowledgeBase, parsed: dict[str, _Parsed]) -> KnowledgeBase:
        """Return the knowledge base with records in file order, as kb.load.validate builds it."""
        kb = KnowledgeBase(articles=old.articles)
        for file in self.files.values():
            kind = file.raw.kind
            if not any(rid in parsed for rid in file.ids):  # an unchanged file: its records as they were, in bulk
                records: dict[str, CuratedRecord] = getattr(kb, kind)
                kept = old.of(kind)
                records.update((rid, kept[rid]) for rid in file.ids)
                kb.kinds.update(dict.fromkeys(file.ids, kind))
                kb.locations.update((rid, old.locations[rid]) for rid in file.ids)
                continue
            for index, rid in enumerate(file.ids):
                fresh = parsed.get(rid)
                if fresh is not None:
                    kb.add(fresh.record)
                    kb.locations[rid] = fresh.file.location((index,))
                else:
                    kb.add(old.of(kind)[rid])
                    kb.locations[rid] = old.locations[rid]
        return kb


@dataclass(frozen=True)
class _Parsed:
    record: CuratedRecord
    file: loader.RawFile
    index: int


class _Fallback(Exception):
    """The changed files cannot be checked alone; check everything (the message says why)."""
