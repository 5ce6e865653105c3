"""The page handlers: run the page's GraphQL queries, shape the answer (:mod:`kb.pages.views`), render HTML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates
from strawberry import Schema

from kb.graph.snapshot import Snapshot
from kb.model.records import Id
from kb.pages import views
from kb.pages.graphql import QUERIES_HEADER, ContextGetter, Runner
from kb.pages.network import Picture
from kb.pages.pictures import Drawing, Pictures

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_PAGES = 10
"""At most this many pages of 100 are read for one list on one HTML page, whatever the knowledge base size."""

FACT_KINDS = {"meetings": "meeting", "roles": "role", "statements": "statement", "sanctions": "sanction"}
"""URL segment -> the kind in a global id (``meeting/{slug}``)."""

_ID = TypeAdapter(Id)


def well_formed(ident: str) -> bool:
    """Return True when ``ident`` (a URL's id) is made as curation ids are (kb.model.records): any other id
    names no page, and the API refuses it (BAD_USER_INPUT), which a page would otherwise report as a 500."""
    try:
        _ID.validate_python(ident)
    except ValidationError:
        return False
    return True


def templates() -> Jinja2Templates:
    """Return the Jinja2 environment of the pages, autoescaping, with the view helpers as globals."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    env = found.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(href=views.href, evidence_href=views.evidence_href, quotes=views.quotes)
    env.filters.update(words=views.words, duration=views.duration, count=views.count)
    return found


@dataclass
class Pages:
    """The page handlers over one schema and the context factory of its ``/graphql`` endpoint."""

    schema: Schema
    get_context: ContextGetter
    context_for: Callable[[Snapshot], Any] | None = None
    """The GraphQL context over a snapshot outside any request (``kb.api.context.make_context`` with the app's
    limits): lets :meth:`warm` start a version's picture before a page asks for it."""

    def __post_init__(self) -> None:
        self.templates = templates()
        self.pictures = Pictures()

    def runner(self, request: Request) -> Runner:
        return Runner(self.schema, self.get_context, request)

    def render(self, request: Request, run: Runner, name: str, status: int = 200, **context: Any) -> Response:
        response = self.templates.TemplateResponse(request, name, {"queries": run.ran, **context},
                                                   status_code=status)
        response.headers[QUERIES_HEADER] = str(run.sparql_queries)
        drawing = context.get("drawing")
        if isinstance(drawing, Drawing) and drawing.pending:  # this page changes once the picture is drawn
            response.headers["cache-control"] = "no-store"
        return response

    async def home(self, request: Request) -> Response:
        """``/``: the articles and the people, with the who-met-whom picture."""
        run = self.runner(request)
        data = await run("home")
        _, meetings = await run.pages("network", ("meetings",), MAX_PAGES)
        return self.render(request, run, "home.html", data=data, drawing=await self.drawing(request, meetings))

    async def source(self, request: Request) -> Response:
        """``/sources/{id}``: an article with every evidence span highlighted, and its facts."""
        run = self.runner(request)
        ident = request.path_params["id"]
        if not well_formed(ident):
            return self.missing(request, run, f"No article {ident!r}.")
        first, facts = await run.pages("source", ("source", "facts"), MAX_PAGES, id=ident)
        if first.get("source") is None:
            return self.missing(request, run, f"No article {ident!r}.")
        page = views.article(first["source"], facts, await self.mentions(run))
        return self.render(request, run, "source.html", page=page, source=first["source"])

    async def mentions(self, run: Runner) -> list[dict[str, Any]]:
        """Return the people, organizations and places with their evidence, each list paged on its own."""
        kinds = ("people", "organizations", "places")
        cursors: dict[str, str | None] = {k: None for k in kinds}
        open_kinds = set(kinds)
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            flags = {k: k in open_kinds for k in kinds}
            data = await run("mentions", **flags, **{f"{k}After": cursors[k] for k in kinds})
            for kind in list(open_kinds):
                found.extend(data[kind]["nodes"])
                info = data[kind]["pageInfo"]
                cursors[kind] = info["endCursor"]
                if not info["hasNextPage"]:
                    open_kinds.discard(kind)
            if not open_kinds:
                break
        return found

    async def person(self, request: Request) -> Response:
        """``/people/{id}``: roles over time, meetings, statements, sanctions, each with its quotes."""
        return await self.agent(request, "person")

    async def organization(self, request: Request) -> Response:
        """``/organizations/{id}``: the same for a government, ministry or other body."""
        return await self.agent(request, "organization")

    async def agent(self, request: Request, kind: str) -> Response:
        run = self.runner(request)
        ident = request.path_params["id"]
        data = (await run(kind, id=ident)).get(kind) if well_formed(ident) else None
        if data is None:
            return self.missing(request, run, f"No {kind} {ident!r}.")
        return self.render(request, run, "agent.html", agent=data, kind=kind, lines=views.lines)

    def fact_page(self, kind: str) -> Callable[[Request], Awaitable[Response]]:
        """Return the handler of ``/{kind}s/{id}`` (meetings, roles, statements, sanctions): one fact in full."""

        async def fact(request: Request) -> Response:
            run = self.runner(request)
            ident = request.path_params["id"]
            node = (await run("fact", id=f"{kind}/{ident}")).get("node") if well_formed(ident) else None
            if not node or node.get("__typename", "").lower() != kind:
                return self.missing(request, run, f"No {kind} {ident!r}.")
            return self.render(request, run, "fact.html", fact=node, line=views.lines([node])[0])

        return fact

    async def network(self, request: Request) -> Response:
        """``/network``: who met whom, as a picture and as a table."""
        run = self.runner(request)
        _, meetings = await run.pages("network", ("meetings",), MAX_PAGES)
        return self.render(request, run, "network.html", drawing=await self.drawing(request, meetings),
                           pairs=views.pairs(meetings), meetings=meetings)

    async def drawing(self, request: Request, meetings: list[Any]) -> Drawing:
        """Return the who-met-whom picture of the request's version if it is drawn; else start drawing it (once
        per version, in a worker process) and say so: a page never waits for the layout."""
        context = await self.get_context(request, Response())
        return self.pictures.of(context.snapshot, lambda: views.graph(meetings))

    async def warm(self, snapshot: Snapshot) -> Future[Picture]:
        """Start drawing the who-met-whom picture of ``snapshot`` unless it is started, and return the drawing
        without waiting for it (``await asyncio.wrap_future(...)`` does). Runs the pages' own query for the
        meetings first, as a page would. Call it on the event loop when a version starts being served, or just
        before. Raises RuntimeError without ``context_for``, PageQueryError when the query fails."""
        found = self.pictures.started(snapshot)
        if found is not None:
            return found
        if self.context_for is None:
            raise RuntimeError("Pages.warm needs context_for: the GraphQL context over a snapshot")
        make = self.context_for

        async def context(request: Request, response: Response) -> Any:
            return make(snapshot)

        request = Request({"type": "http", "method": "GET", "path": "/network", "headers": [], "query_string": b""})
        _, meetings = await Runner(self.schema, context, request).pages("network", ("meetings",), MAX_PAGES)
        return self.pictures.start(snapshot, lambda: views.graph(meetings))

    def close(self) -> None:
        """End the process that draws the pictures (at shutdown)."""
        self.pictures.close()

    async def disputes(self, request: Request) -> Response:
        """``/disputes``: every disagreement between sources, versions side by side."""
        run = self.runner(request)
        _, found = await run.pages("disputes", ("disputes",), MAX_PAGES)
        return self.render(request, run, "disputes.html", disputes=found)

    def missing(self, request: Request, run: Runner, detail: str) -> Response:
        """Return the 404 page naming what was not found (with the query that found nothing)."""
        return self.render(request, run, "not_found.html", status=404, detail=detail)
