"""Load the built graph into a SPARQL store over the SPARQL 1.1 Graph Store Protocol (``kb publish``).

Why the Graph Store Protocol: it is the one standard write interface that every engine offers over HTTP
(Virtuoso at ``/sparql-graph-crud-auth`` with digest auth, Fuseki at ``/ds/data``, Oxigraph server at
``/store``, GraphDB, Stardog), it needs no file shared with the engine's machine (Virtuoso's ``ld_dir`` bulk
loader and ``DB.DBA.TTLP`` read files the server can see, through ``isql`` on the SQL port) and it never
needs SQL credentials. Large graphs go in chunks of N-Triples lines (a PUT, then POSTs), so no request is
larger than ``chunk_bytes`` and no engine's request limit is met.

What is written, in this order, so that a reader never sees a half-loaded version:

1. the default graph (every triple) into ``{base}graph/version/{version}``;
2. each article's named graph ``{base}graph/{source-id}`` (as in the TriG export), replaced whole;
3. the catalogue ``{base}graph`` (a named graph, and the VoID dataset it describes): which version graph is
   current, its triple count and record counts, and which version it replaces (``dcterms:replaces``).
   Replacing it is the switch: :mod:`kb.remote` reads it, and running replicas poll it;
4. the version before the previous one is deleted. The previous one is kept, so a replica still answering
   from it (until its next poll of the catalogue) never finds its graph gone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Self

import httpx
import pyoxigraph as ox

from kb import graph as builder
from kb.errors import KBError
from kb.remote import catalogue_iri
from kb.validate import KnowledgeBase

CHUNK_BYTES = 4 << 20
TIMEOUT = httpx.Timeout(300.0, connect=5.0)
VOID = "http://rdfs.org/ns/void#"
DCTERMS_VERSION = "http://purl.org/dc/terms/hasVersion"
DCTERMS_REPLACES = "http://purl.org/dc/terms/replaces"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

CATALOGUE_QUERY = f"""SELECT ?version ?graph ?triples ?kind ?n WHERE {{
  GRAPH ?dataset {{
    ?dataset <{VOID}subset> ?graph .
    ?graph <{DCTERMS_VERSION}> ?version ; <{VOID}triples> ?triples .
    OPTIONAL {{ ?graph <{VOID}classPartition> ?part . ?part <{RDFS_LABEL}> ?kind ; <{VOID}entities> ?n }}
  }}
}}"""
"""The catalogue as rows (one per kind of record); ``?dataset`` is replaced by the catalogue's IRI."""


class PublishError(KBError):
    """The store refused a write, or cannot be reached."""


@dataclass
class Published:
    """What ``kb publish`` wrote: the version graph, how many triples and requests, which graphs it removed."""

    version: str
    graph: str
    triples: int
    requests: int = 0
    named_graphs: int = 0
    removed: list[str] = field(default_factory=list)


def version_graph(base_iri: str, version: str) -> str:
    """Return the IRI of the graph that holds one version's default graph."""
    return f"{base_iri}graph/version/{version}"


