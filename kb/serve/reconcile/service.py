"""The HTTP side of the reconciliation service: reading requests, refusing bad ones with a 4xx that says why,
JSONP, and handing the work to the store pool (the index is built once a version there; a batch is parsed,
checked, matched and serialised there). The event loop only routes and awaits.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from kb.api.reconcile.entities import TYPES
from kb.api.reconcile.index import Index, held, index_for
from kb.config import Limits
from kb.errors import ReconcileRefused
from kb.graph.pool import off_loop
from kb.serve.middleware.pin import pinned
from kb.serve.reconcile import answers

CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,4}")
"""A JSONP callback kb calls: a JavaScript name or a short dotted path of names, nothing else."""
FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 16
"""Form fields a POST may carry (``queries`` and a few a client adds)."""


def refusal(exc: ReconcileRefused) -> Response:
    """Return the JSON answer to a refused request: ``{"error": message}`` with its status."""
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def index_of(request: Request) -> Index:
    """Return the index of the request's pinned snapshot. Raises ReconcileRefused (503) for a remote store."""
    snapshot = pinned(request.scope)
    if not held(snapshot):
        raise ReconcileRefused(503, "reconciliation needs a store this server holds (disk, memory or rdflib), "
                                    "not a remote one")
    return await index_for(snapshot)


def root_of(request: Request) -> str:
    """Return the absolute URL of the service (``http://host:port/reconcile``)."""
    return str(request.base_url).rstrip("/") + "/reconcile"


def jsonp(request: Request, body: bytes, status: int = 200) -> Response:
    """Return JSON ``body``, or, when the request names a ``callback``, the JavaScript calling it (JSONP, which
    the 0.2 API allows for older clients). Raises ReconcileRefused for a callback that is not a plain name."""
    callback = request.query_params.get("callback")
    if callback is None:
        return Response(body, status, media_type="application/json")
    if not CALLBACK.fullmatch(callback):
        raise ReconcileRefused(400, "callback: must be a JavaScript name (letters, digits, _ and $, dotted)")
    return Response(b"/**/" + callback.encode() + b"(" + body + b");", status, media_type="application/javascript",
                    headers={"x-content-type-options": "nosniff"})


async def body_of(request: Request, limits: Limits) -> bytes:
    """Return the request's body, read whole. Raises ReconcileRefused (413) past the limit."""
    most = limits.reconcile_max_body_bytes
    declared = request.headers.get("content-length", "")
    too_large = ReconcileRefused(413, f"the request body is over {most} bytes")
    if declared.isdigit() and int(declared) > most:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > most:
            raise too_large
    return bytes(body)


def form_field(body: bytes, name: str) -> str:
    """Return one field of a urlencoded form. Raises ReconcileRefused (400) when it is missing or the form is
    not UTF-8."""
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError as exc:
        raise ReconcileRefused(400, f"the form is not UTF-8 (at byte {exc.start})") from None
    except ValueError:
        raise ReconcileRefused(400, f"the form has more than {MAX_FIELDS} fields") from None
    if name not in fields:
        if "extend" in fields:
            raise ReconcileRefused(400, "data extension (extend=) is not offered: the manifest has no 'extend'")
        raise ReconcileRefused(400, f"expected a form field {name!r} holding a JSON query batch")
    return fields[name][0]


