"""A bounded load test on 127.0.0.1: 3,000 GraphQL requests at four concurrency levels against a real
``kb serve --reload``, the knowledge base edited between and during the levels (tests/load.py). Not one may
fail, and not one may mix versions. The figures themselves are measured by benchmarks/reliability.py."""

from __future__ import annotations

from tests.load import run

LEVELS = [(1, 300), (8, 700), (32, 1000), (128, 1000)]


def test_load_with_reloads_fails_nothing_and_mixes_no_versions() -> None:
    levels, edits = run(LEVELS, edit_every=0.5)
    assert sum(level.requests for level in levels) == sum(requests for _, requests in LEVELS)
    assert [level.failures for level in levels] == [[] for _ in levels]
    assert [level.mixed for level in levels] == [[] for _ in levels]
    served = set().union(*(level.versions for level in levels))
    # Reloads really happened under load: every level saw a new version, most levels more than one.
    assert len(served) >= len(levels) + 2 and edits >= 2 * len(levels)
    assert sum(len(level.versions) > 1 for level in levels) >= 2
