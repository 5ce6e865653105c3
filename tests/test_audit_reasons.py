"""kb/graph/audit.py and ``kb audit``: every triple of the built graph has a reason, on the seeds, the mini
fixture and a generated knowledge base; a triple whose reason is taken away is listed at its fact's line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import generate
from kb.cli import main
from kb.graph import shapes, store
from kb.graph.audit import unexplained
from kb.graph.builder import build
from kb.graph.sinks import BuiltGraph
from kb.load import pipeline
from tests.kbs import BASE, BOTH, ROOT, built, knowledge_base


@BOTH
def test_every_triple_has_a_reason(which: str) -> None:
    assert [str(u) for u in unexplained(built(which).lines, knowledge_base(which), BASE)] == []


def test_a_generated_knowledge_base_has_every_reason(tmp_path: Path) -> None:
    generate.write(tmp_path, 400)
    kb = pipeline.load(tmp_path)
    assert [str(u) for u in unexplained(build(kb, BASE).lines, kb, BASE)] == []


def _without(lines: frozenset[bytes], test: str) -> list[bytes]:
    return [line for line in lines if test not in line.decode()]


def test_a_truthy_triple_without_its_derivation_is_listed_at_its_fact() -> None:
    kb = knowledge_base("real")
    lines = built("real").lines
    broken = _without(lines, "/derivation/sanctioned-by/")  # every kb:sanctionedBy loses its reason
    found = unexplained(broken, kb, BASE)
    assert found and all("#sanctionedBy>" in u.triple for u in found)
    agents = {"curation/people.yaml", "curation/organizations.yaml"}
    assert {u.location.path for u in found if u.location} <= agents  # the record of the triple's subject
    assert all(str(u).split(":")[0] in agents for u in found)


def test_a_topic_without_its_link_is_listed_at_its_meeting() -> None:
    kb = knowledge_base("real")
    broken = _without(built("real").lines, "/link/topic/")
    found = unexplained(broken, kb, BASE)
    assert found and {u.record for u in found} <= set(kb.meetings) | set(kb.statements)
    assert any("<http://purl.org/dc/terms/subject>" in u.triple for u in found)
    assert all(u.location is not None and u.location.line > 0 for u in found)


def test_an_article_byline_without_its_span_or_basis_is_listed() -> None:
    kb = knowledge_base("real")
    lines = built("real").lines
    link = "/source/cnn-2023-07-13-jakarta/link/author/1>"
    broken = [line for line in lines if not (line.decode().startswith(f"<{BASE}".rstrip("/") + link.rstrip(">"))
                                             and "#wasDerivedFrom>" in line.decode())]
    found = unexplained(broken, kb, BASE)
    assert any("/terms/creator>" in u.triple and u.record == "cnn-2023-07-13-jakarta" for u in found)


@pytest.mark.parametrize("root", [ROOT, ROOT / "tests" / "fixtures" / "mini"])
def test_kb_audit_passes_on_the_projects(root: Path) -> None:
    result = CliRunner().invoke(main, ["audit", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: every one of ")


def test_kb_audit_exits_2_on_invalid_curation(tmp_path: Path) -> None:
    generate.write(tmp_path, 100)
    meetings = next((tmp_path / "curation" / "meetings").glob("*.yaml"))
    text = meetings.read_text("utf-8")
    meetings.write_text(text.replace('  - of: "topic ', '  - of: "topic nonexistent-', 1), "utf-8")
    result = CliRunner().invoke(main, ["audit", "--root", str(tmp_path), "--quiet"])
    assert result.exit_code == 2
    assert "is not one of its topics" in result.output


def test_the_shapes_hold_links_and_derivations_to_their_reasons() -> None:
    lines = built("mini").lines
    premises = Counter(line.split(b" ")[0] for line in lines
                       if b"/derivation/" in line.split(b" ")[0] and b"#wasDerivedFrom>" in line)
    alone = next(node for node, n in premises.items() if n == 1)
    premise = next(line for line in lines if line.startswith(alone + b" ") and b"#wasDerivedFrom>" in line)
    basis = next(line for line in lines if b"/link/publisher/" in line.split(b" ")[0] and b"#basis>" in line)
    graph = store.load(BuiltGraph(lines=lines - {premise, basis}), "memory").graph
    messages = {v.message for v in shapes.check(graph, BASE)}
    assert "a derivation names the statements it was derived from" in messages
    assert "a link needs evidence or a basis" in messages
