"""The full-text index of one version of the knowledge base: tantivy (Rust, BM25), in memory.

One document per node a search can lead to (person, organization, place, topic, meeting, role, statement,
sanction, article, dispute), with one field per kind of text: names, aliases, titles as worded (a role's, and its
holder's too), labels (statement summaries, meeting labels, headlines), descriptions (an article's authors too),
quotes and article text.
Text is folded before tantivy sees it (:mod:`kb.api.fold`: case, diacritics, British spelling), so the engine's
tokenizer only splits on spaces. Each query word must match (in any field): exactly, as a prefix when it is the
last word (typed as you go), or within one or two edits (:func:`kb.api.fold.edits_allowed`). Fields weigh
differently, and so do kinds (a person's name above a quote that names them). docs/performance.md says why
tantivy rather than SQLite FTS5.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from kb.api import fold, passages
from kb.api.passages import Passage
from kb.graph.query import PROLOGUE, Backend

FIELDS = ("name", "alias", "title", "label", "description", "quote", "text")
BOOSTS = {"name": 5.0, "alias": 4.0, "title": 3.0, "label": 2.5, "description": 1.2, "quote": 1.0, "text": 0.4}
"""How much a word found in each field counts (times BM25 for an exact word)."""
PREFIX, FUZZY = 0.6, 0.4
"""A prefix or a near miss counts as a constant (no BM25), times the field's boost times this."""
KIND_WEIGHTS = {"person": 1.2, "organization": 1.0, "place": 1.0, "topic": 1.0, "meeting": 0.8,
                "statement": 0.5, "role": 0.5, "sanction": 0.5, "dispute": 0.3, "source": 0.0}
"""Multiplies a document's score by log2(2 + weight) (tantivy's weight_by_field): 1.0 to 1.64."""
TIE = 0.3
"""How much a word's other fields count beside its best one (tantivy's dismax tie breaker)."""
KINDS = tuple(KIND_WEIGHTS)
ATTESTED = 0.1
ENTITY_KINDS = frozenset({"person", "organization", "place", "topic"})
FACET_SIZE = 10
FACETED = frozenset({"source", "person"})
"""The kinds a facet lists (besides ``kind``): the documents whose titles an index keeps."""
TITLES = "titles.json"

TEXTS = PROLOGUE + """
SELECT DISTINCT ?node ?field ?text WHERE {
  { ?node rdfs:label ?text . FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("label" AS ?field) }
  UNION { ?node skos:prefLabel ?text . BIND("label" AS ?field) }
  UNION { ?node skos:altLabel ?text . BIND("alias" AS ?field) }
  UNION { ?node a org:Membership ; kb:titleAsWritten ?text . BIND("title" AS ?field) }
  UNION { ?role a org:Membership ; org:member ?node ; kb:titleAsWritten ?text . BIND("title" AS ?field) }
  UNION { ?node schema:description|skos:definition ?text . BIND("description" AS ?field) }
  UNION { ?node a schema:NewsArticle ; dcterms:creator ?text . BIND("description" AS ?field) }
  UNION { ?node prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text .
          FILTER NOT EXISTS { ?node a kb:AttributeStatement } BIND("quote" AS ?field) }
  UNION { ?node kb:attributeStatement/prov:wasDerivedFrom/oa:hasSelector/oa:exact ?text . BIND("quote" AS ?field) }
  UNION { ?node kb:text ?text . BIND("text" AS ?field) }
}"""
"""Every searchable text: ``?node`` (what a hit leads to), ``?field`` (:data:`FIELDS`) and ``?text``."""

LINKS = PROLOGUE + """
SELECT DISTINCT ?node ?facet ?other WHERE {
  { ?node prov:wasDerivedFrom/oa:hasSource ?other . BIND("source" AS ?facet) }
  UNION { ?node kb:attributeStatement/prov:wasDerivedFrom/oa:hasSource ?other . BIND("source" AS ?facet) }
  UNION { ?node schema:attendee|kb:speaker|org:member|kb:target|kb:imposedBy|kb:audience|kb:via|schema:about ?other .
          ?other a schema:Person . BIND("person" AS ?facet) }
}"""
"""Which articles (``source``) and people (``person``) each node involves: the facets of a search."""


@dataclass(frozen=True)
class Doc:
    """One searchable node: its IRI, its key (``person/wang-yi``), its texts, and the articles and people it
    involves (keys)."""

    iri: str
    key: str
    texts: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    people: tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.key.split("/", 1)[0]

    def title(self) -> str:
        """Return the node's name or label: what a facet or a heading calls it."""
        for wanted in ("name", "label"):
            for field, text in self.texts:
                if field == wanted:
                    return text
        return self.key


