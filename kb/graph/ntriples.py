"""How the builder spells the graph: IRIs and literals as N-Triples text, and triples as lines of it.

The builder writes N-Triples text, never rdflib terms: making an rdflib ``URIRef`` checks the IRI and a
``Literal`` parses its value, which would be most of the time of building a graph. The text goes to a store
as it is; :class:`kb.graph.terms.NTriplesParser` reads it back into rdflib terms where those are wanted.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from rdflib import URIRef

from kb import vocab
from kb.graph.terms import escape
from kb.model import dates
from kb.vocab import Mint

Line = bytes
"""One triple as UTF-8 N-Triples without the final `` .``: ``<s> <p> <o>`` or ``<s> <p> "literal"^^<type>``.

Bytes rather than str: one emoji in an article makes a Python str four bytes a character, and joining
hundreds of thousands of lines into one N-Quads document is then several times slower."""

LineKey = bytes
"""A shared line as counted between builds (:func:`line_key`): its 16-byte BLAKE2b digest."""


def line_key(line: Line) -> LineKey:
    """Return the key a shared line is counted under. A digest rather than the line: at 100k facts the counts
    of 1.2 M shared lines took 530 MB keyed by their text, and the state saved beside a kept build twice its
    size; 128 bits make two lines of one graph meeting on a key as unlikely as a store's hash collision."""
    return hashlib.blake2b(line, digest_size=16).digest()


TextTriple = tuple[str, str, str]
"""A triple as the N-Triples text of each of its terms."""


class TextNamespace:
    """A namespace whose terms come out as N-Triples text (``RDF.type`` -> ``<http://...#type>``).

    Each term is looked up in the wrapped namespace once (undefined terms still raise) and kept as an
    attribute.
    """

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        text = f"<{getattr(self._namespace, name)}>"
        setattr(self, name, text)
        return text

    def __getitem__(self, name: str) -> str:
        text: str = getattr(self, name)
        return text


DCTERMS, KB, KBV, OA, ORG, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD = (
    TextNamespace(ns) for ns in (vocab.DCTERMS, vocab.KB, vocab.KBV, vocab.OA, vocab.ORG, vocab.PROV,
                                 vocab.RDF, vocab.RDFS, vocab.SDO, vocab.SKOS, vocab.TIME, vocab.XSD))

DATE_TYPES: dict[dates.Precision, tuple[URIRef, str]] = {
    "year": (vocab.XSD.gYear, TIME.inXSDgYear), "month": (vocab.XSD.gYearMonth, TIME.inXSDgYearMonth),
    "day": (vocab.XSD.date, TIME.inXSDDate)}
"""The precision of a date -> its datatype (xsd:gYear, xsd:gYearMonth, xsd:date) and the time: property for it."""


def text(value: str) -> str:
    """Return a plain string literal."""
    return f'"{escape(value)}"'


def typed(value: object, datatype: URIRef) -> str:
    """Return a literal of ``datatype`` whose lexical form is ``str(value)``."""
    return f'"{escape(str(value))}"^^<{datatype}>'


def integer(value: int) -> str:
    """Return an ``xsd:integer`` literal."""
    return f'"{value}"^^<{vocab.XSD.integer}>'


BOOLEAN = {True: f'"true"^^<{vocab.XSD.boolean}>', False: f'"false"^^<{vocab.XSD.boolean}>'}


@lru_cache(maxsize=4096)  # a graph holds few distinct dates, each written several times
def _date(value: str) -> tuple[str, str]:
    datatype, prop = DATE_TYPES[dates.precision(value)]
    return f'"{value}"^^<{datatype}>', prop


def date(value: str) -> str:
    """Return a date as a literal keeping its precision: xsd:gYear, xsd:gYearMonth or xsd:date.

    Raises ValueError for what :mod:`kb.model.dates` does not take as a date: the records were checked by
    the same function, so this never writes a literal no store would read as a date.
    """
    return _date(value)[0]


def date_property(value: str) -> str:
    """Return the time: property holding a date of this precision (``time:inXSDgYear`` ...). Raises ValueError."""
    return _date(value)[1]


class TextMint(Mint):
    """The builder's :class:`~kb.vocab.Mint`: the same IRIs, as N-Triples text (``<iri>``)."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self._texts: dict[tuple[str, str], str] = {}

    def record(self, kind: str, rid: str) -> str:  # type: ignore[override]
        found = self._texts.get((kind, rid))
        if found is None:
            found = self._texts[(kind, rid)] = f"<{self.base}{self.KIND_PATHS[kind]}/{rid}>"
        return found

    def attribute(self, fact: str, attribute: str, n: int) -> str:  # type: ignore[override]
        return f"{fact[:-1]}/{attribute}/{n}>"

    def evidence(self, key: str, n: int) -> str:  # type: ignore[override]
        return f"<{self.base}evidence/{key}/{n}>"

    def selector(self, evidence: str, kind: str) -> str:  # type: ignore[override]
        return f"{evidence[:-1]}/{kind}>"

    def time(self, fact: str, part: str) -> str:  # type: ignore[override]
        return f"{fact[:-1]}/{part}>"

    def post(self, organization: str, title: str) -> str:  # type: ignore[override]
        return f"<{super().post(organization, title)}>"

    def attribute_dispute(self, fact_id: str, attribute: str) -> str:  # type: ignore[override]
        return f"<{super().attribute_dispute(fact_id, attribute)}>"

    def derivation(self, rule: str, key: str) -> str:  # type: ignore[override]
        return f"<{self.base}derivation/{rule}/{key}>"

    def link(self, fact: str, attribute: str, n: int) -> str:  # type: ignore[override]
        return f"{fact[:-1]}/link/{attribute}/{n}>"

    def topic_scheme(self) -> str:  # type: ignore[override]
        return f"<{super().topic_scheme()}>"
