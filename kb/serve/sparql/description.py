"""The SPARQL 1.1 Service Description of /sparql (``sd:``), answered to a GET without a query: the endpoint,
the language (SPARQL 1.1 Query; no update), every result format, and the default dataset: its default graph,
named as ``default-graph-uri`` and ``FROM`` name it, and every named graph (one per article, and the
vocabulary graph).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kb.graph.snapshot import Snapshot
from kb.publish.catalogue import catalogue_iri
from kb.serve.sparql.formats import CSV, JSON, JSONLD, NQUADS, NTRIPLES, RDFXML, TSV, TURTLE, XML
from kb.serve.sparql.guard import LOCAL_ENGINES, default_graph_name, graph_names
from kb.serve.sparql.serialize import GRAPH_FORMATS
from kb.vocab import FORMATS_IRI, RDF, RDFS, SD_IRI, VOCABULARY_GRAPH, VOID, XSD_INTEGER

FORMAT_IRIS = {JSON: "SPARQL_Results_JSON", XML: "SPARQL_Results_XML", CSV: "SPARQL_Results_CSV",
               TSV: "SPARQL_Results_TSV", TURTLE: "Turtle", NTRIPLES: "N-Triples", JSONLD: "JSON-LD",
               RDFXML: "RDF_XML", NQUADS: "N-Quads"}
PREFIXES = {"sd": SD_IRI, "formats": FORMATS_IRI, "void": str(VOID._NS), "rdfs": str(RDFS._NS)}


def _sd(name: str) -> Any:
    return ox.NamedNode(SD_IRI + name)


def triples(snapshot: Snapshot, endpoint: str) -> list[Any]:
    """Return the service description of the endpoint at ``endpoint`` serving ``snapshot``, as pyoxigraph
    triples (a remote store's named graphs are not listed: they are the remote engine's)."""
    a, label = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDFS.label))
    service, dataset = ox.NamedNode(endpoint), ox.NamedNode(catalogue_iri(snapshot.mint.base))
    default = ox.NamedNode(default_graph_name(snapshot))
    found = [
        ox.Triple(service, a, _sd("Service")), ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, label, ox.Literal("kb: a provenance-first knowledge base of diplomatic news")),
        *(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS_IRI + name)) for name in FORMAT_IRIS.values()),
        ox.Triple(service, _sd("defaultDataset"), dataset), ox.Triple(dataset, a, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default), ox.Triple(default, a, _sd("Graph")),
        ox.Triple(default, ox.NamedNode(str(VOID.triples)),
                  ox.Literal(str(snapshot.counts.get("triples", 0)), datatype=ox.NamedNode(XSD_INTEGER))),
        ox.Triple(default, label, ox.Literal(f"the default graph of version {snapshot.version}: every triple")),
    ]
    names = graph_names(snapshot) if snapshot.backend.name in LOCAL_ENGINES else []
    for index, name in enumerate(names):
        node = ox.BlankNode(f"g{index}")
        found += [ox.Triple(dataset, _sd("namedGraph"), node), ox.Triple(node, a, _sd("NamedGraph")),
                  ox.Triple(node, _sd("name"), ox.NamedNode(name))]
        if name == VOCABULARY_GRAPH:
            found.append(ox.Triple(node, label, ox.Literal("the kb vocabulary (schema/kb.ttl)")))
    return found


def describe(snapshot: Snapshot, endpoint: str, media_type: str) -> bytes:
    """Return the service description serialised as ``media_type`` (one of the graph formats)."""
    data = ox.serialize(triples(snapshot, endpoint), format=GRAPH_FORMATS[media_type], prefixes=PREFIXES)
    return data or b""
