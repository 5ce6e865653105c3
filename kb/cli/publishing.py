"""``kb publish``: the graph into a remote SPARQL store, over the Graph Store Protocol or as bulk files."""

from __future__ import annotations

from pathlib import Path

import click
import httpx

from kb.cli.common import fail, root_option
from kb.cli.progress import bars, quiet_option, report
from kb.config import DEFAULT_BASE_IRI
from kb.errors import CurationErrors, LoadError, PublishError
from kb.publish import bulk, isql
from kb.publish import root as publishing


@click.command()
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
@quiet_option
def publish(root: Path, endpoint: str | None, bulk_dir: Path | None, isql_address: str | None,
            virtuoso_dir: str | None, isql_binary: str, user: str | None, password: str | None,
            auth_kind: str, base_iri: str, chunk_mb: int, quiet: bool) -> None:
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
        _publish_bulk(root, base_iri, bulk_dir, isql_address, virtuoso_dir, isql_binary, user, password, quiet)
        return
    assert endpoint is not None
    auth: httpx.Auth | None = None
    if user is not None:
        auth = (httpx.DigestAuth if auth_kind == "digest" else httpx.BasicAuth)(user, password or "")
    try:
        with bars(quiet) as found:
            done = publishing.over_graph_store(root, base_iri, endpoint, auth, chunk_mb << 20, report(found))
    except CurationErrors as errors:
        fail(errors)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"published {done.version}: {done.triples} triples into {done.graph}, {done.named_graphs} "
               f"article graph(s) ({done.sent} sent, {done.skipped} unchanged skipped), {done.requests} "
               f"request(s); removed {len(done.removed)} old version(s), {len(done.removed_articles)} "
               "article graph(s) of removed articles")


def _publish_bulk(root: Path, base_iri: str, folder: Path, isql_address: str | None, virtuoso_dir: str | None,
                  isql_binary: str, user: str | None, password: str | None, quiet: bool) -> None:
    """kb publish --bulk: write the dump, then load it into Virtuoso or print how to load it."""
    virtuoso = isql.Isql(isql_address, user or "dba", password or "", isql_binary) if isql_address else None
    try:
        with bars(quiet) as found:
            dump, loaded = publishing.as_bulk_files(root, base_iri, folder, virtuoso, virtuoso_dir, report(found))
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
