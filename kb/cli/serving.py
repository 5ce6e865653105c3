"""``kb serve``: build the knowledge base, run the web app under uvicorn, say where everything is once it answers."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import click
import uvicorn

from kb.api import searchindex
from kb.cli.common import fail, root_option
from kb.cli.progress import bars, quiet_option, report, step
from kb.config import Limits, Settings
from kb.errors import CurationErrors, ReloadError, StoreError
from kb.graph import restart
from kb.serve import http as http_server
from kb.serve import reload as reloading
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.background import run_beside
from kb.serve.logs import FORMATS, uvicorn_log_config

cache_option = click.option(
    "--cache", type=click.Path(file_okay=False, path_type=Path), envvar="KB_CACHE", default=None,
    help="The folder kept builds live in (default: .kb/ in the root; it git-ignores itself).")


@click.command()
@root_option
@cache_option
@quiet_option
def build(root: Path, cache: Path | None, quiet: bool) -> None:
    """Build the graph into the kept on-disk store that kb serve starts from, and say how.

    Nothing changed since the last build: the store is kept as it is ("opened"). Some files changed: only they
    are read again and a copy of the store is patched ("patched"). kb's code, schema/ or the base IRI changed,
    or there is no build yet: everything is read, checked and built ("built"). The build is written beside
    the old one and made current in one rename, so a crash never leaves a half-built store to serve. The
    build's full-text index is made too (kept beside its store), so kb serve searches from its first request.
    Curation errors print as path:line:col and exit 2.
    """
    settings = Settings.from_env(root=root, store="disk", cache=cache)
    started_at = time.perf_counter()
    try:
        with bars(quiet) as found:
            started = restart.start(settings, report(found), later=True)
    except CurationErrors as errors:
        fail(errors)
    snapshot = started.snapshot
    kept = snapshot.graph.kept
    click.echo(f"{started.how} {snapshot.version} ({started.reason}) in {time.perf_counter() - started_at:.2f} s: "
               f"{snapshot.counts.get('triples', 0):,} triples in {kept.path if kept else settings.cache_folder}")
    after = time.perf_counter()
    if kept is not None:  # by a process of its own, while a thread here saves the loader state of a new build
        try:
            searchindex.kept_index(kept, snapshot.mint.base)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"search index ready in {time.perf_counter() - after:.2f} s")
    if started.saving is not None:
        started.saved()
        click.echo(f"loader state saved in {time.perf_counter() - after:.2f} s")


@click.command()
@root_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0: every one).")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option("--store", envvar="KB_STORE", default="disk", show_default=True,
              help="disk (embedded Oxigraph kept on disk: restarts open it), memory (embedded Oxigraph built in "
              "memory at every start), rdflib (rdflib's own engine) or sparql+http://HOST/sparql.")
@cache_option
@click.option("--production", is_flag=True, envvar="KB_PRODUCTION",
              help="Production mode: no GraphiQL page on /graphql, no introspection.")
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="An origin allowed to call the API from a browser "
              "(repeat for several; KB_CORS_ORIGINS, comma-separated).")
@click.option("--base-iri", envvar="KB_BASE_IRI", default=None,
              help="Base of every IRI kb mints (default https://kb.example.org/): give the server's own address, "
              "e.g. http://127.0.0.1:8000/, and every IRI resolves on it (docs/linked-data.md).")
@click.option("--reload", "live", is_flag=True, help="Watch seeds/ and curation/ and serve each good edit.")
@click.option("--introspection/--no-introspection", default=None, help="Answer GraphQL introspection (__schema, "
              "__type). Default: on, but off with --production (KB_INTROSPECTION=1|0).")
@click.option("--log-format", type=click.Choice(FORMATS), envvar="KB_LOG_FORMAT", default="text", show_default=True,
              help="json: one JSON object a line on stderr for every request (method, path, status, duration_ms, "
              "version, client) and every other log record.")
@quiet_option
def serve(root: Path, host: str, port: int, store: str, cache: Path | None, production: bool,
          cors_origins: tuple[str, ...], base_iri: str | None, live: bool, introspection: bool | None,
          log_format: str, quiet: bool) -> None:
    """Serve the knowledge base: the pages on /, GraphQL on /graphql, SPARQL on /sparql, /health, /metrics,
    /export.ttl|nt|jsonld|trig|nq, and every IRI it mints (Turtle, N-Triples, JSON-LD or a page, by Accept).

    Validates and builds the graph first (curation errors print as path:line:col and exit 2). The pages (/)
    browse sources, people, organizations, disputes and who met whom. GraphiQL, an in-browser query editor,
    opens at http://HOST:PORT/graphql unless --production, and YASGUI, a SPARQL editor, at /sparql; kb serves
    both itself (no other host). Once the server answers it prints every address.
    With the default --store disk the graph is kept in .kb/ (see kb build): a restart on unchanged files opens it
    in a second instead of reading and building again, and changed files patch it.
    /metrics is for Prometheus (docs/operations.md). Every response names the knowledge base version it was
    answered from in the X-KB-Version header. docs/api.md has examples.
    """
    settings = Settings.from_env(root=root, store=store, cache=cache, production=production or None,
                                 cors_origins=cors_origins or None, introspection=introspection, base_iri=base_iri)
    try:
        with bars(quiet) as found:
            if live:
                try:
                    with step(found, "reading, checking and building"):
                        app = reloading.create_live_app(settings)
                except ReloadError as exc:
                    raise click.UsageError(str(exc)) from None
            else:
                app = create_app(settings, serving.build(settings, report(found)))
    except CurationErrors as errors:
        fail(errors)
    # What was built lives as long as the server: keep the collector from walking it again and again.
    gc.freeze()
    click.echo(f"kb {app.state.served.current.version}: http://{_authority(host, port)}/graphql", err=True)
    lines = addresses(f"http://{_authority(host, port)}", settings.production)
    run_beside(app, lambda stop: _announce(_reachable(host), port, lines, stop))
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=uvicorn_log_config(log_format),
                **http_server.uvicorn_options(Limits.from_env()))


def addresses(base: str, production: bool) -> list[str]:
    """Return what ``kb serve`` prints once it answers: one line per thing served, under ``base``."""
    graphiql = [] if production else [f"  GraphiQL  {base}/graphql (in a browser)"]
    return [f"  pages     {base}/", f"  GraphQL   {base}/graphql", *graphiql,
            f"  SPARQL    {base}/sparql (an editor in a browser)",
            f"  health    {base}/health", f"  metrics   {base}/metrics (Prometheus)",
            f"  exports   {base}/export.ttl, .nt, .jsonld, .trig, .nq; {base}/context.jsonld, /schema.graphql",
            "  docs      docs/api.md (queries), docs/operations.md (alerts); kb schema prints the SDL"]


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reachable(host: str) -> str:
    """Return an address this machine reaches ``host`` by (listening on every interface: the loopback)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


async def _announce(host: str, port: int, lines: list[str], stop: asyncio.Event) -> None:
    """Print ``lines`` once a TCP connection to the server succeeds: uvicorn binds its socket after the app's
    startup, so the startup itself is too early to say "ready"."""
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        click.echo("kb is ready:\n" + "\n".join(lines), err=True)
        return
