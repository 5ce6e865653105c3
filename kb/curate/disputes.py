"""One definition of a dispute, counted the same way by ``kb validate``, ``/health``, the pages and GraphQL.

A dispute is what the graph types ``kb:Dispute``: a record of ``curation/disputes.yaml`` (whole facts that
articles report differently), or a single-valued attribute of one fact (a meeting's duration or
characterization) that the articles give in more than one version (:mod:`kb.graph.nodes`). The builder mints
both; GraphQL's ``disputes`` list and the pages read them from the graph, and this module counts them the same
way for the commands and ``/health``, which would otherwise count only the records.
"""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import RDF

from kb.graph import builder
from kb.graph.query import Backend
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import KB

QUERY = f"SELECT (COUNT(DISTINCT ?dispute) AS ?n) WHERE {{ ?dispute a <{KB.Dispute}> }}"
_TYPED = f" <{RDF.type}> <{KB.Dispute}>".encode()


def in_graph(graph: Graph) -> int:
    """Return how many disputes a built graph holds."""
    return len(set(graph.subjects(RDF.type, KB.Dispute)))


def in_knowledge_base(kb: KnowledgeBase, base_iri: str) -> int:
    """Return how many disputes the graph of ``kb`` would hold (built, never stored). Raises CurationError as
    :func:`kb.graph.builder.build` does."""
    return sum(1 for line in builder.build(kb, base_iri).lines if line.endswith(_TYPED))


async def in_backend(backend: Backend) -> int:
    """Return how many disputes the graph behind ``backend`` holds. Raises QueryError as the backend does."""
    table = await backend.select(QUERY)
    return table.column("n")[0].as_int() if table.rows else 0


def counts(kb: KnowledgeBase, disputes: int) -> dict[str, int]:
    """Return the records of each kind of ``kb`` with disputes counted as the graph counts them."""
    return {**kb.counts(), "disputes": disputes}
