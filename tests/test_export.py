"""kb/export.py and ``kb export``: every format re-parses to the same graph, in rdflib and in Oxigraph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kb import export
from kb.cli import main
from kb.errors import ExportError
from kb.graph import store
from kb.graph.sinks import BuiltGraph
from kb.graph.terms import to_oxigraph
from kb.load.validate import walk
from kb.model.records import Evidence
from kb.vocab import KB
from tests.kbs import BOTH, MINI, ROOTS, built, knowledge_base, memory_store

RDFLIB_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nquads": "nquads"}
OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
              "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}
WITH_NAMED_GRAPHS = ("trig", "nquads")
# rdflib's own JSON-LD and TriG parsers call its deprecated ConjunctiveGraph/default_context internally.
RDFLIB_DEPRECATIONS = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]


def default_graph(graph: BuiltGraph) -> Graph:
    out = Graph()
    for triple in graph.triples:
        out.add(triple)
    return out


def rdflib_parse(data: bytes, fmt: str) -> tuple[Graph, Dataset | None]:
    if fmt in WITH_NAMED_GRAPHS:
        dataset = Dataset()
        dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
        return dataset.graph(DATASET_DEFAULT_GRAPH_ID), dataset
    return Graph().parse(data=data, format=RDFLIB_FORMATS[fmt]), None


def ox_quads(quads: object) -> set[tuple[str, str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in quads}  # type: ignore[attr-defined]


@BOTH
@pytest.mark.parametrize("fmt", export.FORMATS)
@RDFLIB_DEPRECATIONS[0]
@RDFLIB_DEPRECATIONS[1]
def test_export_reparses_to_an_isomorphic_graph_in_rdflib(which: str, fmt: str) -> None:
    graph = built(which)
    data = export.serialize(memory_store(which).dataset, fmt)
    parsed, dataset = rdflib_parse(data, fmt)
    assert isomorphic(parsed, default_graph(graph))
    if dataset is not None:
        names = {g.identifier for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID}
        assert names == set(graph.named)
        for name, triples in graph.named.items():
            assert set(dataset.graph(name)) == set(triples)


@BOTH
@pytest.mark.parametrize("fmt", export.FORMATS)
def test_export_parses_with_oxigraph_to_the_same_quads(which: str, fmt: str) -> None:
    graph = built(which)
    data = export.serialize(memory_store(which).dataset, fmt)
    expected = to_oxigraph(graph.quads() if fmt in WITH_NAMED_GRAPHS else ((*t, None) for t in graph.triples))
    assert ox_quads(ox.parse(data, format=OX_FORMATS[fmt])) == ox_quads(expected)


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_export_is_the_same_bytes_from_either_store(fmt: str) -> None:
    memory = export.serialize(memory_store("mini").dataset, fmt)
    oxigraph = export.serialize(store.load(built("mini"), "oxigraph").dataset, fmt)
    assert memory == oxigraph
    assert memory == export.serialize(memory_store("mini").dataset, fmt)


def test_jsonld_embeds_the_published_context() -> None:
    document = json.loads(export.serialize(memory_store("mini").dataset, "jsonld"))
    published = json.loads((ROOTS["real"] / "schema" / "context.jsonld").read_text("utf-8"))
    assert document["@context"] == published["@context"]
    by_id = {node["@id"]: node for node in document["@graph"]}
    meeting = by_id["https://kb.example.org/meeting/blinken-wang-jakarta"]
    assert "https://kb.example.org/person/wang-yi" in meeting["attendee"]  # compacted by the context's terms


def test_unknown_format_raises_export_error() -> None:
    with pytest.raises(ExportError, match="rdfxml"):
        export.serialize(memory_store("mini").dataset, "rdfxml")


EVIDENCE_QUERY = """
PREFIX kb: <https://kb.example.org/ns#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?evidence ?file ?text ?start ?end ?exact WHERE {
  ?evidence a oa:SpecificResource ; oa:hasSource ?article ; oa:hasSelector ?position, ?quote .
  ?article kb:file ?file ; kb:text ?text .
  ?position oa:start ?start ; oa:end ?end .
  ?quote oa:exact ?exact .
}
"""


def _expected_evidence_nodes(which: str) -> int:
    """Count evidence nodes from the YAML alone: one per distinct span in each evidence list."""
    count = 0
    for records in knowledge_base(which).by_kind().values():
        for record in records.values():
            for _, model in walk(record):
                entries = getattr(model, "evidence", None)
                if isinstance(entries, list) and entries and isinstance(entries[0], Evidence):
                    count += len({(e.source, e.start, e.end) for e in entries})
    return count


@BOTH
def test_sparql_over_the_export_finds_every_evidence_and_each_anchor_holds(which: str) -> None:
    data = export.serialize(memory_store(which).dataset, "turtle")
    rows_rdflib = {tuple(str(v) for v in row)  # type: ignore[union-attr]
                   for row in Graph().parse(data=data, format="turtle").query(EVIDENCE_QUERY)}
    native = ox.Store()
    native.load(data, format=ox.RdfFormat.TURTLE)
    rows_ox = {tuple(term.value for term in row) for row in native.query(EVIDENCE_QUERY)}  # type: ignore[union-attr]
    assert rows_rdflib == rows_ox
    assert len(rows_rdflib) == _expected_evidence_nodes(which) > 0
    seeds = ROOTS[which] / "seeds"
    for _, file, text, start, end, exact in rows_rdflib:
        assert text[int(start):int(end)] == exact  # the graph's own copy of the article ...
        assert (seeds / file).read_bytes().decode("utf-8")[int(start):int(end)] == exact  # ... and the file


# ---------------------------------------------------------------- kb export


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_cli_export_writes_each_format_to_stdout(fmt: str) -> None:
    code, out, _ = run("export", "--root", str(MINI), "--format", fmt)
    assert code == 0
    assert out == export.serialize(memory_store("mini").dataset, fmt)


def test_cli_export_writes_a_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "kb.trig"
    code, out, err = run("export", "--root", str(MINI), "--format", "trig", "-o", str(target))
    assert code == 0 and out == b""
    assert f"wrote {target}" in err
    assert target.read_bytes() == export.serialize(memory_store("mini").dataset, "trig")
    assert list(tmp_path.iterdir()) == [target]


def test_cli_export_uses_the_base_iri(tmp_path: Path) -> None:
    code, out, _ = run("export", "--root", str(MINI), "--format", "nt", "--base-iri", "http://x.example/")
    assert code == 0
    assert b"<http://x.example/person/wang-yi>" in out and b"<https://kb.example.org/person/" not in out


def test_cli_export_refuses_invalid_curation_with_exit_2(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    sanctions = root / "curation" / "sanctions.yaml"
    sanctions.write_text(sanctions.read_text("utf-8").replace("target: li-shangfu", "target: li-shang-fu"), "utf-8")
    code, out, err = run("export", "--root", str(root), "-o", str(tmp_path / "out.ttl"))
    assert code == 2 and out == b""
    assert "curation/sanctions.yaml:" in err and "li-shang-fu" in err
    assert not (tmp_path / "out.ttl").exists()


def test_cli_export_refuses_an_unknown_format() -> None:
    code, _, err = run("export", "--root", str(MINI), "--format", "rdfxml")
    assert code == 64 and "rdfxml" in err  # a usage error (EX_USAGE), not invalid curation


def test_cli_validate_runs_the_shapes_and_reports_a_broken_graph_by_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.graph import builder as graph

    assert run("validate", "--root", str(MINI))[0] == 0
    original = graph._Builder.fact_common

    def without_flag(self: graph._Builder, node: str, fact: object) -> list[tuple[str, str, str]]:
        return [t for t in original(self, node, fact) if t[1] != f"<{KB.disputed}>"]  # type: ignore[arg-type]

    monkeypatch.setattr(graph._Builder, "fact_common", without_flag)  # a builder bug the shapes must catch
    code, _, err = run("validate", "--root", str(MINI))
    assert code == 2
    lines = err.splitlines()
    assert any(line.startswith("curation/sanctions.yaml:") and "us-sanctions-li-shangfu" in line
               and "kb:disputed" in line for line in lines)
    assert any(line.startswith("curation/meetings.yaml:") and "blinken-wang-beijing" in line for line in lines)
    assert run("validate", "--root", str(MINI), "--no-shapes")[0] == 0


def test_seed_copies_in_the_fixture_are_byte_identical() -> None:
    for path in (MINI / "seeds").iterdir():
        assert path.read_bytes() == (ROOTS["real"] / "seeds" / path.name).read_bytes()
    assert Path(MINI / "curation" / "sources.yaml").exists()
