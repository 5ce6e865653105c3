"""docs/sparql.md: every example query runs on the export, in rdflib and in Oxigraph, and gives the answer the
curated YAML implies (computed here from the records, not written down)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kb import export
from kb.graph.nodes import SINGLE_VALUED
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Evidence, Meeting, Record, Role, Sanction, Statement
from kb.vocab import KB, KBV, OA, RDFS, VOCABULARY_GRAPH
from tests import apikit
from tests.kbs import BOTH, MINT, ROOT, ROOTS, knowledge_base, memory_store

# rdflib's TriG parser and Dataset.query call its own deprecated APIs internally.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.contexts is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.identifier is deprecated:DeprecationWarning"),
]

DOC = ROOT / "docs" / "sparql.md"
VOCAB = ROOT / "schema" / "kb.ttl"
Row = tuple[str | None, ...]


def documented_queries() -> dict[str, str]:
    """Return every ```sparql block of docs/sparql.md by the id on its first line."""
    blocks = re.findall(r"```sparql\n(.*?)```", DOC.read_text("utf-8"), flags=re.DOTALL)
    queries = {}
    for block in blocks:
        match = re.match(r"# id: ([a-z0-9-]+)\n", block)
        assert match, f"query without '# id:' line: {block[:60]!r}"
        queries[match.group(1)] = block
    return queries


# ---------------------------------------------------------------- running a query in both engines


@cache
def rdflib_dataset(which: str) -> Dataset:
    dataset = Dataset()
    dataset.parse(data=export.serialize(memory_store(which).dataset, "trig"), format="trig")
    dataset.graph(URIRef(VOCABULARY_GRAPH)).parse(VOCAB, format="turtle")  # as the served store holds it
    return dataset


@cache
def rdflib_graph(which: str) -> Graph:
    # The vocabulary stays out of the default graph, as on the live /sparql: a query reads it with GRAPH.
    return Graph().parse(data=export.serialize(memory_store(which).dataset, "turtle"), format="turtle")


@cache
def oxigraph(which: str) -> ox.Store:
    native = ox.Store()
    native.load(export.serialize(memory_store(which).dataset, "trig"), format=ox.RdfFormat.TRIG)
    native.load(VOCAB.read_bytes(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(VOCABULARY_GRAPH))
    return native


def run_rdflib(which: str, query: str) -> list[Row]:
    source = rdflib_dataset(which) if "GRAPH" in query else rdflib_graph(which)
    return [tuple(None if v is None else str(v) for v in row) for row in source.query(query)]  # type: ignore[union-attr]


def run_oxigraph(which: str, query: str) -> list[Row]:
    solutions = oxigraph(which).query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return [tuple(None if v is None else v.value for v in row) for row in solutions]


# ---------------------------------------------------------------- what the YAML says the answers are


def name(kb: KnowledgeBase, rid: str) -> str:
    record = kb.of(kb.kinds[rid])[rid]
    return str(getattr(record, "name", None) or getattr(record, "label", rid))


def person(kb: KnowledgeBase, full_name: str) -> str:
    [rid] = [p.id for p in kb.people.values() if p.name == full_name]
    return str(rid)


def spans(evidence: list[Evidence], kb: KnowledgeBase) -> set[tuple[str, str, str, str]]:
    """(file, start, end, quote) of each distinct evidence span."""
    return {(kb.sources[e.source].file, str(e.start), str(e.end), e.quote) for e in evidence}


def fact_evidence(record: Record) -> list[Evidence]:
    if isinstance(record, Role):
        return [e for title in record.titles for e in title.evidence]
    return list(record.evidence)  # type: ignore[attr-defined]


def held_meetings_with(kb: KnowledgeBase, rid: str) -> list[Meeting]:
    meetings = [m for m in kb.meetings.values() if isinstance(m, Meeting)]
    return [m for m in meetings if m.status == "held" and rid in m.participants]


MEET_KINDS = {"meeting", "talks", "visit"}  # docs/model.md, "Rules": kb:rule-met


def met_at(kb: KnowledgeBase, meeting: Meeting, a: str, b: str) -> bool:
    """Whether ``meeting`` makes kb:met between the people a and b: held, of a meeting kind, both people, no
    declined or cancelled meeting between them about the same gathering or day."""
    if meeting.status != "held" or meeting.kind not in MEET_KINDS or not {a, b} <= set(meeting.participants):
        return False
    if kb.kinds.get(a) != "people" or kb.kinds.get(b) != "people" or a == b:
        return False
    for other in kb.meetings.values():
        if other.status in {"declined", "cancelled"} and {a, b} <= set(other.participants):
            same_day = other.date is not None and meeting.date is not None and other.date.value == meeting.date.value
            if other.occasion in {meeting.id, meeting.occasion} - {None} or same_day:
                return False
    return True


def met_by(kb: KnowledgeBase, a: str) -> list[tuple[str, Meeting]]:
    """(other person, meeting) for every meeting whose kb:met between a and the other survives its dispute."""
    groups = {d.id: d.facts for d in kb.disputes.values()}
    disputed = kb.disputed()
    found = []
    for meeting in held_meetings_with(kb, a):
        versions = [kb.meetings[f] for f in groups[disputed[meeting.id]]] if meeting.id in disputed \
            else [meeting]
        for other in meeting.participants:  # a disputed meeting counts only where every version agrees
            if all(met_at(kb, v, a, other) for v in versions):
                found.append((other, meeting))
    return found


def expect_who_met_wang_yi(kb: KnowledgeBase) -> Counter[Row]:
    return Counter({(name(kb, other),) for other, _ in met_by(kb, person(kb, "Wang Yi"))})


def expect_why_met_wang_yi(kb: KnowledgeBase) -> Counter[Row]:
    return Counter({(name(kb, other), meeting.label) for other, meeting in met_by(kb, person(kb, "Wang Yi"))})


def expect_meetings_with_evidence(kb: KnowledgeBase) -> Counter[Row]:
    wang = person(kb, "Wang Yi")
    rows: Counter[Row] = Counter()
    for meeting in held_meetings_with(kb, wang):
        place = name(kb, meeting.place) if meeting.place else None
        date = meeting.date.value if meeting.date else None
        for other in set(meeting.participants) - {wang}:
            for span in spans(meeting.evidence, kb):
                rows[(str(MINT.record("meetings", meeting.id)), name(kb, other), place, date, *span)] += 1
    return rows


def expect_statements_on_sanctions(kb: KnowledgeBase) -> Counter[Row]:
    rows: Counter[Row] = Counter()
    for statement in kb.statements.values():
        assert isinstance(statement, Statement)
        topics = [kb.topics[t].label for t in statement.topics]
        if any("sanction" in text.lower() for text in [*topics, *(e.quote for e in statement.evidence)]):
            rows[(str(MINT.record("statements", statement.id)), name(kb, statement.speaker), statement.summary)] += 1
    return rows


def expect_disputes(kb: KnowledgeBase) -> Counter[Row]:
    """Rows as (dispute label, value, as written, file, words): statement IRIs are the builder's business."""
    rows: set[Row] = set()
    for dispute in kb.disputes.values():
        for fact in dispute.facts:
            for file, _, _, words in spans(fact_evidence(kb.of(kb.kinds[fact])[fact]), kb):
                rows.add((dispute.label, None, None, file, words))
    for meeting in kb.meetings.values():
        assert isinstance(meeting, Meeting)
        for attribute in sorted(SINGLE_VALUED):
            versions = getattr(meeting, attribute)
            for version in versions if len(versions) > 1 else []:
                value = version.value
                if value is not None and attribute == "duration":
                    value = str(Literal(value, datatype=XSD.duration))
                for file, _, _, words in spans(version.evidence, kb):
                    rows.add((f"{meeting.label}: {attribute}", value, version.as_written, file, words))
    return Counter(rows)


def expect_offices(kb: KnowledgeBase) -> Counter[Row]:
    rows: Counter[Row] = Counter()
    for role in kb.roles.values():
        assert isinstance(role, Role)
        rows[(name(kb, role.holder), role.title, name(kb, role.organization),
              role.start.value if role.start else None, role.end.value if role.end else None,
              " | ".join(sorted({t.text for t in role.titles})))] += 1
    return rows


def expect_sanctions_on_li_shangfu(kb: KnowledgeBase) -> Counter[Row]:
    li = person(kb, "Li Shangfu")
    rows: Counter[Row] = Counter()
    for sanction in kb.sanctions.values():
        assert isinstance(sanction, Sanction)
        if sanction.target == li:
            for span in spans(sanction.evidence, kb):
                rows[(str(MINT.record("sanctions", sanction.id)), name(kb, sanction.imposed_by),
                      sanction.date.value if sanction.date else None, sanction.reason,
                      str(KBV[sanction.certainty]), sanction.hedge, *span)] += 1
    return rows


def expect_what_each_side_said(kb: KnowledgeBase) -> Counter[Row]:
    vocab = Graph().parse(VOCAB)
    rows: Counter[Row] = Counter()
    for statement in kb.statements.values():
        assert isinstance(statement, Statement)
        speaker = kb.of(kb.kinds[statement.speaker])[statement.speaker]
        country = getattr(speaker, "country", None)
        side = name(kb, country) if country else None
        channel = str(vocab.value(KBV[statement.channel], RDFS.label))
        for _, _, _, words in spans(statement.evidence, kb):  # one row per evidence node, even if words repeat
            rows[(side, name(kb, statement.speaker), channel, str(MINT.record("statements", statement.id)),
                  words)] += 1
    return rows


def expect_broken_anchors(kb: KnowledgeBase) -> Counter[Row]:
    return Counter()


def expect_statements_per_article(kb: KnowledgeBase) -> Counter[Row]:
    cited: Counter[str] = Counter()
    for kind in ("meetings", "roles", "statements", "sanctions"):
        for record in kb.of(kind).values():
            for source in {e.source for e in fact_evidence(record)}:
                cited[source] += 1
            versions = [*getattr(record, "duration", []), *getattr(record, "characterization", []),
                        *getattr(record, "outcomes", []), *getattr(record, "titles", [])]
            for version in versions:
                for source in {e.source for e in version.evidence}:
                    cited[source] += 1
    return Counter({(str(MINT.named_graph(source)), str(n)): 1 for source, n in cited.items()})


EXPECT: dict[str, Callable[[KnowledgeBase], Counter[Row]]] = {
    "who-met-wang-yi": expect_who_met_wang_yi,
    "why-met-wang-yi": expect_why_met_wang_yi,
    "meetings-with-evidence": expect_meetings_with_evidence,
    "statements-on-sanctions": expect_statements_on_sanctions,
    "disputes": expect_disputes,
    "offices": expect_offices,
    "sanctions-on-li-shangfu": expect_sanctions_on_li_shangfu,
    "what-each-side-said": expect_what_each_side_said,
    "broken-anchors": expect_broken_anchors,
    "statements-per-article": expect_statements_per_article,
}


def project(qid: str, rows: list[Row]) -> Counter[Row]:
    """Shape raw rows like the expectation: disputes drop IRIs, offices sort the concatenated wordings."""
    if qid == "disputes":  # ?dispute ?label ?statement ?value ?asWritten ?file ?words
        return Counter({(r[1], r[3], r[4], r[5], r[6]) for r in rows})
    if qid == "offices":
        return Counter((*r[:5], " | ".join(sorted(set((r[5] or "").split(" | "))))) for r in rows)
    return Counter(rows)


# ---------------------------------------------------------------- the tests


def test_every_documented_query_is_checked() -> None:
    assert set(documented_queries()) == set(EXPECT)


@BOTH
@pytest.mark.parametrize("qid", sorted(EXPECT))
def test_documented_query_gives_the_answer_the_yaml_implies(which: str, qid: str) -> None:
    kb = knowledge_base(which)
    query = documented_queries()[qid]
    in_rdflib, in_oxigraph = run_rdflib(which, query), run_oxigraph(which, query)
    assert project(qid, in_rdflib) == project(qid, in_oxigraph)
    expected = EXPECT[qid](kb)
    assert project(qid, in_oxigraph) == expected
    if qid != "broken-anchors":
        assert expected, "the example must have a non-empty answer"
    if qid == "disputes":  # every disputed statement is listed, each version separately
        statements = {r[2] for r in in_oxigraph}
        flagged = set(memory_store(which).graph.subjects(KB.disputed, Literal(True)))
        assert len(statements) == len(flagged) > 0


def live_rows(http: apikit.Http, query: str) -> list[Row]:
    """Return the rows the live /sparql answers ``query`` with (SPARQL JSON, each value's lexical form)."""
    response = http.post("/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    document = response.json()
    names = document["head"]["vars"]
    return [tuple(b[n]["value"] if n in b else None for n in names) for b in document["results"]["bindings"]]


@BOTH
@pytest.mark.parametrize("backend", ["oxigraph", "rdflib"])
def test_documented_queries_give_the_same_answers_on_the_live_endpoint(which: str, backend: str) -> None:
    kb = knowledge_base(which)
    with apikit.serve(apikit.app(ROOTS[which], backend)) as http:
        for qid, query in sorted(documented_queries().items()):
            expected = EXPECT[qid](kb)
            assert project(qid, live_rows(http, query)) == expected, qid
            assert expected or qid == "broken-anchors"


def test_broken_anchors_query_finds_a_planted_break() -> None:
    graph = Graph()
    graph += rdflib_graph("mini")
    quote = min(str(s) for s in graph.subjects(OA.exact, None))
    graph.set((URIRef(quote), OA.exact, Literal("words the article never had")))
    rows = list(graph.query(documented_queries()["broken-anchors"]))
    assert [str(row[0]) for row in rows] == [quote.removesuffix("/quote")]  # type: ignore[index]