class Service:
    """The endpoints of the service, under ``/reconcile`` (docs/reconcile.md)."""

    def __init__(self, limits: Limits, base_iri: str) -> None:
        self.limits = limits
        self.base_iri = base_iri

    async def endpoint(self, request: Request) -> Response:
        """GET without parameters: the manifest; GET ``?queries=`` or POST form ``queries=``: the results."""
        try:
            if request.method == "POST":
                kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if kind != FORM:
                    raise ReconcileRefused(415, f"send the query batch as {FORM} (queries=...), not {kind or 'no'} "
                                                "content type")
                body = await body_of(request, self.limits)
                text = await off_loop(form_field, body, "queries")
                return Response(await self._results(request, text), media_type="application/json")
            queries = request.query_params.get("queries")
            if queries is None:
                if "extend" in request.query_params:
                    raise ReconcileRefused(400, "data extension (extend=) is not offered: the manifest has no "
                                                "'extend'")
                manifest = answers.manifest(root_of(request), self.base_iri, self.limits.reconcile_max_batch)
                return jsonp(request, json.dumps(manifest).encode())
            return jsonp(request, await self._results(request, queries))
        except ReconcileRefused as exc:
            return refusal(exc)

    async def match(self, request: Request) -> Response:
        """POST ``/match`` with a JSON body: a query batch in the shape of the API's 1.0 draft."""
        try:
            kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                raise ReconcileRefused(415, f"send the query batch as application/json, not {kind or 'no'} "
                                            "content type")
            body = await body_of(request, self.limits)
            index = await index_of(request)
            limits = self.limits
            answer = await off_loop(answers.draft_results, index, body, limits.reconcile_max_batch,
                                    limits.reconcile_max_candidates)
            return Response(answer, media_type="application/json")
        except ReconcileRefused as exc:
            return refusal(exc)

    async def _results(self, request: Request, text: str) -> bytes:
        index = await index_of(request)
        limits = self.limits
        return await off_loop(answers.results, index, text, limits.reconcile_max_batch,
                              limits.reconcile_max_candidates)

    async def suggest(self, request: Request) -> Response:
        """GET ``/suggest/{entity|type|property}?prefix=...&cursor=...``: the suggest services."""
        try:
            kind = request.url.path.rsplit("/", 1)[-1]
            prefix = request.query_params.get("prefix")
            if prefix is None:
                raise ReconcileRefused(400, "prefix: the text to complete is required")
            if len(prefix) > self.limits.max_search_chars:
                raise ReconcileRefused(400, f"prefix: at most {self.limits.max_search_chars} characters")
            cursor = self._cursor(request)
            types = self._types(request)
            found: dict[str, Any]
            if kind == "entity":
                found = await off_loop(answers.suggest_entities, await index_of(request), prefix, cursor, types)
            elif kind == "type":
                found = answers.suggest_types(prefix, cursor)
            else:
                found = answers.suggest_properties(prefix, cursor, types)
            return jsonp(request, json.dumps(found, ensure_ascii=False).encode())
        except ReconcileRefused as exc:
            return refusal(exc)

    @staticmethod
    def _cursor(request: Request) -> int:
        raw = request.query_params.get("cursor", "0")
        if not raw.isdigit() or len(raw) > 9:
            raise ReconcileRefused(400, f"cursor: must be a whole number of suggestions to skip, not {raw[:20]!r}")
        return int(raw)

    @staticmethod
    def _types(request: Request) -> frozenset[str]:
        given = frozenset(t for t in request.query_params.get("type", "").split(",") if t)
        unknown = given - set(TYPES.values())
        if unknown:
            raise ReconcileRefused(400, f"type: unknown type {min(unknown)!r}; the types are "
                                        f"{', '.join(TYPES.values())}")
        return given

    async def preview(self, request: Request) -> Response:
        """GET ``/preview?id=...``: the entity's HTML card (404 for an id kb does not hold)."""
        try:
            index = await index_of(request)
        except ReconcileRefused as exc:
            return refusal(exc)
        entity = index.entity(request.query_params.get("id", ""))
        if entity is None:
            return Response("<!doctype html><p>kb holds no entity with this id.</p>", 404, media_type="text/html")
        site = str(request.base_url)
        return Response(answers.preview(index, entity, site), media_type="text/html",
                        headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})

    async def view(self, request: Request) -> Response:
        """GET ``/view?id=...``: a redirect to the entity's page (404 for an id kb does not hold)."""
        try:
            index = await index_of(request)
        except ReconcileRefused as exc:
            return refusal(exc)
        entity = index.entity(request.query_params.get("id", ""))
        if entity is None:
            return refusal(ReconcileRefused(404, "kb holds no entity with this id"))
        return RedirectResponse(answers.page_of(entity), status_code=302)
