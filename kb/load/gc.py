"""Pausing Python's cyclic garbage collector around work that builds many objects, none of them cyclic."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (or the decorated function).

    Reading, checking and building make millions of small dicts, lists and models, none of them cyclic; each
    one counts towards the next collection, and every full collection walks all of them again, for nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
