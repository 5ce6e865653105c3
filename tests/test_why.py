"""kb/graph/why.py and ``kb why``: the reason of a triple, read from the graph with SPARQL on either engine,
and the same verdict as kb audit's one pass."""

from __future__ import annotations

import asyncio
from functools import cache

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.graph import store
from kb.graph.audit import split, unexplained
from kb.graph.query import Backend, Term
from kb.graph.snapshot import backend_for
from kb.graph.why import Reason, spans, why
from kb.vocab import KB, RDF, SDO, VALUE_IRI, rule
from tests.kbs import BASE, ROOT, built, knowledge_base

ENGINES = pytest.mark.parametrize("engine", ["oxigraph", "memory"])
MEETING = f"{BASE}meeting/meeting-blinken-wang-jakarta-2023-07-13"


@cache
def backend(engine: str) -> Backend:
    return backend_for(store.load(built("real"), engine))


def reasons(engine: str, *triple: str | Term) -> list[Reason]:
    return asyncio.run(why(backend(engine), *triple))  # type: ignore[arg-type]


@ENGINES
def test_met_is_derived_by_its_rule_from_the_meetings(engine: str) -> None:
    found = reasons(engine, f"{BASE}person/antony-blinken", str(KB.met), f"{BASE}person/wang-yi")
    [derived] = [r for r in found if r.kind == "derived"]
    assert derived.rule == str(rule("met"))
    assert MEETING in derived.premises and f"{BASE}meeting/meeting-blinken-wang-beijing-2023-06-19" in derived.premises
    assert all(r.kind == "derived" for r in found)  # a person's evidence does not state whom they met


@ENGINES
def test_a_meeting_topic_is_stated_by_its_own_words(engine: str) -> None:
    topic = f"{BASE}topic/south-china-sea-disputes"
    [link] = reasons(engine, MEETING, "http://purl.org/dc/terms/subject", topic)
    assert link.kind == "stated" and link.node is not None and link.node.startswith(f"{MEETING}/link/topic/")
    [span] = asyncio.run(spans(backend(engine), link.evidence))
    assert span.quote == "The two also talked about China’s military activities in the South China Sea"
    assert span.source == f"{BASE}source/bloomberg-2023-07-13-jakarta"
    text = knowledge_base("real").articles["bloomberg-2023-07-13-jakarta"].text
    assert text[span.start:span.end] == span.quote


@ENGINES
def test_a_fact_node_and_its_time_node_have_the_facts_evidence(engine: str) -> None:
    [own] = reasons(engine, MEETING)
    assert own.kind == "stated" and own.node == MEETING and len(own.evidence) >= 5
    assert reasons(engine, f"{MEETING}/during") == [own]


@ENGINES
def test_a_version_keeps_each_evidences_wording(engine: str) -> None:
    [version] = [r for r in reasons(engine, f"{MEETING}/duration/2", str(SDO.duration), "PT1H30M")]
    written = {s.as_written for s in asyncio.run(spans(backend(engine), version.evidence))}
    assert written == {"about 90 minutes", "hour and half long", "an hour and a half"}


@ENGINES
def test_article_metadata_has_a_span_or_a_basis(engine: str) -> None:
    [byline] = reasons(engine, f"{BASE}source/cnn-2023-07-13-jakarta", "http://purl.org/dc/terms/creator",
                       "Kylie Atwood")
    assert byline.kind == "stated" and byline.evidence
    [publisher] = reasons(engine, f"{BASE}source/nyt-2023-07-13-jakarta", "http://purl.org/dc/terms/publisher",
                          "The New York Times")
    assert (publisher.kind, publisher.basis) == ("curator", "curator") and publisher.note
    date = reasons(engine, f"{BASE}source/cnn-2023-07-13-jakarta", "http://purl.org/dc/terms/date", "2023-07-13")
    assert [(r.kind, r.basis) for r in date] == [("curator", "inferred")]


@ENGINES
def test_a_hedge_is_on_the_link_it_qualifies(engine: str) -> None:
    sanction = f"{BASE}sanction/sanction-us-li-shangfu-2018"
    demand = f"{BASE}statement/statement-beijing-lift-sanctions-before-military-talks"
    found = reasons(engine, sanction, str(KB.relatedStatement), demand)
    assert len(found) == 3  # CNN's link, Bloomberg's hedged link, and the sanction's own evidence
    certainties = []
    for reason in found[:2]:
        table = asyncio.run(backend(engine).select(f"SELECT ?c WHERE {{ <{reason.node}> <{KB.certainty}> ?c }}"))
        certainties += [row["c"].value.removeprefix(VALUE_IRI) for row in table.rows]
    assert sorted(certainties) == ["hedged", "stated"]
    [own] = reasons(engine, sanction, str(KB.certainty))
    assert own.kind == "stated"


@ENGINES
def test_vocabulary_and_nothing(engine: str) -> None:
    assert [r.kind for r in reasons(engine, f"{VALUE_IRI}held")] == ["vocabulary"]
    assert [r.kind for r in reasons(engine, f"{BASE}topic/fentanyl", str(RDF.type))] == ["vocabulary"]
    assert reasons(engine, f"{BASE}person/li-shangfu", str(KB.met), f"{BASE}person/lloyd-austin") == []


def test_why_agrees_with_the_audit_on_every_triple_of_some_nodes() -> None:
    lines = built("real").lines
    assert unexplained(lines, knowledge_base("real"), BASE) == []
    subjects = {MEETING, f"{MEETING}/link/topic/1", f"{BASE}person/wang-yi", f"{BASE}source/geo-2023-07-14-jakarta",
                f"{BASE}post/us-state-department/secretary-of-state"}
    checked = 0
    for line in lines:
        s, p, o = split(line)
        if s[1:-1] in subjects:
            value = Term(o[1:-1], "uri") if o.startswith("<") else Term(o.split('"')[1])
            assert reasons("oxigraph", s[1:-1], p[1:-1], value), line
            checked += 1
    assert checked > 50


def test_kb_why_prints_the_rule_premises_and_quotes() -> None:
    result = CliRunner().invoke(main, ["why", "--root", str(ROOT), "person/antony-blinken", "kb:met",
                                       "person/wang-yi"])
    assert result.exit_code == 0, result.output
    assert f"rule: {rule('met')}" in result.output
    assert "premise: " + MEETING in result.output
    assert "bloomberg-2023-07-13-jakarta [" in result.output


def test_kb_why_exits_2_for_a_triple_the_graph_does_not_hold() -> None:
    result = CliRunner().invoke(main, ["why", "--root", str(ROOT), "person/li-shangfu", "kb:met",
                                       "person/lloyd-austin"])
    assert result.exit_code == 2
    assert "no such triple" in result.output
