"""kb's evidence as W3C Web Annotations: one ``oa:Annotation`` for each evidence span of the graph, gathered in
Annotation Collections and Annotation Pages as the Web Annotation Protocol serves them (``kb export --format
annotations``; ``/annotations`` and ``/sources/{id}/annotations`` in kb.serve.web_annotations). docs/annotations.md
shows one and says why each choice was made.

- The **target** is the evidence node itself (its IRI, ``oa:SpecificResource``) with its two selectors under
  their own IRIs, exactly as the graph holds them: ``source`` is the article's kb IRI, whose text (``kb:text``)
  the positions count in code points, as the Data Model counts them; ``scope`` is the article's web page
  (``schema:url``) when kb knows it: kb's text was taken from that page, its offsets may not fit the page's.
- The **body** is what the span supports: for each node derived from it (``prov:wasDerivedFrom``: a fact, an
  attribute's version, a person, organization or place) a ``TextualBody`` with its label (purpose
  ``describing``) and the node itself as a ``SpecificResource`` (purpose ``identifying``).
- The **motivation** is ``kb:stating`` (schema/kb.ttl), narrower (``skos:broader``) than ``oa:describing``.

Reading the graph asks three SELECT queries of any backend (:func:`read`), or of an Oxigraph store directly
(:func:`read_native`, faster); building documents from what was read is pure and fast (:func:`collection`,
:func:`page`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyoxigraph as ox

from kb.graph.query import PROLOGUE, Backend
from kb.vocab import ATTRIBUTES, VOCAB_IRI, Mint

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
LOCAL_CONTEXT: dict[str, str] = {"kb": VOCAB_IRI}
"""Names kb's own motivation ``kb:stating``: the Data Model lets a community add motivations this way."""
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
MOTIVATION = "kb:stating"
PAGE_SIZE = 100
"""Annotations in one Annotation Page served over HTTP."""
GENERATOR: dict[str, str] = {"type": "Software", "name": "kb"}

SPANS = PROLOGUE + """SELECT ?evidence ?source ?start ?end ?exact ?prefix ?suffix WHERE {
  ?evidence oa:hasSource ?source ; oa:hasSelector ?position, ?quote .
  ?position oa:start ?start ; oa:end ?end .
  ?quote oa:exact ?exact .
  OPTIONAL { ?quote oa:prefix ?prefix }
  OPTIONAL { ?quote oa:suffix ?suffix }
}"""
BODIES = PROLOGUE + """SELECT ?evidence ?fact ?label ?asWritten ?attribute ?value ?parentLabel WHERE {
  ?fact prov:wasDerivedFrom ?evidence .
  OPTIONAL { ?fact rdfs:label ?label }
  OPTIONAL { ?fact kb:asWritten ?asWritten }
  OPTIONAL { ?fact kb:attribute ?attribute . OPTIONAL { ?fact ?attribute ?value } }
  OPTIONAL { ?parent kb:attributeStatement ?fact . ?parent rdfs:label ?parentLabel }
}"""
ARTICLES = PROLOGUE + """SELECT ?source ?url ?title WHERE {
  ?source kb:file ?file .
  OPTIONAL { ?source schema:url ?url }
  OPTIONAL { ?source dcterms:title ?title }
}"""
_ATTRIBUTE_NAMES = {str(prop): name for name, prop in ATTRIBUTES.items()}

Values = Mapping[str, str]
"""One solution as the lexical values of its bound variables (unbound ones absent)."""


@dataclass(frozen=True, slots=True)
class Body:
    """A node an evidence span supports, and a sentence that says what it is."""

    node: str
    text: str


@dataclass(frozen=True, slots=True)
class Span:
    """One evidence node: where its words are in which article, and what it supports."""

    evidence: str
    source: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    bodies: tuple[Body, ...]


@dataclass(frozen=True, slots=True)
class Article:
    """An article as its annotations name it: its kb IRI, its web page and headline when known."""

    iri: str
    url: str | None
    title: str | None


