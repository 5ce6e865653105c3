"""The commands that print what kb holds: ``kb export`` (the graph as RDF, or its evidence as W3C Web
Annotations) and ``kb schema`` (the GraphQL SDL)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb import export as rdf_export
from kb.api.schema import sdl
from kb.cli.common import fail, root_option
from kb.cli.progress import bars, quiet_option, report, step
from kb.config import DEFAULT_BASE_IRI
from kb.errors import CurationErrors
from kb.graph import store as stores
from kb.graph import web_annotations
from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase
from kb.vocab import Mint

ANNOTATIONS = "annotations"


@click.command()
@root_option
@click.option("--format", "fmt", type=click.Choice((*rdf_export.FORMATS, ANNOTATIONS)), default="turtle",
              show_default=True,
              help="turtle, nt (N-Triples), jsonld (with schema/context.jsonld), trig or nquads (both with named "
                   "graphs), or annotations (a W3C Web Annotation collection of the evidence: docs/annotations.md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of stdout.")
@click.option("--base-iri", envvar="KB_BASE_IRI", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base of every instance IRI.")
@quiet_option
def export(root: Path, fmt: str, output: Path | None, base_iri: str, quiet: bool) -> None:
    """Write the knowledge base as RDF: Turtle, N-Triples, JSON-LD, TriG or N-Quads; or its evidence as W3C Web
    Annotations.

    Validates first (curation errors exit 2, as kb validate). Every fact is a node with its evidence
    (docs/model.md). TriG and N-Quads also put each article's statements and evidence in a named graph of its own.
    --format annotations writes one AnnotationCollection (JSON-LD, the anno.jsonld context) holding one
    Annotation per evidence span, its target the span's selectors, its bodies the facts it supports.
    Writes to stdout, or to FILE with -o (written to a temporary file, then renamed).
    """
    with bars(quiet) as found:
        try:
            kb = pipeline.load(root, report(found))
        except CurationErrors as errors:
            fail(errors)
        if fmt == ANNOTATIONS:
            with step(found, "building annotations"):
                data = annotation_collection(kb, base_iri)
        else:
            with step(found, "building"):
                dataset = stores.build_store(kb, base_iri, "memory").dataset
            with step(found, f"writing {fmt}"):
                data = rdf_export.serialize(dataset, fmt)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stdout unchanged
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(output)  # atomic: a reader never sees half a file
    click.echo(f"wrote {output} ({len(data)} bytes, {fmt})", err=True)


def annotation_collection(kb: KnowledgeBase, base_iri: str) -> bytes:
    """Return the Web Annotation collection of every evidence span of ``kb`` as UTF-8 JSON-LD."""
    native = stores.build_store(kb, base_iri, "oxigraph").native
    assert native is not None  # an Oxigraph store always has one
    found = web_annotations.read_native(native)
    document = web_annotations.whole(found, Mint(base_iri))
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@click.command()
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
