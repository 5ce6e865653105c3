"""Live editing: watch seeds/ and curation/, rebuild beside the served graph, swap in one step.

``kb serve --reload`` attaches a :class:`Reloader` to the app. On every save it reads and validates the
changed files (kb.load.incremental) in a worker thread while the old version keeps answering. When kb.graph.delta can
say which quads the edit changes, the served Oxigraph store is patched while no request is in flight
(:func:`kb.serve.served.patched`: milliseconds); otherwise a new :class:`~kb.serve.served.Snapshot` is built beside
the old one and swapped in with one assignment (:meth:`Served.swap`). A request pins the snapshot it
started with, so none sees two versions. A broken edit never takes the API down: the last good version keeps
serving, ``/health`` reports the errors as ``path:line:col: field: message``, and the next good save recovers.

The version of a snapshot is the hash of the files it was built from (:func:`kb.load.version.kb_version`). The
files are hashed before and after each build; if they changed while building (an editor saving twice), the
build is thrown away and done again, so a version never names a graph built from other bytes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from watchfiles import Change, DefaultFilter, awatch

from kb.config import Settings
from kb.errors import CurationErrors, ReloadError
from kb.graph import restart
from kb.graph import snapshot as snapshots
from kb.graph.snapshot import Snapshot
from kb.load.incremental import IncrementalLoader
from kb.load.version import kb_version
from kb.model.knowledge_base import KnowledgeBase
from kb.serve import remote
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.background import run_beside
from kb.serve.banner import StaleBanner
from kb.serve.served import Served

log = logging.getLogger("kb.serve.reload")

DEBOUNCE_MS = 50  # watchfiles waits this long for more changes before yielding a batch
STEP_MS = 10
POLL_MS = 1000
MAX_ATTEMPTS = 5
MAX_ERRORS_SHOWN = 50


@dataclass
class Status:
    """What ``/health`` says about live reloading: the version served, and why a newer one is not."""

    ok: bool
    serving: str
    errors: list[str] = field(default_factory=list)
    rejected: str | None = None  # version of the files that failed
    reloads: int = 0
    last_build_seconds: float | None = None
    last_build: str | None = None  # "patched" (kb.graph.delta applied to the served store) or "built" (a new store)
    checked_at: float = field(default_factory=time.time)


class _Skip(Exception):
    """The files changed while building: build again."""


class Reloader:
    """Rebuilds the served snapshot from ``settings.root`` when files change; keeps the last good one."""

    def __init__(self, served: Served, settings: Settings,
                 make: Callable[[KnowledgeBase, Settings, str], Snapshot] = snapshots.from_knowledge_base,
                 loader: IncrementalLoader | None = None, kb: KnowledgeBase | None = None) -> None:
        self.served = served
        self.settings = settings
        self.make = make
        self.status = Status(ok=True, serving=served.current.version)
        self.failures = 0  # edits refused since the start (/metrics: kb_reload_failures)
        self._lock = asyncio.Lock()
        # Re-reads and re-checks only the files that changed since the last build (kb.load.incremental); gives
        # exactly pipeline.load's knowledge base or errors.
        self.loader = loader or IncrementalLoader(settings.root)
        self.keeper = restart.Keeper()
        # What the served snapshot was built from, when known: an edit then patches its store (kb.graph.delta)
        # instead of building the whole graph again.
        self.kb = kb

    @property
    def paths(self) -> list[Path]:
        return [self.settings.seeds, self.settings.curation]

    def rebuild(self) -> bool:
        """Build and swap in the knowledge base on disk if it differs from the one served. Returns True on a
        swap. Never raises: a failure is recorded in :attr:`status` and the served snapshot stays."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._attempt()
            except _Skip:
                continue
        return False

    def _attempt(self) -> bool:
        root = self.settings.root
        version = kb_version(root)
        if not self.status.ok and version == self.status.rejected:
            return False  # these very files were refused and their errors logged: say it once, not every poll
        if version == self.served.current.version:
            self.status = Status(True, version, reloads=self.status.reloads,
                                 last_build_seconds=self.status.last_build_seconds, last_build=self.status.last_build)
            return False
        started = time.perf_counter()
        reloads = self.status.reloads + 1

        def announce(how: str) -> None:  # just before the swap: /health never shows the new version as stale
            self.status = Status(True, version, reloads=reloads,
                                 last_build_seconds=round(time.perf_counter() - started, 4), last_build=how)

        try:
            kb = self.loader.load()
            snapshot = None
            if self.kb is not None:  # patch the served store when kb.graph.delta can say what changed
                snapshot = serving.patched(self.served, self.kb, kb, self.settings, version,
                                           before_applying=lambda: self._check_unchanged(version),
                                           before_swap=lambda: announce("patched"),
                                           inputs=restart.inputs_of(self.loader))
            how = "patched" if snapshot is not None else "built"
            if snapshot is None:
                snapshot = self.make(kb, self.settings, version)
        except CurationErrors as errors:
            self._check_unchanged(version)
            self._fail(version, [str(e) for e in errors])
            return False
        except _Skip:
            raise
        except Exception as exc:  # a bug in a build must not stop live editing: report it like bad input
            self._check_unchanged(version)
            log.exception("reload failed")
            self._fail(version, [f"internal error while building: {type(exc).__name__}: {exc}"])
            return False
        if how == "built":
            self._check_unchanged(version)
            announce("built")
            self.served.swap(snapshot)
        self.kb = kb
        # The knowledge base lives as long as it is served: move what is alive now out of the collector's
        # sight, or its next full collection walks millions of records (100k facts: an edit took 2.2 s
        # instead of 0.7 s). Records that die later are still freed: none of them is cyclic.
        gc.freeze()
        log.info("serving knowledge base %s (%s in %.3f s)", version, how, self.status.last_build_seconds)
        self._remember(snapshot)
        return True

    def _remember(self, snapshot: Snapshot) -> None:
        """Keep beside a kept build what the next start needs to patch it rather than build (kb.graph.restart)."""
        self.keeper.keep(snapshot, self.loader)  # in a thread of its own: the edit is served already

    async def keep_until_stopped(self, stop: asyncio.Event) -> None:
        """When the server stops, save the kept build's state still waiting (restart.Keeper)."""
        await stop.wait()
        await asyncio.to_thread(self.keeper.flush)

    async def adopt(self, stop: asyncio.Event) -> None:
        """For a server started from a kept build without reading the files: read the state kept beside it in a
        worker thread, so the first edit already patches instead of building everything again."""
        async with self._lock:
            if self.kb is None:
                state = await asyncio.to_thread(restart.adopt, self.served.current, self.settings.root)
                if state is not None:
                    self.loader, self.kb = state.loader, state.loader.kb
                    gc.freeze()

    def _check_unchanged(self, version: str) -> None:
        if kb_version(self.settings.root) != version:
            raise _Skip

    def _fail(self, version: str, errors: list[str]) -> None:
        for line in errors[:MAX_ERRORS_SHOWN]:
            log.warning("not reloaded: %s", line)
        self.failures += 1
        self.status = Status(False, self.served.current.version, errors=errors[:MAX_ERRORS_SHOWN], rejected=version,
                             reloads=self.status.reloads, last_build_seconds=self.status.last_build_seconds,
                             last_build=self.status.last_build)

    async def reload(self) -> bool:
        """Run :meth:`rebuild` in a worker thread, one at a time, so the event loop keeps answering."""
        async with self._lock:
            return await asyncio.to_thread(self.rebuild)

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload on every change under seeds/ and curation/ until ``stop`` is set.

        Also checks every ``POLL_MS`` without an event (a cheap hash of the files; a rebuild only if they
        differ from what is served), which covers changes made before the watcher started and file systems
        whose events go missing.
        """
        watching = [str(p) for p in self.paths if p.is_dir()]
        async for _ in awatch(*watching, stop_event=stop, debounce=DEBOUNCE_MS, step=STEP_MS,
                              watch_filter=_relevant, rust_timeout=POLL_MS, yield_on_timeout=True):
            await self.reload()

    def stale(self) -> tuple[str, str, list[str]] | None:
        """Return (version served, version refused, its errors) while a broken edit waits, else None."""
        status = self.status
        return None if status.ok else (status.serving, status.rejected or "", status.errors)

    def health(self) -> dict[str, Any]:
        """Return what ``/health`` adds: ``status: stale`` while a broken edit is waiting, and the details."""
        body: dict[str, Any] = {"reload": asdict(self.status)}
        if not self.status.ok:
            body["status"] = "stale"
        return body


class _Relevant(DefaultFilter):
    """Ignore editor droppings and kb's own temporary files; the version hash decides what really changed."""

    def __call__(self, change: Change, path: str) -> bool:
        name = Path(path).name
        return super().__call__(change, path) and not name.endswith((".tmp", ".swp", "~")) and not name.startswith(".#")


