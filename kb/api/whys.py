"""The reasons of many nodes and triples at once: :func:`kb.graph.why.why` for a whole batch of a request.

``why`` asks up to four queries for one key; a page of forty facts, each asking its ``why``, would cost a
hundred and sixty. Here a batch costs at most three, whatever its size: the reasons naming each triple
(derivations, links), the types of the triples' subjects (:func:`kb.graph.why.needs_own_reason` reads them), and
the reasons the nodes give for themselves. The answers are those of ``why`` (tests/test_api_why.py compares
them), in its order: reasons naming the triple first, then the subject's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

from kb.graph import why as reasons
from kb.graph.query import PROLOGUE, Backend, Row, iri, literal, values
from kb.graph.why import OWN_REASON, REASON_NODE, Reason
from kb.vocab import VALUE_IRI, VOCAB_IRI

K = TypeVar("K")
WhyKey = tuple[str, str | None, str | None]
"""``(subject, predicate, object)``: a triple whose reasons are asked, or ``(node, None, None)`` for a node's own
reasons. An object is an IRI, or a literal's lexical value (compared as text, as kb.graph.why does)."""


async def why_many(backend: Backend, keys: Sequence[WhyKey]) -> list[list[Reason]]:
    """Return the reasons of each key, as :func:`kb.graph.why.why` gives them, in the order of ``keys``.
    Raises QueryError for an IRI or text that cannot be put in a query."""
    triples = sorted({(s, p, o or "") for s, p, o in keys if p is not None})
    named = await _named(backend, triples) if triples else {}
    types = await _types(backend, sorted({s for s, _, _ in triples})) if triples else {}
    owners = sorted({s for s, p, _ in keys if p is None or not reasons.needs_own_reason(p, types.get(s, set()))})
    owned = await _owned(backend, owners) if owners else {}
    found: list[list[Reason]] = []
    for subject, predicate, obj in keys:
        if predicate is None:
            given, own = [], owned.get(subject, [])
        else:
            given = named.get((subject, predicate, obj or ""), [])
            needs = reasons.needs_own_reason(predicate, types.get(subject, set()))
            own = [] if needs else owned.get(subject, [])
        found.append(given + own or _vocabulary(subject))
    return found


def _vocabulary(subject: str) -> list[Reason]:
    return [Reason("vocabulary", node=subject)] if subject.startswith((VOCAB_IRI, VALUE_IRI)) else []


async def _named(backend: Backend, triples: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], list[Reason]]:
    """The reasons carried by the derivation and link nodes naming each triple (any object for ``""``)."""
    rows = " ".join(f"({iri(s)} {iri(p)} {literal(o)})" for s, p, o in triples)
    table = await backend.select(PROLOGUE + f"""
SELECT ?s ?p ?want ?node ?rule ?premise ?ev ?basis ?note WHERE {{
  VALUES (?s ?p ?want) {{ {rows} }}
  ?node rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; a ?class .
  FILTER(?want = "" || STR(?o) = ?want)
{REASON_NODE}}}""")
    return _by(table.rows, lambda row: (row["s"].value, row["p"].value, row["want"].value))


async def _types(backend: Backend, subjects: list[str]) -> dict[str, set[str]]:
    table = await backend.select(f"SELECT ?s ?t WHERE {{ {values('s', subjects)} ?s a ?t }}")
    found: dict[str, set[str]] = defaultdict(set)
    for row in table.rows:
        found[row["s"].value].add(row["t"].value)
    return found


async def _owned(backend: Backend, nodes: list[str]) -> dict[str, list[Reason]]:
    """The reasons each node gives for itself: its evidence, its basis, or its rule and premises. (``why``
    also finds the owner of a time node or a selector; the API never asks for one.)"""
    table = await backend.select(PROLOGUE + f"""
SELECT ?node ?rule ?premise ?ev ?basis ?note ?vocabulary WHERE {{
  {values('node', nodes)}
{OWN_REASON}}}""")
    return _by(table.rows, lambda row: row["node"].value)


def _by(rows: list[Row], key_of: Callable[[Row], K]) -> dict[K, list[Reason]]:
    """Group rows by key, then fold each group into reasons as kb.graph.why does."""
    grouped: dict[K, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[key_of(row)].append(row)
    # sorted, so that every engine gives one order (kb.graph.why keeps the engine's)
    return {key: sorted(reasons._grouped(found), key=lambda r: (r.node or "", r.kind))
            for key, found in grouped.items()}
