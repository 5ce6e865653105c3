"""kb/serve/negotiate.py: choosing a media type by Accept (RFC 9110 §12.5.1), gzip by Accept-Encoding, and
revalidation by If-None-Match."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from kb.serve.negotiate import accepts_gzip, choose, revalidated

OFFERED = ("text/html", "text/turtle", "application/n-triples", "application/ld+json")


@pytest.mark.parametrize(("accept", "chosen"), [
    ("", "text/html"),
    ("*/*", "text/html"),
    ("text/turtle", "text/turtle"),
    ("TEXT/Turtle ; charset=utf-8", "text/turtle"),
    ("application/ld+json;q=0.9, text/turtle;q=0.8", "application/ld+json"),
    ("text/*, application/ld+json;q=0.5", "text/html"),
    ("text/*;q=0.2, text/turtle;q=0.3, application/*;q=0.1", "text/turtle"),
    ("text/turtle;q=0, */*;q=0.1", "text/html"),
    ("text/html;q=0, text/turtle;q=0, */*;q=0.1", "application/n-triples"),
    ("text/turtle;q=abc", None),  # a malformed quality counts as 0
    ("text/turtle;q=2", None),  # out of range: 0
    ("text/turtle;q=0.001", "text/turtle"),
    ("garbage, ;;, /, text/", None),  # nothing well-formed: nothing accepted
    ("image/png", None),
])
def test_choose_takes_the_most_specific_range_and_the_highest_quality(accept: str, chosen: str | None) -> None:
    assert choose(accept, OFFERED) == chosen


@pytest.mark.parametrize(("value", "gzip"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("x-gzip", True), ("GZIP", True),
    ("", False), ("identity", False), ("gzip;q=0", False), ("br", False),
])
def test_accepts_gzip(value: str, gzip: bool) -> None:
    assert accepts_gzip(Headers({"accept-encoding": value})) is gzip


def test_revalidated_compares_tags_weakly_and_takes_a_star() -> None:
    tag = '"v1-ttl"'
    assert revalidated(Headers({"if-none-match": tag}), tag)
    assert revalidated(Headers({"if-none-match": f'"a", W/{tag}'}), tag)
    assert revalidated(Headers({"if-none-match": "*"}), tag)
    assert not revalidated(Headers({"if-none-match": '"v2-ttl"'}), tag)
    assert not revalidated(Headers({}), tag)