@dataclass(frozen=True)
class Annotations:
    """Every evidence span of one version, ordered by article, start, end and IRI, and grouped by article."""

    spans: tuple[Span, ...]
    articles: dict[str, Article]
    by_source: dict[str, tuple[Span, ...]]

    @cached_property
    def by_evidence(self) -> dict[str, Span]:
        """Every span by the IRI of its evidence node (made on first use: one annotation asked by its IRI)."""
        return {span.evidence: span for span in self.spans}


async def read(backend: Backend) -> Annotations:
    """Return every evidence span ``backend``'s graph holds, with its bodies and articles. Raises QueryError
    when the engine refuses a query."""
    answers = [await backend.select(query) for query in (SPANS, BODIES, ARTICLES)]
    spans, bodies, articles = ([{name: term.value for name, term in row.items()} for row in table.rows]
                               for table in answers)
    return from_rows(spans, bodies, articles)


def read_native(store: ox.Store) -> Annotations:
    """Return the same as :func:`read`, asked of an Oxigraph store directly: the lexical values are all this
    module needs, and skipping the conversion to kb's terms makes it several times faster (docs/annotations.md
    gives the figures). Takes seconds on a large knowledge base: call it off the event loop."""
    answers = []
    for query in (SPANS, BODIES, ARTICLES):
        solutions = store.query(query)
        assert isinstance(solutions, ox.QuerySolutions)  # each is a SELECT
        names = [variable.value for variable in solutions.variables]
        answers.append([{name: term.value for name, term in zip(names, solution, strict=True) if term is not None}
                        for solution in solutions])
    return from_rows(*answers)


def _text(row: Values) -> str:
    if "label" in row:
        return row["label"]
    attribute = row.get("attribute")
    name = _ATTRIBUTE_NAMES.get(attribute, attribute) if attribute is not None else "value"
    written = row.get("asWritten") or row.get("value")  # the article's words, else the value they give
    words = f' as written: "{written}"' if written is not None else ""
    parent = f"{row['parentLabel']}, " if "parentLabel" in row else ""
    return f"{parent}{name}{words}"


def from_rows(spans: Sequence[Values], bodies: Sequence[Values], articles: Sequence[Values]) -> Annotations:
    """Return the annotations the answers to :data:`SPANS`, :data:`BODIES` and :data:`ARTICLES` describe."""
    supports: dict[str, dict[str, str]] = defaultdict(dict)
    for row in bodies:
        supports[row["evidence"]].setdefault(row["fact"], _text(row))
    found: dict[str, Span] = {}
    for row in spans:
        evidence = row["evidence"]
        facts = supports.get(evidence, {})
        found.setdefault(evidence, Span(
            evidence, row["source"], int(row["start"]), int(row["end"]), row["exact"], row.get("prefix", ""),
            row.get("suffix", ""), tuple(Body(node, facts[node]) for node in sorted(facts)),
        ))
    ordered = tuple(sorted(found.values(), key=lambda s: (s.source, s.start, s.end, s.evidence)))
    grouped: dict[str, list[Span]] = defaultdict(list)
    for span in ordered:
        grouped[span.source].append(span)
    known = {row["source"]: Article(row["source"], row.get("url"), row.get("title")) for row in articles}
    return Annotations(ordered, known, {source: tuple(group) for source, group in grouped.items()})


def annotation(span: Span, article: Article | None, mint: Mint) -> dict[str, Any]:
    """Return the ``oa:Annotation`` of one evidence span (compacted with the anno.jsonld context, no
    ``@context`` of its own: it sits in a page or collection that has one)."""
    quote: dict[str, Any] = {"id": f"{span.evidence}/quote", "type": "TextQuoteSelector", "exact": span.exact}
    if span.prefix:
        quote["prefix"] = span.prefix
    if span.suffix:
        quote["suffix"] = span.suffix
    target: dict[str, Any] = {"id": span.evidence, "type": "SpecificResource", "source": span.source}
    if article is not None and article.url:
        target["scope"] = article.url
    target["selector"] = [
        quote, {"id": f"{span.evidence}/position", "type": "TextPositionSelector", "start": span.start,
                "end": span.end},
    ]
    found: dict[str, Any] = {"id": str(mint.annotation(span.evidence)), "type": "Annotation",
                             "motivation": MOTIVATION}
    body: list[dict[str, Any]] = []
    for supported in span.bodies:
        body.append({"type": "TextualBody", "value": supported.text, "format": "text/plain",
                     "purpose": "describing"})
        body.append({"type": "SpecificResource", "source": supported.node, "purpose": "identifying"})
    if body:
        found["body"] = body
    found["target"] = target
    found["generator"] = GENERATOR
    return found


