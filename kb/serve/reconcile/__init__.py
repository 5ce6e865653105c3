"""The reconciliation service at ``/reconcile``: the W3C Entity Reconciliation Community Group's API, version
0.2, over kb's people, organizations, places and topics (docs/reconcile.md).

    GET  /reconcile                          the service manifest (JSONP with ?callback=)
    GET  /reconcile?queries=... , POST form  a query batch -> a result batch
    POST /reconcile/match (JSON)             the same in the shape of the API's 1.0 draft
    GET  /reconcile/suggest/entity?prefix=   entities by prefix (also /suggest/type, /suggest/property)
    GET  /reconcile/preview?id=              an entity's HTML card
    GET  /reconcile/view?id=                 a redirect to the entity's page

The matching itself is kb.api.reconcile (pure, indexed once a version); this package reads requests and sends
answers. Every answer allows any origin (kb.serve.middleware.open_cors), as the API requires.
"""

from __future__ import annotations

from starlette.routing import Route

from kb.config import Limits
from kb.serve.reconcile.service import Service

PREFIX = "/reconcile"
SUGGEST = ("entity", "type", "property")
"""The suggest services, each at ``/reconcile/suggest/{kind}``."""


def routes(limits: Limits, base_iri: str) -> list[Route]:
    """Return the routes of the service under :data:`PREFIX`."""
    service = Service(limits, base_iri)
    return [
        Route(PREFIX, service.endpoint, methods=["GET", "POST"]),
        Route(PREFIX + "/match", service.match, methods=["POST"]),
        *(Route(f"{PREFIX}/suggest/{kind}", service.suggest, methods=["GET"]) for kind in SUGGEST),
        Route(PREFIX + "/preview", service.preview, methods=["GET"]),
        Route(PREFIX + "/view", service.view, methods=["GET"]),
    ]
