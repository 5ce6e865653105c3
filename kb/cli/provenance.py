"""``kb audit`` and ``kb why``: which triples have no reason, and what the reason of one triple is."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from kb.cli.common import EXIT_INVALID, fail, root_option
from kb.cli.progress import bars, quiet_option, report, step
from kb.config import Settings
from kb.errors import CurationErrors
from kb.graph import audit as auditing
from kb.graph import builder
from kb.graph import store as stores
from kb.graph import why as reasons
from kb.graph.query import Backend
from kb.graph.snapshot import backend_for
from kb.load import pipeline
from kb.vocab import PREFIXES, Mint


@click.command()
@root_option
@quiet_option
def audit(root: Path, quiet: bool) -> None:
    """List every triple of the built graph that has no reason.

    A triple has a reason when it is stated (its fact, link or version carries evidence spans), derived (a
    kb:Derivation names the rule and its premises), curator-supplied (a kb:basis and a note), or vocabulary.
    Prints each triple without one as path:line: fact-id: triple, and exits 2; prints the number of triples
    checked and exits 0 when every one has a reason. Never writes.
    """
    base_iri = Settings.from_env().base_iri
    try:
        with bars(quiet) as found:
            kb = pipeline.load(root, report(found))
            with step(found, "building"):
                built = builder.build(kb, base_iri)
            with step(found, "auditing"):
                missing = auditing.unexplained(built.lines, kb, base_iri)
    except CurationErrors as errors:
        fail(errors)
    for entry in missing:
        click.echo(str(entry))
    if missing:
        click.echo(f"{len(missing)} of {len(built.lines)} triples have no reason", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"ok: every one of {len(built.lines)} triples has a reason")


@click.command()
@root_option
@click.argument("subject")
@click.argument("predicate", required=False)
@click.argument("obj", metavar="[OBJECT]", required=False)
def why(root: Path, subject: str, predicate: str | None, obj: str | None) -> None:
    """Print why the graph holds a triple, or a fact's own triples.

    SUBJECT, PREDICATE and OBJECT are IRIs, written in full, with a prefix of docs/model.md (kb:met,
    schema:duration) or as a path under the base IRI (person/li-shangfu); an OBJECT that is no IRI is a
    literal, matched by its text (PT1H30M). Prints each reason: the evidence quotes with their article and
    offsets; or the rule, with each premise and its quotes; or the curator's basis and note. Exits 2 when
    the graph gives no reason.
    """
    settings = Settings.from_env()
    try:
        kb = pipeline.load(root)
    except CurationErrors as errors:
        fail(errors)
    backend = backend_for(stores.build_store(kb, settings.base_iri))
    s = expand(subject, settings.base_iri)
    p = expand(predicate, settings.base_iri) if predicate is not None else None
    o = object_term(obj, settings.base_iri) if obj is not None else None
    if p is not None and not asyncio.run(reasons.holds(backend, s, p, o)):
        click.echo("the graph holds no such triple", err=True)
        sys.exit(EXIT_INVALID)
    lines = asyncio.run(_explain(backend, s, p, o))
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no reason: kb audit lists every triple without one", err=True)
        sys.exit(EXIT_INVALID)


def expand(term: str, base_iri: str) -> str:
    """Return ``term`` as a full IRI: as is when it has a scheme, through a prefix of docs/model.md, or as a
    path under ``base_iri``."""
    prefix, colon, rest = term.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + rest
    if colon and rest.startswith("//"):
        return term
    return base_iri.rstrip("/") + "/" + term.lstrip("/")


def object_term(term: str, base_iri: str) -> str:
    """Return an OBJECT argument as a full IRI when it is written as one (see :func:`expand`: a known prefix,
    a scheme, or a path under the base IRI starting with a kind of record), else as the literal text."""
    prefix, colon, rest = term.partition(":")
    if (colon and (prefix in PREFIXES or rest.startswith("//"))) or term.split("/")[0] in Mint.KIND_PATHS.values():
        return expand(term, base_iri)
    return term


async def _explain(backend: Backend, subject: str, predicate: str | None, obj: str | None,
                   depth: int = 0) -> list[str]:
    """Return the reasons of a triple as indented lines; a derivation's premises with their own reasons."""
    pad = "  " * depth
    lines: list[str] = []
    for reason in await reasons.why(backend, subject, predicate, obj):
        lines.append(f"{pad}{reason.kind}: {reason.node}")
        if reason.rule is not None:
            lines.append(f"{pad}  rule: {reason.rule}")
        if reason.basis is not None:
            lines.append(f"{pad}  basis: {reason.basis}")
        if reason.note is not None:
            lines.append(f"{pad}  note: {reason.note}")
        for span in await reasons.spans(backend, reason.evidence):
            written = f" (as written: {span.as_written})" if span.as_written else ""
            lines.append(f'{pad}  {span.source} [{span.start}:{span.end}] "{span.quote}"{written}')
        for premise in reason.premises:
            lines.append(f"{pad}  premise: {premise}")
            if depth < 2:
                lines += await _explain(backend, premise, None, None, depth + 2)
    return lines