def documents(base: str, texts: Iterable[tuple[str, str, str]], links: Iterable[tuple[str, str, str]]) -> list[Doc]:
    """Return one :class:`Doc` per node of a searchable kind from the rows of :data:`TEXTS` ``(node, field, text)``
    and :data:`LINKS` ``(node, facet, other)``, all IRIs under ``base``; ordered by key."""
    def key(iri: str) -> str:
        return iri[len(base):] if iri.startswith(base) else ""

    by_node: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for node, field, text in texts:
        k = key(node)
        kind = k.split("/", 1)[0]
        if kind in KIND_WEIGHTS and k.count("/") == 1:
            by_node[node].append(("name" if field == "label" and kind in ENTITY_KINDS else field, text))
    related: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node, facet, other in links:
        related[(node, facet)].add(key(other))
    found = []
    for node, node_texts in by_node.items():
        k = key(node)
        sources = related[(node, "source")] | ({k} if k.startswith("source/") else set())
        people = related[(node, "person")] | ({k} if k.startswith("person/") else set())
        found.append(Doc(node, k, tuple(sorted(set(node_texts))), tuple(sorted(sources)), tuple(sorted(people))))
    return sorted(found, key=lambda d: d.key)


def read(native: Any, base: str) -> list[Doc]:
    """Return the documents of the pyoxigraph store ``native`` (its own values: no row becomes kb's terms)."""
    texts = ((r["node"].value, r["field"].value, r["text"].value) for r in native.query(TEXTS))
    links = ((r["node"].value, r["facet"].value, r["other"].value) for r in native.query(LINKS))
    return documents(base, texts, links)


async def read_from(backend: Backend, base: str) -> list[Doc]:
    """Return the documents as ``backend`` answers :data:`TEXTS` and :data:`LINKS` (rdflib's engine: kb's terms,
    slower than :func:`read`, for the small knowledge bases that engine serves)."""
    texts = [(r["node"].value, r["field"].value, r["text"].value) for r in (await backend.select(TEXTS)).rows]
    links = [(r["node"].value, r["facet"].value, r["other"].value) for r in (await backend.select(LINKS)).rows]
    return documents(base, texts, links)


def weight(doc: Doc) -> float:
    """Return what a document's score is weighed by: its kind's weight, plus a little that grows with the
    logarithm of the articles and passages behind it, so that of two equal matches the better attested fact
    comes first."""
    if doc.kind == "source":
        return KIND_WEIGHTS["source"]
    quotes = sum(1 for field, _ in doc.texts if field == "quote")
    return KIND_WEIGHTS[doc.kind] + ATTESTED * math.log2(1 + len(doc.sources) + quotes)


@dataclass(frozen=True)
class Hit:
    """One result: the document, its score, and the passage that matched (None when only the engine's own
    matching saw it)."""

    doc: Doc
    score: float
    passage: Passage | None


@dataclass(frozen=True)
class Found:
    """A page of results, and how many there are in all."""

    hits: list[Hit]
    total: int


Facets = dict[str, list[tuple[str, str, int]]]
"""``kind`` / ``source`` / ``person`` -> ``(key, label, count)``, most first."""


