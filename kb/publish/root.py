"""Publish the knowledge base under a root: read and check it, version it, then send it by one route (the Graph
Store Protocol, or bulk files that Virtuoso may load). The routes themselves take a built knowledge base."""

from __future__ import annotations

from pathlib import Path

import httpx

from kb.load import pipeline
from kb.load.version import kb_version
from kb.progress import Progress, silent
from kb.publish import bulk, gsp
from kb.publish.catalogue import succession, version_graph
from kb.publish.isql import Isql, Loaded


def over_graph_store(root: Path, base_iri: str, endpoint: str, auth: httpx.Auth | None,
                     chunk_bytes: int = gsp.CHUNK_BYTES, progress: Progress = silent) -> gsp.Published:
    """Validate and build the knowledge base under ``root``, then publish it to the Graph Store ``endpoint``.

    Raises CurationErrors when it does not validate, PublishError when the store refuses it.
    """
    kb = pipeline.load(root, progress)
    with gsp.GraphStoreClient(endpoint, auth, chunk_bytes) as client:
        return gsp.publish_knowledge_base(kb, kb_version(root), base_iri, client, progress)


def as_bulk_files(root: Path, base_iri: str, folder: Path, virtuoso: Isql | None = None,
                  server_folder: str | None = None, progress: Progress = silent) -> tuple[bulk.Dump, Loaded | None]:
    """Validate and build the knowledge base under ``root`` into a dump in ``folder`` (kb.publish.bulk.write)
    and, given ``virtuoso``, load it there as kb publish would publish it (kb.publish.isql). The catalogue is
    read first, so the dump's catalogue names the version it replaces, the dump leaves out the article graphs Virtuoso
    already holds (their digests recorded there), and wrong credentials fail before the build.
    Returns the dump and what loading did (None when not loaded). Raises CurationErrors, LoadError, OSError."""
    kb = pipeline.load(root, progress)
    version = kb_version(root)
    if virtuoso is None:
        return bulk.write(kb, version, base_iri, folder, progress=progress), None
    current, replaced = virtuoso.catalogue(base_iri)
    recorded = virtuoso.digests(base_iri)
    kept, removed = succession(current, replaced, version_graph(base_iri, version))
    dump = bulk.write(kb, version, base_iri, folder, kept, recorded=recorded, progress=progress)
    return dump, virtuoso.publish(dump, current, removed, server_folder, recorded)
