"""kb/graph/builder.py, kb/vocab.py and kb/graph/shapes.py: the graph a knowledge base makes, and the shapes it meets.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH

from kb.errors import CurationError
from kb.graph import shapes
from kb.graph.builder import build
from kb.graph.sinks import BuiltGraph
from kb.model import records as models
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Evidence, Meeting, Version
from kb.model.sources import context
from kb.vocab import (
    DCTERMS,
    KB,
    KBV,
    OA,
    ORG,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    TIME,
    VALUE_IRI,
    VOCAB_IRI,
    XSD,
    Mint,
)
from tests.kbs import BASE, BOTH, MINT, ROOT, built, knowledge_base

VOCAB = Graph().parse(ROOT / "schema" / "kb.ttl")
SHAPES = Graph().parse(ROOT / "schema" / "shapes.ttl")


def graph_of(triples: BuiltGraph) -> Graph:
    graph = Graph()
    for triple in triples.triples:
        graph.add(triple)
    return graph


def iri(kind: str, rid: str) -> URIRef:
    return MINT.record(kind, rid)


def replace(kb: KnowledgeBase, *records: models.Record, disputes: list[models.Dispute] = ()) -> KnowledgeBase:  # type: ignore[assignment]
    """Return a copy of ``kb`` with ``records`` added or replaced (by id) and ``disputes`` added."""
    copy = kb.copy()
    for record in [*records, *disputes]:
        copy.add(record)
    return copy


# ---------------------------------------------------------------- the graph meets its shapes


@BOTH
def test_build_conforms_to_shapes(which: str) -> None:
    assert shapes.check(graph_of(built(which)), BASE) == []


@BOTH
def test_build_has_no_blank_nodes_and_only_known_iris(which: str) -> None:
    namespaces = (BASE, *PREFIXES.values())
    for triple in built(which).triples:
        assert not any(isinstance(term, BNode) for term in triple)
        for term in triple:
            if isinstance(term, URIRef):
                assert str(term).startswith(namespaces), term


@BOTH
def test_build_uses_only_terms_the_vocabulary_defines(which: str) -> None:
    used = {term for triple in built(which).triples for term in triple
            if isinstance(term, URIRef) and str(term).startswith((VOCAB_IRI, VALUE_IRI))}
    assert used
    defined = set(VOCAB.subjects(RDFS.label, None))
    assert used <= defined, sorted(used - defined)


def test_vocab_module_and_turtle_define_the_same_terms_with_label_and_comment() -> None:
    in_code = {KB[name] for name in typing.get_type_hints(KB) if not name.startswith("_")}
    in_code |= {KBV[name] for name in KBV._extras} | {KB[name] for name in KB._extras}
    in_turtle = {s for s in VOCAB.subjects() if str(s).startswith((VOCAB_IRI, VALUE_IRI)) and s != URIRef(VOCAB_IRI)}
    assert in_code == in_turtle
    for term in in_turtle:
        assert VOCAB.value(term, RDFS.label) is not None, term
        assert VOCAB.value(term, RDFS.comment) is not None, term
    assert (URIRef(VOCAB_IRI), RDF.type, OWL.Ontology) in VOCAB


def test_vocab_refuses_an_undefined_term() -> None:
    with pytest.raises(AttributeError):
        _ = KB.metWith
    with pytest.raises(AttributeError):
        _ = KBV["unheld"]


def _allowed(shape: str, path: URIRef) -> set[str]:
    """Return the local names a shape's sh:in allows on ``path``."""
    node = URIRef(f"https://kb.example.org/ns/shapes#{shape}")
    for prop in SHAPES.objects(node, SH.property):
        if SHAPES.value(prop, SH.path) == path and SHAPES.value(prop, SH["in"]) is not None:
            items = SHAPES.collection(SHAPES.value(prop, SH["in"]))  # type: ignore[arg-type]
            return {str(item).removeprefix(VALUE_IRI) for item in items}
    raise AssertionError(f"no sh:in for {path} in {shape}")


def _literals(model: type[models.Record], name: str) -> set[str]:
    annotation = model.model_fields[name].annotation
    return set(typing.get_args(annotation))


