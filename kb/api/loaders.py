"""DataLoaders: every look-up a request makes, batched so that one GraphQL level costs one SPARQL query per
kind of look-up, however many objects it touches. Created per request (:func:`kb.api.context.get_context`),
so nothing is cached across requests or versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from kb.api.props import Props, term_order
from kb.api.whys import WhyKey, why_many
from kb.errors import QueryError
from kb.graph.query import PROLOGUE, Backend, Term, iri, literal, values
from kb.graph.why import Reason
from kb.vocab import KB

MAX_BATCH = 500  # IRIs per VALUES clause: keeps query text within what remote endpoints accept

HEAVY = (str(KB.met), str(KB.text))
"""Predicates a node's description leaves out, fetched only by the fields that show them
(:attr:`Loaders.objects`): a person's ``kb:met`` runs to hundreds of people and an article's ``kb:text`` is
the whole article."""

DescribeKey = tuple[str, frozenset[str] | None]
"""``(node IRI, predicates)``: the predicates its description must hold (None: all but :data:`HEAVY`)."""

ObjectsKey = tuple[str, str]
"""``(predicate IRI, subject IRI)``."""



@dataclass(frozen=True)
class EvidenceRow:
    """One evidence node with both selectors: the article, code-point offsets and the words around them."""

    iri: str
    source: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    as_written: str | None = None


@dataclass(frozen=True)
class LinkRow:
    """One link node (``kb:Link``): the triple it backs with a reason of its own, and how certain it is."""

    iri: str
    predicate: str
    object: Term
    certainty: str | None
    hedge: str | None


Child = tuple[str, str]
"""One member of a nested list: ``(sort key, item IRI)``."""

ChildrenKey = tuple[str, str]
"""``(pattern, parent IRI)``: a list pattern naming ``?parent``, ``?item`` and ``?key``, and the parent."""

PageKey = tuple[str, str, int, str | None]
"""``(pattern, parent IRI, limit, after)``: at most ``limit`` members of a nested list whose sort key follows
``after`` (None: from the start)."""


@dataclass(frozen=True)
class ChildPage:
    """Members of a nested list past a cursor, in key order, at most the limit asked; and how many the whole
    list has when the query that found them saw it whole (None: count it when asked,
    :attr:`Loaders.counts`)."""

    children: list[Child]
    total: int | None


K = TypeVar("K")
V = TypeVar("V")


class GuardedLoader(DataLoader[K, V]):
    """A DataLoader that runs ``guard`` before every load: it raises to refuse the look-up (the deadline)."""

    def __init__(self, guard: Callable[[], None], load_fn: Callable[[list[K]], Awaitable[Sequence[V]]],
                 max_batch_size: int | None = None) -> None:
        super().__init__(load_fn=load_fn, max_batch_size=max_batch_size)
        self.guard = guard

    def load(self, key: K) -> Awaitable[V]:
        self.guard()
        return super().load(key)


class Loaders:
    """The per-request DataLoaders over one backend; ``guard`` runs before every load."""

    def __init__(self, backend: Backend, guard: Callable[[], None]) -> None:
        self.backend = backend
        self.describe = GuardedLoader[DescribeKey, Props](guard, load_fn=self._describe,
                                                          max_batch_size=MAX_BATCH)
        self.evidence = GuardedLoader[str, EvidenceRow | None](guard, load_fn=self._evidence,
                                                               max_batch_size=MAX_BATCH)
        self.disputes = GuardedLoader[str, list[str]](guard, load_fn=self._disputes, max_batch_size=MAX_BATCH)
        self.children = GuardedLoader[ChildrenKey, list[Child]](guard, load_fn=self._children)
        self.pages = GuardedLoader[PageKey, ChildPage](guard, load_fn=self._pages)
        self.counts = GuardedLoader[ChildrenKey, int](guard, load_fn=self._counts)
        self.objects = GuardedLoader[ObjectsKey, list[Term]](guard, load_fn=self._objects)
        self.why = GuardedLoader[WhyKey, list[Reason]](guard, load_fn=self._why, max_batch_size=MAX_BATCH)
        self.links = GuardedLoader[str, list[LinkRow]](guard, load_fn=self._links, max_batch_size=MAX_BATCH)

    async def text(self, source: str) -> str:
        """Return the full text of article ``source`` ("" when it has none), batched across the request."""
        found = await self.objects.load((str(KB.text), source))
        return found[0].value if found else ""

    async def _describe(self, keys: Sequence[DescribeKey]) -> list[Props]:
        """One query for the batch: whole descriptions if any key wants one, else only the predicates any key
        names (a node may get more than it asked for, never less)."""
        subjects = values("s", sorted({node for node, _ in keys}))
        if any(predicates is None for _, predicates in keys):
            heavy = ", ".join(iri(p) for p in HEAVY)
            query = f"SELECT ?s ?p ?o WHERE {{ {subjects} ?s ?p ?o FILTER(?p NOT IN ({heavy})) }}"
        else:
            # one pattern per predicate: the engine looks each (subject, predicate) up in its index, never
            # walking a node's other triples (a hub's hundreds of kb:met)
            wanted = sorted(set().union(*(predicates or () for _, predicates in keys)))
            branches = " UNION ".join(f"{{ ?s {iri(p)} ?o BIND({iri(p)} AS ?p) }}" for p in wanted)
            query = f"SELECT ?s ?p ?o WHERE {{ {subjects} {branches} }}"
        table = await self.backend.select(query)
        found: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for row in table.rows:
            found[row["s"].value][row["p"].value].append(row["o"])
        return [Props(node, found.get(node)) for node, _ in keys]

    async def _evidence(self, keys: Sequence[str]) -> list[EvidenceRow | None]:
        # The same pattern as "?ev oa:hasSource ?source ; oa:hasSelector ?position, ?selector", written out in
        # this order so that Oxigraph joins selector by selector, which it does faster.
        table = await self.backend.select(PROLOGUE + f"""
            SELECT ?ev ?source ?start ?end ?exact ?prefix ?suffix ?written WHERE {{
              {values('ev', keys)}
              ?ev oa:hasSource ?source . ?ev oa:hasSelector ?position . ?position oa:start ?start .
              ?position oa:end ?end . ?ev oa:hasSelector ?selector . ?selector oa:exact ?exact .
              OPTIONAL {{ ?selector oa:prefix ?prefix }}
              OPTIONAL {{ ?selector oa:suffix ?suffix }}
              OPTIONAL {{ ?ev kb:asWritten ?written }}
            }}""")
        found: dict[str, EvidenceRow] = {}
        for row in table.rows:
            prefix, suffix, written = row.get("prefix"), row.get("suffix"), row.get("written")
            found[row["ev"].value] = EvidenceRow(
                row["ev"].value, row["source"].value, row["start"].as_int(), row["end"].as_int(),
                row["exact"].value, prefix.value if prefix else "", suffix.value if suffix else "",
                written.value if written else None,
            )
        return [found.get(key) for key in keys]

    async def _disputes(self, keys: Sequence[str]) -> list[list[str]]:
        table = await self.backend.select(PROLOGUE + f"""
            SELECT DISTINCT ?s ?d WHERE {{
              {values('s', keys)}
              {{ ?d kb:disputedStatement ?s }}
              UNION {{ ?s kb:attributeStatement ?version . ?d kb:disputedStatement ?version }}
            }}""")
        found: dict[str, set[str]] = defaultdict(set)
        for row in table.rows:
            found[row["s"].value].add(row["d"].value)
        return [sorted(found.get(key, ())) for key in keys]

    async def _whole(self, pattern: str, parents: list[str]) -> dict[str, list[Child]]:
        """Return every member of the lists of ``parents`` (one query), in key order, by parent."""
        table = await self.backend.select(
            PROLOGUE + f"SELECT DISTINCT ?parent ?item ?key WHERE {{ {values('parent', parents)} {pattern} }}"
        )
        found: dict[str, set[Child]] = defaultdict(set)
        for row in table.rows:
            found[row["parent"].value].add((row["key"].value, row["item"].value))
        return {parent: sorted(members) for parent, members in found.items()}

    async def _children(self, keys: Sequence[ChildrenKey]) -> list[list[Child]]:
        found: dict[ChildrenKey, list[Child]] = {}
        for pattern, chunk in _batches(keys):
            whole = await self._whole(pattern, chunk)
            found |= {(pattern, parent): members for parent, members in whole.items()}
        return [found.get(key, []) for key in keys]

    async def _pages(self, keys: Sequence[PageKey]) -> list[ChildPage]:
        """One query per list pattern and page asked. A page of one parent's list (a hub's hundreds of
        meetings) is cut by the engine: ``FILTER(?key > after) ORDER BY ?key LIMIT``; the lists of many
        parents come whole from one query and are cut here, as one query per parent would cost more."""
        by_page: dict[tuple[str, int, str | None], set[str]] = defaultdict(set)
        for pattern, parent, limit, after in keys:
            by_page[(pattern, limit, after)].add(parent)
        found: dict[PageKey, ChildPage] = {}
        for (pattern, limit, after), parents in by_page.items():
            if len(parents) == 1 and _quotable(after):
                (parent,) = parents
                found[(pattern, parent, limit, after)] = await self._one_page(pattern, parent, limit, after)
                continue
            for chunk in _chunks(sorted(parents)):
                for parent, members in (await self._whole(pattern, chunk)).items():
                    past = [m for m in members if after is None or m[0] > after]
                    found[(pattern, parent, limit, after)] = ChildPage(past[:limit], len(members))
        return [found.get(key, ChildPage([], 0)) for key in keys]

    async def _one_page(self, pattern: str, parent: str, limit: int, after: str | None) -> ChildPage:
        past = "" if after is None else f"FILTER(?key > {literal(after)})"
        table = await self.backend.select(
            PROLOGUE + f"SELECT DISTINCT ?item ?key WHERE {{ {values('parent', [parent])} {pattern} "
            f"{past} }} ORDER BY ?key LIMIT {limit}"
        )
        # sorted again: the engine's order decided which rows came, Python's (as for many parents) their order
        children = sorted((row["key"].value, row["item"].value) for row in table.rows)
        whole = after is None and len(children) < limit  # nothing was cut: this is the whole list
        return ChildPage(children, len(children) if whole else None)

    async def _counts(self, keys: Sequence[ChildrenKey]) -> list[int]:
        """How many members each list has, counted as :meth:`_whole` finds them (distinct item and key)."""
        found: dict[ChildrenKey, int] = {}
        for pattern, chunk in _batches(keys):
            table = await self.backend.select(
                PROLOGUE + "SELECT ?parent (COUNT(*) AS ?n) WHERE { "
                "SELECT DISTINCT ?parent ?item ?key WHERE { "
                f"{values('parent', chunk)} {pattern} }} }} GROUP BY ?parent"
            )
            found |= {(pattern, row["parent"].value): row["n"].as_int() for row in table.rows}
        return [found.get(key, 0) for key in keys]

    async def _objects(self, keys: Sequence[ObjectsKey]) -> list[list[Term]]:
        found: dict[ObjectsKey, list[Term]] = defaultdict(list)
        for predicate, chunk in _batches(keys):
            table = await self.backend.select(
                f"SELECT ?s ?o WHERE {{ {values('s', chunk)} ?s {iri(predicate)} ?o }}")
            for row in table.rows:
                found[(predicate, row["s"].value)].append(row["o"])
        return [sorted(found.get(key, ()), key=term_order) for key in keys]


    async def _links(self, keys: Sequence[str]) -> list[list[LinkRow]]:
        table = await self.backend.select(PROLOGUE + f"""
            SELECT ?s ?link ?p ?o ?certainty ?hedge WHERE {{
              {values('s', keys)}
              ?link rdf:subject ?s . ?link a kb:Link . ?link rdf:predicate ?p . ?link rdf:object ?o .
              OPTIONAL {{ ?link kb:certainty ?certainty }} OPTIONAL {{ ?link kb:hedge ?hedge }}
            }}""")
        found: dict[str, list[LinkRow]] = defaultdict(list)
        for row in table.rows:
            certainty, hedge = row.get("certainty"), row.get("hedge")
            found[row["s"].value].append(LinkRow(
                row["link"].value, row["p"].value, row["o"], certainty.value if certainty else None,
                hedge.value if hedge else None))
        return [sorted(found.get(key, ()), key=lambda r: r.iri) for key in keys]

    async def _why(self, keys: Sequence[WhyKey]) -> list[list[Reason]]:
        return await why_many(self.backend, keys)


def _batches(keys: Sequence[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(what is asked, nodes)`` for keys ``(what is asked, node)``: one batch per question, its
    distinct nodes sorted, at most MAX_BATCH at a time."""
    by_question: dict[str, set[str]] = defaultdict(set)
    for question, node in keys:
        by_question[question].add(node)
    for question, nodes in by_question.items():
        for chunk in _chunks(sorted(nodes)):
            yield question, chunk


def _quotable(key: str | None) -> bool:
    """Return whether a cursor's sort key can go into query text (:func:`kb.graph.query.literal` refuses
    ``\\u``)."""
    try:
        return key is None or bool(literal(key))
    except QueryError:
        return False


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + MAX_BATCH] for i in range(0, len(items), MAX_BATCH)] or [[]]
