"""benchmarks/million.py at a tiny scale: kb publish into the test Virtuoso, then kb's API on it, measured."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from benchmarks import generate, million
from kb.graph import store
from kb.load import pipeline
from kb.publish import catalogue as catalogues
from kb.serve import remote
from kb.vocab import VOCABULARY_GRAPH
from tests.virtuoso import Virtuoso

BASE = "https://million.test/"  # not the other Virtuoso tests' base: their catalogue stays theirs
BULK = "https://million-bulk.test/"
Measured = tuple[Path, dict[str, Any], dict[tuple[str, str], dict[str, Any]]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("million")
    generate.write(root, facts=200)
    return root


@pytest.fixture(scope="module")
def measured(virtuoso_server: Virtuoso, generated: Path) -> Measured:
    root = generated
    published = million.publish_into(root, virtuoso_server, BASE)
    rows = million.measure(200, virtuoso_server, published, seconds=0.1, limit=3, base_iri=BASE)
    return root, published, {(r["system"], r["metric"]): r for r in rows}


def test_measure_sends_and_stores_every_quad_of_the_graph(measured: Measured) -> None:
    root, published, rows = measured
    kb = pipeline.load(root)
    native = store.build_store(kb, BASE, "oxigraph").native
    vocabulary = ox.NamedNode(VOCABULARY_GRAPH)  # schema/kb.ttl in the store, not published
    quads = len(native) - sum(1 for _ in native.quads_for_pattern(None, None, None, vocabulary))
    digests = {g.value: "" for g in native.named_graphs() if g != vocabulary}  # one kb:digest per article graph
    catalogue = catalogues.catalogue(BASE, published["version"], published["triples"], kb.counts(), None,
                                  digests).count(b"\n")
    assert published["quads_sent"] == quads + catalogue
    assert rows[("virtuoso", "quads_stored")]["value"] == published["quads_sent"]
    assert published["facts"] == rows[("kb-publish", "facts")]["value"] >= 200
    assert published["people"][0] in kb.of("people")


def test_measure_answers_as_the_raw_sparql_does(measured: Measured) -> None:
    _, _, rows = measured
    for question in ("typical", "hub"):
        assert rows[("kb-graphql-remote", f"{question}_answers_match_raw_sparql")]["value"] == 1
        assert rows[("kb-graphql-remote", f"{question}_quotes")]["value"] > 0
    assert (rows[("kb-graphql-remote", "hub_meetings")]["value"]
            > rows[("kb-graphql-remote", "typical_meetings")]["value"])


def test_measure_reports_virtuoso_memory_disk_and_latency_rows(measured: Measured) -> None:
    _, _, rows = measured
    assert all(r["scale"] == 200 and r["unit"] for r in rows.values())
    assert rows[("virtuoso", "disk_after_checkpoint")]["value"] > 0
    assert rows[("virtuoso", "engine_peak_memory")]["value"] >= rows[("virtuoso", "engine_memory_after_publish")][
        "value"] > 0
    for system, question in (("kb-graphql-remote", "typical"), ("kb-graphql-remote", "hub"),
                             ("virtuoso-raw-sparql", "typical"), ("virtuoso-raw-sparql", "hub")):
        assert 0 < rows[(system, f"{question}_p50")]["value"] <= rows[(system, f"{question}_p99")]["value"]
    assert rows[("kb-api-remote", "start_up_to_first_answer")]["value"] > rows[("kb-api-remote",
                                                                                  "app_to_first_answer")]["value"]


def test_bulk_loader_stores_what_kb_publish_stores(virtuoso_server: Virtuoso, generated: Path,
                                                   measured: Measured) -> None:
    _, published, _ = measured
    bulk = million.publish_into(generated, virtuoso_server, BULK, loader="bulk")
    assert bulk["quads_sent"] == published["quads_sent"] and bulk["triples"] == published["triples"]
    assert million.quads_stored(virtuoso_server) - bulk["quads_before"] == bulk["quads_sent"]
    assert not (virtuoso_server.folder / "load").exists()  # the N-Quads files are removed once loaded

    def version_graph(base: str, graph: str) -> set[tuple[str, ...]]:
        rows = asyncio.run(remote.RemoteBackend(virtuoso_server.sparql, graph).select(
            "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")).rows
        return {tuple(row[v].value.replace(base, "BASE/") for v in ("s", "p", "o")) for row in rows}

    loaded = version_graph(BULK, bulk["graph"])
    assert len(loaded) == bulk["triples"] and loaded == version_graph(BASE, published["graph"])
    catalogue = remote.read_catalogue(virtuoso_server.sparql, BULK)  # the switch kb.serve.remote follows
    assert (catalogue.graph, catalogue.counts["triples"]) == (bulk["graph"], bulk["triples"])


def test_write_rows_keeps_earlier_rows_only_of_systems_this_run_did_not_measure(tmp_path: Path) -> None:
    output = tmp_path / "results_million.json"
    gsp = {"system": "kb-publish", "scale": 10, "metric": "publish_total", "value": 3.0, "unit": "s"}
    stale = {"system": "virtuoso", "scale": 10, "metric": "disk", "value": 1.0, "unit": "MB"}
    million.write_rows(output, [gsp, stale])
    fresh = {"system": "virtuoso", "scale": 10, "metric": "quads_stored", "value": 7, "unit": "quads"}
    million.write_rows(output, [fresh])
    million.write_rows(output, [fresh, {**fresh, "metric": "count_quads_time", "unit": "s"}])  # written as it grows
    rows = json.loads(output.read_text())
    assert rows == [fresh, {**fresh, "metric": "count_quads_time", "unit": "s"}, gsp]
    assert output.read_text().count("\n") == len(rows) + 2  # "[", one row a line, "]", as results.json
