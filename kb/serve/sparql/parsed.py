"""What a /sparql query asks for, read from its parse tree before any engine sees it: why it may not run (an
update, SERVICE, text that is not SPARQL 1.1), its form, the graphs its FROM and FROM NAMED name, the type to
answer it in, and the dataset it runs on. Parsed with rdflib's SPARQL 1.1 parser in the worker process
(kb.serve.sparql.worker): comments and strings cannot hide a keyword from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kb.serve.sparql.formats import FORMAT_NAMES, GRAPHS, JSON, RESULTS, XML, choose

READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted"
NOT_HERE = "{} is not allowed here: queries run on this knowledge base's own graph only"
Dataset = tuple[tuple[str, ...], tuple[str, ...]]
"""A dataset a query runs on: the IRIs of the graphs merged into its default graph, and of its named graphs."""



@dataclass(frozen=True)
class Inspected:
    """What the parse tree of a query says: why it may not run (or None), its form (select, ask, construct,
    describe), and the graphs its FROM and FROM NAMED clauses name (None for each when it has neither)."""

    reason: str | None
    form: str = ""
    default: tuple[str, ...] | None = None
    named: tuple[str, ...] | None = None


def _walk(node: Any) -> Iterator[CompValue]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def inspect(query: str, base: str | None = None) -> Inspected:
    """Return what ``query`` asks for, its FROM IRIs resolved against its prologue and ``base``; or why it may
    not run (an update, SERVICE, not SPARQL 1.1)."""
    try:
        tree = parseQuery(query)
    except Exception as exc:  # noqa: BLE001 -- pyparsing's ParseException, RecursionError on deep nesting, ...
        try:
            parseUpdate(query)
        except Exception:  # noqa: BLE001 -- neither a query nor an update
            return Inspected(f"the query is not valid SPARQL 1.1 ({_where(exc, query)})")
        return Inspected(READ_ONLY)
    if any(part.name == "ServiceGraphPattern" for part in _walk(tree)):
        return Inspected(NOT_HERE.format("SERVICE"))
    main = tree[1]
    form = main.name.removesuffix("Query").lower()
    clauses = main["datasetClause"] if "datasetClause" in main and main["datasetClause"] else []  # noqa: RUF019
    if not clauses:
        return Inspected(None, form)
    try:
        prologue = translatePrologue(tree[0], base)
        default = tuple(str(prologue.absolutize(c["default"])) for c in clauses if "default" in c)
        named = tuple(str(prologue.absolutize(c["named"])) for c in clauses if "named" in c)
    except Exception as exc:  # noqa: BLE001 -- an undeclared prefix
        return Inspected(f"the query was refused: {exc}")
    return Inspected(None, form, default, named)


def refusal(query: str) -> str | None:
    """Return why ``query`` may not run (an update, SERVICE, or not SPARQL 1.1), or None."""
    return inspect(query).reason


def _where(exc: BaseException, query: str) -> str:
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    if isinstance(line, int) and isinstance(column, int):
        return f"syntax error at line {line}, column {column}"
    return "it could not be parsed"


def media_type(form: str, request: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """Return the type to answer a query of ``form`` in (``format=`` where it names one offered for the form,
    else by the Accept header) or None when none is acceptable, and the types offered for the form."""
    offered = RESULTS if form == "select" else (JSON, XML) if form == "ask" else GRAPHS
    named = FORMAT_NAMES.get(str(request.get("format") or "").lower(), (None, None))
    asked = named[0] if form in ("select", "ask") else named[1]
    if asked in offered:
        return asked, offered
    return choose(str(request.get("accept") or ""), offered), offered


def dataset_of(inspected: Inspected, request: dict[str, Any]) -> Dataset | None:
    """Return the dataset a query runs on, as (default graph IRIs, named graph IRIs): the protocol's
    ``default-graph-uri`` and ``named-graph-uri`` when given (they override the query's, SPARQL 1.1 Protocol
    §2.1.4), else the query's FROM and FROM NAMED; None for the endpoint's own dataset."""
    default, named = request.get("default"), request.get("named")
    if default is None and named is None:
        default, named = inspected.default, inspected.named
        if default is None and named is None:
            return None
    return tuple(default or ()), tuple(named or ())
