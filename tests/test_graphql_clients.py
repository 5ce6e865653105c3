"""/graphql as real clients see it, over a live server on 127.0.0.1: the GraphQL-over-HTTP specification's audits
(npm's graphql-http), and every query of docs/api.md through Apollo Client (Automatic Persisted Queries, the
normalized cache of docs/api.md's kbCache). The Node side is tests/js (package-lock.json pins every version)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.config import Limits, Settings
from kb.serve.app import create_app
from tests import apikit
from tests.conftest import needs_debian
from tests.pages_support import live_server

JS = Path(__file__).resolve().parent / "js"
ROOT = apikit.ROOT


@pytest.fixture(scope="session")
def node() -> str:
    """The path of node, once tests/js's packages are installed (``npm ci``, when node_modules is missing)."""
    program = needs_debian("nodejs", "node")
    if not (JS / "node_modules").is_dir():
        npm = needs_debian("npm", "npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=600,
                       capture_output=True)
    return program


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The URL of /graphql on the real app serving the project's knowledge base."""
    # The audits send their sixty requests at once, and this server shares the test's interpreter: they may wait
    # (admission is tested in tests/test_admission.py, not here).
    limits = Limits(max_queued=256, max_queue_seconds=60.0)
    app = create_app(Settings(root=ROOT), apikit.snapshot(ROOT, "oxigraph"), limits)
    with live_server(app) as base:
        yield f"{base}/graphql"


def run(node: str, script: str, *arguments: str) -> Any:
    """Run ``tests/js/<script>`` and return the JSON it prints."""
    done = subprocess.run([node, script, *arguments], cwd=JS, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_every_graphql_over_http_audit_passes(node: str, endpoint: str) -> None:
    found = run(node, "audit.mjs", endpoint)
    results = found["results"]
    by_level: dict[str, list[str]] = {}
    for result in results:
        by_level.setdefault(result["name"].split()[0], []).append(result["status"])
    failed = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    print({level: f"{statuses.count('ok')}/{len(statuses)}" for level, statuses in by_level.items()})
    assert found["failures"] == []
    assert [f for f in failed if " MUST " in f] == []
    assert failed == []  # SHOULDs and MAYs too: docs/api.md says so; a new audit that fails is news
    assert len(by_level["MUST"]) >= 13 and len(by_level["SHOULD"]) >= 23  # graphql-http 1.23.1: 13, 23, 25 MAY


def test_apollo_cache_keeps_every_answer_of_the_docs(node: str, endpoint: str) -> None:
    found = run(node, "cache.mjs", endpoint, str(ROOT / "docs" / "api.md"), str(ROOT / "schema" / "schema.graphql"))
    assert len(found["queries"]) >= 10
    lost = [q for q in found["queries"] if not q["complete"] or q["difference"] is not None]
    assert lost == []
    assert found["warnings"] == []
    examples = len(found["queries"])
    # First client: each hash-only GET unknown, then sent with its query; the second: the hash alone.
    assert found["firstPass"] == {"hashOnlyGet": examples, "notFound": examples, "withQuery": examples}
    assert found["secondPass"] == {"hashOnlyGet": examples, "notFound": 0, "withQuery": 0}
    paging = found["paging"]
    assert len(paging["served"]) == paging["totalCount"] > 3 and len(set(paging["served"])) == paging["totalCount"]
    assert paging["cached"] == paging["served"]


def test_the_package_lock_pins_exact_versions() -> None:
    declared = json.loads((JS / "package.json").read_text("utf-8"))["dependencies"]
    assert all(version[0].isdigit() for version in declared.values()), declared
    locked = json.loads((JS / "package-lock.json").read_text("utf-8"))["packages"]
    assert {name: locked[f"node_modules/{name}"]["version"] for name in declared} == declared
