"""The one door through which kb asks its graph questions: SPARQL text in, rows of plain terms out.

Resolvers never see a store. They build SPARQL text (with :func:`iri`, :func:`literal` and :func:`values`
inlining every value safely: no ``initBindings``, which rdflib evaluates far more slowly) and call
:meth:`Backend.select`. Any engine that answers SPARQL 1.1 can stand behind that one method:

    OxigraphBackend   the embedded pyoxigraph Store, native speed (the default)
    RdflibBackend     rdflib's own SPARQL engine on a Memory dataset (the reference backend in tests)
    (remote)          a SPARQL 1.1 Protocol endpoint over HTTP: ``select`` POSTs the text and reads
                      ``application/sparql-results+json`` with :func:`table_from_json`; ``answer`` passes the
                      request through with its Accept header. Nothing else changes.

``answer`` serves the /sparql endpoint: any read-only query form, serialised by the engine itself.
Every term is a :class:`Term` (the SPARQL JSON results model), so every backend gives identical rows.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, cast

import pyoxigraph as ox
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result, ResultRow

from kb.errors import QueryError
from kb.graph.terms import TermKind, from_json, from_ox, from_rdflib
from kb.vocab import PREFIXES

PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
"""PREFIX declarations for every namespace of docs/model.md, put before the queries kb writes itself."""


@dataclass(frozen=True, slots=True)
class Term:
    """One RDF term as SPARQL JSON results give it: ``uri``, ``literal`` or ``bnode``, its lexical value,
    and a literal's datatype (``None`` for a plain string) or language tag."""

    value: str
    kind: TermKind = "literal"
    datatype: str | None = None
    lang: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    def as_int(self) -> int:
        """Return the literal as an integer. Raises QueryError when it is not one."""
        try:
            return int(self.value)
        except ValueError as exc:
            raise QueryError(f"expected an integer, got {self.value!r}") from exc

    def as_bool(self) -> bool:
        """Return an ``xsd:boolean`` literal as a bool (``true``/``1`` are true)."""
        return self.value in {"true", "1"}


Row = Mapping[str, Term]
"""One solution: variable name (without ``?``) -> its term. Unbound variables are absent."""


@dataclass(frozen=True)
class Table:
    """The answer to a SELECT: its variables in order and its rows."""

    variables: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Term]:
        """Return the bound values of one variable, in row order (unbound rows are skipped)."""
        return [row[name] for row in self.rows if name in row]


class ResultFormat(Enum):
    """Serialisations of SELECT and ASK results the /sparql endpoint offers."""

    JSON = "application/sparql-results+json"
    CSV = "text/csv"
    XML = "application/sparql-results+xml"


class GraphFormat(Enum):
    """Serialisations of CONSTRUCT and DESCRIBE results the /sparql endpoint offers."""

    NTRIPLES = "application/n-triples"
    TURTLE = "text/turtle"


@dataclass(frozen=True)
class Answer:
    """A serialised answer of any query form: the bytes and their media type."""

    body: bytes
    media_type: str


class Backend(Protocol):
    """What kb needs from a SPARQL engine. Both methods take the whole query text, prologue included."""

    name: str

    async def select(self, sparql: str) -> Table:
        """Return the rows of a SELECT query. Raises QueryError when the engine refuses the query."""
        ...

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        """Run any read-only query form and serialise it: SELECT/ASK as ``results``, CONSTRUCT/DESCRIBE as
        ``graphs``. Raises QueryError when the engine refuses the query."""
        ...


# ---------------------------------------------------------------------------------------------------------
# putting values into query text

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_UNICODE_ESCAPE = re.compile(r"\\[uU]")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t\b\f]')


def iri(value: str) -> str:
    """Return ``<value>`` for query text. Raises QueryError unless ``value`` is an absolute IRI that the
    SPARQL IRIREF grammar accepts as is (no spaces, quotes, angle brackets, braces or backslashes)."""
    if not value or _IRI_FORBIDDEN.search(value) or ":" not in value:
        raise QueryError(f"not an IRI that can be put in a query: {value!r}")
    return f"<{value}>"


def literal(value: str) -> str:
    """Return ``value`` as a quoted SPARQL string literal, escaped.

    Some engines (rdflib among them) expand ``\\uXXXX`` anywhere in the query text before parsing it, which
    would change an escaped value, so text holding a backslash followed by ``u`` is refused with QueryError.
    """
    if _UNICODE_ESCAPE.search(value):
        raise QueryError("text may not contain \\u or \\U")
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ECHAR[m.group()], value) + '"'


def values(variable: str, iris: Iterable[str]) -> str:
    """Return a ``VALUES ?variable { <a> <b> }`` clause; for no IRIs, a filter that nothing passes (rdflib
    fails on an empty VALUES block, and lets ``FILTER(false)`` through). Raises QueryError for a non-IRI."""
    terms = " ".join(iri(v) for v in iris)
    return f"VALUES ?{variable} {{ {terms} }}" if terms else "FILTER(1 = 0)"


def boolean_format(requested: ResultFormat) -> ResultFormat:
    """Return the format for an ASK answer: CSV has no boolean form (SPARQL 1.1 CSV/TSV), so JSON instead."""
    return ResultFormat.JSON if requested is ResultFormat.CSV else requested


# ---------------------------------------------------------------------------------------------------------
# the embedded store


MAX_CACHED_TERMS = 100_000
"""Terms an OxigraphBackend keeps converted (about 25 MB at most); the cache starts afresh when full."""


def _bytes(data: bytes | None) -> bytes:
    assert data is not None  # pyoxigraph returns the bytes when given no output file
    return data


_OX_RESULTS = {ResultFormat.JSON: ox.QueryResultsFormat.JSON, ResultFormat.CSV: ox.QueryResultsFormat.CSV,
               ResultFormat.XML: ox.QueryResultsFormat.XML}
