"""``kb publish --bulk DIR``: the graphs ``kb publish`` writes, as gzip N-Quads files for an engine's bulk loader.

Over the Graph Store Protocol every article graph is one request, and at a million facts (25,000 articles)
each costs Virtuoso 281 ms: 2.2 hours. An engine's own bulk loader (Virtuoso's ``ld_dir`` and
``rdf_loader_run``, ``oxigraph load``, Jena's ``tdb2.tdbloader``, QLever's index builder) reads the same quads
from files in minutes. This module writes those files; it needs no store and no credentials:

    DIR/graphs-0000.nq.gz ...  the version graph ``{base}graph/version/{version}`` and every article graph
                               (or, loading into a store whose catalogue records digests, every article graph
                               it does not already hold: see :mod:`kb.publish.gsp`), in parts of about PART_BYTES
                               (uncompressed), for loaders that share files out
    DIR/catalogue.nq.gz        the catalogue ``{base}graph`` that ``kb serve --store`` reads (kb.serve.remote)

The catalogue is a file of its own, written (renamed into DIR) last, and loaded last: a store that has it
has every graph it names, so a replica never serves a version whose graphs are still loading. The files are
built in a temporary folder inside DIR and renamed in only once all are complete, so an error (a curation
error, a full disk) leaves DIR as it was; parts of an earlier, larger dump that the new one does not have
are removed, so ``graphs-*.nq.gz`` is always exactly one version's data.

Loading into an engine that already holds a published version must also replace the article graphs and the
catalogue (a bulk loader only adds quads) and delete older version graphs, as ``kb publish`` does:
:mod:`kb.publish.isql` does that for Virtuoso (``kb publish --bulk DIR --virtuoso-isql HOST:PORT``).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kb.graph import builder
from kb.model.knowledge_base import KnowledgeBase
from kb.progress import Progress, silent
from kb.publish.catalogue import catalogue, catalogue_iri, changed, version_graph
from kb.publish.gsp import Spool

PART_BYTES = 256 << 20
"""Uncompressed N-Quads bytes per data file: several files let a loader with several threads share them out."""
COMPRESSLEVEL = 1
"""gzip's fastest level: at 80 M quads level 6 would spend minutes compressing what a loader reads once."""
DATA_GLOB = "graphs-*.nq.gz"
CATALOGUE_FILE = "catalogue.nq.gz"


@dataclass
class Dump:
    """What ``kb publish --bulk`` wrote into ``folder``: the files, and what the catalogue says about them."""

    folder: Path
    base_iri: str
    version: str
    graph: str
    """The version graph (the default graph of the knowledge base)."""
    triples: int
    """Triples of the version graph."""
    quads: int
    """Quads in the data files (the version graph's and every article graph's)."""
    files: list[Path]
    """The data files, in order."""
    catalogue: Path
    catalogue_ntriples: bytes
    """The catalogue graph's triples, as written into :attr:`catalogue` (for a loader that inserts it)."""
    bytes_written: int = 0
    """Compressed bytes of every file."""
    loaded_graphs: list[str] = field(default_factory=list)
    """The article graphs in the data files, sorted: all of :attr:`named_graphs` but those left out as
    unchanged."""
    digests: dict[str, str] = field(default_factory=dict)
    """Every article graph's digest (:func:`kb.publish.gsp.digest`), as the catalogue records it."""

    @property
    def named_graphs(self) -> list[str]:
        """The article graphs, sorted."""
        return sorted(self.digests)


def as_quads(ntriples: bytes, graph: str) -> bytes:
    """Return N-Triples lines as N-Quads lines in ``graph``. In N-Triples a line ends with `` .`` and a
    newline, and nothing else has a raw newline (literals escape theirs), so that is where the graph goes."""
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode())


