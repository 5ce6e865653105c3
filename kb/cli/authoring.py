"""Adding an article: ``kb add-source`` (the article and its source record) and ``kb suggest`` (a draft of its
evidence: mentions and titles of what the knowledge base already knows)."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.common import fail, root_option
from kb.curate import accept as accepting
from kb.curate import addsource, draft
from kb.curate.suggest import suggest as find
from kb.errors import CurationErrors
from kb.load import pipeline
from kb.load.validate import DRAFTS


@click.command("add-source")
@root_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publisher", required=True, help="Who published the article, as the text gives it.")
@click.option("--published", required=True, help="When: YYYY-MM-DD (or YYYY-MM, YYYY).")
@click.option("--basis", type=click.Choice(["stated", "inferred"]), default="stated", show_default=True,
              help="Whether the text states the date or the curator inferred it (then say how in a note).")
@click.option("--id", "rid", help="The source's id. Default: <publisher>-<published>.")
@click.option("--headline", help="The headline. Default: the article's first line.")
@click.option("--author", "authors", multiple=True, help="An author, as the byline gives it; repeat for several.")
def add_source(root: Path, file: Path, publisher: str, published: str, basis: str, rid: str | None,
               headline: str | None, authors: tuple[str, ...]) -> None:
    """Add an article: copy FILE into seeds/ byte for byte and write its source record.

    The copy is named NNN_<sha256 prefix>.txt after the seeds already there; the record (id, file, sha256,
    publisher, headline, published and its basis) is appended to curation/sources.yaml without touching the
    rest of the file. Refuses, writing nothing, a file that is not UTF-8, an article already in seeds/, a date
    that is not one, or an id already taken. Next: kb suggest ID.
    """
    try:
        added = addsource.add_source(root, file.read_bytes(), publisher, published, basis, rid, headline,
                                     list(authors))
    except CurationErrors as errors:
        fail(errors)
    click.echo(f"added seeds/{added.file} (sha256 {added.sha256}) as source {added.id} in curation/sources.yaml")
    click.echo(f"next: kb suggest {added.id}", err=True)


@click.command("suggest")
@root_option
@click.argument("source", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the draft to FILE ('-': stdout). Default: curation/drafts/SOURCE.yaml.")
@click.option("--accept", "accepted", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Add the evidence kept in this reviewed draft to its records, then remove the draft.")
def suggest(root: Path, source: str | None, output: Path | None, accepted: Path | None) -> None:
    """Draft the evidence of an article: every mention of a known person, organization or place, and titles.

    kb suggest SOURCE reads the article of source SOURCE and finds each known record's names and aliases (any
    case for names with lowercase letters, possessives, line breaks between words) and the titles beside
    people's names or standing alone, and writes them as a draft: one record per person, organization, place
    or role title, each with its quote anchored (start, end). Review it record by record: delete what is
    wrong. kb validate refuses the knowledge base while the draft is in curation/drafts/.

    kb suggest --accept DRAFT adds the evidence left in DRAFT to the records it names (people.yaml,
    roles.yaml …, written line by line, nothing else moved) and removes DRAFT. Then run kb validate.
    """
    if accepted is not None:
        try:
            added = accepting.accept(root, accepted)
        except CurationErrors as errors:
            fail(errors)
        for entry in added:
            title = f" (title {entry.title!r})" if entry.title else ""
            click.echo(f"{entry.path}: {entry.record}{title}: + {entry.quote!r}")
        click.echo(f"{len(added)} evidence entr{'y' if len(added) == 1 else 'ies'} added; removed {accepted}")
        return
    if source is None:
        raise click.UsageError("give SOURCE, or --accept DRAFT")
    try:
        kb = pipeline.load(root)
    except CurationErrors as errors:
        fail(errors)
    if source not in kb.sources:
        raise click.BadParameter(f"unknown source id {source!r}; known: {', '.join(sorted(kb.sources))}")
    article = kb.articles[source]
    found = find(kb, source, article.text)
    text = draft.render(found, article.text, article.file)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or root / "curation" / DRAFTS / f"{source}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    proposed = draft.proposals(found, article.text)
    titles = sum(1 for p in proposed if p.title is not None)
    click.echo(f"wrote {target}: {len(proposed) - titles} mentions of known records, {titles} titles")
    click.echo(f"review it, then: kb suggest --accept {target}", err=True)
