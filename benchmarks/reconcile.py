"""Reconciliation benchmark: a batch of 500 names, as a journalist's spreadsheet sends it, against ``kb serve``.

    python benchmarks/reconcile.py                 # the project's knowledge base and a generated 10k-fact one
    python benchmarks/reconcile.py --facts 100000

Prints a table and writes benchmarks/results_reconcile.json. For each knowledge base:

- the first batch after the server starts (it builds the version's reconciliation index) and the median and p90
  of :data:`RUNS` more, each one POST of 500 queries (form ``queries=``, as OpenRefine sends them) to a real
  ``kb serve --production`` over HTTP; the cost per name is the median over 500;
- the matcher alone in process (kb.api.reconcile.matching.reconcile over the same 500 queries), and the time to
  build the index;
- what the names find: top-1 right for names as kb holds them and for names as journalists write them (with a
  title, reordered, lower-cased, a typo), and how many ``match: true`` were wrong, nonsense names included.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import run, servers
from kb.api.reconcile.entities import Entity
from kb.api.reconcile.index import Index, build
from kb.api.reconcile.matching import Query, reconcile
from kb.config import Settings
from kb.graph.snapshot import from_knowledge_base
from kb.load import pipeline

RESULTS = ROOT / "benchmarks" / "results_reconcile.json"
BATCH = 500
RUNS = 15
SEED = 7


def typo(word: str, rng: random.Random) -> str:
    """Return ``word`` with one letter dropped, anywhere but the first (a word of five letters or more)."""
    if len(word) < 5:
        return word
    at = rng.randrange(1, len(word))
    return word[:at] + word[at + 1:]


def written(entity: Entity, rng: random.Random) -> str:
    """Return a name of ``entity`` as a journalist might write it."""
    words = entity.name.split()
    ways = ["lower", "typo"]
    if entity.type == "Person" and len(words) == 2:
        ways.append("reordered")
    if entity.titles:
        ways.append("titled")
    way = rng.choice(ways)
    if way == "lower":
        return entity.name.lower()
    if way == "typo":
        longest = max(range(len(words)), key=lambda n: len(words[n]))
        return " ".join(typo(w, rng) if n == longest else w for n, w in enumerate(words))
    if way == "reordered":
        return f"{words[1].upper()}, {words[0]}"
    return f"{rng.choice(entity.titles)} {entity.name}"


def names(index: Index, rng: random.Random) -> list[tuple[str, str, str | None]]:
    """Return :data:`BATCH` names ``(kind, text, expected id)``: 40 % as kb holds them, 40 % as written, 20 %
    nonsense, from the people and organizations of ``index``."""
    pool = [e for e in index.entities if e.type in ("Person", "Organization")]
    found: list[tuple[str, str, str | None]] = []
    for n in range(BATCH):
        entity = rng.choice(pool)
        if n % 5 < 2:
            found.append(("as held", entity.name, entity.id))
        elif n % 5 < 4:
            found.append(("as written", written(entity, rng), entity.id))
        else:
            letters = "bcdfghjklmnpqrstvwxz"
            found.append(("nonsense", " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 8)))
                                               for _ in range(2)), None))
    return found


def quality(results: dict[str, Any], batch: list[tuple[str, str, str | None]], index: Index) -> dict[str, Any]:
    """Return top-1 accuracy by kind and the wrong matches (a namesake kb cannot tell apart is not counted)."""
    out: dict[str, Any] = {}
    wrong = matches = 0
    for kind in ("as held", "as written"):
        rows = [(n, expected) for n, (k, _, expected) in enumerate(batch) if k == kind]
        right = sum(1 for n, expected in rows if _top(results, n) in _same_name(index, expected))
        out[f"top1_{kind.replace(' ', '_')}"] = round(right / len(rows), 3)
    for n, (_, _, expected) in enumerate(batch):
        for candidate in results[f"q{n}"]["result"]:
            if candidate["match"]:
                matches += 1
                wrong += candidate["id"] not in _same_name(index, expected)
    out |= {"matches": matches, "wrong_matches": wrong}
    return out


def _top(results: dict[str, Any], n: int) -> str | None:
    found = results[f"q{n}"]["result"]
    return found[0]["id"] if found else None


def _same_name(index: Index, expected: str | None) -> set[str]:
    """Return the entities bearing the expected entity's name (the generator makes namesakes)."""
    if expected is None:
        return set()
    name = index.entities[index.by_id[expected]].name
    return {e.id for e in index.entities if e.name == name}


def measure(root: Path, label: str) -> dict[str, Any]:
    """Return the figures of one knowledge base (see the module)."""
    snapshot = from_knowledge_base(pipeline.load(root), Settings(root=root), f"bench-{label}")
    started = time.perf_counter()
    index = build(snapshot)
    build_seconds = time.perf_counter() - started
    batch = names(index, random.Random(SEED))
    queries = {f"q{n}": {"query": text, "type": ["Person", "Organization"]} for n, (_, text, _) in enumerate(batch)}
    in_process = []
    for _ in range(5):
        started = time.perf_counter()
        for spec in queries.values():
            reconcile(index, Query(text=spec["query"], types=("Person", "Organization")))
        in_process.append(time.perf_counter() - started)
    form = {"queries": json.dumps(queries)}
    with servers.kb_serve(root, "--store", "memory") as url, httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        first = client.post("/reconcile", data=form)
        first_seconds = time.perf_counter() - started
        first.raise_for_status()
        seconds = []
        for _ in range(RUNS):
            started = time.perf_counter()
            client.post("/reconcile", data=form).raise_for_status()
            seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    return {"knowledge_base": label, "entities": len(index.entities), "names": len(index.entries),
            "index_build_ms": round(build_seconds * 1000, 1), "first_batch_ms": round(first_seconds * 1000, 1),
            "batch_median_ms": round(median * 1000, 1),
            "batch_p90_ms": round(statistics.quantiles(seconds, n=10)[-1] * 1000, 1),
            "per_name_ms": round(median * 1000 / BATCH, 3),
            "matcher_alone_ms": round(statistics.median(in_process) * 1000, 1),
            "request_bytes": len(json.dumps(queries)), **quality(first.json(), batch, index)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=10_000, help="facts of the generated knowledge base")
    options = parser.parse_args()
    (ROOT / "benchmarks" / "data").mkdir(exist_ok=True)  # the servers' log (benchmarks/servers.py)
    rows = [measure(ROOT, "project"), measure(run.dataset(options.facts), f"generated {options.facts}")]
    columns = ("knowledge_base", "entities", "index_build_ms", "first_batch_ms", "batch_median_ms", "batch_p90_ms",
               "per_name_ms", "matcher_alone_ms", "top1_as_held", "top1_as_written", "matches", "wrong_matches")
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    RESULTS.write_text(json.dumps({"batch": BATCH, "runs": RUNS, "results": rows}, indent=2) + "\n")
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