@pytest.mark.parametrize(("shape", "path", "model", "field"), [
    ("MeetingShape", KB.kind, models.Meeting, "kind"),
    ("MeetingShape", KB.status, models.Meeting, "status"),
    ("UtteranceShape", KB.channel, models.Statement, "channel"),
    ("OrganizationShape", ORG.classification, models.Organization, "kind"),
    ("PlaceShape", KB.kind, models.Place, "kind"),
    ("FactShape", KB.certainty, models.Fact, "certainty"),
])
def test_shapes_allow_exactly_the_values_the_models_allow(shape: str, path: URIRef,
                                                          model: type[models.Record], field: str) -> None:
    assert _allowed(shape, path) == _literals(model, field)


# ---------------------------------------------------------------- determinism and IRIs


def _shuffled(kb: KnowledgeBase) -> KnowledgeBase:
    """Return ``kb`` with every record dict and every evidence list in reverse order."""
    def flip(record: models.Record) -> models.Record:
        updates: dict[str, object] = {}
        for name in type(record).model_fields:
            value = getattr(record, name)
            if isinstance(value, list):
                updates[name] = [flip(v) if isinstance(v, models.Record) else v for v in reversed(value)]
        return record.model_copy(update=updates)
    records = {kind: {rid: flip(r) for rid, r in reversed(list(rs.items()))} for kind, rs in kb.by_kind().items()}
    return dataclasses.replace(kb, **records)


@BOTH
def test_build_never_depends_on_record_or_list_order(which: str) -> None:
    kb = knowledge_base(which)
    again = build(_shuffled(kb), BASE)
    assert again.triples == built(which).triples
    assert again.named == built(which).named


def test_build_mints_every_iri_under_the_configured_base() -> None:
    other = "http://data.example.net/kb/"
    graph = build(knowledge_base("mini"), other)
    subjects = {str(s) for s, _, _ in graph.triples}
    assert all(s.startswith(other) for s in subjects)
    assert f"{other}person/wang-yi" in subjects
    assert not any(str(term).startswith(BASE) and not str(term).startswith((VOCAB_IRI, VALUE_IRI))
                   for triple in graph.triples for term in triple if isinstance(term, URIRef))


def test_mint_record_id_finds_the_record_of_any_minted_iri() -> None:
    mint = Mint(BASE)
    fact = mint.record("meetings", "m1")
    assert mint.record_id(fact) == "m1"
    assert mint.record_id(mint.attribute(fact, "duration", 2)) == "m1"
    assert mint.record_id(mint.selector(mint.evidence("m1/duration/2", 1), "quote")) == "m1"
    assert mint.record_id(mint.attribute_dispute("m1", "duration")) == "m1"
    assert mint.record_id(mint.topic_scheme()) is None
    assert mint.record_id("http://elsewhere.example/person/x") is None


# ---------------------------------------------------------------- statements, truthy triples, disputes


def test_meeting_is_a_statement_node_with_truthy_met_both_ways() -> None:
    g = graph_of(built("mini"))
    meeting, blinken, wang = iri("meetings", "blinken-wang-jakarta"), iri("people", "antony-blinken"), iri(
        "people", "wang-yi")
    assert {(meeting, RDF.type, SDO.Event), (meeting, RDF.type, KB.Statement),
            (meeting, KB.status, KBV.held), (meeting, SDO.attendee, wang),
            (meeting, SDO.location, iri("places", "jakarta"))} <= set(g)
    assert (blinken, KB.met, wang) in g and (wang, KB.met, blinken) in g
    assert (meeting, DCTERMS.subject, iri("topics", "sanctions")) in g
    assert len(list(g.objects(meeting, PROV.wasDerivedFrom))) == 2


def test_attribute_with_two_versions_is_a_dispute_with_no_truthy_value() -> None:
    g = graph_of(built("mini"))
    meeting = iri("meetings", "blinken-wang-jakarta")
    versions = set(g.objects(meeting, KB.attributeStatement))
    durations = [v for v in versions if (v, KB.attribute, SDO.duration) in g]
    assert len(durations) == 2
    assert all((v, KB.disputed, Literal(True)) in g for v in durations)
    assert {g.value(v, KB.asWritten) for v in durations} == {Literal("about 90 minutes"), Literal("for hours")}
    assert g.value(meeting, SDO.duration) is None  # the sources disagree: no truthy duration
    assert g.value(meeting, KB.characterization) is None
    dispute = URIRef(f"{BASE}dispute/blinken-wang-jakarta/duration")
    assert set(g.objects(dispute, KB.disputedStatement)) == set(durations)
    assert (dispute, RDF.type, KB.Dispute) in g
    # the version with a value carries it, typed; each version has its own evidence
    [timed] = [v for v in durations if g.value(v, SDO.duration) is not None]
    assert g.value(timed, SDO.duration) == Literal("PT1H30M", datatype=XSD.duration)
    assert len(list(g.objects(timed, PROV.wasDerivedFrom))) == 2


