"""Which store holds the graph: an embedded Oxigraph store (the default) or rdflib's Memory (the reference).

Either way the caller gets an rdflib :class:`~rdflib.Dataset` whose default graph holds every triple and whose
named graphs ``{base}graph/{source-id}`` hold each article's statements and evidence again; one more named
graph holds the vocabulary, ``schema/kb.ttl`` (kb.graph.vocabulary). With Oxigraph the
Dataset sits on a pyoxigraph ``Store`` (through oxrdflib's ``OxigraphStore(store=...)``), exposed as
:attr:`GraphStore.native` so SPARQL can run natively (``native.query(...)``) on the very same data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result

from kb.errors import StoreError
from kb.graph.builder import build, nquads
from kb.graph.kept import Kept
from kb.graph.native import fill
from kb.graph.ntriples import LineKey
from kb.graph.sinks import BuiltGraph
from kb.graph.terms import plain
from kb.graph.vocabulary import add_to_dataset, with_vocabulary
from kb.graph.vocabulary import nquads as vocabulary_nquads
from kb.load.gc import gc_paused
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import PREFIXES, VOCABULARY_GRAPH

BACKENDS = ("oxigraph", "memory")


@dataclass
class GraphStore:
    """The built graph in one backend: the rdflib Dataset, and the native pyoxigraph Store when there is
    one."""

    dataset: Dataset
    backend: str
    native: Any = None  # pyoxigraph.Store for the "oxigraph" backend (untyped library), else None
    shared: Counter[LineKey] | None = None
    """For a store :func:`build_store` filled: how many records make each shared line (kb.graph.delta patches
    it)."""
    kept: Kept | None = None
    """For a store kept on disk: the build it was opened from (read-only; kb.graph.kept)."""

    @property
    def graph(self) -> Graph:
        """The default graph: every triple of the knowledge base."""
        return self.dataset.graph(DATASET_DEFAULT_GRAPH_ID)

    def named_graphs(self) -> list[URIRef]:
        """Return the names of the per-article graphs, sorted (not the vocabulary graph)."""
        return sorted(g.identifier for g in self.dataset.graphs()  # type: ignore[misc]
                      if g.identifier not in (DATASET_DEFAULT_GRAPH_ID, URIRef(VOCABULARY_GRAPH)))

    def query(self, sparql: str) -> Result:
        """Run a SPARQL query on the default graph, with kb's prefixes predeclared. Returns rdflib's
        Result."""
        return self.graph.query(sparql, initNs=PREFIXES)

    def __len__(self) -> int:
        """Return the number of triples of the default graph.

        Oxigraph counts them itself: through oxrdflib, ``len`` would turn every quad into Python objects.
        """
        if self.native is not None:
            rows = self.native.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            return int(next(iter(rows))[0].value)
        return len(self.graph)


def copy_graph(graph: Graph) -> Graph:
    """Return an in-memory copy of ``graph`` (any store) with kb's prefixes bound and literals made plain."""
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace, replace=True)
    out.addN((s, p, plain(o), out) for s, p, o in graph)
    return out


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
        native.load(vocabulary_nquads(), format=ox.RdfFormat.N_QUADS)
        dataset = Dataset(store=OxigraphStore(store=native))
        _bind(dataset)
        return GraphStore(dataset=dataset, backend=backend, native=native)
    if backend == "memory":
        dataset = Dataset(store="Memory")
        _bind(dataset)
        graphs: dict[URIRef | None, Graph] = {None: dataset.graph(DATASET_DEFAULT_GRAPH_ID)}
        graphs.update({name: dataset.graph(name) for name in built.named})
        dataset.addN((s, p, o, graphs[g]) for s, p, o, g in built.quads())
        add_to_dataset(dataset)
        return GraphStore(dataset=dataset, backend=backend)
    raise StoreError(f"unknown store backend {backend!r}; known: {', '.join(BACKENDS)}")


def opened(kept: Kept, shared: Counter[LineKey] | None = None) -> GraphStore:
    """Open the store of a kept build read-only, as a GraphStore. Raises StoreError when it cannot be opened."""
    native = kept.open()
    dataset = Dataset(store=OxigraphStore(store=native))
    _bind(dataset)
    return GraphStore(dataset=dataset, backend="oxigraph", native=native, shared=shared, kept=kept)


def build_store(kb: KnowledgeBase, base_iri: str, backend: str = "oxigraph") -> GraphStore:
    """Build the graph of ``kb`` under ``base_iri`` into a fresh store of ``backend``.

    For Oxigraph the builder streams N-Quads into the store as it makes them (:func:`kb.graph.native.fill`),
    so the graph is never held twice. Raises StoreError for an unknown backend, CurationError as
    :func:`kb.graph.builder.build` does.
    """
    if backend == "oxigraph":
        native, shared = ox.Store(), Counter[LineKey]()
        with gc_paused():  # the builder's tuples and lists are not cyclic
            fill(native, with_vocabulary(nquads(kb, base_iri, shared=shared)))
        dataset = Dataset(store=OxigraphStore(store=native))
        _bind(dataset)
        return GraphStore(dataset=dataset, backend=backend, native=native, shared=shared)
    if backend not in BACKENDS:
        raise StoreError(f"unknown store backend {backend!r}; known: {', '.join(BACKENDS)}")
    return load(build(kb, base_iri), backend)

