"""The kept build: the graph built once into an on-disk Oxigraph store (RocksDB) in a cache folder, beside a
manifest of what it was built from, so that the next start opens it instead of reading and building again.

The cache folder (``.kb/`` in the root unless configured; it git-ignores itself) holds::

    current                       the name of the build to serve (replaced in one rename)
    builds/<name>/store/          the RocksDB store: complete before it is named, never written after
    builds/<name>/manifest.json   what it was built from (:class:`Manifest`)
    builds/<name>/state.json      the incremental loader's reads, to patch the next build from this one
    lock                          held (flock) while a build or patch is written

A build or a patch writes into ``builds/<name>.partial``, renames it when complete, then renames a new
``current`` over the old: a crash at any point (kill -9 included) leaves ``current`` naming the last complete
build, and the next start sweeps the partial one away. Stores are opened read-only once complete, so the
server and its /sparql worker processes share one copy, and a patch never changes a store anyone reads: it
copies the served one (RocksDB hard-links its immutable files, so this takes milliseconds) and patches the copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kb import contracts
from kb.errors import StoreError
from kb.graph import delta
from kb.graph.builder import nquads
from kb.graph.native import fill
from kb.graph.ntriples import LineKey
from kb.graph.vocabulary import with_vocabulary
from kb.load.gc import gc_paused
from kb.load.version import fingerprint
from kb.model.knowledge_base import KnowledgeBase

FORMAT = 1
CURRENT = "current"
BUILDS = "builds"
PARTIAL = ".partial"
MANIFEST = "manifest.json"
STATE = "state.json"
STORE = "store"
KEEP = 3
"""Complete builds kept: the current one and the two before it, which a request or a /sparql worker may still
be reading for a moment after a swap."""
PIECE_BYTES = 32 * 2**20
"""N-Quads bytes per bulk load: 32 MB took 8 % less time than one load of 10k facts' 127 MB, and 43 % of its memory."""
_CODE = ("model", "load", "graph")  # the packages whose code decides what a build holds


@dataclass(frozen=True)
class Manifest:
    """What a kept build was made from: the sha256 of every input file and schema file, kb's own code, the base
    IRI; and what it holds (its version and counts), so a start can serve it without reading the YAML."""

    version: str
    base_iri: str
    code: str
    inputs: dict[str, str]
    schema: dict[str, str]
    counts: dict[str, int]
    format: int = FORMAT
    parent: str | None = None
    """The version this build was patched from, or None for a build from scratch."""
    made: float = field(default_factory=time.time)

    def differs(self, wanted: Manifest) -> str | None:
        """Return why this build cannot be patched into ``wanted`` (kb's code, the schema, the base IRI or the
        format changed), or None when it can."""
        for name in ("format", "code", "schema", "base_iri"):
            if getattr(self, name) != getattr(wanted, name):
                return f"{name} changed"
        return None

    def changed_inputs(self, wanted: Manifest) -> list[str]:
        """Return the input files added, removed or changed between this build and ``wanted``, sorted."""
        names = set(self.inputs) | set(wanted.inputs)
        return sorted(n for n in names if self.inputs.get(n) != wanted.inputs.get(n))


@dataclass(frozen=True)
class Kept:
    """One complete build in the cache folder."""

    path: Path
    manifest: Manifest

    @property
    def store_path(self) -> Path:
        return self.path / STORE

    def open(self) -> Any:
        """Open the store read-only (pyoxigraph.Store). Raises StoreError when it cannot be opened."""
        try:
            return ox.Store.read_only(str(self.store_path))
        except OSError as exc:
            raise StoreError(f"cannot open the kept store {self.store_path}: {exc}") from exc


def wanted(root: Path, base_iri: str, version: str, counts: dict[str, int] | None = None,
           parent: str | None = None, inputs: dict[str, str] | None = None) -> Manifest:
    """Return the manifest a build of the files under ``root`` now would have (counts as given; ``inputs``, the
    sha256 of each file, when the caller knows them from reading the files, else hashed now)."""
    return Manifest(version=version, base_iri=base_iri, code=code_version(),
                    inputs=fingerprint(root)[1] if inputs is None else inputs, schema=schema_hashes(),
                    counts=dict(counts or {}), parent=parent)


def schema_hashes() -> dict[str, str]:
    """Return the sha256 of each file of ``schema/`` (the contracts a build is checked against)."""
    folder = contracts.folder()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


_code_version: list[str] = []