def test_attribute_with_one_version_gets_a_truthy_value_and_no_dispute() -> None:
    kb = knowledge_base("mini")
    meeting: Meeting = kb.meetings["blinken-wang-jakarta"]
    one = meeting.model_copy(update={"characterization": meeting.characterization[:1],
                                     "duration": meeting.duration[:1]})
    g = graph_of(build(replace(kb, one), BASE))
    node = iri("meetings", "blinken-wang-jakarta")
    assert g.value(node, KB.characterization) == Literal("candid and constructive")
    assert g.value(node, SDO.duration) == Literal("PT1H30M", datatype=XSD.duration)
    assert (node, KB.outcome, Literal("no breakthroughs")) in g
    version = URIRef(f"{node}/characterization/1")
    assert (version, KB.disputed, Literal(False)) in g
    assert (version, KB.saidBy, iri("people", "matthew-miller")) in g
    assert (iri("disputes", "why-qin-gang-was-absent"), RDF.type, KB.Dispute) in g  # the curated one remains
    assert (URIRef(f"{BASE}dispute/blinken-wang-jakarta/characterization"), RDF.type, KB.Dispute) not in g
    assert shapes.check(g, BASE) == []


def test_record_dispute_links_its_facts_and_marks_each() -> None:
    g = graph_of(built("mini"))
    dispute = iri("disputes", "why-qin-gang-was-absent")
    facts = {iri("statements", "qin-physical-condition"), iri("statements", "qin-health-reasons")}
    assert set(g.objects(dispute, KB.disputedStatement)) == facts
    assert all((f, KB.disputed, Literal(True)) in g for f in facts)
    assert (iri("statements", "wang-illegal-sanctions"), KB.disputed, Literal(False)) in g


def test_disputed_facts_keep_only_the_truthy_triples_all_versions_share() -> None:
    kb = knowledge_base("mini")
    beijing: Meeting = kb.meetings["blinken-wang-beijing"]
    rival = beijing.model_copy(update={"id": "blinken-wang-qin-beijing",
                                       "participants": [*beijing.participants, "qin-gang"]})
    dispute = models.Dispute(id="who-was-there", label="Who was at the Beijing meeting",
                             facts=[beijing.id, rival.id])
    g = graph_of(build(replace(kb, rival, disputes=[dispute]), BASE))
    blinken, wang, qin = iri("people", "antony-blinken"), iri("people", "wang-yi"), iri("people", "qin-gang")
    assert (blinken, KB.met, wang) in g  # both versions say so (and the Jakarta meeting too)
    assert (blinken, KB.met, qin) not in g and (qin, KB.met, wang) not in g  # only one version says so
    assert (iri("meetings", rival.id), SDO.attendee, qin) in g  # the statement node still says it


def test_role_is_a_membership_with_an_office_validity_and_every_wording() -> None:
    g = graph_of(built("mini"))
    role, li = iri("roles", "li-shangfu-defense-minister"), iri("people", "li-shangfu")
    ministry = iri("organizations", "prc-ministry-of-national-defense")
    post = URIRef(f"{BASE}post/prc-ministry-of-national-defense/minister-of-national-defense")
    assert {(role, RDF.type, ORG.Membership), (role, ORG.member, li), (role, ORG.organization, ministry),
            (role, ORG.role, post), (post, RDF.type, ORG.Post), (post, ORG.postIn, ministry),
            (li, ORG.memberOf, ministry), (li, ORG.holds, post), (post, ORG.heldBy, li)} <= set(g)
    assert set(g.objects(role, KB.titleAsWritten)) == {Literal("Chinese Defense Minister"), Literal("defense chief")}
    during = g.value(role, ORG.memberDuring)
    start = g.value(during, TIME.hasBeginning)
    assert g.value(start, TIME.inXSDgYearMonth) == Literal("2023-03", datatype=XSD.gYearMonth)
    assert g.value(during, TIME.hasEnd) is None
    # a role's evidence is the evidence of its wordings
    titles = set(g.objects(role, KB.attributeStatement))
    assert set(g.objects(role, PROV.wasDerivedFrom)) == {e for t in titles for e in g.objects(t, PROV.wasDerivedFrom)}


