"""Starting from the kept build (kb.graph.kept): open it when nothing changed, patch it when some files did,
build it again when kb's code, the schema or the base IRI changed.

:func:`start` decides, with the cache folder locked so two processes never build it at once:

- **opened**: the manifest of the current build matches every input file, schema file and kb's code: the store
  is opened read-only and served; no YAML is read or checked.
- **patched**: only input files changed: the incremental loader saved beside the build (its state) re-reads the
  changed files, kb.graph.delta says which quads change, and a copy of the store is patched.
- **built**: anything else (no build yet, another kb, a state that cannot be read, an edit delta cannot
  express): read and check everything and build a new store.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from kb.config import Settings
from kb.graph import delta, kept, loaderstate
from kb.graph.kept import Kept
from kb.graph.loaderstate import State
from kb.graph.snapshot import Snapshot, from_kept, from_knowledge_base
from kb.load.incremental import IncrementalLoader
from kb.load.version import fingerprint, kb_version
from kb.model.knowledge_base import KnowledgeBase
from kb.progress import Progress, silent

log = logging.getLogger("kb.graph.restart")

QUIET_SECONDS = 30.0
"""Seconds without an edit before a live server saves its loader's state (:class:`Keeper`)."""
ATTEMPTS = 3  # builds thrown away because the files changed while they were read, before giving up


@dataclass
class Started:
    """How a start got its snapshot, and, when it read the files, what it read them with."""

    snapshot: Snapshot
    how: str
    """``opened``, ``patched`` or ``built``"""
    reason: str
    loader: IncrementalLoader | None = None
    kb: KnowledgeBase | None = None
    saving: threading.Thread | None = None
    """The thread writing a new build's loader state beside it, when :func:`start` was asked to write it later."""

    def saved(self) -> None:
        """Return once the loader state of a new build is written (at once when it was written by start)."""
        if self.saving is not None:
            self.saving.join()


def start(settings: Settings, progress: Progress = silent, later: bool = False) -> Started:
    """Return the snapshot to serve ``settings.root`` from its kept build: opened, patched or built (module
    docstring). A new or patched build is made current before its loader state (what a later start patches
    it from) is written beside it: with ``later``, by a thread of its own (:attr:`Started.saving`), so that a
    server answers meanwhile (at 100k facts it takes 9 s); a state never written costs the next start with
    changed files a full build, never a wrong store. Raises CurationErrors when the files do not validate,
    StoreError when the store cannot be written or opened."""
    root, cache = settings.root, settings.cache_folder
    for _ in range(ATTEMPTS):
        version, inputs = fingerprint(root)
        wanted = kept.wanted(root, settings.base_iri, version, inputs=inputs)
        with kept.locked(cache):
            kept.sweep(cache)
            found = kept.current(cache)
            reason = _unusable(found, wanted)
            if found is not None and reason is None and not found.manifest.changed_inputs(wanted):
                progress("opening", 0, 1)
                opened = Started(from_kept(found, settings), "opened", "nothing changed")
                progress("opening", 1, 1)
                return opened
            if found is not None and reason is None:
                started = _patch(settings, found, wanted, progress, later)
                if started is not None:
                    return started
                reason = "the change needs a full build"
            loader = IncrementalLoader(root)
            kb = _read(loader, progress)
            if kb_version(root) != version:
                continue  # saved while read: the manifest would name other bytes
            progress("building", 0, 1)
            snapshot = from_knowledge_base(kb, settings, version)
            progress("building", 1, 1)
            return Started(snapshot, "built", reason or "no kept build", loader, kb, _save(snapshot, loader, later))
    raise RuntimeError(f"the files under {root} kept changing while they were read ({ATTEMPTS} times)")


def _save(snapshot: Snapshot, loader: IncrementalLoader, later: bool) -> threading.Thread | None:
    """Write the loader state of a new build beside it: now, or with ``later`` in a thread (returned)."""

    def save() -> None:
        try:
            remember(snapshot, loader)
        except OSError as exc:  # e.g. swept by newer builds meanwhile: the next start with changes builds
            log.warning("the loader state of %s was not saved: %s", snapshot.version, exc)

    if not later:
        save()
        return None
    saving = threading.Thread(target=save, name="kb-save-state", daemon=True)
    saving.start()
    return saving


def _unusable(found: Kept | None, wanted: kept.Manifest) -> str | None:
    if found is None:
        return "no kept build"
    return found.manifest.differs(wanted)


