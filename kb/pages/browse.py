"""The pages for finding things: search results, a place, a topic, and the timeline of meetings and statements.

    /search?q=…&kind=…      ranked results grouped by kind, each passage with the words found marked
    /places/{id}            the meetings held there and the statements about it, each with its quote
    /topics/{id}            the meetings and statements on it, each with its quote
    /timeline?person=…&place=…&topic=…
                            meetings and statements by date, filtered by any of the three
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from kb.errors import PageQueryError
from kb.pages import finding, views
from kb.pages.handlers import Pages, well_formed

RESULTS = 50
"""How many search hits the results page shows (the facets count them all)."""
FILTERS = ("person", "place", "topic")


@dataclass
class Browse:
    """The finding pages, rendered through the :class:`~kb.pages.handlers.Pages` they extend."""

    pages: Pages

    def __post_init__(self) -> None:
        self.pages.templates.env.globals.update(timeline=finding.timeline, page_of=finding.page_of, lines=views.lines,
                                                kind_names=finding.KIND_NAMES)

    async def search(self, request: Request) -> Response:
        """``/search?q=…``: the hits of a full-text search, grouped by kind, with counts by kind, article and
        person; the empty form without ``q``."""
        run = self.pages.runner(request)
        text = request.query_params.get("q", "").strip()
        kind = request.query_params.get("kind") or None
        kind = kind if kind in finding.KIND_NAMES else None
        if not text:
            return self.pages.render(request, run, "search.html", text="", kind=None, found=None, error=None)
        try:
            found = (await run("search", text=text, kind=kind, first=RESULTS))["search"]
        except PageQueryError as exc:  # the text was refused (too long, unusable): say so on the page
            return self.pages.render(request, run, "search.html", status=400, text=text, kind=kind, found=None,
                                     error=str(exc).split(": ", 1)[-1])
        return self.pages.render(request, run, "search.html", text=text, kind=kind, found=found,
                                 groups=finding.groups(found["nodes"]), error=None)

    async def place(self, request: Request) -> Response:
        """``/places/{id}``: the meetings held at a place and the statements about it."""
        run = self.pages.runner(request)
        ident = request.path_params["id"]
        data = await run("place", id=ident) if well_formed(ident) else {}
        if not data.get("place"):
            return self.pages.missing(request, run, f"No place {ident!r}.")
        return self.pages.render(request, run, "subject.html", subject=data["place"], kind="place",
                                 title=data["place"]["name"], meetings=data["place"]["meetings"],
                                 statements=data["statements"])

    async def topic(self, request: Request) -> Response:
        """``/topics/{id}``: the meetings and statements on a topic."""
        run = self.pages.runner(request)
        ident = request.path_params["id"]
        data = await run("topic", id=ident) if well_formed(ident) else {}
        if not data.get("topic"):
            return self.pages.missing(request, run, f"No topic {ident!r}.")
        topic = data["topic"]
        return self.pages.render(request, run, "subject.html", subject=topic, kind="topic", title=topic["label"],
                                 meetings=topic["meetings"], statements=topic["statements"])

    async def timeline(self, request: Request) -> Response:
        """``/timeline``: meetings and statements by date, filtered by person, place and topic (ids)."""
        run = self.pages.runner(request)
        chosen = {name: request.query_params.get(name, "").strip() or None for name in FILTERS}
        bad = [value for value in chosen.values() if value is not None and not well_formed(value)]
        if bad:
            return self.pages.missing(request, run, f"No such id {bad[0]!r}.")
        data = await run("timeline", **chosen)
        months = finding.timeline(data["meetings"]["nodes"], data["statements"]["nodes"])
        return self.pages.render(request, run, "timeline.html", months=months, chosen=chosen,
                                 meetings=data["meetings"], statements=data["statements"])