_OX_GRAPHS = {GraphFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES, GraphFormat.TURTLE: ox.RdfFormat.TURTLE}


class OxigraphBackend:
    """SPARQL answered by an in-memory pyoxigraph Store (its default graph holds every triple)."""

    name = "oxigraph"

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._terms: dict[Any, Term] = {}

    def _run(self, sparql: str) -> Any:
        try:
            return self.store.query(sparql)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc

    async def select(self, sparql: str) -> Table:
        # Inline: GraphQL runs on kb.serve.execution's loop, never the server's, and answers handed back one by one
        # from threads would split the DataLoaders' batches (more queries, in no fixed number).
        return self._select(sparql)

    def _select(self, sparql: str) -> Table:
        solutions = self._run(sparql)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = tuple(v.value for v in solutions.variables)
        # Converting pyoxigraph terms would be most of a GraphQL request's time: the store never changes under
        # a backend, so each term is converted once and the same (immutable) Term handed out again.
        terms = self._terms
        if len(terms) > MAX_CACHED_TERMS:
            terms.clear()
        found = terms.get
        rows: list[Row] = []
        for solution in solutions:
            row: dict[str, Term] = {}
            for name, term in zip(names, solution, strict=True):
                if term is None:
                    continue
                converted = found(term)
                if converted is None:
                    converted = terms[term] = Term(*from_ox(term))
                row[name] = converted
            rows.append(row)
        return Table(names, rows)

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        return self._answer(sparql, results, graphs)

    def _answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        outcome = self._run(sparql)
        if isinstance(outcome, ox.QueryTriples):
            return Answer(_bytes(outcome.serialize(format=_OX_GRAPHS[graphs])), graphs.value)
        if isinstance(outcome, ox.QueryBoolean):
            results = boolean_format(results)
        return Answer(_bytes(outcome.serialize(format=_OX_RESULTS[results])), results.value)


# ---------------------------------------------------------------------------------------------------------
# rdflib's own engine


_RDFLIB_RESULTS = {ResultFormat.JSON: "json", ResultFormat.CSV: "csv", ResultFormat.XML: "xml"}
_RDFLIB_GRAPHS = {GraphFormat.NTRIPLES: "nt", GraphFormat.TURTLE: "turtle"}


class RdflibBackend:
    """SPARQL answered by rdflib's own engine over the default graph of a dataset (which holds every triple).

    Give it a Memory-backed dataset: an oxrdflib-backed one would hand the query to Oxigraph instead.
    """

    name = "rdflib"

    def __init__(self, dataset: rdflib.Dataset) -> None:
        self.dataset = dataset
        self.graph = dataset.graph(DATASET_DEFAULT_GRAPH_ID)
        self._lock = threading.Lock()  # rdflib's parser (pyparsing) and lazy results are not for sharing

    def _run(self, sparql: str) -> Result:
        try:
            return self.graph.query(sparql)
        except Exception as exc:  # rdflib raises pyparsing and assorted errors for a query it refuses
            raise QueryError(str(exc)) from exc

    async def select(self, sparql: str) -> Table:
        return self._select(sparql)  # inline, as OxigraphBackend.select says why

    def _select(self, sparql: str) -> Table:
        with self._lock:
            return self._select_alone(sparql)

    def _select_alone(self, sparql: str) -> Table:
        result = self._run(sparql)
        if result.type != "SELECT" or result.vars is None:
            raise QueryError("expected a SELECT query")
        names = tuple(str(v) for v in result.vars)
        rows: list[Row] = []
        for solution in result:
            items = zip(names, cast(ResultRow, solution), strict=True)
            rows.append({name: Term(*from_rdflib(term)) for name, term in items if term is not None})
        return Table(names, rows)

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        return self._answer(sparql, results, graphs)

    def _answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        with self._lock:
            return self._answer_alone(sparql, results, graphs)

    def _answer_alone(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        result = self._run(sparql)
        if result.type in {"CONSTRUCT", "DESCRIBE"}:
            assert result.graph is not None
            body = result.graph.serialize(format=_RDFLIB_GRAPHS[graphs], encoding="utf-8")
            return Answer(body, graphs.value)
        if result.type == "ASK":
            results = boolean_format(results)
        return Answer(result.serialize(format=_RDFLIB_RESULTS[results]) or b"", results.value)


# ---------------------------------------------------------------------------------------------------------
# counting, and reading SPARQL JSON results (what a remote endpoint returns)


def _nothing() -> None:
    return None


class CountingBackend:
    """Wraps a backend and records every SELECT it passes on (one per request: how many look-ups it cost).

    ``before`` runs before each query and may raise to refuse it (kb.api.guard's deadline does)."""

    def __init__(self, inner: Backend, before: Callable[[], None] = _nothing) -> None:
        self.inner = inner
        self.name = inner.name
        self.queries: list[str] = []
        self.before = before

    async def select(self, sparql: str) -> Table:
        self.before()
        self.queries.append(sparql)
        return await self.inner.select(sparql)

    async def answer(self, sparql: str, results: ResultFormat, graphs: GraphFormat) -> Answer:
        self.before()
        self.queries.append(sparql)
        return await self.inner.answer(sparql, results, graphs)


def table_from_json(data: bytes | str) -> Table:
    """Return the Table of a SELECT answer in SPARQL 1.1 Query Results JSON. Raises QueryError if
    malformed."""
    try:
        document = json.loads(data)
        names = tuple(document["head"]["vars"])
        rows: list[Row] = [
            {name: Term(*from_json(binding)) for name, binding in solution.items()}
            for solution in document["results"]["bindings"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise QueryError(f"not SPARQL JSON results: {exc}") from exc
    return Table(names, rows)

