"""Where the builder's lines go, and what they make: a :class:`BuiltGraph`, N-Quads for a store, a
:class:`Part` for an edit, or per-graph N-Triples for ``kb publish``.

The builder hands every sink two kinds of batches: a record's own lines (``add``, with the articles whose
named graphs they also belong to) and shared lines that several records may make (``add_shared``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from rdflib import URIRef

from kb.graph.ntriples import Line, LineKey, line_key
from kb.graph.terms import NTriplesParser, Quad, Triple
from kb.vocab import Mint


class Sink(Protocol):
    """What the builder hands its lines to."""

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        """Take one record's own lines, which also belong to the named graph of each of ``sources``."""
        ...

    def add_shared(self, batch: list[Line]) -> None:
        """Take default-graph lines that other records may make too."""
        ...


@dataclass(frozen=True)
class BuiltGraph:
    """The graph of a knowledge base as N-Triples lines: every triple (the default graph) and each named
    graph's share of them (keyed by the graph's IRI).

    The lines go to a store as they are (:meth:`nquads`); rdflib terms (:attr:`triples`, :attr:`named`,
    :meth:`quads`) are made only when asked for, for the rdflib consumers (diffs, the memory store, tests).
    """

    lines: frozenset[Line]
    named_lines: dict[str, frozenset[Line]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def nquads(self) -> bytes:
        """Return the whole graph as N-Quads: the default graph, then each named graph, each unsorted."""
        chunks = [b" .\n".join(self.lines), b" .\n" if self.lines else b""]
        for name, lines in self.named_lines.items():
            end = f" <{name}> .\n".encode()
            chunks += [end.join(lines), end if lines else b""]
        return b"".join(chunks)

    @cached_property
    def _parser(self) -> NTriplesParser:
        return NTriplesParser()

    @cached_property
    def triples(self) -> frozenset[Triple]:
        """Every triple of the default graph, as rdflib terms."""
        return frozenset(map(self._parser.triple, self.lines))

    @cached_property
    def named(self) -> dict[URIRef, frozenset[Triple]]:
        """Each named graph's triples, as rdflib terms, by the graph's IRI."""
        return {URIRef(name): frozenset(map(self._parser.triple, lines))
                for name, lines in self.named_lines.items()}

    def quads(self) -> Iterator[Quad]:
        """Yield every triple of the default graph (graph ``None``), then each named graph's triples.

        Unsorted: a store does not care. Output that must be stable sorts itself.
        """
        for triple in self.triples:
            yield (*triple, None)
        for name, triples in self.named.items():
            for triple in triples:
                yield (*triple, name)


@dataclass
class Part:
    """What some records of a knowledge base contribute to its graph (:func:`kb.graph.builder.partial`)."""

    own: set[tuple[Line, str | None]]
    """Quads only these records make: (line, named graph IRI, or None for the default graph)."""
    shared: Counter[Line]
    """Default-graph lines other records may make too, with how many of these records make each."""


class Collect:
    """Where the builder's lines go for a :class:`BuiltGraph`: ``default`` holds all, ``named[source id]``
    each article's statements and evidence."""

    def __init__(self) -> None:
        self.default: set[Line] = set()
        self.named: dict[str, set[Line]] = defaultdict(set)

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        self.default.update(batch)
        for source in sources:
            self.named[source].update(batch)

    def add_shared(self, batch: list[Line]) -> None:
        self.default.update(batch)


class Stream:
    """Where the builder's lines go for a store: N-Quads text, taken in chunks as it grows.

    Nothing is deduplicated (a store keeps a set of quads anyway), so no line outlives its chunk.
    """

    def __init__(self, mint: Mint, shared: Counter[LineKey] | None = None) -> None:
        self.mint = mint
        self.parts: list[bytes] = []
        self.size = 0
        self.ends: dict[str, bytes] = {}  # source id -> b" <named graph> .\n"
        self.shared = shared

    def add_shared(self, batch: list[Line]) -> None:
        if self.shared is not None:
            self.shared.update(map(line_key, batch))
        self.add(batch, ())

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        if not batch:
            return
        parts = [b" .\n".join(batch), b" .\n"]
        for source in sources:
            end = self.ends.get(source)
            if end is None:
                end = self.ends[source] = f" <{self.mint.named_graph(source)}> .\n".encode()
            parts += [end.join(batch), end]
        self.parts += parts
        self.size += sum(map(len, parts))

    def take(self) -> bytes:
        """Return the N-Quads held, and hold none."""
        chunk = b"".join(self.parts)
        self.parts, self.size = [], 0
        return chunk


class Tally:
    """Where the builder's lines go for an edit (:func:`kb.graph.builder.partial`): each record's own quads,
    and how many times the shared lines were made."""

    def __init__(self, mint: Mint) -> None:
        self.mint = mint
        self.own: set[tuple[Line, str | None]] = set()  # (line, named graph IRI, None: the default graph)
        self.shared: Counter[Line] = Counter()

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        graphs = [None, *(str(self.mint.named_graph(source)) for source in sources)]
        self.own.update((line, graph) for line in batch for graph in graphs)

    def add_shared(self, batch: list[Line]) -> None:
        self.shared.update(batch)


class Split:
    """Where the builder's lines go for ``kb publish``: the default graph as N-Triples in chunks, each shared
    line once, and each named graph's lines on their own (:func:`kb.graph.builder.graphs`)."""

    def __init__(self, mint: Mint) -> None:
        self.mint = mint
        self.default: list[bytes] = []
        self.named: dict[str, list[bytes]] = defaultdict(list)
        self.size = 0
        self.seen: set[Line] = set()  # shared lines already written

    def add(self, batch: list[Line], sources: Iterable[str]) -> None:
        if not batch:
            return
        text = b" .\n".join(batch) + b" .\n"
        self.default.append(text)
        self.size += len(text)
        for source in sources:
            self.named[str(self.mint.named_graph(source))].append(text)
            self.size += len(text)

    def add_shared(self, batch: list[Line]) -> None:
        fresh = [line for line in batch if line not in self.seen]
        self.seen.update(fresh)
        self.add(fresh, ())

    def take(self) -> tuple[bytes, dict[str, bytes]]:
        """Return the default graph's N-Triples and each named graph's, held so far, and hold none."""
        taken = b"".join(self.default), {name: b"".join(parts) for name, parts in self.named.items()}
        self.default, self.named, self.size = [], defaultdict(list), 0
        return taken
