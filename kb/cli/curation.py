"""The curator's commands: ``kb validate``, ``kb anchor``, ``kb schema-json`` and ``kb diff``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli.common import EXIT_INVALID, fail, root_option
from kb.cli.progress import Bars, bars, quiet_option, report, step
from kb.config import DEFAULT_BASE_IRI, Settings
from kb.curate import anchor as anchoring
from kb.curate import diff as differ
from kb.curate import diffreport, disputes
from kb.errors import AnchorError, CurationError, CurationErrors, DiffError, Location
from kb.graph import audit, builder
from kb.graph import shapes as shacl
from kb.graph import store as stores
from kb.load import attribution, hints, links, loader, pipeline
from kb.model import jsonschema
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Statement
from kb.model.sources import context, locate, utf16_offset


@click.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--shapes/--no-shapes", "check_shapes", default=True, show_default=True,
              help="Also check the built RDF graph against the SHACL shapes in schema/shapes.ttl.")
@quiet_option
def validate(root: Path, as_json: bool, check_shapes: bool, quiet: bool) -> None:
    """Check seeds and curation: shapes, ids, references, offsets against quotes, dates, disputes.

    Then builds the RDF graph and checks it against the SHACL shapes (schema/shapes.ttl), and that every
    triple has a reason (as kb audit does); a violation is reported at the file and line of the fact it
    concerns, with the fact's id.
    A quote not in its article comes with the closest passage, how alike it is, and the line or kb anchor
    command that fixes it. Disputes are counted as the graph counts them (records, and attributes given in
    several versions). Refuses a kb suggest draft left in curation/drafts/.
    Prints every problem as path:line:col and exits 2, or prints counts per kind and exits 0; warnings (an
    article's author or publisher without a byline span or basis, hedging words in a stated claim's span) go
    to stderr and do not fail. Never writes.
    """
    base_iri = Settings.from_env().base_iri
    try:
        with bars(quiet) as found:
            kb = pipeline.load(root, report(found))
            if check_shapes:
                counted = _check_shapes(kb, base_iri, found)
            else:
                counted = disputes.in_knowledge_base(kb, base_iri)
    except CurationErrors as errors:
        if as_json:
            click.echo(json.dumps({"ok": False, "errors": [e.as_dict() for e in errors]}, indent=2))
            sys.exit(EXIT_INVALID)
        fail(errors)
    counts = disputes.counts(kb, counted)  # disputes as the graph, /health and the pages count them
    warnings = _warnings(kb)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps({"ok": True, "counts": counts}, indent=2))
        return
    click.echo("ok: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


def _warnings(kb: KnowledgeBase) -> list[str]:
    """Return a line for each article's metadata without a reason of its own, each span of a stated claim
    that holds hedging words ("likely", "alleged" ...), and each unattributed span of a reported statement."""
    found = [f"{kb.locations.get(sid, Location('curation'))}: {sid}: links: {value} has no reason of its own: "
             f"add a link `of: {value}` with the article's words (a byline) or a basis and a note"
             for sid, source in sorted(kb.sources.items()) for value in links.unsupported(source)]
    for kind in ("meetings", "statements", "sanctions"):
        for rid, record in sorted(kb.of(kind).items()):
            where = kb.locations.get(rid, Location("curation"))
            found += [f"{where}: {rid}: {name}: {message}" for _, name, message in attribution.hedges(record)]
            if isinstance(record, Statement) and record.channel == "report":
                found += [f"{where}: {rid}: {name}: {message}"
                          for _, name, message in attribution.narration(record, kb)]
    return found


def _check_shapes(kb: KnowledgeBase, base_iri: str, found: Bars | None) -> int:
    """Raise CurationErrors for every SHACL violation of the graph built from ``kb``; return how many disputes
    the graph holds."""
    with step(found, "building"):
        built = builder.build(kb, base_iri)
        graph = stores.load(built, "memory").graph
    with step(found, "checking shapes"):
        violations = shacl.check(graph, base_iri)
    with step(found, "checking reasons"):
        missing = [CurationError(m.location or Location("curation"), f"{m.triple} has no reason (kb audit)",
                                 m.record or "") for m in audit.unexplained(built.lines, kb, base_iri)]
    if violations or missing:
        errors = [*(shacl.as_errors(violations, kb) if violations else []), *missing]
        raise CurationErrors(errors)
    return disputes.in_graph(graph)

@click.command()
@root_option
@click.option("--fix", is_flag=True, help="Fill or repair the offsets of every evidence entry in place.")
@click.option("--check", is_flag=True, help="With --fix: change nothing, exit 1 if anything would change.")
@click.argument("source", required=False)
@click.argument("quote", required=False)
@click.option("--occurrence", type=int, help="Which occurrence (1-based) of a repeated quote.")
@click.option("--near", help="A longer passage of the article that contains the quote once.")
@quiet_option
def anchor(root: Path, fix: bool, check: bool, source: str | None, quote: str | None,
           occurrence: int | None, near: str | None, quiet: bool) -> None:
    """Find offsets so curators never count characters.

    kb anchor SOURCE "QUOTE" prints the evidence entry (start, end, UTF-16 offsets, context) for a quote
    of the article whose source id is SOURCE. kb anchor --fix fills or moves start/end of every evidence
    entry in curation/ from its quote, keeping comments and formatting, and lists the orphans it cannot place.
    """
    sources = anchoring.read_sources(root)
    if fix:
        with bars(quiet) as found:
            _fix_all(root, sources, check, found)
        return
    if source is None or quote is None:
        raise click.UsageError("give SOURCE and QUOTE, or --fix")
    if source not in sources:
        raise click.BadParameter(f"unknown source id {source!r}; known: {', '.join(sorted(sources))}")
    text = sources[source].now.text
    try:
        start, end = locate(text, quote, occurrence, near)
    except AnchorError as exc:
        hint = hints.hint(text, quote, source) if quote not in text else ""
        click.echo(f"error: {exc}" + (f"; {hint}" if hint else ""), err=True)
        sys.exit(EXIT_INVALID)
    prefix, suffix = context(text, start, end)
    click.echo(f"- source: {source}\n  quote: {json.dumps(quote, ensure_ascii=False)}\n"
               f"  start: {start}\n  end: {end}")
    click.echo(f"# utf16: {utf16_offset(text, start)}..{utf16_offset(text, end)}", err=True)
    click.echo(f"# context: …{prefix}[{quote}]{suffix}…", err=True)


def _fix_all(root: Path, sources: dict[str, anchoring.SourceText], check: bool, found: Bars | None) -> None:
    """kb anchor --fix: print each change and orphan, then what to record for a changed article."""
    orphans = changed = 0
    for display, change in anchoring.fix_files(root, sources, not check, report(found)):
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


@click.command("schema-json")
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


@click.command("diff")
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
    the graph; records added, removed and changed, evidence added, removed, moved or with its quote changed,
    disputes opened or resolved are listed with their quotes. A changed article is shown as a diff of its text,
    and the evidence that only shifted with it is counted in one line. Reordering YAML changes nothing.
    Markdown by default (ready for a pull request comment), JSON with --json. Exits 2 when a side does not
    validate.
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
