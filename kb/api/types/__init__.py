"""Strawberry types, one file per type; :mod:`kb.api.types.registry` maps a node's IRI to its type."""