def pages(total: int, page_size: int) -> int:
    """Return how many pages of ``page_size`` hold ``total`` annotations (none for none)."""
    return -(-total // page_size)


def page_id(collection_id: str, number: int) -> str:
    """Return the IRI of page ``number`` (from 0, as the Web Annotation Protocol numbers them) of a
    collection."""
    return f"{collection_id}?page={number}"


def page(annotations: Annotations, spans: Sequence[Span], number: int, collection_id: str, label: str,
         mint: Mint, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Return page ``number`` of the collection ``collection_id`` of ``spans`` as an ``AnnotationPage``
    document. Raises IndexError for a page the collection does not have."""
    count = pages(len(spans), page_size)
    if not 0 <= number < count:
        raise IndexError(f"page {number} does not exist: the collection has {count} (from 0)")
    found: dict[str, Any] = {"@context": [ANNO_CONTEXT, LOCAL_CONTEXT]}
    found.update(_page(annotations, spans, number, collection_id, mint, page_size))
    found["partOf"] = {"id": collection_id, "label": label, "total": len(spans)}
    return found


def _page(annotations: Annotations, spans: Sequence[Span], number: int, collection_id: str, mint: Mint,
          page_size: int) -> dict[str, Any]:
    start = number * page_size
    found: dict[str, Any] = {"id": page_id(collection_id, number), "type": "AnnotationPage"}
    if number > 0:
        found["prev"] = page_id(collection_id, number - 1)
    if start + page_size < len(spans):
        found["next"] = page_id(collection_id, number + 1)
    found["startIndex"] = start
    found["items"] = [annotation(span, annotations.articles.get(span.source), mint)
                      for span in spans[start:start + page_size]]
    return found


def collection(annotations: Annotations, spans: Sequence[Span], collection_id: str, label: str, mint: Mint,
               page_size: int = PAGE_SIZE, container: bool = True) -> dict[str, Any]:
    """Return the ``AnnotationCollection`` of ``spans``: ``total``, the ``first`` page embedded whole and the
    ``last`` page's IRI (neither when there is no annotation). A ``container`` is also an LDP Basic Container
    with the LDP context, as the Web Annotation Protocol serves an Annotation Container; a file is not."""
    contexts: list[Any] = [ANNO_CONTEXT, LDP_CONTEXT, LOCAL_CONTEXT] if container else [ANNO_CONTEXT, LOCAL_CONTEXT]
    kinds = ["BasicContainer", "AnnotationCollection"] if container else "AnnotationCollection"
    found: dict[str, Any] = {"@context": contexts, "id": collection_id, "type": kinds, "label": label,
                             "total": len(spans)}
    count = pages(len(spans), page_size)
    if count:
        found["first"] = _page(annotations, spans, 0, collection_id, mint, page_size)
        found["last"] = page_id(collection_id, count - 1)
    return found


def whole(annotations: Annotations, mint: Mint) -> dict[str, Any]:
    """Return the collection of every annotation of the knowledge base in one page (``kb export --format
    annotations``), identified ``{base}annotations``."""
    spans = annotations.spans
    return collection(annotations, spans, str(mint.annotations()), "Evidence in kb", mint,
                      page_size=max(1, len(spans)), container=False)


def article_label(article: Article | None, source: str) -> str:
    """Return the label of one article's collection: its headline when kb knows it, else its IRI."""
    title = article.title if article is not None and article.title else source
    return f"Evidence in {title}"
