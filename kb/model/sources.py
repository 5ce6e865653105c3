"""The articles: decode their bytes, locate quotes, convert between code-point and UTF-16 offsets.

Offsets are Unicode code points of the UTF-8 text exactly as stored (W3C Web Annotation
TextPositionSelector semantics: ``start`` inclusive, ``end`` exclusive). JavaScript counts UTF-16 code
units, so every offset can also be served in those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kb.errors import AnchorError

CONTEXT_CHARS = 32


@dataclass(frozen=True)
class Article:
    """One seed article: its file name, exact text and the sha256 of its bytes."""

    file: str
    text: str
    sha256: str

    @classmethod
    def from_bytes(cls, file: str, data: bytes) -> Article:
        """Decode UTF-8 strictly (no BOM stripping, no newline normalisation). Raises UnicodeDecodeError."""
        return cls(file=file, text=data.decode("utf-8"), sha256=hashlib.sha256(data).hexdigest())


def occurrences(text: str, quote: str) -> list[int]:
    """Return every start offset (code points) where ``quote`` occurs in ``text``, overlapping included."""
    found: list[int] = []
    if not quote:
        return found
    index = text.find(quote)
    while index != -1:
        found.append(index)
        index = text.find(quote, index + 1)
    return found


def locate(text: str, quote: str, occurrence: int | None = None, near: str | None = None) -> tuple[int, int]:
    """Return ``(start, end)`` of ``quote`` in ``text``.

    A repeated quote needs ``occurrence`` (1-based) or ``near``, a longer passage of the article that contains
    the quote exactly once. Raises AnchorError when the quote is absent or ambiguous.
    """
    if near is not None:
        passages = occurrences(text, near)
        if len(passages) != 1:
            raise AnchorError(f"context {near!r} occurs {len(passages)} times in the article, expected once")
        inner = occurrences(near, quote)
        if len(inner) != 1:
            raise AnchorError(f"quote occurs {len(inner)} times in its context, expected once")
        start = passages[0] + inner[0]
        return start, start + len(quote)
    starts = occurrences(text, quote)
    if not starts:
        raise AnchorError("quote not found in the article")
    if occurrence is not None:
        if not 1 <= occurrence <= len(starts):
            raise AnchorError(f"occurrence {occurrence} asked, the quote occurs {len(starts)} times")
        return starts[occurrence - 1], starts[occurrence - 1] + len(quote)
    if len(starts) > 1:
        raise AnchorError(
            f"quote occurs {len(starts)} times (at {', '.join(map(str, starts))}); "
            "add occurrence: N or near: '<longer passage>'"
        )
    return starts[0], starts[0] + len(quote)


def context(text: str, start: int, end: int, size: int = CONTEXT_CHARS) -> tuple[str, str]:
    """Return the ``(prefix, suffix)`` of up to ``size`` code points around ``text[start:end]``."""
    return text[max(0, start - size) : start], text[end : end + size]


def utf16_offset(text: str, offset: int) -> int:
    """Return the UTF-16 code-unit offset of code-point ``offset`` in ``text``."""
    prefix = text[:offset]
    return offset + sum(1 for ch in prefix if ord(ch) > 0xFFFF)
