"""Where kb finds its contracts (``schema/``: the RDF vocabulary, SHACL shapes, JSON-LD context, GraphQL SDL and
JSON Schemas) whether it runs from a checkout or from an installed wheel.

A checkout (and an editable install) reads ``schema/`` beside the package, the copy curators and pull requests
change; a wheel carries the same files as the data package ``kb._schema`` (pyproject.toml maps it to
``schema/``), so ``pip install .`` and the Docker image validate and export as a checkout does.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent / "schema"
INSTALLED = Path(__file__).resolve().parent / "_schema"  # where the wheel puts schema/


def folder() -> Path:
    """Return the folder holding the contracts: the checkout's ``schema/`` if there is one, else the installed
    ``kb._schema`` package's."""
    if CHECKOUT.is_dir():
        return CHECKOUT
    return INSTALLED


def path(name: str) -> Path:
    """Return the path of the contract file ``name`` (``shapes.ttl``, ``context.jsonld``, ...)."""
    return folder() / name