class TextIndex:
    """The tantivy index of a list of :class:`Doc`: in memory, or written to a folder (:meth:`open` reads it back
    without the documents: a kept build's index costs the server no build and little memory)."""

    def __init__(self, docs: Sequence[Doc], folder: Path | None = None) -> None:
        """Index ``docs``, in memory, or into ``folder`` (which must not hold an index yet)."""
        self.schema = _schema()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=None if folder is None else str(folder), reuse=False)
        _tokenizers(self.index)
        writer = self.index.writer(heap_size=200_000_000, num_threads=1)
        for doc in docs:
            writer.add_document(self._document(doc))
        writer.commit()
        writer.wait_merging_threads()
        # Facets name only articles and people: their titles are all the documents this index keeps in Python (at
        # 100k facts every text as Python strings would be hundreds of MB; a hit reads its own document back)
        self.titles = {d.key: d.title() for d in docs if d.kind in FACETED}
        if folder is not None:
            (folder / TITLES).write_text(json.dumps(self.titles, ensure_ascii=False), encoding="utf-8")
        self.index.reload()
        self.searcher = self.index.searcher()

    @classmethod
    def open(cls, folder: Path) -> TextIndex:
        """Return the index written into ``folder`` by ``TextIndex(docs, folder)``. Raises OSError when it cannot
        be read."""
        made = cls.__new__(cls)
        made.schema = _schema()
        made.index = tantivy.Index.open(str(folder))
        _tokenizers(made.index)
        try:
            made.titles = json.loads((folder / TITLES).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise OSError(f"{folder / TITLES}: {exc}") from exc
        made.index.reload()
        made.searcher = made.index.searcher()
        return made

    @staticmethod
    def _document(doc: Doc) -> tantivy.Document:
        made = tantivy.Document()
        for field, text in doc.texts:
            made.add_text(field, fold.folded(text))
        for facet, values in (("kind", (doc.kind,)), ("source", doc.sources), ("person", doc.people)):
            for value in values:
                made.add_text(facet, value)
        stored = [doc.iri, doc.key, doc.texts, doc.sources, doc.people]
        made.add_bytes("doc", json.dumps(stored, ensure_ascii=False).encode("utf-8"))
        made.add_float("weight", weight(doc))
        return made

    def _doc(self, address: Any) -> Doc:
        iri, key, texts, sources, people = json.loads(bytes(self.searcher.doc(address)["doc"][0]))
        return Doc(iri, key, tuple((field, text) for field, text in texts), tuple(sources), tuple(people))

    def query(self, words: list[str], kind: str | None = None) -> tantivy.Query:
        """Return the query every word of which must match (see the module's docstring), of ``kind`` only
        when given."""
        Q = tantivy.Query
        musts = []
        for i, word in enumerate(words):
            edits = fold.edits_allowed(word)
            options = []
            for field in FIELDS:
                boost = BOOSTS[field]
                options.append(Q.boost_query(Q.term_query(self.schema, field, word), boost))
                if i == len(words) - 1:
                    prefix = Q.fuzzy_term_query(self.schema, field, word, distance=0, prefix=True)
                    options.append(Q.boost_query(prefix, boost * PREFIX))
                if edits:
                    near = Q.fuzzy_term_query(self.schema, field, word, distance=edits)
                    options.append(Q.boost_query(near, boost * FUZZY))
            musts.append((tantivy.Occur.Must, Q.disjunction_max_query(options, tie_breaker=TIE)))
        if kind is not None:
            musts.append((tantivy.Occur.Must, Q.term_query(self.schema, "kind", kind)))
        return Q.boolean_query(musts)

    def search(self, text: str, first: int, offset: int = 0, kind: str | None = None) -> Found:
        """Return ``first`` results after ``offset`` for ``text`` (of ``kind`` only when given), best first."""
        words = fold.words(text)
        if not words:
            return Found([], 0)
        # tantivy refuses a limit of 0 (a panic): ask for one and keep none, so first: 0 still counts the hits
        result = self.searcher.search(self.query(words, kind), limit=max(first, 1), offset=offset, count=True,
                                      weight_by_field="weight")
        hits = []
        for score, address in result.hits[:first]:
            doc = self._doc(address)
            hits.append(Hit(doc, round(float(score), 4), passages.best(list(doc.texts), words, BOOSTS)))
        total = getattr(result, "count", None)  # asked for with count=True; tantivy's stub leaves it out
        return Found(hits, int(total or 0))

    def facets(self, text: str, kind: str | None = None) -> Facets:
        """Return the counts of the documents matching ``text`` by kind, and the :data:`FACET_SIZE` articles
        and people most involved."""
        words = fold.words(text)
        if not words:
            return {"kind": [], "source": [], "person": []}
        spec = {name: {"terms": {"field": name, "size": len(KINDS) if name == "kind" else FACET_SIZE}}
                for name in ("kind", "source", "person")}
        answer = self.searcher.aggregate(self.query(words, kind), spec)
        return {name: [(b["key"], b["key"] if name == "kind" else self.titles.get(b["key"], b["key"]),
                        int(b["doc_count"])) for b in answer.get(name, {}).get("buckets", [])]
                for name in spec}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for field in FIELDS:
        builder.add_text_field(field, tokenizer_name="kbwords")
    for facet in ("kind", "source", "person"):
        builder.add_text_field(facet, fast=True, tokenizer_name="raw")
    builder.add_bytes_field("doc", stored=True, indexed=False)  # the document of a hit, read for hits only
    builder.add_float_field("weight", fast=True)
    return builder.build()


def _tokenizers(index: tantivy.Index) -> None:
    # tokenizers are not kept with an index: each process that opens one registers them again
    index.register_tokenizer("kbwords", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
