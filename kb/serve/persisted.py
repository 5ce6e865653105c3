"""Automatic Persisted Queries, as Apollo Client's PersistedQueryLink speaks them.

A client first sends only the query's SHA-256 (``extensions.persistedQuery = {version: 1, sha256Hash}``, on GET
as ``?extensions=…`` or in a POST body). kb answers a hash it knows with the query's answer, and one it does not
know with the error ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``, status 200, as Apollo Server
answers, so that Apollo Client retries); the client then sends the query with its hash, kb checks that the hash is
the query's and keeps it. A hash-only GET is a short URL a cache can key on: kb's answer cache
(kb.serve.middleware.cache) keeps its answer per version like any other GET.

The texts live in memory only, least recently used out first, at most ``Limits.persisted_queries`` of them and
``Limits.persisted_query_bytes`` bytes of UTF-8 in all: a client that floods kb with new queries only evicts
others, which their clients send again on the next miss.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from kb.api import codes

SHA256 = re.compile(r"[0-9a-f]{64}")
NOT_FOUND = "PersistedQueryNotFound"
MISMATCH = "provided sha does not match query"


@dataclass(frozen=True)
class Problem:
    """Why a persisted-query request cannot run: an HTTP status, a message and an error code."""

    status: int
    message: str
    code: str


class PersistedQueries:
    """Query texts by the hex SHA-256 of their UTF-8; the least recently used leave first."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = 0
        self.texts: OrderedDict[str, str] = OrderedDict()

    def get(self, sha: str) -> str | None:
        """Return the query text of ``sha``, or None when it was never sent or has aged out."""
        text = self.texts.get(sha)
        if text is not None:
            self.texts.move_to_end(sha)
        return text

    def put(self, sha: str, text: str) -> None:
        """Keep ``text`` under ``sha`` (which the caller checked), evicting the least recently used over the
        bounds; a text longer than the whole budget is not kept."""
        size = _size(text)
        if sha in self.texts or size > self.max_bytes:
            return
        self.texts[sha] = text
        self.size += size
        while len(self.texts) > self.entries or self.size > self.max_bytes:
            _, old = self.texts.popitem(last=False)
            self.size -= _size(old)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | Problem | None:
        """Return the query text a request runs: its own ``query`` (kept under its hash when it sends one, once
        the hash is checked), the text kept under its hash, or a :class:`Problem`. None: no query and no
        persisted query (the caller's refusal)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return Problem(400, 'unsupported persisted query version: send {"version": 1, "sha256Hash": …}',
                           codes.PERSISTED_QUERY_NOT_SUPPORTED)
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or SHA256.fullmatch(sha) is None:
            return Problem(400, "persistedQuery.sha256Hash must be 64 lower-case hex digits", codes.BAD_REQUEST)
        if query is None:
            known = self.get(sha)
            return known if known is not None else Problem(200, NOT_FOUND, codes.PERSISTED_QUERY_NOT_FOUND)
        if hashlib.sha256(_utf8(query)).hexdigest() != sha:
            return Problem(400, MISMATCH, codes.BAD_REQUEST)
        self.put(sha, query)
        return query


def _utf8(text: str) -> bytes:
    # JSON may carry half a surrogate pair ("\\ud800"); Apollo hashes what it sent, so hash the same code units.
    return text.encode("utf-8", "surrogatepass")


def _size(text: str) -> int:
    return len(_utf8(text))
