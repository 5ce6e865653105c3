"""A SPARQL 1.1 Protocol request read into what the endpoint runs: the query (or none: the service
description), ``format=``, and the dataset ``default-graph-uri`` and ``named-graph-uri`` choose.

Text is UTF-8, as the protocol has it: a query body declaring another charset is refused (415; the W3C test
``bad_query_non_utf8`` wants a 4xx for UTF-16), and bytes that are not UTF-8, in a body or percent-encoded in a
form or URL, are refused with 400 rather than read as something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from kb.serve.sparql.formats import FORMAT_NAMES
from kb.serve.sparql.parsed import READ_ONLY

CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})  # ASCII is UTF-8's subset


class ProtocolError(Exception):
    """A request the endpoint refuses: its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Parsed:
    """A read request: the query (None: a GET without one, which the service description answers),
    ``format=`` and the protocol's dataset (None for each parameter not given)."""

    query: str | None
    format: str | None = None
    default: tuple[str, ...] | None = None
    named: tuple[str, ...] | None = None


def _utf8(data: bytes, what: str) -> str:
    """Return ``data`` decoded as UTF-8. Raises ProtocolError (400) naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"{what} is not valid UTF-8 (byte {exc.start})") from None


def _fields(text: str, what: str) -> dict[str, list[str]]:
    """Return the fields of URL-encoded ``text``. Raises ProtocolError when an escape is not UTF-8."""
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"{what} holds percent-escapes that are not UTF-8 (byte {exc.start})") from None


def _charset(content_type: str) -> str | None:
    """Return the charset parameter of a Content-Type header, lower-case, or None."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def parse_request(method: str, content_type: str, url_query: str, body: bytes) -> Parsed:
    """Return what a SPARQL Protocol request asks (``content_type``: the Content-Type header as sent).
    Raises ProtocolError: 400 for an update, a bad parameter or text that is not UTF-8, 415 for a body of
    another type or charset."""
    params = _fields(url_query, "the URL")
    query: str | None = None
    media = content_type.split(";")[0].strip().lower()
    if method == "POST":
        if media == "application/sparql-update":
            raise ProtocolError(400, READ_ONLY)
        if media == "application/sparql-query":
            charset = _charset(content_type)
            if charset is not None and charset not in CHARSETS:
                raise ProtocolError(415, f"a query body must be UTF-8 (SPARQL 1.1 Protocol); this one says "
                                         f"charset={charset}")
            query = _utf8(body, "the query body")
        elif media == "application/x-www-form-urlencoded":
            for name, items in _fields(_utf8(body, "the form"), "the form").items():
                params.setdefault(name, []).extend(items)
        else:
            raise ProtocolError(415, "send the query as application/sparql-query or as a form field query=")
    if "update" in params:
        raise ProtocolError(400, READ_ONLY)
    given = params.get("query", [])
    if query is None and given:
        if len(given) != 1 or not given[0].strip():
            raise ProtocolError(400, "give exactly one SPARQL query, as query= or an application/sparql-query body")
        query = given[0]
    elif query is None and method == "POST":
        raise ProtocolError(400, "give exactly one SPARQL query, as query= or an application/sparql-query body")
    elif query is not None and given:
        raise ProtocolError(400, "give the query once: in the body or as query=, not both")
    format_name = params.get("format", [""])[0] or None
    if format_name is not None and format_name.lower() not in FORMAT_NAMES:
        raise ProtocolError(400, f"unknown format {format_name!r}; known: {', '.join(FORMAT_NAMES)}")
    default, named = params.get("default-graph-uri"), params.get("named-graph-uri")
    return Parsed(query, format_name, None if default is None else tuple(default),
                  None if named is None else tuple(named))
