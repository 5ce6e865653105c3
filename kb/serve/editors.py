"""The browser editors kb serves itself, with nothing fetched from another host: GraphiQL at ``/graphql`` and
YASGUI at ``/sparql``.

Their builds are npm packages vendored into ``static/vendor/`` with their licences (``ui/update.sh`` copies them
from the versions pinned in ``ui/package-lock.json``; ``ui/README.md``). Each page is a template loading those
files and kb's own small script (``static/graphiql.js``, ``static/yasgui.js``) from ``/static/editors/``: no inline
script, so the pages keep the content security policy they are sent with (:data:`CONTENT_SECURITY_POLICY`),
which also stops the editors from reaching any other host. An asset's URL carries its content's hash
(``?v=``), so a browser keeps it a year and asks again only when an update changed it.

``/sparql`` is a SPARQL Protocol endpoint and a page at once: :func:`wants_editor` tells a browser opening it
(``GET`` whose ``Accept`` prefers HTML) from a SPARQL client; kb.serve.app routes the first here and every other
request to kb.serve.sparql.endpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from kb.serve import negotiate

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
PREFIX = "/static/editors"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    # React and CodeMirror set style attributes as they lay the editors out
    "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
HTML_TYPES = ("text/html", "application/xhtml+xml")
RESULT_TYPES = (
    "application/sparql-results+json", "application/json", "application/sparql-results+xml", "application/xml",
    "text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples", "text/plain",
)
"""What a SPARQL client asks /sparql for: the editor is for a request that prefers HTML to every one of these."""

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                undefined=jinja2.StrictUndefined)


@cache
def versions() -> Mapping[str, str]:
    """Return each file under ``static/`` (its path there, ``vendor/graphiql.min.js``) with the start of its
    sha256: the ``v`` of its URL. Read once a process (a few MB); kb.serve.app asks before it serves."""
    return {path.relative_to(STATIC).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            for path in sorted(STATIC.rglob("*")) if path.is_file()}


def asset(name: str) -> str:
    """Return the URL of the file ``name`` under ``static/``, versioned by its content. Raises KeyError when
    there is no such file (a template naming a file the vendor folder lacks fails when rendered)."""
    return f"{PREFIX}/{name}?v={versions()[name]}"


class EditorFiles(StaticFiles):
    """The editors' files. A request naming the file's current version (``?v=``, as the pages do) may be kept a
    year: another version has another URL. Any other request is revalidated each time (ETag, Last-Modified)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            asked = Request(scope).query_params.get("v")
            current = versions().get(Path(path).as_posix())
            response.headers["cache-control"] = IMMUTABLE if asked is not None and asked == current else "no-cache"
        return response


def prefers_html(accept: str) -> bool:
    """Return True when ``accept`` names an HTML type, and gives HTML a higher quality than every SPARQL result
    type: a browser (``text/html,…,application/xml;q=0.9,*/*;q=0.8``), not ``*/*`` nor a SPARQL client."""
    given = negotiate.ranges(accept)
    specific, html = negotiate.rate(given, HTML_TYPES)
    return specific == negotiate.NAMED and html > 0 and all(html > negotiate.rate(given, (media,))[1]
                                                   for media in RESULT_TYPES)


def wants_editor(request: Request) -> bool:
    """Return True for a browser opening ``/sparql``: a GET (or HEAD) preferring HTML that names no result
    ``format``."""
    return (request.method in ("GET", "HEAD") and "format" not in request.query_params
            and prefers_html(request.headers.get("accept", "")))


def _page(template: str, **values: str) -> HTMLResponse:
    html = _templates.get_template(template).render(asset=asset, **values)
    return HTMLResponse(html, headers={"content-security-policy": CONTENT_SECURITY_POLICY,
                                       "referrer-policy": "same-origin", "x-content-type-options": "nosniff"})


def graphiql() -> HTMLResponse:
    """Return the GraphiQL page; it sends its queries to the URL it was loaded from (``/graphql``)."""
    return _page("graphiql.html")


def sparql_editor(request: Request) -> HTMLResponse:
    """Return the YASGUI page for ``/sparql``, its editor holding the request's ``query`` if it names one; it
    sends its queries to the URL it was loaded from."""
    return _page("yasgui.html", query=request.query_params.get("query", ""))


def routes() -> list[Mount]:
    """Return the route of the editors' files (``/static/editors/``: never queued, like every static file)."""
    return [Mount(PREFIX, EditorFiles(directory=STATIC), name="editors-static")]
