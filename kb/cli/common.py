"""What every command shares: the ``--root`` option, the exit status of invalid curation, and :func:`fail`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from kb.errors import CurationErrors

# The exit statuses (README "Exit codes"): 0 done; 1 an unexpected error (an uncaught exception, a refused write,
# a --check that found something to change); 2 invalid curation data; 64 a usage error (BSD sysexits EX_USAGE),
# moved off click's default 2 so that a script can tell a mistyped command from invalid curation.
EXIT_INVALID = 2
EXIT_USAGE = 64


def usage(error: click.UsageError) -> NoReturn:
    """Print ``error`` as click does (usage line, hint, message) and exit with :data:`EXIT_USAGE`."""
    error.show()
    sys.exit(EXIT_USAGE)


class KbGroup(click.Group):
    """A click group whose usage errors, its own and its commands', exit with :data:`EXIT_USAGE`."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            usage(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a command's own arguments, or a UsageError raised by its body
            usage(exc)

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
