"""Which media type /graphql answers in, by the request's ``Accept``, as the GraphQL-over-HTTP specification says.

    application/graphql-response+json   the status says what happened: 400 when the request could not run
                                        (not GraphQL, not valid, a variable that does not coerce; the answer
                                        then has no ``data``), 200 once it ran
    application/json                    the legacy type: 200 for every GraphQL answer, errors or not

No ``Accept`` (or ``*/*``) means ``application/json``, as the specification asks until clients have moved on; a
client that lists both without preference gets ``application/graphql-response+json``, the one it named first
in the specification's order. ``None`` from :func:`choose`: neither is acceptable (406).
"""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
OFFERED = (GRAPHQL_RESPONSE, JSON)


def _ranges(accept: str) -> list[tuple[str, float]]:
    """Return the media ranges of an Accept header with their weights (malformed weights count as 0)."""
    found = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        if media:
            found.append((media.lower(), weight))
    return found


def _weight(offer: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """Return the weight the most specific matching range gives ``offer``, and that specificity (2: named,
    1: ``type/*``, 0: ``*/*``); (0, -1) when no range matches."""
    kind = offer.split("/")[0]
    best = (0.0, -1)
    for media, weight in ranges:
        specific = 2 if media == offer else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if specific > best[1]:
            best = (weight, specific)
    return best


def choose(accept: str | None) -> str | None:
    """Return the media type to answer in for ``accept`` (a header's value, or None when absent), or None when
    the client accepts neither of kb's."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    scored = []
    for offer in OFFERED:
        weight, specific = _weight(offer, ranges)
        if weight > 0:
            # Named outright, graphql-response+json wins a tie; through a wildcard, application/json does.
            scored.append((weight, specific, (offer == GRAPHQL_RESPONSE) == (specific == 2), offer))
    return max(scored)[3] if scored else None
