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

from kb.serve import negotiate

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
OFFERED = (GRAPHQL_RESPONSE, JSON)


def choose(accept: str | None) -> str | None:
    """Return the media type to answer in for ``accept`` (a header's value, or None when absent), or None when
    the client accepts neither of kb's."""
    if accept is None or not accept.strip():
        return JSON
    given = negotiate.ranges(accept)
    scored = []
    for offer in OFFERED:
        specific, weight = negotiate.rate(given, (offer,))
        if weight > 0:
            # Named outright, graphql-response+json wins a tie; through a wildcard, application/json does.
            scored.append((weight, specific, (offer == GRAPHQL_RESPONSE) == (specific == negotiate.NAMED), offer))
    return max(scored)[3] if scored else None
