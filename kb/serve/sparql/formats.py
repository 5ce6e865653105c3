"""What /sparql answers in, and content negotiation over it (RFC 9110 §12.5.1: q-values, ``q=0`` refuses).

Each list is in the server's order of preference: among types a client rates equally, the first wins. This
module imports nothing of kb, so the worker process (kb.serve.sparql.worker) reads the same tables.

    results (SELECT, ASK)      SPARQL JSON, SPARQL XML, CSV, TSV
    graphs (CONSTRUCT, DESCRIBE, the service description)
                               Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads
"""

from __future__ import annotations

from collections.abc import Sequence

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                       "text/tab-separated-values")
TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS = ("text/turtle", "application/n-triples", "application/ld+json",
                                            "application/rdf+xml", "application/n-quads")
RESULTS = (JSON, XML, CSV, TSV)
GRAPHS = (TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS)

ALIASES = {"application/json": JSON, "application/xml": XML, "text/xml": XML, "text/plain": NTRIPLES,
           "application/x-turtle": TURTLE}
"""Other names clients send for a type offered: each answers as the type it names (its canonical type)."""

FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": (JSON, JSONLD), "xml": (XML, RDFXML), "csv": (CSV, None), "tsv": (TSV, None),
    "ttl": (None, TURTLE), "turtle": (None, TURTLE), "nt": (None, NTRIPLES), "ntriples": (None, NTRIPLES),
    "jsonld": (None, JSONLD), "rdfxml": (None, RDFXML), "nq": (None, NQUADS), "nquads": (None, NQUADS),
}
"""``format=`` (which overrides Accept): a name gives the results type, the graph type, or both."""


def parse_accept(accept: str) -> list[tuple[str, float]]:
    """Return the media ranges of an Accept header with their q-values, lower-cased, in the order given (an
    unreadable q counts as 0, a range without one as 1)."""
    found: list[tuple[str, float]] = []
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if media.strip():
            found.append((media.strip().lower(), quality))
    return found


def _quality(ranges: list[tuple[str, float]], offered: str) -> float:
    """Return the q-value ``ranges`` give ``offered`` (or a name that aliases it): the most specific range
    that matches decides (``type/subtype`` over ``type/*`` over ``*/*``); 0 when none matches."""
    names = {offered, *(alias for alias, canonical in ALIASES.items() if canonical == offered)}
    kinds = {name.split("/")[0] + "/*" for name in names}
    best: tuple[int, float] = (-1, 0.0)
    for media, quality in ranges:
        specificity = 2 if media in names else 1 if media in kinds else 0 if media == "*/*" else -1
        if specificity >= 0 and (specificity, quality) > best:
            best = (specificity, quality)
    return best[1]


def choose(accept: str, offered: Sequence[str]) -> str | None:
    """Return the type of ``offered`` the Accept header rates highest (the server's order breaks ties), the
    first offered when there is no header, or None when the header makes none of them acceptable."""
    if not accept.strip():
        return offered[0]
    ranges = parse_accept(accept)
    rated = [(_quality(ranges, media), -index, media) for index, media in enumerate(offered)]
    quality, _, media = max(rated)
    return media if quality > 0 else None


def not_acceptable(offered: Sequence[str]) -> str:
    """Return the message of a 406: what the client may ask for instead."""
    return f"none of the types in Accept can be given here; available: {', '.join(offered)}"
