"""Where kb finds its contracts (``schema/``: the RDF vocabulary, SHACL shapes, JSON-LD context, GraphQL SDL and
JSON Schemas) whether it runs from a checkout or from an installed wheel.

A checkout (and an editable install) reads ``schema/`` beside the package, the copy curators and pull requests
change; a wheel carries the same files as the data package ``kb._schema`` (pyproject.toml maps it to
``schema/``), so ``pip install .`` and the Docker image validate and export as a checkout does.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent / "schema"
INSTALLED = Path(__file__).resolve().parent / "_schema"  # where the wheel puts schema/
SHIPPED_CONTEXTS = {
    "http://www.w3.org/ns/anno.jsonld": "anno.jsonld",
    "http://www.w3.org/ns/ldp.jsonld": "ldp.jsonld",
}
"""W3C JSON-LD context documents kb ships (their notice: ``schema/w3c-contexts.json``), by the IRI they are
published at. A JSON-LD processor reading kb's web annotations loads them from here, never from w3.org."""


def folder() -> Path:
    """Return the folder holding the contracts: the checkout's ``schema/`` if there is one, else the installed
    ``kb._schema`` package's."""
    if CHECKOUT.is_dir():
        return CHECKOUT
    return INSTALLED


def path(name: str) -> Path:
    """Return the path of the contract file ``name`` (``shapes.ttl``, ``context.jsonld``, ...)."""
    return folder() / name


@cache
def _shipped(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path(name).read_text("utf-8"))
    return document


def context_document(iri: str) -> dict[str, Any]:
    """Return the shipped copy of the JSON-LD context document published at ``iri`` (http or https, as
    :data:`SHIPPED_CONTEXTS` lists them): what a document loader hands a JSON-LD processor instead of fetching
    it. The same dict each time: do not change it. Raises LookupError for an IRI kb does not ship."""
    name = SHIPPED_CONTEXTS.get(iri.replace("https://", "http://", 1))
    if name is None:
        raise LookupError(f"kb ships no copy of the JSON-LD context {iri}")
    return _shipped(name)
