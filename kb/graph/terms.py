"""One RDF term in each form kb meets it, and every conversion between the forms.

The forms: rdflib terms (diffs, the Memory store, exports), pyoxigraph terms (the embedded store and the
/sparql worker), SPARQL JSON results terms (:class:`kb.graph.query.Term`, here as :data:`Parts`: the fields of
a Term, in order) and N-Triples text (what the builder writes, :mod:`kb.graph.ntriples`).

Imports only rdflib, pyoxigraph and kb.vocab: the /sparql worker process (:mod:`kb.serve.sparql.worker`)
converts terms with it, and a fresh worker must start quickly.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kb.vocab import RDF_LANG_STRING, XSD, XSD_STRING

Object = URIRef | Literal
Triple = tuple[URIRef, URIRef, Object]
Quad = tuple[URIRef, URIRef, Object, URIRef | None]
"""A triple and the named graph it is in (``None``: the default graph)."""

TermKind = typing.Literal["uri", "literal", "bnode"]
Parts = tuple[str, TermKind, str | None, str | None]
"""A term as SPARQL JSON results give it: its lexical value, ``uri``, ``literal`` or ``bnode``, a literal's
datatype (``None`` for a plain string) and its language tag."""


# ---------------------------------------------------------------------------------------------------------
# to SPARQL JSON results terms


def from_ox(term: Any) -> Parts:
    """Return a pyoxigraph term as its :data:`Parts`; an RDF-star triple term as a literal of its text."""
    kind = type(term)
    if kind is ox.NamedNode:
        return term.value, "uri", None, None
    if kind is ox.BlankNode:
        return term.value, "bnode", None, None
    if kind is not ox.Literal:
        return str(term), "literal", None, None
    language = term.language
    if language:
        return term.value, "literal", None, language
    datatype = term.datatype.value
    return term.value, "literal", None if datatype == XSD_STRING else datatype, None


def from_rdflib(term: Node) -> Parts:
    """Return an rdflib term as its :data:`Parts`; any other node (a formula) as a literal of its text."""
    if isinstance(term, URIRef):
        return str(term), "uri", None, None
    if isinstance(term, BNode):
        return str(term), "bnode", None, None
    if not isinstance(term, Literal):
        return str(term), "literal", None, None
    if term.language:
        return str(term), "literal", None, term.language
    datatype = str(term.datatype) if term.datatype is not None else None
    return str(term), "literal", None if datatype == XSD_STRING else datatype, None


def from_json(binding: Mapping[str, str]) -> Parts:
    """Return one binding of SPARQL JSON results as its :data:`Parts`. Raises KeyError when it has no
    ``type`` or ``value``."""
    kind = binding["type"]
    if kind == "typed-literal":  # the 2008 W3C note's spelling, still sent by some engines
        kind = "literal"
    datatype = binding.get("datatype")
    if datatype in (XSD_STRING, RDF_LANG_STRING):
        datatype = None
    return binding["value"], kind, datatype, binding.get("xml:lang")  # type: ignore[return-value]


def to_json(value: str, kind: str, datatype: str | None, lang: str | None) -> dict[str, str]:
    """Return a term (the fields of :data:`Parts`) as one binding of SPARQL JSON results."""
    out = {"type": kind, "value": value}
    if lang:
        out["xml:lang"] = lang
    elif datatype:
        out["datatype"] = datatype
    return out


# ---------------------------------------------------------------------------------------------------------
# between rdflib and pyoxigraph


def to_ox(term: Node) -> Any:
    """Return an rdflib term as the pyoxigraph term."""
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = ox.NamedNode(str(term.datatype)) if term.datatype is not None else None
        return ox.Literal(str(term), datatype=datatype)
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))


def to_oxigraph(quads: Iterable[Quad]) -> list[Any]:
    """Return rdflib quads (graph ``None`` = default graph) as pyoxigraph Quads.

    Terms repeat (every predicate, each subject a dozen times), so each is converted once: converting is
    most of the cost of filling a store this way.
    """
    seen: dict[Object | None, Any] = {}

    def term(node: Object | None) -> Any:
        found = seen.get(node)
        if found is None:
            found = seen[node] = ox.DefaultGraph() if node is None else to_ox(node)
        return found

    return [ox.Quad(term(s), term(p), term(o), term(g)) for s, p, o, g in quads]


def plain(term: Node) -> Node:
    """Return ``term`` with an explicit ``^^xsd:string`` dropped (RDF 1.1: the same literal).

    oxrdflib hands every simple literal back typed ``xsd:string``, which rdflib compares unequal to the
    untyped literal kb builds; this makes triples read from either store compare equal.
    """
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


# ---------------------------------------------------------------------------------------------------------
# N-Triples text


def escape(text: str) -> str:
    """Return ``text`` escaped for an N-Triples string literal (backslash, quote, line feed, carriage
    return)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


_UNESCAPE = re.compile(r'\\([\\"nrt])')
_UNESCAPED = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def unescape(text: str) -> str:
    """Return the text of an N-Triples string literal as :func:`escape` (or a tab escape) wrote it."""
    return _UNESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], text) if "\\" in text else text


class NTriplesParser:
    """Turns kb's own N-Triples lines back into rdflib terms, each distinct term once (for rdflib
    consumers)."""

    def __init__(self) -> None:
        self.terms: dict[str, Object] = {}

    def term(self, text: str) -> Object:
        """Return the rdflib term of one N-Triples term (``<iri>`` or a literal) as kb writes them."""
        found = self.terms.get(text)
        if found is None:
            if text.startswith("<"):
                found = URIRef(text[1:-1])
            else:
                close = text.rindex('"')
                lexical, rest = unescape(text[1:close]), text[close + 1:]
                if rest.startswith("^^<"):
                    found = Literal(lexical, datatype=URIRef(rest[3:-1]))
                elif rest.startswith("@"):
                    found = Literal(lexical, lang=rest[1:])
                else:
                    found = Literal(lexical)
            self.terms[text] = found
        return found

    def triple(self, line: bytes) -> Triple:
        """Return the triple of one line ``<s> <p> <o>`` (UTF-8, without the final `` .``)."""
        subject, rest = line.decode().split(" ", 1)
        predicate, obj = rest.split(" ", 1)
        return self.term(subject), self.term(predicate), self.term(obj)  # type: ignore[return-value]