def _patch(settings: Settings, found: Kept, wanted: kept.Manifest, progress: Progress,
           later: bool) -> Started | None:
    """Patch ``found`` into the files now on disk; None when its state is missing or the change needs a build."""
    state = loaderstate.load(found.path / kept.STATE, settings.root)
    if state is None or state.loader.kb is None:
        return None
    old = state.loader.kb
    state.loader.root = settings.root  # the same files, wherever the root now is
    kb = _read(state.loader, progress)
    if kb_version(settings.root) != wanted.version:
        return None
    change = delta.compute(old, kb, settings.base_iri, state.shared)
    if change is None:
        return None
    progress("building", 0, 1)
    counts = {**kb.counts(), "triples": found.manifest.counts.get("triples", 0) + change.triples}
    manifest = replace(wanted, counts=counts, parent=found.manifest.version)
    built = kept.patch(settings.cache_folder, found, change, manifest)
    kept.sweep(settings.cache_folder)
    progress("building", 1, 1)
    snapshot = from_kept(built, settings, change.shared)
    return Started(snapshot, "patched", f"{len(found.manifest.changed_inputs(wanted))} files changed",
                   state.loader, kb, _save(snapshot, state.loader, later))


def inputs_of(loader: IncrementalLoader) -> dict[str, str]:
    """Return the sha256 of every file ``loader`` last read, by path from the root, as a manifest lists them."""
    found = {name: file.sha for name, file in loader.files.items()}
    found.update({f"seeds/{name}": sha for name, (sha, _) in loader.articles.items()})
    return found


def _read(loader: IncrementalLoader, progress: Progress) -> KnowledgeBase:
    progress("reading", 0, 0)
    kb = loader.load()
    progress("checking", 1, 1)
    return kb


def remember(snapshot: Snapshot, loader: IncrementalLoader) -> None:
    """Save beside the kept build ``snapshot`` serves what a later start needs to patch it (its loader's state
    and shared lines); nothing for a store that is not kept or whose shared lines are unknown."""
    graph_store = snapshot.graph
    if graph_store.kept is not None and graph_store.shared is not None:
        loaderstate.dump(State(loader, graph_store.shared), graph_store.kept.path / kept.STATE)


class Keeper:
    """Saves the state of the build a live server serves (:func:`remember`) in a thread of its own, once edits
    have paused for :attr:`quiet` seconds, and at :meth:`flush` (the server stopping): pickling the loader of 100k
    facts takes seconds of the interpreter's lock, which neither an edit nor the requests meanwhile should wait
    for. A state not saved (the server was killed) costs the next start a full build when files changed, never a
    wrong store: a build's state, when there is one, is always its own."""

    def __init__(self, quiet: float = QUIET_SECONDS) -> None:
        self.quiet = quiet
        self._lock = threading.Condition()
        self._next: tuple[Snapshot, IncrementalLoader] | None = None
        self._asked = 0.0
        self._thread: threading.Thread | None = None
        self.saved = 0

    def keep(self, snapshot: Snapshot, loader: IncrementalLoader) -> None:
        """Save ``snapshot``'s state once edits pause, from a copy of ``loader`` as it is now (its next load
        replaces its dictionaries and knowledge base rather than changing them, so the copy stays whole)."""
        if snapshot.graph.kept is None:
            return
        frozen = copy.copy(loader)
        frozen.files, frozen.articles = dict(loader.files), dict(loader.articles)
        with self._lock:
            self._next, self._asked = (snapshot, frozen), time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kb-keep-state", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def flush(self) -> None:
        """Save the state waiting to be saved now, and return once it is."""
        with self._lock:
            job, self._next = self._next, None
        if job is not None:
            self._save(job)

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._next is not None and time.monotonic() < self._asked + self.quiet:
                    self._lock.wait(self._asked + self.quiet - time.monotonic())
                job, self._next = self._next, None
                if job is None:
                    self._thread = None
                    return
            self._save(job)

    def _save(self, job: tuple[Snapshot, IncrementalLoader]) -> None:
        snapshot, loader = job
        try:
            remember(snapshot, loader)
            self.saved += 1
            found = snapshot.graph.kept
            if found is not None:
                cache = found.path.parent.parent
                with kept.locked(cache):
                    kept.sweep(cache)
        except Exception:  # a state not saved is slower next time, never wrong: report it and go on
            log.exception("the loader's state was not kept beside build %s", snapshot.version)


def adopt(snapshot: Snapshot, root: Path) -> State | None:
    """Return the state saved beside the kept build ``snapshot`` serves (see :func:`remember`), and give the
    snapshot's store its shared lines, so the next edit patches it; None when there is none."""
    graph_store = snapshot.graph
    if graph_store.kept is None:
        return None
    found = loaderstate.load(graph_store.kept.path / kept.STATE, root)
    if found is None or found.loader.kb is None:
        return None
    graph_store.shared = found.shared
    return found