def test_hedged_sanction_keeps_certainty_hedge_date_precision_and_truthy_link() -> None:
    g = graph_of(built("mini"))
    sanction = iri("sanctions", "us-sanctions-li-shangfu")
    assert g.value(sanction, KB.certainty) == KBV.hedged
    assert g.value(sanction, KB.hedge) == Literal("likely a reference to")
    assert g.value(sanction, DCTERMS.date) == Literal("2018", datatype=XSD.gYear)
    assert g.value(g.value(sanction, TIME.hasTime), TIME.inXSDgYear) == Literal("2018", datatype=XSD.gYear)
    assert (iri("people", "li-shangfu"), KB.sanctionedBy, iri("organizations", "us-government")) in g
    assert g.value(sanction, KB.relatedStatement) == iri("statements", "beijing-demands-lifting-sanctions")


def test_relative_dates_keep_their_words_and_what_resolved_them() -> None:
    g = graph_of(built("mini"))
    meeting = iri("meetings", "blinken-wang-jakarta")
    assert g.value(meeting, SDO.startDate) == Literal("2023-07-13", datatype=XSD.date)
    start = g.value(g.value(meeting, TIME.hasTime), TIME.hasBeginning)
    assert g.value(start, KB.asWritten) == Literal("Thursday")
    assert g.value(start, KB.resolvedAgainst) == iri("sources", "cnn-jakarta")
    beijing = iri("meetings", "blinken-wang-beijing")
    assert g.value(beijing, SDO.startDate) == Literal("2023-06", datatype=XSD.gYearMonth)


def test_article_node_carries_metadata_file_hash_and_text() -> None:
    kb = knowledge_base("mini")
    g = graph_of(built("mini"))
    article = iri("sources", "cnn-jakarta")
    assert g.value(article, KB.file) == Literal("002_fe3fec937550f19b.txt")
    assert g.value(article, KB.text) == Literal(kb.articles["cnn-jakarta"].text)
    assert g.value(article, KB.sha256) == Literal(kb.articles["cnn-jakarta"].sha256)
    assert set(g.objects(article, DCTERMS.creator)) == {Literal("Jennifer Hansler"), Literal("Kylie Atwood")}
    assert g.value(article, KB.publishedBasis) == KBV.inferred
    assert (iri("topics", "fentanyl"), SKOS.broader, iri("topics", "drugs")) in g


# ---------------------------------------------------------------- evidence


@BOTH
def test_every_evidence_entry_becomes_one_anchored_span(which: str) -> None:
    kb = knowledge_base(which)
    g = graph_of(built(which))
    expected = set()
    for kind in ("sources", "people", "organizations", "places", "roles", "meetings", "statements", "sanctions"):
        for record in kb.of(kind).values():
            for evidence in _evidence(record):
                expected.add((evidence.source, evidence.start, evidence.end))
    found = set()
    for ev in g.subjects(RDF.type, OA.SpecificResource):
        source = str(g.value(ev, OA.hasSource)).rsplit("/", 1)[1]
        selectors = list(g.objects(ev, OA.hasSelector))
        [position] = [s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in g]
        [quote] = [s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in g]
        start, end = int(str(g.value(position, OA.start))), int(str(g.value(position, OA.end)))
        text = kb.articles[source].text
        assert str(g.value(quote, OA.exact)) == text[start:end]
        prefix, suffix = context(text, start, end)
        assert str(g.value(quote, OA.prefix) or "") == prefix and len(prefix) <= 32
        assert str(g.value(quote, OA.suffix) or "") == suffix and len(suffix) <= 32
        assert list(g.subjects(PROV.wasDerivedFrom, ev))
        found.add((source, start, end))
    assert found == expected


def _evidence(record: models.Record) -> list[Evidence]:
    out: list[Evidence] = []
    for name in type(record).model_fields:
        value = getattr(record, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Evidence):
                out.append(item)
            elif isinstance(item, models.Record):
                out += _evidence(item)
    return out


