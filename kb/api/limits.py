"""What protects the server from expensive requests, on by default, and how errors reach the client.

Query depth, aliases and tokens are checked before execution (:func:`kb.api.guard.extensions`); the request
body is capped before it is parsed (kb.serve.middleware.body_limit); ``first`` is bounded in every connection. The
bounds themselves are :class:`kb.config.Limits`. A :class:`UserError` (a bad argument) reaches the client as
written; any other exception inside a resolver is logged with its traceback and masked as "Unexpected error."
so nothing internal leaks.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from kb.config import Limits
from kb.errors import UserError

log = logging.getLogger("kb.api")
MASKED_MESSAGE = "Unexpected error."


def should_mask(error: GraphQLError) -> bool:
    """Return True for errors raised by code rather than by the request: those are masked (and were
    logged)."""
    original = error.original_error
    return original is not None and not isinstance(original, (UserError, GraphQLError))


def check_first(first: int | None, limits: Limits) -> int:
    """Return the page size to use for ``first``. Raises UserError outside 0..max_page_size."""
    if first is None:
        return limits.default_page_size
    if not 0 <= first <= limits.max_page_size:
        raise UserError(f"first must be between 0 and {limits.max_page_size}, got {first}")
    return first


def check_text(text: str) -> str:
    """Return ``text``, a text argument bound for a query. Raises UserError when it is not Unicode text (JSON
    lets a string hold half of a UTF-16 surrogate pair, ``"\\ud800"``, which no store and no UTF-8 encoder
    accepts) or holds NUL (which ends a string literal early in Virtuoso: its query failed)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError(f"text arguments must be Unicode text: {text[exc.start]!r} at position {exc.start} is "
                        "half of a UTF-16 surrogate pair") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise UserError(f"text arguments may not hold NUL (\\x00): one is at position {nul}")
    return text
