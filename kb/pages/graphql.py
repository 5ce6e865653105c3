"""Run the pages' GraphQL queries through the API's own schema and context, and keep them for display.

The queries live in ``queries/*.graphql``, one operation per file; fragments (``queries/fragments.graphql``)
are appended to an operation when it spreads them, so the text a page shows is exactly the text it ran and
a frontend can POST it to ``/graphql`` unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry import Schema

from kb.errors import PageQueryError

QUERIES = Path(__file__).resolve().parent / "queries"
SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_][A-Za-z0-9_]*)")
FRAGMENT = re.compile(r"^fragment\s+([A-Za-z_][A-Za-z0-9_]*)\s", re.MULTILINE)
QUERIES_HEADER = "X-KB-SPARQL-Queries"

ContextGetter = Callable[[Request, Response], Awaitable[Any]]


@dataclass(frozen=True)
class Ran:
    """One query a page ran: its full text, its variables, for the "queries behind this page" box."""

    name: str
    text: str
    variables: dict[str, Any] = field(default_factory=dict)


@cache
def fragments() -> dict[str, str]:
    """Return every shared fragment by name, from ``queries/fragments.graphql``."""
    text = (QUERIES / "fragments.graphql").read_text("utf-8")
    starts = [m.start() for m in FRAGMENT.finditer(text)]
    bodies = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)])]
    return {FRAGMENT.match(body).group(1): body for body in bodies}  # type: ignore[union-attr]


@cache
def query(name: str) -> str:
    """Return the operation ``queries/{name}.graphql`` followed by every fragment it needs, transitively.

    Raises FileNotFoundError for an unknown name and KeyError for a spread of an unknown fragment.
    """
    operation = (QUERIES / f"{name}.graphql").read_text("utf-8").strip()
    known = fragments()
    needed: list[str] = []
    pending = SPREAD.findall(operation)
    while pending:
        spread = pending.pop(0)
        if spread == "on" or spread in needed:  # "... on Type" is an inline fragment, not a spread
            continue
        needed.append(spread)
        pending.extend(SPREAD.findall(known[spread]))
    return "\n\n".join([operation, *(known[n] for n in sorted(needed))]) + "\n"


class Runner:
    """Executes page queries with the context a ``/graphql`` request would get, and records what ran."""

    def __init__(self, schema: Schema, get_context: ContextGetter, request: Request) -> None:
        self.schema = schema
        self.get_context = get_context
        self.request = request
        self.ran: list[Ran] = []
        self.sparql_queries = 0

    async def __call__(self, name: str, **variables: Any) -> dict[str, Any]:
        """Return the ``data`` of query ``name`` with ``variables``. Raises PageQueryError on any GraphQL error."""
        text = query(name)
        scratch = Response()
        context = await self.get_context(self.request, scratch)
        result = await self.schema.execute(text, variable_values=variables, context_value=context,
                                           operation_name=None)
        self.sparql_queries += int(scratch.headers.get(QUERIES_HEADER, "0"))
        if not self.ran or self.ran[-1].name != name:
            self.ran.append(Ran(name, text, {k: v for k, v in variables.items() if k != "after"}))
        if result.errors:
            messages = "; ".join(error.message for error in result.errors)
            raise PageQueryError(f"query {name} failed: {messages}")
        return result.data or {}

    async def pages(self, name: str, path: tuple[str, ...], max_pages: int,
                    **variables: Any) -> tuple[dict[str, Any], list[Any]]:
        """Return the data of the first page of query ``name`` and the nodes of the connection at ``path``,
        following ``after`` cursors.

        Stops after ``max_pages`` pages so that a page of HTML stays bounded whatever the size of the
        knowledge base. The nodes are empty when an object on the path is null.
        """
        first: dict[str, Any] | None = None
        nodes: list[Any] = []
        after: str | None = None
        for _ in range(max_pages):
            data: Any = await self(name, **variables, after=after)
            first = first if first is not None else data
            for key in path:
                data = data.get(key) if isinstance(data, dict) else None
            if data is None:
                break
            nodes.extend(data["nodes"])
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        return first or {}, nodes
