"""Which store holds the graph: an embedded Oxigraph store (the default) or rdflib's Memory (the reference).

Either way the caller gets an rdflib :class:`~rdflib.Dataset` whose default graph holds every triple and whose
named graphs ``{base}graph/{source-id}`` hold each article's statements and evidence again. With Oxigraph the
Dataset sits on a pyoxigraph ``Store`` (through oxrdflib's ``OxigraphStore(store=...)``), exposed as
:attr:`GraphStore.native` so SPARQL can run natively (``native.query(...)``) on the very same data.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from queue import Full, Queue
from typing import Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.query import Result
from rdflib.term import Node

from kb.errors import KBError
from kb.graph.builder import BuiltGraph, Line, Object, Quad, build, nquads
from kb.load.loader import gc_paused
from kb.load.validate import KnowledgeBase
from kb.vocab import PREFIXES

BACKENDS = ("oxigraph", "memory")


class StoreError(KBError):
    """A store backend kb does not know."""


@dataclass
class GraphStore:
    """The built graph in one backend: the rdflib Dataset, and the native pyoxigraph Store when there is one."""

    dataset: Dataset
    backend: str
    native: Any = None  # pyoxigraph.Store for the "oxigraph" backend (untyped library), else None
    shared: Counter[Line] | None = None
    """For a store :func:`build_store` filled: how many records make each shared line (kb.graph.delta patches it)."""

    @property
    def graph(self) -> Graph:
        """The default graph: every triple of the knowledge base."""
        return self.dataset.graph(DATASET_DEFAULT_GRAPH_ID)

    def named_graphs(self) -> list[URIRef]:
        """Return the names of the per-article graphs, sorted."""
        return sorted(g.identifier for g in self.dataset.graphs()  # type: ignore[misc]
                      if g.identifier != DATASET_DEFAULT_GRAPH_ID)

    def query(self, sparql: str) -> Result:
        """Run a SPARQL query on the default graph, with kb's prefixes predeclared. Returns rdflib's Result."""
        return self.graph.query(sparql, initNs=PREFIXES)

    def __len__(self) -> int:
        """Return the number of triples of the default graph.

        Oxigraph counts them itself: through oxrdflib, ``len`` turns every quad into Python objects (100k
        facts: 19 s and 1.6 GB, against well under a second).
        """
        if self.native is not None:
            rows = self.native.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            return int(next(iter(rows))[0].value)
        return len(self.graph)


def plain(term: Node) -> Node:
    """Return ``term`` with an explicit ``^^xsd:string`` dropped (RDF 1.1: the same literal).

    oxrdflib hands every simple literal back typed ``xsd:string``, which rdflib compares unequal to the
    untyped literal kb builds; this makes triples read from either store compare equal.
    """
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def copy_graph(graph: Graph) -> Graph:
    """Return an in-memory copy of ``graph`` (any store) with kb's prefixes bound and literals made plain."""
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace, replace=True)
    out.addN((s, p, plain(o), out) for s, p, o in graph)
    return out


def _ox_term(term: Object | None) -> Any:
    if term is None:
        return ox.DefaultGraph()
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.NamedNode(str(term))


def to_oxigraph(quads: Iterable[Quad]) -> list[Any]:
    """Return rdflib quads (graph ``None`` = default graph) as pyoxigraph Quads.

    Terms repeat (every predicate, each subject a dozen times), so each is converted once: converting is
    most of the cost of filling a store, four times the insert itself on 10k facts.
    """
    seen: dict[Object | None, Any] = {}

    def term(node: Object | None) -> Any:
        found = seen.get(node)
        if found is None:
            found = seen[node] = _ox_term(node)
        return found

    return [ox.Quad(term(s), term(p), term(o), term(g)) for s, p, o, g in quads]


def _bind(dataset: Dataset) -> None:
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, replace=True)


def load(built: BuiltGraph, backend: str = "oxigraph") -> GraphStore:
    """Put a built graph into a fresh store of ``backend`` (``oxigraph`` or ``memory``).

    Oxigraph is filled by one bulk load of N-Quads, bypassing rdflib's per-triple path.
    Raises StoreError for an unknown backend.
    """
    if backend == "oxigraph":
        native = ox.Store()
        native.bulk_load(built.nquads(), format=ox.RdfFormat.N_QUADS)
        dataset = Dataset(store=OxigraphStore(store=native))
        _bind(dataset)
        return GraphStore(dataset=dataset, backend=backend, native=native)
    if backend == "memory":
        dataset = Dataset(store="Memory")
        _bind(dataset)
        graphs: dict[URIRef | None, Graph] = {None: dataset.graph(DATASET_DEFAULT_GRAPH_ID)}
        graphs.update({name: dataset.graph(name) for name in built.named})
        dataset.addN((s, p, o, graphs[g]) for s, p, o, g in built.quads())
        return GraphStore(dataset=dataset, backend=backend)
    raise StoreError(f"unknown store backend {backend!r}; known: {', '.join(BACKENDS)}")


def build_store(kb: KnowledgeBase, base_iri: str, backend: str = "oxigraph") -> GraphStore:
    """Build the graph of ``kb`` under ``base_iri`` into a fresh store of ``backend``.

    For Oxigraph the builder streams N-Quads into the store as it makes them (:func:`fill`), so the graph
    is never held twice. Raises StoreError for an unknown backend, CurationError as :func:`kb.graph.builder.build` does.
    """
    if backend == "oxigraph":
        native, shared = ox.Store(), Counter[Line]()
        with gc_paused():  # the builder's tuples and lists are not cyclic
            fill(native, nquads(kb, base_iri, shared=shared))
        dataset = Dataset(store=OxigraphStore(store=native))
        _bind(dataset)
        return GraphStore(dataset=dataset, backend=backend, native=native, shared=shared)
    if backend not in BACKENDS:
        raise StoreError(f"unknown store backend {backend!r}; known: {', '.join(BACKENDS)}")
    return load(build(kb, base_iri), backend)


def fill(native: Any, chunks: Iterator[bytes]) -> None:
    """Load N-Quads ``chunks`` (each of whole lines) into the pyoxigraph store ``native`` while they are made.

    ``chunks`` runs in a thread of its own; Oxigraph parses and inserts without holding the GIL, so building
    the graph in Python and storing it in Rust share the two cores instead of taking turns (10k facts: build
    0.7 s and load 2.4 s one after the other). Each chunk is loaded as a transaction of its own: one
    transaction over the whole graph kept its undo log to the end (100k facts: 2.76 GB peak against 2.47 GB
    in 4 MB transactions, in the same time). Separate loads would give one blank-node label in two chunks two
    nodes; the builder mints no blank nodes. Re-raises what ``chunks`` raised; the store is then partial and
    must be dropped.
    """
    queue: Queue[bytes | None] = Queue(maxsize=4)
    failed: list[BaseException] = []
    stop = threading.Event()

    def offer(item: bytes | None) -> bool:
        while not stop.is_set():  # the loader stops reading when it fails: then give up, never block
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
        except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread)
            failed.append(exc)
        offer(None)

    producer = threading.Thread(target=produce, name="kb-graph-build", daemon=True)
    producer.start()
    try:
        while (chunk := queue.get()) is not None:
            native.load(chunk, format=ox.RdfFormat.N_QUADS)
    finally:
        stop.set()
        producer.join()
    if failed:
        raise failed[0]