def code_version() -> str:
    """Return a hash of the code that decides what a build holds (kb's version and its model, load and graph
    packages), so that a build made by other code is never served: a released version alone would miss an
    edit to the builder in a checkout."""
    if not _code_version:
        package = Path(__file__).resolve().parents[1]
        digest = hashlib.sha256((package / "__init__.py").read_bytes())
        for name in _CODE:
            for path in sorted((package / name).glob("*.py")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _code_version.append(digest.hexdigest()[:16])
    return _code_version[0]


def current(cache: Path) -> Kept | None:
    """Return the build ``cache/current`` names, or None when there is none or it is not complete and readable."""
    try:
        name = (cache / CURRENT).read_text(encoding="utf-8").strip()
        path = cache / BUILDS / name
        manifest = Manifest(**json.loads((path / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if not name or PARTIAL in name or not (path / STORE).is_dir():
        return None
    return Kept(path, manifest)


_held = threading.RLock()
_depth: list[Path] = []  # the caches this process's lock holder has entered, outermost first


@contextmanager
def locked(cache: Path) -> Iterator[None]:
    """Hold the cache folder's lock: one process at a time builds, patches or sweeps it."""
    with _held:  # one thread of this process at a time; the thread holding it may take it again
        if _depth:
            _depth.append(cache)
            try:
                yield
            finally:
                _depth.pop()
            return
        cache.mkdir(parents=True, exist_ok=True)
        ignore = cache / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# kb's kept builds (kb build): made from seeds/ and curation/, never committed\n*\n")
        with (cache / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # and one process at a time
            _depth.append(cache)
            try:
                yield
            finally:
                _depth.pop()
                fcntl.flock(handle, fcntl.LOCK_UN)


def build(cache: Path, kb: KnowledgeBase, manifest: Manifest) -> tuple[Kept, Counter[LineKey]]:
    """Build the graph of ``kb`` into a new store in ``cache``, record ``manifest`` beside it, and make it
    current. Returns the build and how many records make each shared line (kb.graph.delta patches with it;
    kb.graph.restart writes them beside the build after the switch). Call with :func:`locked` held. Raises
    StoreError when the store cannot be written, CurationError as the builder does; the current build is then
    unchanged."""
    shared = Counter[LineKey]()
    with _partial(cache, manifest) as path:
        store = ox.Store(str(path / STORE))
        with gc_paused():  # the builder's tuples and lists are not cyclic
            _bulk_load(store, with_vocabulary(nquads(kb, manifest.base_iri, shared=shared)))
        manifest = replace(manifest, counts={**manifest.counts, "triples": triples(store)})
        _close(store)
        del store
        _write_manifest(path, manifest)
    return _switch(cache, path, manifest), shared


def patch(cache: Path, kept: Kept, change: delta.Delta, manifest: Manifest) -> Kept:
    """Copy the store of ``kept``, apply ``change`` to the copy, record ``manifest`` beside it and make it current;
    return the new build. ``kept`` is left as it was (requests may still read it). Call with :func:`locked` held.
    Raises StoreError when the store cannot be copied or written."""
    with _partial(cache, manifest) as path:
        source = kept.open()
        try:
            source.backup(str(path / STORE))
        except OSError as exc:
            raise StoreError(f"cannot copy the kept store {kept.store_path}: {exc}") from exc
        del source
        store = ox.Store(str(path / STORE))
        delta.apply(store, change)
        store.flush()  # no compaction: a patch is small, and compacting rewrote the whole store (seconds)
        del store
        _write_manifest(path, manifest)
    return _switch(cache, path, manifest)


def triples(store: Any) -> int:
    """Return the number of triples in the default graph of a pyoxigraph store."""
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(next(iter(rows))[0].value)


def sweep(cache: Path, keep: int = KEEP) -> list[Path]:
    """Delete partial builds (left by a crash) and complete ones beyond the ``keep`` newest, never the current
    one; return what was deleted. Call with :func:`locked` held."""
    builds = cache / BUILDS
    if not builds.is_dir():
        return []
    serving = current(cache)
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.endswith(PARTIAL)),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = [p for p in builds.iterdir() if p.name.endswith(PARTIAL)]
    doomed += [p for p in done[keep:] if serving is None or p != serving.path]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


@contextmanager
def _partial(cache: Path, manifest: Manifest) -> Iterator[Path]:
    path = cache / BUILDS / f"{time.strftime('%Y%m%dT%H%M%S')}-{manifest.version}-{secrets.token_hex(3)}{PARTIAL}"
    path.mkdir(parents=True)
    try:
        yield path
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def _write_manifest(path: Path, manifest: Manifest) -> None:
    (path / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _switch(cache: Path, partial: Path, manifest: Manifest) -> Kept:
    done = partial.with_name(partial.name.removesuffix(PARTIAL))
    _fsync_tree(partial)
    partial.rename(done)
    pointer = cache / (CURRENT + PARTIAL)
    with pointer.open("w", encoding="utf-8") as stream:
        stream.write(done.name + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    pointer.replace(cache / CURRENT)
    _fsync_dir(cache)
    return Kept(done, manifest)


def _fsync_tree(path: Path) -> None:
    # RocksDB syncs what it writes; the manifest and the folder entries are ours to make durable before the rename
    for name in (MANIFEST, STATE):  # the state may also come later (kb.graph.restart.Keeper)
        if (path / name).exists():
            with (path / name).open("rb") as stream:
                os.fsync(stream.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _close(store: Any) -> None:
    """Flush a store written here and let it go, so it can be opened read-only (pyoxigraph closes a store when
    the last reference goes; read-only beside a writer is undefined behaviour)."""
    store.flush()
    store.optimize()


def _pieces(chunks: Iterator[bytes], size: int = PIECE_BYTES) -> Iterator[bytes]:
    """Join the builder's chunks (whole lines each) into pieces of about ``size`` bytes."""
    held: list[bytes] = []
    total = 0
    for chunk in chunks:
        held.append(chunk)
        total += len(chunk)
        if total >= size:
            yield b"".join(held)
            held, total = [], 0
    if held:
        yield b"".join(held)


def _bulk_load(store: Any, chunks: Iterator[bytes]) -> None:
    """Load N-Quads chunks into an on-disk store with Oxigraph's bulk loader, which writes the store's files
    directly, one piece of :data:`PIECE_BYTES` at a time while the builder makes the next (kb.graph.native.fill).
    The bulk loader holds a piece's quads in memory several times over: one call for a whole graph of 100k
    facts took more memory than the build may; transactions of a chunk each took twice as long on disk
    (docs/performance.md). Raises what making the chunks raised, StoreError when the store cannot be written."""

    def load(piece: bytes) -> None:
        try:
            store.bulk_load(input=piece, format=ox.RdfFormat.N_QUADS, lenient=True)
        except OSError as exc:
            raise StoreError(f"cannot write the kept store: {exc}") from exc

    fill(store, _pieces(chunks), load)
