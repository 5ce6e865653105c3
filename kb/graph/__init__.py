"""KnowledgeBase to triples to store: the builder, terms, the store, deltas, queries, shapes."""
