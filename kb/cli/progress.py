"""Progress on stderr for the long commands: a rich bar per task when its total is known, a spinner with a count
when not.

Drawn only where someone watches: stderr a terminal, no ``--quiet``. ``KB_PROGRESS=always`` draws it even into a
pipe or file (tests, CI logs that render terminal codes), ``KB_PROGRESS=never`` never. stdout is never touched,
so ``kb export > file`` stays byte-exact.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from kb.progress import Progress as Report
from kb.progress import silent

ENV = "KB_PROGRESS"
F = TypeVar("F", bound=Callable[..., Any])


def quiet_option(command: F) -> F:
    """``-q/--quiet``: no progress on stderr."""
    return click.option("-q", "--quiet", is_flag=True, help="No progress on stderr (also: KB_PROGRESS=never; "
                        "KB_PROGRESS=always draws it even when stderr is not a terminal).")(command)


def wanted(quiet: bool) -> bool:
    """Whether to draw progress: never with ``quiet``; else as KB_PROGRESS says, by default when stderr is a tty."""
    setting = os.environ.get(ENV, "auto").strip().lower()
    if quiet or setting == "never":
        return False
    return setting == "always" or sys.stderr.isatty()


class Bars:
    """A :data:`kb.progress.Progress` callable drawing one rich task per task name, and :meth:`step` for a piece
    of work that reports nothing itself."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        found = self.tasks.get(task)
        if found is None:
            found = self.tasks[task] = self.progress.add_task(task, total=total or None)
        self.progress.update(found, completed=done, total=total or None)

    @contextmanager
    def step(self, task: str) -> Iterator[None]:
        """Show ``task`` as running while the block runs, then as done."""
        self(task, 0, 0)
        yield
        self(task, 1, 1)


@contextmanager
def bars(quiet: bool) -> Iterator[Bars | None]:
    """Yield a :class:`Bars` drawing on stderr, or None when progress is not :func:`wanted`."""
    if not wanted(quiet):
        yield None
        return
    console = Console(stderr=True, force_terminal=True if os.environ.get(ENV, "").lower() == "always" else None)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield Bars(progress)


def report(found: Bars | None) -> Report:
    """The callable a stage takes: ``found`` itself, or :func:`kb.progress.silent`."""
    return found if found is not None else silent


@contextmanager
def step(found: Bars | None, task: str) -> Iterator[None]:
    """:meth:`Bars.step`, or nothing."""
    if found is None:
        yield
        return
    with found.step(task):
        yield
