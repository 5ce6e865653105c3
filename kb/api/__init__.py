"""The GraphQL API: Strawberry types (``types/``, one per file) resolved from the graph through
kb.graph.query.

``schema.py`` assembles the schema, ``context.py`` makes the per-request context and its DataLoaders,
``pagination.py`` the GitHub-style connections, ``lists.py`` the SPARQL behind every list and filter,
``limits.py`` and ``guard.py`` what protect the server (the bounds themselves are ``kb.config.Limits``).
"""
