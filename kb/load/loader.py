"""Read seeds and curation files into raw records that remember where each value was written.

Phase one of loading (followthemoney's ``Model._load``): every file is read alone, safely, into plain Python
values plus a map from each value's path to its line and column. Nothing here knows what a fact means.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from kb.errors import CurationError, Location
from kb.load import fastyaml, files
from kb.load.gc import gc_paused
from kb.model.records import KINDS
from kb.model.sources import Article

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 12

PathKey = tuple[str | int, ...]


@dataclass
class RawFile:
    """One curation file: its kind, its records as plain values, and where each value sits.

    Files read by the fast parser keep only each record's position plus their own text (``source``); the
    position of every nested value is worked out from that text the first time an error asks for one, so a
    large, valid knowledge base never holds millions of positions in memory.
    """

    path: str
    kind: str
    records: list[Any]
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    source: str | None = field(default=None, repr=False, compare=False)

    def location(self, key: PathKey) -> Location:
        """Return the location of the value at ``key``, or of its nearest written ancestor."""
        if self.source is not None and key not in self.positions:
            self.positions = fastyaml.positions(self.source)
            self.source = None
        while key not in self.positions and key:
            key = key[:-1]
        line, column = self.positions.get(key, (1, 1))
        return Location(self.path, line, column)


class _TextDates(RoundTripConstructor):
    """Keep unquoted dates (``2023-07-13``) as text: the models check them and keep their precision."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    # Round-trip mode keeps line numbers and is safe: it builds only maps, lists and scalars, never objects.
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _TextDates
    yaml.allow_duplicate_keys = False
    return yaml


