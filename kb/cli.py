"""The ``kb`` command line: each command parses its arguments, calls the pipeline and prints.

Every command's docstring is its ``--help``. Curation errors print as ``path:line:col: field: message``
and exit with status 2.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import NoReturn

import click
import httpx
import uvicorn

from kb import export as rdf_export
from kb.api.schema import sdl
from kb.config import DEFAULT_BASE_IRI, Limits, Settings
from kb.curate import anchor as anchoring
from kb.curate import diff as differ
from kb.curate import diffreport
from kb.errors import AnchorError, CurationErrors, DiffError, LoadError, PublishError, ReloadError
from kb.graph import shapes as shacl
from kb.graph import store as stores
from kb.load import loader, pipeline
from kb.model import jsonschema
from kb.model.knowledge_base import KnowledgeBase
from kb.model.sources import context, locate, utf16_offset
from kb.publish import bulk, isql
from kb.publish import root as publishing
from kb.serve import http as http_server
from kb.serve import reload as reloading
from kb.serve.app import create_app

EXIT_INVALID = 2

root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    envvar="KB_ROOT", help="Project folder holding seeds/ and curation/.",
)


def fail(errors: CurationErrors) -> NoReturn:
    """Print every curation error, one per line, to stderr and exit 2."""
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{len(errors)} error(s)", err=True)
    sys.exit(EXIT_INVALID)


@click.group()
@click.version_option(package_name="kb")
def main() -> None:
    """kb: a provenance-first knowledge base of diplomatic news.

    Curated YAML facts in curation/, each tied to the exact words of an article in seeds/, validated,
    built into an RDF graph and served over GraphQL and SPARQL.
    """


@main.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--shapes/--no-shapes", "check_shapes", default=True, show_default=True,
              help="Also check the built RDF graph against the SHACL shapes in schema/shapes.ttl.")
def validate(root: Path, as_json: bool, check_shapes: bool) -> None:
    """Check seeds and curation: shapes, ids, references, offsets against quotes, dates, disputes.

    Then builds the RDF graph and checks it against the SHACL shapes (schema/shapes.ttl); a violation is
    reported at the file and line of the fact it concerns, with the fact's id.
    Prints every problem as path:line:col and exits 2, or prints counts per kind and exits 0. Never writes.
    """
    try:
        kb = pipeline.load(root)
        if check_shapes:
            _check_shapes(kb)
    except CurationErrors as errors:
        if as_json:
            click.echo(json.dumps({"ok": False, "errors": [e.as_dict() for e in errors]}, indent=2))
            sys.exit(EXIT_INVALID)
        fail(errors)
    counts = kb.counts()
    if as_json:
        click.echo(json.dumps({"ok": True, "counts": counts}, indent=2))
        return
    click.echo("ok: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


def _check_shapes(kb: KnowledgeBase) -> None:
    """Raise CurationErrors for every SHACL violation of the graph built from ``kb``."""
    base_iri = Settings.from_env().base_iri
    violations = shacl.check(stores.build_store(kb, base_iri, "memory").graph, base_iri)
    if violations:
        raise shacl.as_errors(violations, kb)


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(rdf_export.FORMATS), default="turtle", show_default=True,
              help="turtle, nt (N-Triples), jsonld (with schema/context.jsonld) or trig (with named graphs).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of stdout.")
@click.option("--base-iri", envvar="KB_BASE_IRI", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base of every instance IRI.")
def export(root: Path, fmt: str, output: Path | None, base_iri: str) -> None:
    """Write the knowledge base as RDF: Turtle, N-Triples, JSON-LD or TriG.

    Validates first (curation errors exit 2, as kb validate). Every fact is a node with its evidence
    (docs/model.md). TriG also puts each article's statements and evidence in a named graph of its own.
    Writes to stdout, or to FILE with -o (written to a temporary file, then renamed).
    """
    try:
        kb = pipeline.load(root)
    except CurationErrors as errors:
        fail(errors)
    data = rdf_export.serialize(stores.build_store(kb, base_iri, "memory").dataset, fmt)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stdout unchanged
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(output)  # atomic: a reader never sees half a file
    click.echo(f"wrote {output} ({len(data)} bytes, {fmt})", err=True)


@main.command()
@root_option
@click.option("--fix", is_flag=True, help="Fill or repair the offsets of every evidence entry in place.")
@click.option("--check", is_flag=True, help="With --fix: change nothing, exit 1 if anything would change.")
@click.argument("source", required=False)
@click.argument("quote", required=False)
@click.option("--occurrence", type=int, help="Which occurrence (1-based) of a repeated quote.")
@click.option("--near", help="A longer passage of the article that contains the quote once.")
def anchor(root: Path, fix: bool, check: bool, source: str | None, quote: str | None,
           occurrence: int | None, near: str | None) -> None:
    """Find offsets so curators never count characters.

    kb anchor SOURCE "QUOTE" prints the evidence entry (start, end, UTF-16 offsets, context) for a quote
    of the article whose source id is SOURCE. kb anchor --fix fills or moves start/end of every evidence
    entry in curation/ from its quote, keeping comments and formatting, and lists the orphans it cannot place.
    """
    sources = anchoring.read_sources(root)
    if fix:
        _fix_all(root, sources, check)
        return
    if source is None or quote is None:
        raise click.UsageError("give SOURCE and QUOTE, or --fix")
    if source not in sources:
        raise click.BadParameter(f"unknown source id {source!r}; known: {', '.join(sorted(sources))}")
    text = sources[source].now.text
    try:
        start, end = locate(text, quote, occurrence, near)
    except AnchorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    prefix, suffix = context(text, start, end)
    click.echo(f"- source: {source}\n  quote: {json.dumps(quote, ensure_ascii=False)}\n"
               f"  start: {start}\n  end: {end}")
    click.echo(f"# utf16: {utf16_offset(text, start)}..{utf16_offset(text, end)}", err=True)
    click.echo(f"# context: …{prefix}[{quote}]{suffix}…", err=True)


def _fix_all(root: Path, sources: dict[str, anchoring.SourceText], check: bool) -> None:
    """kb anchor --fix: print each change and orphan, then what to record for a changed article."""
    orphans = changed = 0
    for display, change in anchoring.fix_files(root, sources, write=not check):
        if change.orphan:
            orphans += 1
            click.echo(f"{display}:{change.line}: orphan: {change.reason}: {change.quote[:60]!r}", err=True)
        else:
            changed += 1
            click.echo(f"{display}:{change.line}: {change.reason} {change.old} -> {change.new}")
            if change.new_quote is not None:
                click.echo(f"    quote was: {change.quote!r}\n    quote now: {change.new_quote!r}")
    click.echo(f"{changed} evidence entr{'y' if changed == 1 else 'ies'} "
               f"{'would change' if check else 'updated'}, {orphans} orphan(s)")
    for source in sources.values():
        if source.changed:
            where = "found in git" if source.before else "not in git"
            click.echo(f"seeds/{source.file} changed (its recorded version {where}); once the moves above "
                       f"are reviewed, set sha256: {source.now.sha256} for source {source.id} in "
                       f"{source.recorded_in}", err=True)
    if orphans:
        sys.exit(EXIT_INVALID)
    if check and changed:
        sys.exit(1)


@main.command("schema-json")
@root_option
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if a schema is stale or a file lacks its line.")
def schema_json(root: Path, check: bool) -> None:
    """Write schema/<kind>.schema.json from the models and point each curation file at its schema.

    Every YAML file in curation/ gets the first line
    '# yaml-language-server: $schema=../schema/<kind>.schema.json' so editors with a YAML language server
    complete and check fields. With --check, lists what is out of date.
    """
    wanted = {root / jsonschema.SCHEMA_DIR / name: text for name, text in jsonschema.rendered().items()}
    curation = root / "curation"
    for path in loader.curation_files(curation) if curation.is_dir() else []:
        kind = loader.kind_of(path, curation)
        if kind is not None:
            line = jsonschema.modeline(kind, len(path.relative_to(root).parts) - 1)
            wanted[path] = jsonschema.with_modeline(path.read_text("utf-8"), line)
    stale = [path for path, text in wanted.items() if not path.is_file() or path.read_text("utf-8") != text]
    for path in stale:
        click.echo(f"{'stale' if check else 'wrote'} {path.relative_to(root).as_posix()}")
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], "utf-8")
    if check and stale:
        click.echo("run kb schema-json to bring them up to date", err=True)
        sys.exit(1)


@main.command("diff")
@root_option
@click.argument("base")
@click.argument("head", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of Markdown.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--base-iri", envvar="KB_BASE_IRI", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base of every instance IRI.")
def diff(root: Path, base: str, head: str | None, as_json: bool, output: Path | None, base_iri: str) -> None:
    """Say what a change does to the knowledge base, as facts: kb diff BASE [HEAD].

    BASE and HEAD are git revisions (HEAD defaults to the working tree). Both are validated and built into
    the graph; records added, removed and changed, evidence added, removed or moved, disputes opened or
    resolved are listed with their quotes. Reordering YAML changes nothing. Markdown by default (ready for a
    pull request comment), JSON with --json. Exits 2 when a side does not validate.
    """
    try:
        report = differ.diff(root, base, head, base_iri)
    except DiffError as exc:
        click.echo(f"error: {exc}", err=True)
        for error in exc.errors or []:
            click.echo(f"{exc.revision}: {error}", err=True)
        sys.exit(EXIT_INVALID)
    text = diffreport.as_json(report) if as_json else diffreport.markdown(report)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, "utf-8")
        click.echo(f"wrote {output}: {diffreport.summary(report)}", err=True)


@main.command()
@root_option
@click.option("--endpoint", envvar="KB_PUBLISH_ENDPOINT",
              help="SPARQL 1.1 Graph Store Protocol URL, "
              "e.g. http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso).")
@click.option("--bulk", "bulk_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Instead of --endpoint: write the same graphs as gzip N-Quads files into DIR, "
              "for a bulk loader.")
@click.option("--virtuoso-isql", "isql_address", metavar="HOST:PORT", envvar="KB_VIRTUOSO_ISQL",
              help="With --bulk: load the files into this Virtuoso (its SQL port) with its bulk loader, "
              "via isql.")
@click.option("--virtuoso-dir",
              help="With --virtuoso-isql: DIR as Virtuoso's machine sees it (default: DIR's path).")
@click.option("--isql", "isql_binary", envvar="KB_ISQL", default="isql-vt", show_default=True,
              help="Virtuoso's isql program (Debian: isql-vt; Virtuoso's own images: isql).")
@click.option("--user", envvar="KB_PUBLISH_USER",
              help="User for the store's HTTP authentication, or for isql (default there: dba).")
@click.option("--password", envvar="KB_PUBLISH_PASSWORD",
              help="Password (better: the KB_PUBLISH_PASSWORD variable).")
@click.option("--auth", "auth_kind", type=click.Choice(["digest", "basic"]), default="digest",
              show_default=True, help="HTTP authentication scheme (Virtuoso: digest).")
@click.option("--base-iri", envvar="KB_BASE_IRI", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base of every instance IRI.")
@click.option("--chunk-mb", type=click.IntRange(1, 512), default=4, show_default=True,
              help="Largest request body; bigger graphs go in several requests.")
def publish(root: Path, endpoint: str | None, bulk_dir: Path | None, isql_address: str | None,
            virtuoso_dir: str | None, isql_binary: str, user: str | None, password: str | None,
            auth_kind: str, base_iri: str, chunk_mb: int) -> None:
    """Load the graph into a SPARQL store, for kb serve --store sparql+http://HOST/sparql.

    Validates and builds the knowledge base, then writes it over the SPARQL 1.1 Graph Store Protocol: the
    default graph into {base}graph/version/VERSION, each article's named graph, and last the catalogue
    {base}graph naming the current version (the switch API replicas read). Older version graphs are deleted.

    For large knowledge bases (one request per article graph is slow), --bulk DIR writes the same graphs as
    gzip N-Quads files instead (DIR/graphs-*.nq.gz, and DIR/catalogue.nq.gz to load last) and prints the
    commands that load them with Virtuoso's, Oxigraph's, Jena's or QLever's bulk loader. With
    --virtuoso-isql HOST:PORT kb runs Virtuoso's loader itself (DIR must be in its DirsAllowed), replacing
    the article graphs and the catalogue and deleting older versions as a publish over HTTP does.
    Exits 2 when the knowledge base does not validate, 1 when the store refuses a write.
    """
    if (endpoint is None) == (bulk_dir is None):
        raise click.UsageError("give either --endpoint URL or --bulk DIR")
    if bulk_dir is None and (isql_address or virtuoso_dir):
        raise click.UsageError("--virtuoso-isql and --virtuoso-dir go with --bulk DIR")
    if bulk_dir is not None:
        _publish_bulk(root, base_iri, bulk_dir, isql_address, virtuoso_dir, isql_binary, user, password)
        return
    assert endpoint is not None
    auth: httpx.Auth | None = None
    if user is not None:
        auth = (httpx.DigestAuth if auth_kind == "digest" else httpx.BasicAuth)(user, password or "")
    try:
        done = publishing.over_graph_store(root, base_iri, endpoint, auth, chunk_mb << 20)
    except CurationErrors as errors:
        fail(errors)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"published {done.version}: {done.triples} triples into {done.graph}, {done.named_graphs} "
               f"article graph(s) ({done.sent} sent, {done.skipped} unchanged skipped), {done.requests} "
               f"request(s); removed {len(done.removed)} old version(s), {len(done.removed_articles)} "
               "article graph(s) of removed articles")


def _publish_bulk(root: Path, base_iri: str, folder: Path, isql_address: str | None, virtuoso_dir: str | None,
                  isql_binary: str, user: str | None, password: str | None) -> None:
    """kb publish --bulk: write the dump, then load it into Virtuoso or print how to load it."""
    virtuoso = isql.Isql(isql_address, user or "dba", password or "", isql_binary) if isql_address else None
    try:
        dump, loaded = publishing.as_bulk_files(root, base_iri, folder, virtuoso, virtuoso_dir)
    except CurationErrors as errors:
        fail(errors)
    except (LoadError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    skipped = len(dump.named_graphs) - len(dump.loaded_graphs)
    click.echo(f"wrote {dump.version}: {len(dump.files)} data file(s) {bulk.DATA_GLOB} ({dump.quads} quads: "
               f"{dump.triples} in {dump.graph}, the rest in {len(dump.loaded_graphs)} of "
               f"{len(dump.named_graphs)} article graph(s), {skipped} unchanged skipped) and "
               f"{bulk.CATALOGUE_FILE}, {dump.bytes_written:,} bytes in {folder}")
    if loaded is None:
        click.echo(bulk.loader_commands(dump, virtuoso_dir), nl=False)
        return
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in loaded.seconds.items())
    click.echo(f"loaded into Virtuoso {isql_address} ({steps}); removed {len(loaded.removed)} old "
               f"version(s), {len(loaded.removed_articles)} article graph(s) of removed articles")


@main.command()
@root_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0: every one).")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option("--store", envvar="KB_STORE", default="oxigraph", show_default=True,
              help="oxigraph (embedded, native SPARQL), rdflib (rdflib's own engine) or sparql+http://HOST/sparql.")
@click.option("--production", is_flag=True, envvar="KB_PRODUCTION",
              help="Production mode: no GraphiQL page on /graphql, no introspection.")
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="An origin allowed to call the API from a browser "
              "(repeat for several; KB_CORS_ORIGINS, comma-separated).")
@click.option("--reload", "live", is_flag=True, help="Watch seeds/ and curation/ and serve each good edit.")
@click.option("--introspection/--no-introspection", default=None, help="Answer GraphQL introspection (__schema, "
              "__type). Default: on, but off with --production (KB_INTROSPECTION=1|0).")
def serve(root: Path, host: str, port: int, store: str, production: bool, cors_origins: tuple[str, ...],
          live: bool, introspection: bool | None) -> None:
    """Serve the knowledge base: GraphQL on /graphql, SPARQL on /sparql, /health, /export.ttl|nt|jsonld.

    Validates and builds the graph first (curation errors print as path:line:col and exit 2). GraphiQL, an
    in-browser query editor, opens at http://HOST:PORT/graphql unless --production. Every response names
    the knowledge base version it was answered from in the X-KB-Version header. docs/api.md has examples.
    """
    settings = Settings.from_env(root=root, store=store, production=production or None,
                                 cors_origins=cors_origins or None, introspection=introspection)
    try:
        if live:
            try:
                app = reloading.create_live_app(settings)
            except ReloadError as exc:
                raise click.UsageError(str(exc)) from None
        else:
            app = create_app(settings)
    except CurationErrors as errors:
        fail(errors)
    # What was built lives as long as the server: keep the collector from walking it again and again.
    gc.freeze()
    click.echo(f"kb {app.state.served.current.version}: http://{host}:{port}/graphql", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", **http_server.uvicorn_options(Limits.from_env()))


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the SDL to this file (schema/schema.graphql) instead of printing it.")
@click.option("--check", type=click.Path(dir_okay=False, path_type=Path),
              help="Change nothing; exit 1 when this file differs from the schema.")
def schema(output: Path | None, check: Path | None) -> None:
    """Print the GraphQL schema of the API as SDL (schema/schema.graphql is this output).

    Regenerate the committed file after changing a type: kb schema -o schema/schema.graphql.
    """
    text = sdl()
    if check is not None:
        if not check.is_file() or check.read_text("utf-8") != text:
            click.echo(f"{check} is out of date: run kb schema -o {check}", err=True)
            sys.exit(1)
        return
    if output is not None:
        output.write_text(text, "utf-8")
        return
    click.echo(text, nl=False)
