"""The store of Automatic Persisted Queries (kb/serve/persisted.py): what a request runs, and the bounds."""

from __future__ import annotations

import hashlib

from kb.serve.persisted import MISMATCH, NOT_FOUND, PersistedQueries, Problem


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ask(store: PersistedQueries, query: str | None, digest: str) -> str | Problem | None:
    return store.resolve(query, {"persistedQuery": {"version": 1, "sha256Hash": digest}})


def test_a_query_is_kept_once_its_hash_is_checked() -> None:
    store = PersistedQueries(10, 1000)
    assert ask(store, None, sha("{ a }")) == Problem(200, NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND")
    assert ask(store, "{ b }", sha("{ a }")) == Problem(400, MISMATCH, "BAD_REQUEST")
    assert ask(store, None, sha("{ a }")) == Problem(200, NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND")
    assert ask(store, "{ a }", sha("{ a }")) == "{ a }"
    assert ask(store, None, sha("{ a }")) == "{ a }"


def test_a_request_without_a_persisted_query_runs_its_own() -> None:
    store = PersistedQueries(10, 1000)
    assert store.resolve("{ a }", None) == "{ a }" and store.resolve(None, {"other": 1}) is None
    assert store.texts == {}


def test_the_least_recently_used_leave_first_by_count_and_by_bytes() -> None:
    store = PersistedQueries(2, 1000)
    for text in ("{ a }", "{ b }"):
        ask(store, text, sha(text))
    assert ask(store, None, sha("{ a }")) == "{ a }"  # a used: b is now the oldest
    ask(store, "{ c }", sha("{ c }"))
    assert list(store.texts.values()) == ["{ a }", "{ c }"]
    small = PersistedQueries(100, 12)  # bytes of UTF-8: "{ é }" is 6
    for text in ("{ é }", "{ bb }", "{ c }"):
        ask(small, text, sha(text))
    assert list(small.texts.values()) == ["{ bb }", "{ c }"] and small.size == 11
    huge = "{ " + "x" * 20 + " }"
    assert ask(small, huge, sha(huge)) == huge and huge not in small.texts.values()  # run, never kept
