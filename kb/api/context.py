"""The per-request context: the snapshot a request is answered from, its DataLoaders and query counter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry

from kb.api.loaders import Loaders
from kb.config import Limits
from kb.graph.query import CountingBackend
from kb.graph.snapshot import Snapshot

QUERIES_HEADER = "X-KB-SPARQL-Queries"
"""Response header: how many SPARQL queries answering a GraphQL request cost."""


class Guard:
    """Checks run before every look-up of a request (every DataLoader load and SPARQL query): the deadline
    of kb.api.guard adds one that raises once the request has run too long."""

    def __init__(self) -> None:
        self.checks: list[Callable[[], None]] = []

    def __call__(self) -> None:
        for check in self.checks:
            check()


@dataclass
class Context:
    """Everything a resolver may use: never a global, so a swapped snapshot never mixes into a request."""

    snapshot: Snapshot
    backend: CountingBackend
    loaders: Loaders
    limits: Limits
    request: Any = None
    response: Any = None
    memo: dict[Any, Any] = field(default_factory=dict)
    guard: Guard = field(default_factory=Guard)
    """Per-request memo (what a selection needs, worked out once per field of the document)."""


Info: TypeAlias = strawberry.Info[Context, None]


def make_context(snapshot: Snapshot, limits: Limits, request: Any = None, response: Any = None) -> Context:
    """Return a fresh context over ``snapshot``: new DataLoaders, a new query counter."""
    guard = Guard()
    backend = CountingBackend(snapshot.backend, guard)
    return Context(snapshot, backend, Loaders(backend, guard), limits, request, response, guard=guard)
