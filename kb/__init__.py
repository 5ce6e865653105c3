"""kb: a provenance-first knowledge base of diplomatic news.

The stages, in the order data flows through them (docs/architecture.md):

1. ``kb.load``: seed articles and curation YAML become a checked ``kb.model.KnowledgeBase``;
2. ``kb.graph``: the knowledge base becomes triples in a store (statement nodes, Web Annotation evidence);
3. ``kb.export``, ``kb.curate``, ``kb.publish``: the graph written out, reviewed, or loaded into a remote store;
4. ``kb.api`` and ``kb.pages``: GraphQL and the HTML pages over a built graph;
5. ``kb.serve``: the running server; ``kb.cli`` on top.

Below them all: ``kb.errors``, ``kb.config``, ``kb.vocab``, ``kb.contracts``, ``kb.progress``.
"""

__version__ = "0.1.0"
