"""Virtuoso's bulk loader, driven through ``isql`` (``kb publish --bulk DIR --virtuoso-isql HOST:PORT``).

Loads a :mod:`kb.publish.bulk` dump the way ``kb publish`` publishes over the Graph Store Protocol, in this order:

1. read the catalogue: which version graph is current, which it replaced (:func:`kb.publish.catalogue.succession`
   decides which to keep and which to delete, as kb publish does), and the article graphs' digests (the
   dump leaves out the article graphs whose digest is unchanged: Virtuoso holds them already);
2. take the digests of the article graphs about to be loaded out of the catalogue (a load that fails
   half-way must leave no digest of content Virtuoso no longer holds), then clear those graphs (a bulk
   loader only adds quads, and an article graph is replaced whole) and the version graph, unless replicas
   are answering from it (the same version again: its quads are the same);
3. register exactly the dump's data files (``ld_add``; their rows of an earlier load are forgotten first, or
   Virtuoso would skip them) and run ONE ``rdf_loader_run`` (two in parallel deadlocked on Virtuoso 7.2 at a
   million facts); a file the loader refused (``ll_error`` in DB.DBA.LOAD_LIST) or never read (it is not
   where the server looks) fails the load, naming the file and Virtuoso's message;
4. ``checkpoint``: rdf_loader_run writes no transaction log, so until a checkpoint a crash would lose what it
   loaded while keeping the logged catalogue written next;
5. switch the catalogue: its old version triples deleted and the dump's inserted in one SPARQL update, one
   transaction, so a replica polling it sees the old version or the new one, never none or both; then the
   article graphs' digests, in batches (a digest may be missing meanwhile, never wrong);
6. delete the version graphs the new catalogue no longer names, and the article graphs the old catalogue
   recorded that the knowledge base no longer has.

The files must be readable by the server at the path it is given (``server_folder``: the dump's folder as
Virtuoso's machine sees it), in a folder listed in ``DirsAllowed``. ``isql-vt`` is Debian's name for
Virtuoso's ``isql``; the password goes on its command line, as isql takes it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import LoadError
from kb.publish.bulk import Dump
from kb.publish.catalogue import KB_DIGEST, catalogue_iri
from kb.vocab import DCTERMS_REPLACES, VOID

ISQL = "isql-vt"
TIMEOUT = 6 * 3600.0
QUIET = ("VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF")
"""isql options that leave only the rows (and errors) in its output."""
BATCH = 500
"""Graphs named in one statement that forgets their digests."""
NOT_READ = ("Virtuoso never read it: the file is not at this path on Virtuoso's machine, or its folder is not "
            "in DirsAllowed (give the folder as the server sees it with --virtuoso-dir)")


@dataclass
class Loaded:
    """What loading a dump did: seconds per step, the old version graphs deleted, and the article graphs
    deleted because their articles are gone."""

    seconds: dict[str, float] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    removed_articles: list[str] = field(default_factory=list)


def sql_string(text: str) -> str:
    """Return ``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Isql:
    """SQL access to one Virtuoso: ``address`` is HOST:PORT of its SQL port (1111 by default)."""

    address: str
    user: str
    password: str
    binary: str = ISQL
    timeout: float = TIMEOUT

    def run(self, sql: str) -> str:
        """Run the statements ``sql`` (each ending with ``;``) in one isql session; return what it printed.
        Raises LoadError when isql fails or a statement fails (isql goes on after an error: all are run)."""
        try:
            done = subprocess.run([self.binary, self.address, self.user, self.password, *QUIET], input=sql,
                                  capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LoadError(f"{self.binary} {self.address}: {exc}") from exc
        errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("*** Error")]
        if done.returncode != 0 or errors:
            detail = "; ".join(errors) or done.stderr.strip()[-500:] or f"exit status {done.returncode}"
            raise LoadError(f"{self.binary} {self.address}: {detail}")
        return done.stdout

    def values(self, sql: str) -> list[str]:
        """Return the rows of one query of one column, each stripped of isql's padding."""
        return [line.strip() for line in self.run(sql).splitlines() if line.strip()]

    def catalogue(self, base_iri: str) -> tuple[str | None, list[str]]:
        """Return the version graph the catalogue under ``base_iri`` names as current (None when nothing is
        published), and the graphs it replaced, sorted."""
        dataset = catalogue_iri(base_iri)
        current = self.values(f"SPARQL SELECT ?g WHERE {{ GRAPH <{dataset}> {{ <{dataset}> <{VOID}subset> ?g }} }};")
        replaced = self.values(f"SPARQL SELECT DISTINCT ?g WHERE {{ GRAPH <{dataset}> {{ ?v <{DCTERMS_REPLACES}> ?g }} "
                               "} ORDER BY ?g;")
        return (current[0] if current else None), replaced

    def digests(self, base_iri: str) -> dict[str, str]:
        """Return the article graphs' digests the catalogue under ``base_iri`` records (none when nothing is
        published, or an older kb published it)."""
        dataset = catalogue_iri(base_iri)
        rows = self.values(f"SPARQL SELECT (CONCAT(STR(?g), ' ', STR(?d)) AS ?row) WHERE {{ GRAPH <{dataset}> "
                           f"{{ ?g <{KB_DIGEST}> ?d }} }};")
        return dict(row.rsplit(" ", 1) for row in rows if " " in row)  # an IRI has no space

    def forget_digests(self, base_iri: str, graphs: list[str]) -> None:
        """Take the digests of ``graphs`` out of the catalogue under ``base_iri`` (its version triples stay)."""
        dataset = catalogue_iri(base_iri)
        for start in range(0, len(graphs), BATCH):
            listed = ", ".join(f"<{g}>" for g in graphs[start:start + BATCH])
            self.run(f"SPARQL DELETE {{ GRAPH <{dataset}> {{ ?g <{KB_DIGEST}> ?d }} }} WHERE {{ GRAPH <{dataset}> "
                     f"{{ ?g <{KB_DIGEST}> ?d }} FILTER (?g IN ({listed})) }};\n")

    def clear(self, graphs: list[str]) -> None:
        """Delete every quad of each of ``graphs`` (one autocommitted, logged statement each: a graph of
        40 M quads in one transaction would not fit in memory)."""
        if graphs:
            self.run("log_enable(3, 1);\n" + "".join(
                f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id({sql_string(g)}, 0);\n" for g in graphs))

    def load(self, files: list[str], graph: str) -> None:
        """Load ``files`` (paths as the server sees them; triples in them go into ``graph``) with one
        ``rdf_loader_run``. Raises LoadError naming the first file refused or not read, and Virtuoso's message."""
        listed = ", ".join(map(sql_string, files))
        self.run(f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file IN ({listed});\n"
                 + "".join(f"ld_add({sql_string(f)}, {sql_string(graph)});\n" for f in files)
                 + "rdf_loader_run();\n")
        rows = self.values("SELECT ll_file || chr(9) || cast(ll_state AS varchar) || chr(9) || coalesce(ll_error, '')"
                           f" FROM DB.DBA.LOAD_LIST WHERE ll_file IN ({listed});")
        states = {name: (state, error) for name, state, error in (f"{row}\t".split("\t")[:3] for row in rows)}
        for name in files:
            state, error = states.get(name, ("", ""))
            if error or state != "2":
                self.run(f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file IN ({listed}) AND ll_state = 0;")
                raise LoadError(f"{name}: Virtuoso's bulk loader refused it: {error}" if error
                                else f"{name}: {NOT_READ}")

    def checkpoint(self) -> None:
        """Write Virtuoso's buffers and transaction log into its database file."""
        self.run("checkpoint;\n")

    def switch_catalogue(self, base_iri: str, ntriples: bytes) -> None:
        """Make the catalogue graph under ``base_iri`` hold ``ntriples``: its version triples in one transaction
        (one SPARQL update: the old ones deleted, the new ones inserted; the UNION gives the update its one
        solution when the catalogue is still empty), then its article graphs' digests in batches.

        The digests cannot go in that one update: Virtuoso refuses an update of 2,500 of them ("generated SQL
        text has exceeded 10000 lines"), and a template of ground triples is instantiated once a solution. A
        digest is only ever missing meanwhile, never wrong: digests that differ or name no graph of the new
        catalogue are deleted first (a missing one makes the next publish send that graph again)."""
        dataset = catalogue_iri(base_iri)
        mark = f" <{KB_DIGEST}> "
        lines = ntriples.decode().splitlines()
        versions = " ".join(line for line in lines if mark not in line)
        wanted = dict(line.split(mark, 1) for line in lines if mark in line)  # "<graph>" -> '"hex" .'
        insert = f"INSERT {{ GRAPH <{dataset}> {{ {versions} }} }} " if versions else ""
        self.run(f"SPARQL DELETE {{ GRAPH <{dataset}> {{ ?s ?p ?o }} }} {insert}"
                 f"WHERE {{ {{ GRAPH <{dataset}> {{ ?s ?p ?o FILTER (?p != <{KB_DIGEST}>) }} }} "
                 "UNION { BIND (1 AS ?one) } };\n")
        held = {f"<{graph}>": f'"{value}" .' for graph, value in self.digests(base_iri).items()}
        self.forget_digests(base_iri, sorted(g[1:-1] for g, value in held.items() if wanted.get(g) != value))
        fresh = [f"{graph}{mark}{value}" for graph, value in sorted(wanted.items()) if held.get(graph) != value]
        for start in range(0, len(fresh), BATCH):
            self.run(f"SPARQL INSERT DATA {{ GRAPH <{dataset}> {{ {' '.join(fresh[start:start + BATCH])} }} }};\n")

    def publish(self, dump: Dump, current: str | None, removed: list[str], server_folder: str | None = None,
                recorded: dict[str, str] | None = None) -> Loaded:
        """Load ``dump`` as the module docstring says: ``current`` is the version graph the catalogue named
        before, ``removed`` the version graphs to delete once the new catalogue is written (both from
        :meth:`catalogue` and :func:`kb.publish.catalogue.succession`), ``recorded`` the digests it recorded
        (:meth:`digests`). Returns the seconds per step. Raises LoadError."""
        there = Path(server_folder) if server_folder else dump.folder.resolve()
        recorded = recorded or {}
        loaded = Loaded(removed=removed, removed_articles=sorted(recorded.keys() - dump.digests.keys()))
        stale = [g for g in dump.loaded_graphs if g in recorded]

        def clear() -> None:
            self.forget_digests(dump.base_iri, stale)
            self.clear(dump.loaded_graphs + ([dump.graph] if dump.graph != current else []))

        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("clear", clear),
            ("load", lambda: self.load([str(there / f.name) for f in dump.files], dump.graph)),
            ("checkpoint", self.checkpoint),
            ("switch", lambda: self.switch_catalogue(dump.base_iri, dump.catalogue_ntriples)),
            ("remove", lambda: self.clear(removed + loaded.removed_articles)),
        )
        for name, step in steps:
            started = time.perf_counter()
            step()
            loaded.seconds[name] = round(time.perf_counter() - started, 3)
        return loaded
