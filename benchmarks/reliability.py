"""Measure the attacks of docs/reliability.md: how fast each is refused or stopped, and the load test's figures.

    python benchmarks/reliability.py [--quick]

Prints one JSON object. Nothing here asserts a time: the tests assert behaviour (tests/test_malformed.py,
test_hostile_graphql.py, test_hostile_sparql.py, test_generated.py, test_load.py); this says how long it took
on the machine it ran on. ``--quick`` skips the slow comparisons with the unguarded libraries and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphql import parse, validate

from kb.api.guard import measure
from kb.api.schema import make_schema
from kb.config import Limits
from tests import hostile, load
from tests import test_malformed as corpus


def seconds(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 4)


def malformed() -> dict[str, Any]:
    """Each corpus case through the real ``kb validate`` (in process): the time to exit 2."""
    times: dict[str, float] = {}
    for name in corpus.CASES:
        with tempfile.TemporaryDirectory() as folder:
            root = corpus.build_case(name, Path(folder))
            times[name] = seconds(lambda root=root: corpus.invoke("validate", "--root", str(root)))
    slowest = sorted(times.items(), key=lambda item: -item[1])[:5]
    return {"cases": len(times), "total_seconds": round(sum(times.values()), 3), "slowest": dict(slowest),
            "billion_laughs": times["billion-laughs"], "deep_nesting_100k": times["deep-nesting-100k"],
            "oversized_file": times["oversized-file"]}


def bomb(levels: int) -> str:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ x: person(id: \"wang-yi\") {{ name }} }}"


def graphql_attacks(quick: bool) -> dict[str, Any]:
    http = hostile.client()
    post = lambda query: http.post("/graphql", json={"query": query})
    post("{ __typename }")
    repeated = "{ " + " ".join(["people { totalCount }"] * 490) + " }"  # 1,962 tokens: under the token limit
    k = 5
    lvl3 = " ".join(["participants { __typename }"] * k)
    lvl2 = " ".join([f"edges {{ node {{ {lvl3} }} }}"] * k)
    worst_accepted = "{ " + " ".join([f"meetings {{ {lvl2} }}"] * k) + " }"
    figures: dict[str, Any] = {
        "fragment_bomb_24_levels_refused_s": seconds(lambda: post(bomb(24))),
        "repeated_fields_490_refused_s": seconds(lambda: post(repeated)),
        "worst_accepted_shape": {"cost": measure(parse(worst_accepted)).__dict__,  # type: ignore[union-attr]
                                 "request_s": seconds(lambda: post(worst_accepted))},
        "introspection_query_s": seconds(lambda: post(__import__("graphql").get_introspection_query())),
        "limits": {k: v for k, v in Limits().__dict__.items() if not k.startswith("sparql")},
    }
    if not quick:
        # The same attacks against the libraries alone, as they were before kb.api.guard.
        from strawberry.extensions.max_aliases import count_fields_with_alias

        schema = make_schema()._schema
        unguarded: dict[str, float] = {}
        for levels in (12, 14, 16, 18):
            document = parse(bomb(levels))
            fragments = {d.name.value: d for d in document.definitions if hasattr(d, "name") and d.name}
            operation = document.definitions[0]
            unguarded[f"strawberry_alias_count_{levels}_levels_s"] = seconds(
                lambda o=operation, f=fragments: count_fields_with_alias(o, f))  # type: ignore[arg-type]
        unguarded["graphql_core_validate_490_repeated_s"] = seconds(lambda: validate(schema, parse(repeated)))
        figures["unguarded"] = unguarded
    return figures


def sparql_attacks() -> dict[str, Any]:
    from tests.test_hostile_sparql import RUNAWAY, SPARQL_QUERY

    http = hostile.client(Limits(sparql_timeout_seconds=1, sparql_max_concurrent=1, sparql_max_rows=10_000))
    ask = lambda query: http.post("/sparql", content=query, headers=SPARQL_QUERY)
    first = seconds(lambda: ask("ASK { ?s ?p ?o }"))  # starts a worker and loads the snapshot
    # Every query distinct (a LIMIT each), so that no answer cache replies in the worker's place.
    warm = [seconds(lambda n=n: ask(f"SELECT * {{ ?s ?p ?o }} LIMIT {n}")) for n in range(1, 21)]
    direct = hostile.mini_snapshot().backend
    direct_s = [seconds(lambda: asyncio.run(direct.select("SELECT * { ?s ?p ?o } LIMIT 1"))) for _ in range(20)]
    figures = {
        "first_query_starts_worker_s": first,
        "simple_query_median_s": sorted(warm)[len(warm) // 2],
        "same_query_in_process_median_s": sorted(direct_s)[len(direct_s) // 2],
        "service_refused_s": seconds(lambda: ask("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")),
        "runaway_cross_join_stopped_s": seconds(lambda: ask(RUNAWAY)),
        "next_query_after_kill_s": seconds(lambda: ask("ASK { ?x ?y ?z }")),
        "all_rows_capped_s": seconds(lambda: ask("SELECT * { ?s ?p ?o }")),
    }

    async def busy() -> float:
        slow = asyncio.create_task(http.arequest("POST", "/sparql", content=RUNAWAY, headers=SPARQL_QUERY))
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        await http.arequest("POST", "/sparql", content="ASK { ?a ?b ?c }", headers=SPARQL_QUERY)
        took = time.perf_counter() - started
        await slow
        return round(took, 4)

    figures["refused_429_s"] = asyncio.run(busy())
    return figures


def load_test() -> dict[str, Any]:
    started = time.perf_counter()
    levels, edits = load.run([(1, 300), (8, 700), (32, 1000), (128, 1000)], edit_every=0.5)
    return {"levels": [level.figures() for level in levels], "edits": edits,
            "versions_served": len(set().union(*(level.versions for level in levels))),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip unguarded comparisons and the load test")
    quick = parser.parse_args().quick
    report = {"malformed": malformed(), "graphql": graphql_attacks(quick), "sparql": sparql_attacks()}
    if not quick:
        report["load"] = load_test()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
