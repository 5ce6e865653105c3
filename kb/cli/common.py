"""What every command shares: the ``--root`` option, the exit status of invalid curation, and :func:`fail`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from kb.errors import CurationErrors

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
