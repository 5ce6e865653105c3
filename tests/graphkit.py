"""Helpers the query tests share: a reference backend over given quads, and rows in a stable order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kb.graph.query import RdflibBackend, Table, Term


def rdflib_backend(quads: Iterable[tuple[Any, Any, Any, Any]]) -> RdflibBackend:
    """Return a backend over a new Memory dataset holding ``quads`` (graph ``None`` = the default graph)."""
    dataset = rdflib.Dataset(store="Memory")
    default = dataset.graph(DATASET_DEFAULT_GRAPH_ID)
    for s, p, o, g in quads:
        (default if g is None else dataset.graph(g)).add((s, p, o))
    return RdflibBackend(dataset)


def sorted_rows(table: Table, names: Sequence[str] | None = None) -> list[tuple[Term | None, ...]]:
    """Return the rows as tuples in a stable order, to compare two backends' answers to one query."""
    columns = tuple(names or table.variables)
    return sorted((tuple(row.get(n) for n in columns) for row in table.rows),
                  key=lambda r: tuple((t.kind, t.value, t.datatype or "", t.lang or "") if t else () for t in r))