def chunks(ntriples: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield ``ntriples`` in pieces of whole lines, each at most ``size`` bytes (or one line, if longer)."""
    start = 0
    while start < len(ntriples):
        end = ntriples.rfind(b"\n", start, start + size) + 1
        if end <= start:
            end = ntriples.find(b"\n", start + size) + 1 or len(ntriples)
        yield ntriples[start:end]
        start = end


def _nt(subject: str, predicate: str, obj: str) -> str:
    return f"<{subject}> <{predicate}> {obj} .\n"


def catalogue(base_iri: str, version: str, triples: int, counts: dict[str, int], replaces: str | None = None) -> bytes:
    """Return the catalogue graph (VoID) as N-Triples: the current version graph, its counts, and the version
    graph it replaces (kept until the next publish)."""
    dataset, graph = catalogue_iri(base_iri), version_graph(base_iri, version)
    lines = [_nt(graph, DCTERMS_REPLACES, f"<{replaces}>")] if replaces and replaces != graph else []
    lines += [
        _nt(dataset, RDF_TYPE, f"<{VOID}Dataset>"), _nt(dataset, f"{VOID}subset", f"<{graph}>"),
        _nt(graph, RDF_TYPE, f"<{VOID}Dataset>"), _nt(graph, DCTERMS_VERSION, f'"{version}"'),
        _nt(graph, f"{VOID}triples", f'"{triples}"^^<{XSD_INTEGER}>'),
    ]
    for kind, n in sorted(counts.items()):
        part = f"{graph}#{kind}"
        lines += [_nt(graph, f"{VOID}classPartition", f"<{part}>"), _nt(part, RDFS_LABEL, f'"{kind}"'),
                  _nt(part, f"{VOID}entities", f'"{n}"^^<{XSD_INTEGER}>')]
    return "".join(lines).encode()


class GraphStoreClient:
    """A SPARQL 1.1 Graph Store Protocol client: replace, append to, read and delete one named graph."""

    def __init__(self, endpoint: str, auth: httpx.Auth | None = None, chunk_bytes: int = CHUNK_BYTES,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self.chunk_bytes = chunk_bytes
        self.client = httpx.Client(auth=auth, timeout=TIMEOUT, transport=transport)
        self.requests = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _send(self, method: str, graph: str, body: bytes | None = None, ok: tuple[int, ...] = ()) -> httpx.Response:
        headers = {"accept": "text/turtle" if method == "GET" else "*/*"}  # Virtuoso: 406 for DELETE otherwise
        if body is not None:
            headers["content-type"] = "text/turtle; charset=utf-8"
        self.requests += 1
        try:
            response = self.client.request(method, self.endpoint, params={"graph": graph}, content=body,
                                           headers=headers)
        except httpx.HTTPError as exc:
            raise PublishError(f"graph store {self.endpoint} unreachable: {exc}") from exc
        if response.status_code >= 400 and response.status_code not in ok:
            raise PublishError(f"{method} {graph}: {self.endpoint} answered {response.status_code}: "
                               f"{response.text.strip()[:300]}")
        return response

    def send(self, method: str, graph: str, ntriples: bytes) -> None:
        """``PUT`` (replace) or ``POST`` (append) one piece of N-Triples to ``graph``. Raises PublishError."""
        self._send(method, graph, ntriples)

    def replace(self, graph: str, ntriples: bytes) -> None:
        """Replace ``graph`` with ``ntriples`` (N-Triples is Turtle): one PUT, then a POST per further chunk."""
        pieces = chunks(ntriples, self.chunk_bytes)
        self._send("PUT", graph, next(pieces, b""))
        for piece in pieces:
            self._send("POST", graph, piece)

    def read(self, graph: str) -> bytes | None:
        """Return ``graph`` as Turtle, or None when the store has no such graph."""
        response = self._send("GET", graph, ok=(404,))
        return None if response.status_code == 404 else response.content

    def delete(self, graph: str) -> None:
        """Delete ``graph`` (a graph that is already gone is fine)."""
        self._send("DELETE", graph, ok=(404,))


def _referenced(catalogue_turtle: bytes | None, dataset: str) -> tuple[str | None, list[str]]:
    """Return the version graph an existing catalogue names as current, and the graphs it replaced."""
    if not catalogue_turtle:
        return None, []
    triples = list(ox.parse(catalogue_turtle, ox.RdfFormat.TURTLE))
    current = next((t.object.value for t in triples
                    if t.subject == ox.NamedNode(dataset) and t.predicate == ox.NamedNode(f"{VOID}subset")), None)
    replaced = sorted(t.object.value for t in triples if t.predicate == ox.NamedNode(DCTERMS_REPLACES))
    return current, replaced


def succession(current: str | None, replaced: list[str], graph: str) -> tuple[str | None, list[str]]:
    """Return, for publishing version graph ``graph`` over a catalogue naming ``current`` (and the graphs it
    ``replaced``), the version graph the new catalogue keeps (``dcterms:replaces``: the one replicas may still
    be answering from) and the older version graphs to delete once the new catalogue is written."""
    kept = current if current != graph else (replaced[0] if replaced else None)
    return kept, [old for old in replaced if old not in (graph, kept)]


def publish_knowledge_base(kb: KnowledgeBase, version: str, base_iri: str, store: GraphStoreClient) -> Published:
    """Build the graph of a validated knowledge base straight into ``store``, never holding it whole.

    The default graph goes out as it is built (kb.graph.graphs: every triple exactly once, so its lines
    count its triples); each article's share waits in one temporary file, in pieces whose places are
    remembered, until the default graph is written, then replaces its named graph. At 100,000 facts this
    needs no Oxigraph store of 2.7 GB and no dump of it; one file, not one per article, because a million
    facts have 25,000 articles and a process may open 20,000 files at most. Writes in the order the module
    docstring gives. Raises PublishError, CurationError.
    """
    dataset, graph = catalogue_iri(base_iri), version_graph(base_iri, version)
    previous, older = _referenced(store.read(dataset), dataset)
    triples, method = 0, "PUT"
    with tempfile.TemporaryFile(prefix="kb-publish-") as spool:
        pieces: dict[str, list[tuple[int, int]]] = {}  # article graph -> (offset, length) of its pieces
        for default, named in builder.graphs(kb, base_iri, store.chunk_bytes):
            for piece in chunks(default, store.chunk_bytes):
                store.send(method, graph, piece)
                method = "POST"
            triples += default.count(b"\n")
            for name, text in named.items():
                pieces.setdefault(name, []).append((spool.tell(), len(text)))
                spool.write(text)
        if method == "PUT":  # an empty knowledge base: the version graph exists, empty
            store.replace(graph, b"")
        for name, places in sorted(pieces.items()):
            store.replace(name, b"".join(_read(spool, offset, length) for offset, length in places))
    # The switch readers follow: the catalogue names the new version graph; then the one before the previous goes.
    kept, removed = succession(previous, older, graph)
    store.replace(dataset, catalogue(base_iri, version, triples, kb.counts(), kept))
    for old in removed:
        store.delete(old)
    return Published(version, graph, triples, store.requests, len(pieces), removed)


def _read(spool: BinaryIO, offset: int, length: int) -> bytes:
    spool.seek(offset)
    return spool.read(length)


def publish_root(root: Path, base_iri: str, endpoint: str, auth: httpx.Auth | None,
                 chunk_bytes: int = CHUNK_BYTES) -> Published:
    """Validate and build the knowledge base under ``root``, then publish it to the Graph Store ``endpoint``.

    Raises CurationErrors when it does not validate, PublishError when the store refuses it.
    """
    from kb import pipeline  # the pipeline is only needed here, not by the catalogue readers
    from kb.snapshot import kb_version

    kb = pipeline.load(root)
    with GraphStoreClient(endpoint, auth, chunk_bytes) as client:
        return publish_knowledge_base(kb, kb_version(root), base_iri, client)
