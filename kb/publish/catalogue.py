"""The catalogue: the VoID graph ``{base}graph`` that says which published version is current.

``kb publish`` writes it last, so readers switch only once a version is whole: it names the version graph (the
default graph of the knowledge base, one graph per version), the counts of each kind of record, the version
graph it replaces (kept for replicas still answering from it) and the digest of each article graph, so a
re-publish sends only what changed. The remote backend (kb.serve.remote) reads it with :data:`CATALOGUE_QUERY`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.vocab import DCTERMS_REPLACES, DCTERMS_VERSION, KB, RDF_TYPE, RDFS_LABEL, VOID, XSD_INTEGER

KB_DIGEST = str(KB.digest)

CATALOGUE_QUERY = f"""SELECT ?version ?graph ?triples ?kind ?n WHERE {{
  GRAPH ?dataset {{
    ?dataset <{VOID}subset> ?graph .
    ?graph <{DCTERMS_VERSION}> ?version ; <{VOID}triples> ?triples .
    OPTIONAL {{ ?graph <{VOID}classPartition> ?part . ?part <{RDFS_LABEL}> ?kind ; <{VOID}entities> ?n }}
  }}
}}"""
"""The catalogue as rows (one per kind of record); ``?dataset`` is replaced by the catalogue's IRI."""


def catalogue_iri(base_iri: str) -> str:
    """Return the IRI of the catalogue graph (and of the dataset it describes): ``{base}graph``."""
    return f"{base_iri}graph"


def version_graph(base_iri: str, version: str) -> str:
    """Return the IRI of the graph that holds one version's default graph."""
    return f"{base_iri}graph/version/{version}"


def digest(ntriples: bytes) -> str:
    """Return the SHA-256 (hex) of a graph given as N-Triples lines as kb builds them: its distinct lines,
    sorted, each ending with a newline. kb mints no blank nodes, so equal graphs give equal digests."""
    lines = {line.rstrip(b"\r") + b"\n" for line in ntriples.split(b"\n") if line.strip()}
    return hashlib.sha256(b"".join(sorted(lines))).hexdigest()


def _nt(subject: str, predicate: str, obj: str) -> str:
    return f"<{subject}> <{predicate}> {obj} .\n"


def catalogue(base_iri: str, version: str, triples: int, counts: dict[str, int], replaces: str | None = None,
              digests: dict[str, str] | None = None) -> bytes:
    """Return the catalogue graph (VoID) as N-Triples: the current version graph, its counts, the version
    graph it replaces (kept until the next publish), then the digest of each article graph in ``digests``.
    The digests come last: a catalogue larger than one request is sent as a PUT and POSTs, and the PUT then
    holds the whole switch, the POSTs only digests (a digest missing means a graph sent again, never one
    skipped wrongly)."""
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
    lines += [_nt(name, KB_DIGEST, f'"{value}"') for name, value in sorted((digests or {}).items())]
    return "".join(lines).encode()


@dataclass
class Previous:
    """What the store's catalogue says before a publish: the current version graph, the version graphs it
    replaced (sorted), the article graphs' digests, and its triples as they are."""

    current: str | None = None
    replaced: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    triples: list[ox.Triple] = field(default_factory=list)

    def without_digests(self, graphs: Iterable[str]) -> bytes:
        """Return this catalogue as N-Triples, less the digests of ``graphs``."""
        drop = {ox.NamedNode(g) for g in graphs}
        kept = [t for t in self.triples if not (t.predicate == ox.NamedNode(KB_DIGEST) and t.subject in drop)]
        return ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES) or b""


def read_previous(catalogue_turtle: bytes | None, dataset: str) -> Previous:
    """Return what an existing catalogue (Turtle, or None when there is none) records."""
    if not catalogue_turtle:
        return Previous()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(catalogue_turtle, ox.RdfFormat.TURTLE)]
    links = [(t.subject, t.predicate, t.object) for t in triples if isinstance(t.object, ox.NamedNode)]
    current = next((o.value for s, p, o in links
                    if s == ox.NamedNode(dataset) and p == ox.NamedNode(f"{VOID}subset")), None)
    replaced = sorted(o.value for _, p, o in links if p == ox.NamedNode(DCTERMS_REPLACES))
    digests = {t.subject.value: t.object.value for t in triples if t.predicate == ox.NamedNode(KB_DIGEST)
               and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.Literal)}
    return Previous(current, replaced, digests, triples)


def changed(digests: dict[str, str], recorded: dict[str, str]) -> list[str]:
    """Return, sorted, the article graphs of ``digests`` whose content the store does not hold as
    ``recorded`` says (new graphs, and graphs whose digest differs)."""
    return sorted(name for name, value in digests.items() if recorded.get(name) != value)


def succession(current: str | None, replaced: list[str], graph: str) -> tuple[str | None, list[str]]:
    """Return, for publishing version graph ``graph`` over a catalogue naming ``current`` (and the graphs it
    ``replaced``), the version graph the new catalogue keeps (``dcterms:replaces``: the one replicas may still
    be answering from) and the older version graphs to delete once the new catalogue is written."""
    kept = current if current != graph else (replaced[0] if replaced else None)
    return kept, [old for old in replaced if old not in (graph, kept)]
