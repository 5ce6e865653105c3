"""The HTML pages: read an article with its facts highlighted, and every fact with the words behind it.

Each page handler runs GraphQL queries (``queries/*.graphql``) through the very schema and context factory
of ``/graphql``, so every page is a worked example of the API, and renders the answer with Jinja2
(``templates/``). The only JavaScript, ``static/viewer.js``, turns highlights into buttons that fill the fact
panel; every page works without it. Nothing is fetched from another host.

    /                       articles and people, and who met whom
    /sources/{id}           an article, every evidence span highlighted, a fact panel
    /people/{id}            roles over time, meetings, statements, sanctions, each with its quotes
    /organizations/{id}     the same for a body
    /meetings/{id}, /roles/{id}, /statements/{id}, /sanctions/{id}
                            one fact, its passages and its disputed versions side by side
    /network                who met whom: SVG picture (drawn once per version, off the event loop:
                            pages.pictures) and table
    /disputes               every disagreement between sources
    /search, /places/{id}, /topics/{id}, /timeline
                            finding things (kb.pages.browse)
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry import Schema

from kb.pages.browse import Browse
from kb.pages.graphql import ContextGetter
from kb.pages.handlers import FACT_KINDS, Pages

STATIC = Path(__file__).resolve().parent / "static"

__all__ = ["Pages", "routes", "routes_of"]


def routes(schema: Schema, get_context: ContextGetter) -> list[BaseRoute]:
    """Return the page routes, answering through ``schema`` with contexts from ``get_context``."""
    return routes_of(Pages(schema, get_context))


def routes_of(pages: Pages) -> list[BaseRoute]:
    """Return the routes of ``pages``: an app that keeps its :class:`Pages` can warm each version it serves
    (:meth:`Pages.warm`) and end the drawing process at shutdown (:meth:`Pages.close`)."""
    browse = Browse(pages)
    return [
        Route("/", pages.home, methods=["GET"], name="pages-home"),
        Route("/sources/{id}", pages.source, methods=["GET"], name="pages-source"),
        Route("/people/{id}", pages.person, methods=["GET"], name="pages-person"),
        Route("/organizations/{id}", pages.organization, methods=["GET"], name="pages-organization"),
        *(Route(f"/{plural}/{{id}}", pages.fact_page(kind), methods=["GET"], name=f"pages-{kind}")
          for plural, kind in FACT_KINDS.items()),
        Route("/network", pages.network, methods=["GET"], name="pages-network"),
        Route("/disputes", pages.disputes, methods=["GET"], name="pages-disputes"),
        Route("/search", browse.search, methods=["GET"], name="pages-search"),
        Route("/places/{id}", browse.place, methods=["GET"], name="pages-place"),
        Route("/topics/{id}", browse.topic, methods=["GET"], name="pages-topic"),
        Route("/timeline", browse.timeline, methods=["GET"], name="pages-timeline"),
        Mount("/static", StaticFiles(directory=STATIC), name="pages-static"),
    ]
