"""Which files kb reads: regular files inside the knowledge base, never through a symbolic link.

A link under ``seeds/`` or ``curation/`` (or either folder itself being one) could point anywhere: at
``/etc/passwd``, whose lines would then come back quoted in error messages and over ``/health``. So the tree
is walked without following links, every link that kb would otherwise read through (a file, a folder, or one
whose target is gone) is refused with one error naming it, and its target is never opened. Files are then
opened with ``O_NOFOLLOW`` and checked to be regular once open, so a file swapped for a link (or a FIFO) after
the walk is refused too. The loader, the incremental loader and the version hash all list files here.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import CurationError, Location

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
ONLY_REGULAR = "kb reads only regular files inside the knowledge base"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass
class Listing:
    """The files of a knowledge base kb reads, sorted, and an error for each entry it refuses to read."""

    seeds: list[Path] = field(default_factory=list)
    curation: list[Path] = field(default_factory=list)
    refused: list[CurationError] = field(default_factory=list)


def _refusal(path: Path, root: Path, mode: int) -> CurationError:
    display = path.relative_to(root).as_posix()
    if stat.S_ISLNK(mode):
        what = "a symbolic link to a folder" if path.is_dir() else "a symbolic link"
    else:
        what = "not a regular file (a FIFO, socket or device)"
    return CurationError(Location(display, 1, 1), f"{display} is {what}; {ONLY_REGULAR}", "file")


def _walk(folder: Path, root: Path, deep: bool, refused: list[CurationError]) -> Iterator[Path]:
    """Yield the regular files under ``folder`` that kb reads, never descending through a link.

    ``deep`` (curation/): every YAML file at any depth; otherwise (seeds/) every file of ``folder`` itself and
    no sub-folder. A link or special file that would be read is added to ``refused``, and so is every link to a
    folder: what it holds would be read.
    """
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return  # removed while walking: the next look says what is there
    for entry in entries:
        path = folder / entry.name
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        read = not deep or path.suffix in YAML_SUFFIXES
        if stat.S_ISDIR(mode):
            if deep:
                yield from _walk(path, root, deep, refused)
        elif stat.S_ISREG(mode):
            if read:
                yield path
        elif read or (stat.S_ISLNK(mode) and path.is_dir()):
            refused.append(_refusal(path, root, mode))


def _folder(root: Path, name: str, refused: list[CurationError]) -> Path | None:
    """Return ``root/name`` when it is a folder kb reads, else None (adding an error when it is a link)."""
    folder = root / name
    try:
        mode = folder.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        refused.append(_refusal(folder, root, mode))
        return None
    return folder if stat.S_ISDIR(mode) else None


def listing(root: Path) -> Listing:
    """Return the seed articles and curation files under ``root``, and an error for each link refused."""
    found = Listing()
    seeds = _folder(root, "seeds", found.refused)
    curation = _folder(root, "curation", found.refused)
    found.seeds = list(_walk(seeds, root, False, found.refused)) if seeds else []
    found.curation = sorted(_walk(curation, root, True, found.refused)) if curation else []
    found.refused.sort(key=lambda e: e.location)
    return found


def curation_files(curation: Path) -> Iterator[Path]:
    """Yield every curation YAML file under ``curation`` in a stable order, skipping links (listing reports
    them)."""
    if curation.is_symlink() or not curation.is_dir():
        return
    yield from sorted(_walk(curation, curation.parent, True, []))


def read_bytes(path: Path) -> bytes:
    """Return the bytes of the regular file ``path``, never through a link nor from a FIFO or device.

    Raises OSError (ELOOP for a link) when ``path`` is no longer the regular file the walk found.
    """
    descriptor = os.open(path, _OPEN_FLAGS)
    with open(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        return handle.read()


RACY_NS = 2_000_000_000
"""A file changed this close (ns) to its hashing is hashed again next time: a second write within the clock's
granularity can leave its size and times as they were (git's "racy" files)."""
_hashes: dict[str, tuple[tuple[int, int, int, int], str]] = {}
_hashes_lock = threading.Lock()


def sha256(path: Path) -> str:
    """Return the sha256 (hex) of the regular file ``path``, read as :func:`read_bytes` reads it, and remembered
    by its size, times and inode: a file whose stat is unchanged is not read again. A live server looks at
    every input file on each poll and each edit (66 MB at 100k facts); only the changed ones are read.

    Raises OSError as :func:`read_bytes` does.
    """
    status = os.stat(path, follow_symlinks=False)
    key = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    name = str(path)
    with _hashes_lock:
        known = _hashes.get(name)
    if known is not None and known[0] == key and stat.S_ISREG(status.st_mode):
        return known[1]
    hashed_at = time.time_ns()
    digest = hashlib.sha256(read_bytes(path)).hexdigest()
    if max(status.st_mtime_ns, status.st_ctime_ns) < hashed_at - RACY_NS:
        with _hashes_lock:
            _hashes[name] = (key, digest)
    return digest