class _Parts:
    """gzip files ``graphs-NNNN.nq.gz`` in ``folder``, a new one once ``part_bytes`` went into the current one."""

    def __init__(self, folder: Path, part_bytes: int) -> None:
        self.folder, self.part_bytes = folder, part_bytes
        self.files: list[Path] = []
        self.written = 0
        self.handle: gzip.GzipFile | None = None

    def write(self, data: bytes) -> None:
        if self.handle is None or self.written >= self.part_bytes:
            self.close()
            self.files.append(self.folder / f"graphs-{len(self.files):04d}.nq.gz")
            self.handle = gzip.GzipFile(self.files[-1], "wb", compresslevel=COMPRESSLEVEL)
            self.written = 0
        self.handle.write(data)
        self.written += len(data)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def write(kb: KnowledgeBase, version: str, base_iri: str, folder: Path, replaces: str | None = None,
          part_bytes: int = PART_BYTES, recorded: dict[str, str] | None = None,
          progress: Progress = silent) -> Dump:
    """Write the graphs ``kb publish`` would write for ``kb`` at ``version`` into ``folder`` (created if
    missing) as gzip N-Quads: the data files, then the catalogue (naming ``replaces`` as the version graph it
    replaces, when given, and every article graph's digest). Article graphs whose digest is the one
    ``recorded`` gives (the digests of the store's catalogue) are left out of the data files: the store holds
    them. Reports "writing triples" and "writing article graphs" to ``progress``. Returns what was written.
    Raises CurationError as kb.graph.builder does, OSError when ``folder`` cannot be
    written; either way ``folder`` is left as it was."""
    folder.mkdir(parents=True, exist_ok=True)
    graph = version_graph(base_iri, version)
    staging = Path(tempfile.mkdtemp(prefix=".kb-bulk-", dir=folder))  # same file system: renames are atomic
    try:
        parts = _Parts(staging, part_bytes)
        triples = quads = 0
        try:
            with tempfile.TemporaryFile(dir=staging) as file:
                spool = Spool(file)  # article graphs wait until their digests are known, as in kb.publish.gsp
                for default, named in builder.graphs(kb, base_iri):  # what kb.publish.gsp sends, piece by piece
                    parts.write(as_quads(default, graph))
                    triples += default.count(b"\n")
                    progress("writing triples", triples, 0)
                    spool.add(named)
                digests = spool.digests()
                loading = changed(digests, recorded or {})
                for done, name in enumerate(loading, 1):
                    text = spool.text(name)
                    parts.write(as_quads(text, name))
                    quads += text.count(b"\n")
                    progress("writing article graphs", done, len(loading))
            quads += triples
            if not parts.files:  # an empty knowledge base: one empty file, so the loaders' globs match
                parts.write(b"")
        finally:
            parts.close()
        ntriples = catalogue(base_iri, version, triples, kb.counts(), replaces, digests)
        with gzip.open(staging / CATALOGUE_FILE, "wb", compresslevel=COMPRESSLEVEL) as handle:
            handle.write(as_quads(ntriples, catalogue_iri(base_iri)))
        files = _move_in(staging, folder, [p.name for p in parts.files])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    written = sum(p.stat().st_size for p in [*files, folder / CATALOGUE_FILE])
    return Dump(folder, base_iri, version, graph, triples, quads, files, folder / CATALOGUE_FILE, ntriples,
                written, loading, digests)


def _move_in(staging: Path, folder: Path, names: list[str]) -> list[Path]:
    """Remove the previous dump's catalogue and its parts the new one lacks, then rename the new data files and
    last the new catalogue into ``folder``; return the data files."""
    (folder / CATALOGUE_FILE).unlink(missing_ok=True)  # first: a catalogue never names graphs not all there
    for stale in folder.glob(DATA_GLOB):
        if stale.name not in names:
            stale.unlink()
    for name in names:
        os.replace(staging / name, folder / name)
    os.replace(staging / CATALOGUE_FILE, folder / CATALOGUE_FILE)
    return [folder / name for name in names]


def loader_commands(dump: Dump, server_folder: str | None = None) -> str:
    """Return, as text to print, the commands that load ``dump`` with each engine's bulk loader into an empty
    store, data files first and the catalogue last. ``server_folder`` is the dump's folder as the engine's
    machine sees it (default: its absolute path here)."""
    here = dump.folder.resolve()
    there = server_folder or str(here)
    files = " ".join(str(here / p.name) for p in dump.files)
    return f"""\
Load with the engine's bulk loader: the data files first, the catalogue ({CATALOGUE_FILE}) last, never with them.
Virtuoso ({there} listed in DirsAllowed of virtuoso.ini; one loader: two deadlocked on Virtuoso 7.2),
  isql-vt HOST:1111 dba "$PASSWORD" <<'SQL'
  ld_dir('{there}', '{DATA_GLOB}', '{dump.graph}');
  rdf_loader_run();
  select ll_file, ll_error from DB.DBA.LOAD_LIST where ll_error is not null or ll_state <> 2;
  checkpoint;
  SPARQL CLEAR GRAPH <{catalogue_iri(dump.base_iri)}>;
  ld_dir('{there}', '{CATALOGUE_FILE}', '{catalogue_iri(dump.base_iri)}');
  rdf_loader_run();
  checkpoint;
  SQL
  (the select must list no file), or let kb do all of it: kb publish --bulk DIR --virtuoso-isql HOST:1111
Oxigraph:  zcat {files} | oxigraph load --location DB --format nq
           zcat {here / CATALOGUE_FILE} | oxigraph load --location DB --format nq
Jena TDB2: tdb2.tdbloader --loc DB {files}
           tdb2.tdbloader --loc DB {here / CATALOGUE_FILE}
QLever:    build the index from the N-Quads of every file, catalogue included (QLever indexes once; rebuild
           for each version): zcat {here}/{DATA_GLOB} {here / CATALOGUE_FILE}
Into a store that already holds a published version, also clear each article graph and the catalogue before
loading, and drop older version graphs; --virtuoso-isql does this for Virtuoso.
"""
