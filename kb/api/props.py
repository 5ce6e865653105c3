"""What the graph says about one node: its outgoing triples, grouped by predicate, read without rdflib.

A description leaves out the few predicates of :data:`kb.api.loaders.HEAVY` (``kb:met``, ``kb:text``): the
fields that show them ask ``info.context.loaders.objects`` instead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kb.graph.query import Term


class Props:
    """The outgoing triples of one node: predicate IRI -> its objects, sorted so every backend agrees."""

    __slots__ = ("_by_predicate", "iri")

    def __init__(self, iri: str, by_predicate: Mapping[str, Iterable[Term]] | None = None) -> None:
        self.iri = iri
        self._by_predicate = {p: sorted(objs, key=term_order) for p, objs in (by_predicate or {}).items()}

    def __bool__(self) -> bool:
        return bool(self._by_predicate)

    def all(self, predicate: str) -> list[Term]:
        """Return every object of ``predicate``, sorted (empty when there is none)."""
        return self._by_predicate.get(str(predicate), [])

    def one(self, predicate: str) -> Term | None:
        """Return the first object of ``predicate`` in sorted order, or None."""
        found = self.all(predicate)
        return found[0] if found else None

    def text(self, predicate: str) -> str | None:
        """Return the lexical value of the first object of ``predicate``, or None."""
        term = self.one(predicate)
        return term.value if term is not None else None

    def texts(self, predicate: str) -> list[str]:
        """Return the lexical values of every object of ``predicate``, sorted."""
        return [t.value for t in self.all(predicate)]

    def iris(self, predicate: str) -> list[str]:
        """Return the IRIs among the objects of ``predicate``, sorted."""
        return [t.value for t in self.all(predicate) if t.is_iri]

    def flag(self, predicate: str) -> bool:
        """Return True when ``predicate`` has a true boolean literal."""
        return any(t.as_bool() for t in self.all(predicate))


def term_order(term: Term) -> tuple[str, str, str, str]:
    """Return the sort key that orders a predicate's objects alike on every backend."""
    return (term.kind, term.value, term.datatype or "", term.lang or "")
