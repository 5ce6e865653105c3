"""What a GET answer depends on besides its path: the media type (``Accept``, RFC 9110 §12.5.1), the coding
(``Accept-Encoding``) and revalidation (``If-None-Match``, ETags).

Pure functions of header values: the handlers of kb.serve.resolve and kb.serve.downloads call them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers

NAMED = 3
"""The specificity of a range that names a type outright (:meth:`Range.matches`)."""


@dataclass(frozen=True)
class Range:
    """One media range of an Accept header: ``type/subtype`` (either may be ``*``) and its quality."""

    type: str
    subtype: str
    quality: float

    def matches(self, media_type: str) -> int:
        """Return how specifically this range names ``media_type``: 3 exactly, 2 ``type/*``, 1 ``*/*``, 0 not."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1 if self.subtype == "*" else 0
        if self.type != kind:
            return 0
        return 2 if self.subtype == "*" else 3 if self.subtype == sub else 0


def ranges(accept: str) -> list[Range]:
    """Return the media ranges of an Accept header value; a malformed range is skipped and a malformed quality
    counts as 0. An empty header accepts anything (``*/*``)."""
    found: list[Range] = []
    for item in accept.split(","):
        media, _, params = item.partition(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash or not kind or not sub:
            continue
        found.append(Range(kind, sub, _quality(params)))
    return found if accept.strip() else [Range("*", "*", 1.0)]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def rate(given: Sequence[Range], media_types: Iterable[str]) -> tuple[int, float]:
    """Return how the ranges ``given`` rate a type known by any of ``media_types`` (its name and aliases): the
    specificity (3 named, 2 ``type/*``, 1 ``*/*``) and quality of the most specific range that matches, the
    higher quality among equally specific ones; (0, 0.0) when none matches."""
    best = (0, 0.0)
    for media_type in media_types:
        for found in given:
            specific = found.matches(media_type)
            if specific and (specific, found.quality) > best:
                best = (specific, found.quality)
    return best


def choose(accept: str, offered: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """Return the offered media type the client prefers: the quality of the most specific range that names it
    (so ``text/*;q=0`` beside ``text/turtle`` still accepts Turtle, and ``q=0`` refuses), or of one of its
    ``aliases``; on a tie, the first offered. Returns None when the client accepts none of them (a 406)."""
    given = ranges(accept)
    best: tuple[float, str] | None = None
    for media_type in offered:
        quality = rate(given, (media_type, *(aliases or {}).get(media_type, ())))[1]
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, media_type)
    return best[1] if best else None


def accepts_gzip(headers: Headers) -> bool:
    """Return whether the client takes a gzip-coded answer (``Accept-Encoding: gzip`` or ``*``, quality > 0)."""
    for item in headers.get("accept-encoding", "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in {"gzip", "x-gzip", "*"} and _quality(params) > 0:
            return True
    return False


def revalidated(headers: Headers, etag: str) -> bool:
    """Return whether ``If-None-Match`` names ``etag`` (a quoted tag; ``W/`` prefixes compare weakly) or is
    ``*``: the client's copy is current, answer 304."""
    given = headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags
