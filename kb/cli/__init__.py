"""The ``kb`` command line: each command parses its arguments, calls the pipeline and prints.

Every command's docstring is its ``--help``. Curation errors print as ``path:line:col: field: message``
and exit with status 2; usage errors exit 64, unexpected errors 1 (kb.cli.common: the exit statuses).
"""

from __future__ import annotations

# gc and uvicorn are named here too: tests stand in for gc.freeze and uvicorn.run through ``kb.cli``.
import gc as gc

import click
import uvicorn as uvicorn

from kb.cli import authoring, curation, output, provenance, publishing, serving
from kb.cli.common import EXIT_INVALID as EXIT_INVALID
from kb.cli.common import EXIT_USAGE as EXIT_USAGE
from kb.cli.common import KbGroup
from kb.cli.common import fail as fail
from kb.cli.common import root_option as root_option


@click.group(cls=KbGroup)
@click.version_option(package_name="kb")
def main() -> None:
    """kb: a provenance-first knowledge base of diplomatic news.

    Curated YAML facts in curation/, each tied to the exact words of an article in seeds/, validated,
    built into an RDF graph and served over GraphQL and SPARQL.
    """


for command in (curation.validate, curation.anchor, curation.schema_json, curation.diff, authoring.add_source,
                authoring.suggest, output.export,
                output.schema, publishing.publish, serving.build, serving.serve, provenance.audit, provenance.why):
    main.add_command(command)
