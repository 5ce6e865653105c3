"""How a long stage reports how far it is, without knowing who listens.

A stage takes ``progress: Progress = silent`` and calls ``progress(task, done, total)`` as it goes: ``task`` names
the step ("reading", "building", …), ``done`` counts what is finished and ``total`` what there is (0 when not
known). The command line draws it (kb.cli.progress); a library caller passes nothing and pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``progress(task, done, total)``: called from the thread doing the work, as often as is cheap."""


def silent(task: str, done: int, total: int) -> None:
    """The default: report nowhere."""