_relevant = _Relevant()


def create_live_app(settings: Settings) -> Starlette:
    """Return the app serving ``settings.root`` and reloading itself on every good edit (``kb serve --reload``).

    The knowledge base is read once, by the reloader's incremental loader, and kept: the first edit already
    patches the served store (kb.graph.delta) instead of reading and building everything again. Raises
    CurationErrors when the knowledge base does not validate, ReloadError for a remote store.
    """
    _refuse_remote(settings)
    if settings.keeps_store:  # open, patch or build the kept store; read the files only when needed
        started = restart.start(settings, later=True)  # answers while its state is saved
        app = create_app(settings, started.snapshot)
        reloader = attach(app, settings, loader=started.loader, kb=started.kb)
        if started.kb is None:
            run_beside(app, reloader.adopt)
        gc.freeze()
        return app
    loader = IncrementalLoader(settings.root)
    version = kb_version(settings.root)
    kb = loader.load()
    app = create_app(settings, snapshots.from_knowledge_base(kb, settings, version))
    attach(app, settings, loader=loader, kb=kb)
    gc.freeze()  # see Reloader._attempt
    return app


def _refuse_remote(settings: Settings) -> None:
    if remote.is_remote(settings.store):
        raise ReloadError("--reload rebuilds the graph from seeds/ and curation/ into an embedded store "
                          f"(oxigraph or rdflib); {settings.store} serves what kb publish loaded into it")


def attach(app: Starlette, settings: Settings, loader: IncrementalLoader | None = None,
           kb: KnowledgeBase | None = None) -> Reloader:
    """Make ``app`` (from :func:`kb.serve.app.create_app`) reload itself while it runs; return the reloader.

    Wraps the app's lifespan to start the watcher on startup and stop it on shutdown, and adds the reload
    status to ``/health`` through ``app.state.health_extra``, and a banner naming each error of a refused edit to
    every page (:mod:`kb.serve.banner`). ``loader`` and ``kb``, when given, are the
    incremental loader and the knowledge base the served snapshot was built from (:func:`create_live_app`).
    Raises ReloadError for a remote SPARQL store, which serves what ``kb publish`` put there, not the files.
    """
    _refuse_remote(settings)
    reloader = Reloader(app.state.served, settings, loader=loader, kb=kb)
    run_beside(app, reloader.watch)
    run_beside(app, reloader.keep_until_stopped)
    app.state.reloader = reloader
    app.state.health_extra = reloader.health
    app.add_middleware(StaleBanner, stale=reloader.stale)  # outermost: on cached pages too (kb.serve.banner)
    return reloader
