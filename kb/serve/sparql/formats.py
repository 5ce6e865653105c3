"""What /sparql answers in, and content negotiation over it (RFC 9110 §12.5.1: q-values, ``q=0`` refuses).

Each list is in the server's order of preference: among types a client rates equally, the first wins. This
module imports nothing of kb, so the worker process (kb.serve.sparql.worker) reads the same tables.

    results (SELECT, ASK)      SPARQL JSON, SPARQL XML, CSV, TSV
    graphs (CONSTRUCT, DESCRIBE, the service description)
                               Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.serve import negotiate

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                       "text/tab-separated-values")
TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS = ("text/turtle", "application/n-triples", "application/ld+json",
                                            "application/rdf+xml", "application/n-quads")
RESULTS = (JSON, XML, CSV, TSV)
GRAPHS = (TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS)

ALIASES = {"application/json": JSON, "application/xml": XML, "text/xml": XML, "text/plain": NTRIPLES,
           "application/x-turtle": TURTLE}
"""Other names clients send for a type offered: each answers as the type it names (its canonical type)."""
_ALIASED = {canonical: tuple(a for a, c in ALIASES.items() if c == canonical) for canonical in set(ALIASES.values())}


FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": (JSON, JSONLD), "xml": (XML, RDFXML), "csv": (CSV, None), "tsv": (TSV, None),
    "ttl": (None, TURTLE), "turtle": (None, TURTLE), "nt": (None, NTRIPLES), "ntriples": (None, NTRIPLES),
    "jsonld": (None, JSONLD), "rdfxml": (None, RDFXML), "nq": (None, NQUADS), "nquads": (None, NQUADS),
}
"""``format=`` (which overrides Accept): a name gives the results type, the graph type, or both."""


def choose(accept: str, offered: Sequence[str]) -> str | None:
    """Return the type of ``offered`` the Accept header rates highest (the server's order breaks ties; a name
    in :data:`ALIASES` counts for the type it aliases), the first offered when there is no header, or None when
    the header makes none of them acceptable (kb.serve.negotiate reads the header)."""
    if not accept.strip():
        return offered[0]
    return negotiate.choose(accept, offered, _ALIASED)


def not_acceptable(offered: Sequence[str]) -> str:
    """Return the message of a 406: what the client may ask for instead."""
    return f"none of the types in Accept can be given here; available: {', '.join(offered)}"