def _plain(node: Any, key: PathKey, positions: dict[PathKey, tuple[int, int]], depth: int) -> Any:
    """Turn ruamel's commented containers into dicts and lists, recording each item's line and column."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for name, value in node.items():
            child = (*key, str(name))
            line, column = node.lc.key(name) if name in node.lc.data else (0, 0)
            positions[child] = (line + 1, column + 1)
            out[str(name)] = _plain(value, child, positions, depth + 1)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*key, index)
            line, column = node.lc.item(index) if index in node.lc.data else (0, 0)
            positions[child] = (line + 1, column + 1)
            items.append(_plain(value, child, positions, depth + 1))
        return items
    return node


def _refusal(event: Any, open_maps: list[bool | None]) -> str | None:
    """Return why one parse event may not appear in a curation file, or None."""
    if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
        return "YAML anchors and aliases are not allowed in curation files; write the value out"
    if getattr(event, "tag", None):
        return f"YAML tags ({event.tag}) are not allowed in curation files; quote the value instead"
    if isinstance(event, DocumentStartEvent) and event.version not in (None, (1, 2)):
        version = ".".join(map(str, event.version))
        return f"curation files are YAML 1.2, not {version}; remove the %YAML directive"
    is_key = bool(open_maps) and open_maps[-1] is True
    if isinstance(event, ScalarEvent) and is_key and event.style is None and event.value == "<<":
        return "YAML merge keys (<<) are not allowed in curation files; write the keys out"
    if isinstance(event, (ScalarEvent, CollectionStartEvent)) and len(open_maps) > MAX_DEPTH:
        return f"nesting deeper than {MAX_DEPTH} levels"
    return None


def _refuse_unsafe(text: str, display: str) -> None:
    """Reject, from the parse events and before anything is built, what a curation file must not hold.

    Anchors and aliases (they enable "billion laughs" expansion), explicit tags (``!!python/object``,
    ``!!binary``), a ``%YAML 1.1`` directive (it would bring back ``no`` = false), merge keys, and nesting
    deeper than MAX_DEPTH: checked event by event, so a file of 100,000 ``[`` stops at the 14th instead of
    taking ruamel minutes and a RecursionError. Raises CurationError at the offending event.
    """
    # Per open collection: True when a mapping expects a key, None in a list.
    open_maps: list[bool | None] = []
    for event in _yaml().parse(text):
        problem = _refusal(event, open_maps)
        if problem is not None:
            mark = event.start_mark
            raise CurationError(Location(display, mark.line + 1, mark.column + 1), problem)
        is_node = isinstance(event, (ScalarEvent, AliasEvent, CollectionStartEvent))
        if is_node and open_maps and open_maps[-1] is not None:
            open_maps[-1] = not open_maps[-1]  # a key was read, now its value; or a value, now the next key
        if isinstance(event, CollectionStartEvent):
            open_maps.append(True if isinstance(event, MappingStartEvent) else None)
        elif isinstance(event, CollectionEndEvent):
            open_maps.pop()


def _line_column(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based line and column (in code points) of ``text[index]``."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _undecodable(data: bytes, exc: UnicodeDecodeError, display: str) -> Location:
    """Return where in ``data`` the first byte that is not UTF-8 sits."""
    valid = data[: exc.start].decode("utf-8")
    return Location(display, *_line_column(valid, len(valid)))


def kind_of(path: Path, curation: Path) -> str | None:
    """Return the record kind of a curation file: ``curation/<kind>.yaml`` or ``curation/<kind>/*.yaml``."""
    parts = path.relative_to(curation).parts
    name = parts[0] if len(parts) > 1 else path.stem
    return name if name in KINDS else None


def curation_files(curation: Path) -> Iterator[Path]:
    """Yield every curation YAML file in a stable order: regular files only, never through a link
    (:mod:`kb.load.files`; :func:`read` reports the links)."""
    yield from files.curation_files(curation)


def unreadable(display: str, exc: OSError) -> CurationError:
    """Return the error for a file that vanished or turned into a link or special file after it was listed."""
    reason = exc.strerror or "not a regular file"
    return CurationError(Location(display, 1, 1), f"cannot be read ({reason}); {files.ONLY_REGULAR}", "file")


def parse_yaml(data: bytes, display: str, kind: str) -> RawFile:
    """Parse one curation file's bytes. Raises CurationError naming line and column.

    Plain files take libyaml's C parser (:mod:`kb.load.fastyaml`, much faster); anything it is not sure to
    read exactly as ruamel would, and every file with an error, goes through ruamel, whose result and error
    messages are the reference.
    """
    if len(data) > MAX_FILE_BYTES:
        raise CurationError(Location(display, 1, 1), f"file is {len(data)} bytes, more than {MAX_FILE_BYTES}")
    if data.startswith(b"\xef\xbb\xbf"):
        message = "file starts with a byte-order mark; save as UTF-8 without BOM"
        raise CurationError(Location(display, 1, 1), message)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CurationError(_undecodable(data, exc, display), f"not valid UTF-8 ({exc.reason})") from None
    if "\t" in text:
        line, column = _line_column(text, text.index("\t"))
        message = "tab character; indent YAML with spaces (a tab inside text is written \\t in double quotes)"
        raise CurationError(Location(display, line, column), message)
    fast = fastyaml.parse(text, MAX_DEPTH)
    if fast is not None:
        records, record_positions = fast
        return RawFile(path=display, kind=kind, records=records, positions=record_positions, source=text)
    return parse_text(text, display, kind)


def parse_text(text: str, display: str, kind: str) -> RawFile:
    """Parse one curation file's text with ruamel, the reference reader. Raises CurationError."""
    try:
        _refuse_unsafe(text, display)
        document = _yaml().load(text)
    except ReaderError as exc:
        line, column = _line_column(text, exc.position)
        code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        message = f"character {code} is not allowed in YAML"
        raise CurationError(Location(display, line, column), message) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display, 1, 1)
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part).split("\n")[0]
        raise CurationError(where, f"YAML syntax: {problem}") from None
    except YAMLError as exc:
        raise CurationError(Location(display, 1, 1), f"YAML: {str(exc).splitlines()[0]}") from None
    positions: dict[PathKey, tuple[int, int]] = {}
    if document is None:
        document = CommentedSeq()
    if not isinstance(document, CommentedSeq):
        raise CurationError(Location(display, 1, 1), f"expected a list of {kind} records at the top level")
    try:
        records = _plain(document, (), positions, 0)
    except ValueError as exc:
        raise CurationError(Location(display, 1, 1), str(exc)) from None
    return RawFile(path=display, kind=kind, records=records, positions=positions)


@dataclass
class RawKnowledgeBase:
    """Everything read from disk: articles by file name and raw curation files, plus read errors."""

    articles: dict[str, Article]
    files: list[RawFile]
    errors: list[CurationError]


@gc_paused()
def read(root: Path) -> RawKnowledgeBase:
    """Read ``root/seeds`` and ``root/curation``. Problems are collected, never raised."""
    listed = files.listing(root)
    errors: list[CurationError] = list(listed.refused)
    articles: dict[str, Article] = {}
    for path in listed.seeds:
        display = path.relative_to(root).as_posix()
        try:
            data = files.read_bytes(path)
        except OSError as exc:
            errors.append(unreadable(display, exc))
            continue
        try:
            articles[path.name] = Article.from_bytes(path.name, data)
        except UnicodeDecodeError as exc:
            message = f"article is not valid UTF-8 ({exc.reason})"
            errors.append(CurationError(_undecodable(data, exc, display), message))
    tasks: list[Task] = []
    curation = root / "curation"
    for path in listed.curation:
        display = path.relative_to(root).as_posix()
        kind = kind_of(path, curation)
        if kind is None:
            known = ", ".join(KINDS)
            message = f"unknown file kind; name it after one of: {known}"
            errors.append(CurationError(Location(display, 1, 1), message))
            continue
        tasks.append((path, display, kind))
    read_files: list[RawFile] = []
    for parsed in parse_files(tasks):
        if isinstance(parsed, RawFile):
            read_files.append(parsed)
        else:
            errors.append(parsed)
    return RawKnowledgeBase(articles=articles, files=read_files, errors=errors)


Task = tuple[Path, str, str]
"""One curation file to parse: its path, the path errors show, and its kind."""

PARALLEL_BYTES = 8 << 20
"""Curation YAML from which :func:`parse_files` parses half of it in a second process (below, starting the
process costs more than it saves)."""


def parse_files(tasks: list[Task], parallel: bool = True) -> list[RawFile | CurationError]:
    """Parse ``tasks`` in order; return each file's RawFile or its CurationError.

    With ``parallel``, from :data:`PARALLEL_BYTES` on, on a machine with more than one core, a worker process
    (``python -m kb.load.read_worker``) parses the second half by size while this one parses the first. The
    worker is only a speed-up: if it cannot start or fails, its half is parsed here, so the result never
    depends on it.
    """
    sizes = [_size(path) for path, _, _ in tasks]
    if not parallel or sum(sizes) < PARALLEL_BYTES or (os.cpu_count() or 1) < 2:
        return _parse_here(tasks)
    half, running = len(tasks), 0
    for index, size in enumerate(sizes):
        running += size
        if 2 * running >= sum(sizes):
            half = index + 1
            break
    mine, theirs = tasks[:half], tasks[half:]
    try:
        worker = _Worker(theirs)
    except OSError as exc:
        log.warning("reading curation in one process: the reading worker did not start (%s)", exc)
        return _parse_here(tasks)
    return _parse_here(mine) + worker.results()


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size  # a link's own size: its target is never looked at
    except OSError:
        return 0


def _parse_here(tasks: list[Task]) -> list[RawFile | CurationError]:
    parsed: list[RawFile | CurationError] = []
    for path, display, kind in tasks:
        try:
            parsed.append(parse_yaml(files.read_bytes(path), display, kind))
        except CurationError as exc:
            parsed.append(exc)
        except OSError as exc:
            parsed.append(unreadable(display, exc))
    return parsed


def _raw_file(answer: dict[str, Any] | None, task: Task) -> RawFile | CurationError:
    """Return the RawFile the worker sent for ``task``; a file it left (``None``) is parsed here."""
    if answer is None:
        return _parse_here([task])[0]
    _, display, kind = task
    positions = {tuple(key): (line, column) for key, line, column in answer["positions"]}
    return RawFile(path=display, kind=kind, records=answer["records"], positions=positions,
                   source=answer["source"])


class _Worker:
    """A ``python -m kb.load.read_worker`` process parsing ``tasks``; its stderr goes to a temporary file (a
    pipe left unread could fill and stall it)."""

    def __init__(self, tasks: list[Task]) -> None:
        package_parent = str(Path(__file__).resolve().parents[2])  # import this kb, installed or not
        path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
        self.tasks = tasks
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed by results())
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "kb.load.read_worker"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                            env={**os.environ, "PYTHONPATH": path})
        except OSError:
            self.stderr.close()
            raise
        assert self.process.stdin is not None
        try:
            with self.process.stdin:
                paths = [(str(p), display, kind) for p, display, kind in tasks]
                self.process.stdin.write(json.dumps(paths).encode())
        except OSError:
            pass  # it exited before reading: its exit code and stderr say why

    def results(self) -> list[RawFile | CurationError]:
        """Return what the worker parsed; parse its files here when it failed."""
        assert self.process.stdout is not None
        with self.stderr, self.process, self.process.stdout:
            data = self.process.stdout.read()
            self.process.wait()
            self.stderr.seek(0)
            problem = self.stderr.read()[-500:].decode(errors="replace")
        if self.process.returncode == 0:
            try:
                answers = json.loads(data)
            except ValueError as exc:
                problem = f"unreadable answer ({exc})"
            else:
                if isinstance(answers, list) and len(answers) == len(self.tasks):
                    return [_raw_file(answer, task) for answer, task in zip(answers, self.tasks, strict=True)]
                problem = "an answer that is not one per file"
        log.warning("reading worker failed (exit %s): %s; reading its files here", self.process.returncode,
                    problem)
        return _parse_here(self.tasks)
