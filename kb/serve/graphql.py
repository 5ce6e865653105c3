"""The /graphql view: Strawberry's ASGI view, speaking GraphQL over HTTP as clients expect.

- Every answer is JSON in the media type the request accepts (kb.serve.negotiate), refusals too, and every
  error carries ``extensions.code`` (kb.api.codes).
- ``application/graphql-response+json``: a request that could not run (parse, validation, variables) is a 400
  without ``data``; ``application/json``: 200 with ``data: null``, as before the specification.
- Automatic Persisted Queries (kb.serve.persisted): a known hash stands for its query, on GET and POST.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult

from kb.api import codes
from kb.api.context import Context, make_context
from kb.api.schema import Schema, make_schema
from kb.api.strawberry_compat import HTTPException  # what Strawberry's views raise to refuse a request
from kb.config import Limits
from kb.serve import editors
from kb.serve import graphql_media as negotiate
from kb.serve.middleware.pin import pinned
from kb.serve.persisted import NOT_FOUND, PersistedQueries, Problem

CODES_BY_STATUS = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: codes.NOT_ACCEPTABLE}
"""The code of a refusal that names none (a 4xx without one is the request's fault: BAD_REQUEST)."""


class Refusal(HTTPException):
    """A request answered without running: its status, message, error code and extra headers."""

    def __init__(self, status: int, reason: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, reason)
        self.code = code
        self.headers = headers or {}


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, answering from the request's pinned snapshot with fresh DataLoaders."""

    schema: Schema  # kb's own schema class (the base view only knows BaseSchema)

    MAX_JSON_DEPTH: ClassVar[int] = 32
    """Lists and objects nested deeper than this in a request's JSON are refused. A GraphQL request nests three
    or four (body, variables, a value); json.loads itself fails on about a thousand (RecursionError), and how
    deep it gets depends on the stack of the moment: this bound is the same for every request."""

    def __init__(self, limits: Limits, production: bool, introspection: bool = True) -> None:
        """``introspection``: answer ``__schema`` and ``__type`` (Settings.answers_introspection)."""
        super().__init__(make_schema(limits, introspection=introspection),
                         graphql_ide=None if production else "graphiql")
        self.limits = limits
        self.persisted = PersistedQueries(limits.persisted_queries, limits.persisted_query_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer as Strawberry does, in the negotiated media type; a request refused before it runs (not JSON,
        not a GraphQL request, a batch, nothing acceptable) is answered in JSON like every other answer of
        /graphql, ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``, where Strawberry answers in
        plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media = negotiate.choose(request.headers.get("accept"))
        request.state.kb_media = media or negotiate.JSON
        try:
            if media is None and not self.should_render_graphql_ide(request):
                raise Refusal(406, f"the request accepts neither {' nor '.join(negotiate.OFFERED)}",
                              codes.NOT_ACCEPTABLE)
            response = await self.run(request)
        except HTTPException as exc:
            response = refusal(exc, request.state.kb_media)
        status = getattr(request.state, "kb_status", None)
        if status is not None:  # an answer of the schema's (not GraphiQL's page)
            response.status_code = status
            response.headers["content-type"] = f"{request.state.kb_media}; charset=utf-8"
        await response(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> Context:
        return make_context(pinned(request.scope), self.limits, request, response)

    async def render_graphql_ide(self, request: Request) -> Response:
        """kb's GraphiQL page, loading the copies kb serves, where Strawberry's loads them from a CDN."""
        return editors.graphiql()

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's GET without a query; a hash-only persisted query is a query."""
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Return the request's GraphQL parameters, the query of a persisted query's hash filled in. Raises
        Refusal for a hash kb does not know (PersistedQueryNotFound: the client sends the query next), one
        that is not the query's, or a persisted query of another version."""
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            found = self.persisted.resolve(data.query, data.extensions)
            if isinstance(found, Problem):
                # Not cached on the way (an answer with errors never is), nor by anyone between: the next
                # request, with the query, registers it.
                headers = {"cache-control": "private, no-cache, must-revalidate"} if found.message == NOT_FOUND else {}
                raise Refusal(found.status, found.message, found.code, headers)
            data.query = found
        return data

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry's, its refusal of an operation it cannot pick coded OPERATION_RESOLUTION_FAILURE."""
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, CannotGetOperationTypeError):
                raise Refusal(exc.status_code, exc.reason, codes.OPERATION_RESOLUTION_FAILURE) from exc
            raise

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Return the answer's JSON, every error coded, and settle its status by the media type: a request
        that could not run (errors, no data, no field run) is a 400 without ``data`` in
        application/graphql-response+json, a 200 with ``data: null`` in application/json."""
        codes.give(result.errors, codes.INTERNAL)  # what no phase coded: kb failed, or Strawberry did
        answer = await super().process_result(request, result)
        not_run = bool(result.errors) and result.data is None and all(e.path is None for e in result.errors or ())
        graphql_response = request.state.kb_media == negotiate.GRAPHQL_RESPONSE
        request.state.kb_status = 400 if not_run and graphql_response else 200
        if not_run and graphql_response:
            answer.pop("data", None)
        return answer

    def decode_json(self, data: str | bytes) -> object:
        """Parse the JSON of a request (a POST body; GET's variables and extensions) or refuse it with a 400,
        never a crash: bytes that are not UTF-8 (RFC 8259), text that is not JSON, nesting deeper than
        :attr:`MAX_JSON_DEPTH`, and a value that is neither an object nor a list (Strawberry reads a body with
        ``.get``, which failed on ``null``, ``"x"`` or ``5`` with a 500; it refuses a list as a batch, and GET's
        variables and extensions other than objects)."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"the body is not UTF-8 (at byte {exc.start})") from None
        too_deep = f"the JSON nests lists and objects more than {self.MAX_JSON_DEPTH} deep"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:  # deeper than the stack allowed the parser
            raise HTTPException(400, too_deep) from None
        if self.nested_deeper(value, self.MAX_JSON_DEPTH):
            raise HTTPException(400, too_deep)
        if not isinstance(value, (dict, list)):
            kind = {type(None): "null", bool: "a boolean", str: "a string"}.get(type(value), "a number")
            raise HTTPException(400, f"expected a JSON object, got {kind}")
        return value

    @staticmethod
    def nested_deeper(value: object, limit: int) -> bool:
        """Return True when ``value`` nests lists and dicts more than ``limit`` deep. Walks one level at a time,
        not recursively: a recursive walk would fail where the parser did not."""
        level = [value]
        for _ in range(limit + 1):
            level = [child for item in level if isinstance(item, (dict, list))
                     for child in (item.values() if isinstance(item, dict) else item)]
            if not level:
                return False
        return True


def refusal(exc: HTTPException, media: str) -> Response:
    """Return the JSON answer to a request refused before it ran: its message and code in the GraphQL errors
    shape, in ``media``."""
    code = exc.code if isinstance(exc, Refusal) else CODES_BY_STATUS.get(exc.status_code, codes.BAD_REQUEST)
    headers = exc.headers if isinstance(exc, Refusal) else {}
    body = {"errors": [{"message": exc.reason, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=exc.status_code, headers=headers, media_type=f"{media}; charset=utf-8")