def test_named_graph_holds_each_article_statements_and_only_its_evidence() -> None:
    graph = built("mini")
    assert set(graph.named) == {MINT.named_graph(s) for s in ("bloomberg-jakarta", "cnn-jakarta", "geo-jakarta")}
    for name, triples in graph.named.items():
        article = iri("sources", str(name).rsplit("/", 1)[1])
        g = Graph()
        for t in triples:
            g.add(t)
        assert triples <= graph.triples
        assert set(g.objects(None, OA.hasSource)) == {article}
        for statement in g.subjects(RDF.type, KB.Statement):
            cited = {g.value(e, OA.hasSource) for e in g.objects(statement, PROV.wasDerivedFrom)}
            assert cited == {article}, statement
    cnn = graph.named[MINT.named_graph("cnn-jakarta")]
    assert (iri("statements", "wang-illegal-sanctions"), KB.speaker, iri("people", "wang-yi")) in cnn
    assert not any(s == iri("sanctions", "us-sanctions-li-shangfu") for s, _, _ in cnn)


def test_missing_offsets_raise_a_curation_error_at_the_record() -> None:
    kb = knowledge_base("mini")
    meeting: Meeting = kb.meetings["blinken-wang-beijing"]
    bare = meeting.model_copy(update={"evidence": [Evidence(source="bloomberg-jakarta", quote="Beijing")]})
    with pytest.raises(CurationError) as caught:
        build(replace(kb, bare), BASE)
    assert caught.value.location == kb.locations["blinken-wang-beijing"]
    assert "blinken-wang-beijing" in str(caught.value)


def test_versions_without_value_keep_their_words() -> None:
    kb = knowledge_base("mini")
    meeting: Meeting = kb.meetings["blinken-wang-beijing"]
    evidence = meeting.evidence
    worded = meeting.model_copy(update={"duration": [Version(as_written="for hours", evidence=evidence)]})
    g = graph_of(build(replace(kb, worded), BASE))
    node = URIRef(f"{iri('meetings', meeting.id)}/duration/1")
    assert g.value(node, KB.asWritten) == Literal("for hours")
    assert g.value(node, SDO.duration) is None
    assert g.value(iri("meetings", meeting.id), SDO.duration) is None
    assert shapes.check(g, BASE) == []


# ---------------------------------------------------------------- shapes report a broken graph by fact id


def test_shapes_report_each_broken_fact_by_id_at_its_file_and_line() -> None:
    kb = knowledge_base("mini")
    g = graph_of(built("mini"))
    meeting = iri("meetings", "blinken-wang-beijing")
    g.remove((meeting, KB.disputed, None))
    evidence = URIRef(f"{BASE}evidence/us-sanctions-li-shangfu/1/quote")
    g.set((evidence, OA.exact, Literal("the US sanctioning Chinese Defense Minister Li Shangfu in 2019")))
    g.add((iri("statements", "wang-illegal-sanctions"), KB.channel, KBV.held))
    violations = shapes.check(g, BASE)
    assert {v.record for v in violations} == {"blinken-wang-beijing", "us-sanctions-li-shangfu",
                                              "wang-illegal-sanctions"}
    assert any(v.path == "kb:disputed" for v in violations if v.record == "blinken-wang-beijing")
    assert any("not oa:exact" in v.message for v in violations if v.record == "us-sanctions-li-shangfu")
    errors = shapes.as_errors(violations, kb)
    by_record = {e.field: e for e in errors}
    assert by_record["blinken-wang-beijing"].location == kb.locations["blinken-wang-beijing"]
    assert str(by_record["us-sanctions-li-shangfu"]).startswith("curation/sanctions.yaml:")


def test_shapes_report_a_dispute_flag_without_a_dispute() -> None:
    g = graph_of(built("mini"))
    g.set((iri("statements", "wang-illegal-sanctions"), KB.disputed, Literal(True)))
    [violation] = shapes.check(g, BASE)
    assert violation.record == "wang-illegal-sanctions"
    assert "disputed" in violation.message


def test_schema_files_parse() -> None:
    for name in ("kb.ttl", "shapes.ttl"):
        assert len(Graph().parse(Path(ROOT / "schema" / name))) > 100


def test_model_doc_example_parses_and_uses_only_defined_terms() -> None:
    import re

    [example] = re.findall(r"```turtle\n(.*?)```", (ROOT / "docs" / "model.md").read_text("utf-8"), re.DOTALL)
    graph = Graph().parse(data=example, format="turtle")
    used = {t for triple in graph for t in triple if str(t).startswith((VOCAB_IRI, VALUE_IRI))}
    assert used and used <= set(VOCAB.subjects(RDFS.label, None))
    assert not any(isinstance(t, BNode) for triple in graph for t in triple)
