"""The vocabulary graph: ``schema/kb.ttl`` in a named graph of its own (:data:`kb.vocab.VOCABULARY_GRAPH`) in
every store kb builds, so the labels and comments of kb's terms can be asked with ``GRAPH`` or a dataset
selection on ``/sparql``.

It is kept out of the default graph, which holds the knowledge base's own triples (``kb export``, counts, the
catalogue). A kept store's manifest hashes ``schema/``, so an edited kb.ttl rebuilds the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pyoxigraph as ox
from rdflib import Dataset, URIRef

from kb import contracts
from kb.vocab import VOCABULARY_GRAPH

FILE = "kb.ttl"


@cache
def nquads() -> bytes:
    """Return ``schema/kb.ttl`` as N-Quads in the vocabulary graph (read once a process)."""
    graph = ox.NamedNode(VOCABULARY_GRAPH)
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph)
             for t in ox.parse(contracts.path(FILE).read_bytes(), format=ox.RdfFormat.TURTLE)]
    data: bytes | None = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None  # no output given: Oxigraph returns the bytes
    return data


def with_vocabulary(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Yield the N-Quads ``chunks`` of a build, then the vocabulary graph's."""
    yield from chunks
    yield nquads()


def add_to_dataset(dataset: Dataset) -> None:
    """Add the vocabulary graph to an rdflib Dataset (rdflib's Memory store)."""
    dataset.graph(URIRef(VOCABULARY_GRAPH)).parse(contracts.path(FILE), format="turtle")
