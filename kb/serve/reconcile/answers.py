"""What the reconciliation service answers, as values: the manifest, a result batch, suggest results and the
preview card. Pure functions of the index and of the service's root URL; kb.serve.reconcile.service sends them.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from kb.api.reconcile import draft, requests
from kb.api.reconcile.entities import PROPERTIES, TYPES, Entity
from kb.api.reconcile.index import Index
from kb.api.reconcile.matching import Candidate, reconcile
from kb.pages.views import PATHS
from kb.vocab import VOCAB_IRI

VERSIONS = ["0.2"]
"""The versions of the W3C Entity Reconciliation CG's API the service answers: 0.2, its latest stable one."""
PAGES = {"Person": PATHS["Person"], "Organization": PATHS["Organization"], "Place": "/places/{}",
         "Topic": "/topics/{}"}
"""A type's page, by the entity's slug (kb.pages routes)."""
TYPE_DESCRIPTIONS = {"Person": "a person the articles name (schema:Person)",
                     "Organization": "a government, ministry, party office, company or medium (org:Organization)",
                     "Place": "a country, city, region, sea or building (schema:Place)",
                     "Topic": "a subject the articles discuss (skos:Concept)"}
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 220
SUGGEST_PAGE = 10


def manifest(root: str, base_iri: str, batch_size: int) -> dict[str, Any]:
    """Return the service manifest of the service at ``root`` (its absolute URL, ``.../reconcile``)."""
    suggest = {kind: {"service_url": root, "service_path": f"/suggest/{kind}"}
               for kind in ("entity", "type", "property")}
    return {
        "versions": VERSIONS,
        "name": "kb: people, organizations, places and topics of diplomatic news",
        "identifierSpace": base_iri,
        "schemaSpace": VOCAB_IRI,
        "defaultTypes": [type_of(name) for name in TYPES.values()],
        "view": {"url": f"{root}/view?id={{{{id}}}}"},
        "preview": {"url": f"{root}/preview?id={{{{id}}}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": suggest,
        "batchSize": batch_size,
    }


def type_of(name: str) -> dict[str, str]:
    """Return a type as the protocol gives it: ``{"id": "Person", "name": "Person"}``."""
    return {"id": name, "name": name}


def results(index: Index, text: str | bytes, max_batch: int, max_limit: int) -> bytes:
    """Return the result batch (JSON) for a query batch (JSON text). Raises ReconcileRefused (see
    kb.api.reconcile.requests.batch). Runs for milliseconds: call it off the event loop."""
    queries = requests.batch(text, max_batch, max_limit)
    answer = {key: {"result": [candidate(found) for found in reconcile(index, query)]}
              for key, query in queries.items()}
    return json.dumps(answer, ensure_ascii=False).encode()


def draft_results(index: Index, text: str | bytes, max_batch: int, max_limit: int) -> bytes:
    """Return the result batch (JSON) in the 1.0 draft's shape, ``{"results": [{"candidates": [...]}]}``, for a
    draft query batch (kb.api.reconcile.draft). Raises ReconcileRefused. Call it off the event loop."""
    queries = draft.batch(text, max_batch, max_limit)
    answer = {"results": [{"candidates": [candidate(found) for found in reconcile(index, query)]}
                          for query in queries]}
    return json.dumps(answer, ensure_ascii=False).encode()


def candidate(found: Candidate) -> dict[str, Any]:
    """Return one candidate as the protocol gives it (id, name, description, type, score, features, match)."""
    entity = found.entity
    shown: dict[str, Any] = {"id": entity.id, "name": entity.name}
    if entity.description:
        shown["description"] = entity.description
    shown |= {"type": [type_of(entity.type)], "score": found.score,
              "features": [{"id": key, "name": _feature_name(key), "value": value}
                           for key, value in found.features.items()],
              "match": found.match}
    return shown


FEATURES = {"name": "name similarity (0-100)", "nickname": "found through a nickname of the given name",
            "title": "the title before the name is one of the person's", "surname": "a surname alone",
            "type": "of a type the query asked for", "id": "the query is the entity's id"}


def _feature_name(key: str) -> str:
    """Return what a matching feature means, in words (``property_country``: "agrees with the country given")."""
    if key.startswith("property_"):
        return f"agrees with the {PROPERTIES[key.removeprefix('property_')].name} given"
    return FEATURES[key]


def suggest_entities(index: Index, prefix: str, cursor: int, types: frozenset[str]) -> dict[str, Any]:
    """Return a suggest response for entities: a page of :data:`SUGGEST_PAGE` from ``cursor`` on."""
    found = index.suggest(prefix, types)[cursor:cursor + SUGGEST_PAGE]
    return {"result": [{"id": entity.id, "name": entity.name, **_described(entity),
                        "notable": [type_of(entity.type)]} for entity in found]}


def suggest_types(prefix: str, cursor: int) -> dict[str, Any]:
    """Return a suggest response for types: those whose id starts with ``prefix`` (any case)."""
    wanted = prefix.strip().casefold()
    found = [name for name in TYPES.values() if name.casefold().startswith(wanted)]
    return {"result": [{**type_of(name), "description": TYPE_DESCRIPTIONS[name]}
                       for name in found[cursor:cursor + SUGGEST_PAGE]]}


def suggest_properties(prefix: str, cursor: int, types: frozenset[str]) -> dict[str, Any]:
    """Return a suggest response for properties: those whose id or name starts with ``prefix`` (any case), of
    the ``types`` given (all when none)."""
    wanted = prefix.strip().casefold()
    found = [p for p in PROPERTIES.values() if (p.id.casefold().startswith(wanted) or
                                                p.name.casefold().startswith(wanted))
             and (not types or types & set(p.types))]
    return {"result": [{"id": p.id, "name": p.name, "description": p.description}
                       for p in found[cursor:cursor + SUGGEST_PAGE]]}


def _described(entity: Entity) -> dict[str, str]:
    return {"description": entity.description} if entity.description else {}


def page_of(entity: Entity) -> str:
    """Return the path of an entity's page on kb's site."""
    return PAGES[entity.type].format(entity.id.split("/", 1)[1])


def preview(index: Index, entity: Entity, site: str) -> str:
    """Return the preview card of ``entity``: a small HTML page of what kb knows of it and a link to its page on
    ``site`` (the server's absolute URL). Every text is escaped: names and titles come from curators' files."""
    rows = [("also", ", ".join(entity.aliases)), ("kind", entity.kind), ("titles", "; ".join(entity.titles))]
    for pid in ("memberOf", "parent", "country"):
        rows.append((PROPERTIES[pid].name, ", ".join(index.name_of(target) for target in entity.links.get(pid, ()))))
    listed = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in rows if value)
    description = f"<p>{escape(entity.description)}</p>" if entity.description else ""
    href = escape(site.rstrip("/") + page_of(entity))
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(entity.name)}</title>'
            f"<style>{_STYLE}</style></head><body>"
            f'<h1><a href="{href}" target="_blank" rel="noopener">{escape(entity.name)}</a> '
            f'<span class="type">{escape(entity.type)}</span></h1>{description}<dl>{listed}</dl>'
            f'<p class="id">{escape(entity.id)}</p></body></html>')


_STYLE = ("body{font:13px/1.35 system-ui,sans-serif;margin:8px;color:#222}h1{font-size:15px;margin:0 0 4px}"
          "a{color:#0645ad}.type{font-size:11px;color:#666;font-weight:normal}p{margin:2px 0 6px}"
          "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 8px;margin:0}dt{color:#666}dd{margin:0}"
          ".id{color:#888;font-size:11px}")
