"""The RDF vocabulary of kb, and the one place where IRIs are made.

Standard vocabularies come first (rdflib ships W3C ORG, PROV-O, SKOS, Dublin Core terms, schema.org and
OWL-Time; W3C Web Annotation is defined here because rdflib does not ship it). Our own terms live in two
namespaces that are *fixed* (a published vocabulary does not move with a deployment):

    kb:   https://kb.example.org/ns#         classes and properties (schema/kb.ttl)
    kbv:  https://kb.example.org/ns/value#   controlled values (SKOS concepts: statuses, channels, kinds)

Instance IRIs (people, meetings, evidence...) are minted by :class:`Mint` under the configurable base IRI
(``Settings.base_iri``). See docs/model.md for the whole model.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rdflib import Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    ORG,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    TIME,
    VOID,
    XSD,
    DefinedNamespace,
)

__all__ = [
    "ATTRIBUTES",
    "DCTERMS",
    "DCTERMS_REPLACES",
    "DCTERMS_VERSION",
    "FORMATS_IRI",
    "KB",
    "KBV",
    "OA",
    "ORG",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "RDFS_LABEL",
    "RDF_LANG_STRING",
    "RDF_TYPE",
    "RULES",
    "RULE_PREDICATES",
    "SDO",
    "SD_IRI",
    "SKOS",
    "TIME",
    "VALUE_IRI",
    "VOCABULARY_GRAPH",
    "VOCAB_IRI",
    "VOID",
    "XSD",
    "XSD_INTEGER",
    "XSD_IRI",
    "XSD_STRING",
    "Mint",
    "rule",
]

VOCAB_IRI = "https://kb.example.org/ns#"
VALUE_IRI = "https://kb.example.org/ns/value#"
SD_IRI = "http://www.w3.org/ns/sparql-service-description#"
"""SPARQL 1.1 Service Description: what /sparql says of itself (kb.serve.sparql.description)."""
FORMATS_IRI = "http://www.w3.org/ns/formats/"
"""W3C's unique URIs for file formats, which a service description names its result formats by."""
VOCABULARY_GRAPH = "https://kb.example.org/ns"
"""The named graph of every served store that holds ``schema/kb.ttl`` (kb.graph.vocabulary): the vocabulary's
document IRI, fixed like its namespaces, so no article's graph ``{base}graph/{source-id}`` can take its name."""


class OA(DefinedNamespace):
    """W3C Web Annotation vocabulary (http://www.w3.org/ns/oa#): the terms kb uses for evidence."""

    _fail = True
    _NS = Namespace("http://www.w3.org/ns/oa#")

    Annotation: URIRef  # an annotation: a body said of a target (kb export --format annotations)
    Motivation: URIRef  # why an annotation was made (oa:describing ...; kb:stating is one of ours)
    describing: URIRef  # the motivation of describing the target (kb:stating is narrower)
    identifying: URIRef  # the purpose of a body that identifies what the target states (a fact's own IRI)
    hasBody: URIRef  # annotation -> a body: what is said of the target
    hasTarget: URIRef  # annotation -> its target: the evidence span
    motivatedBy: URIRef  # annotation -> its motivation
    hasPurpose: URIRef  # body -> why it is there (oa:describing, oa:identifying)
    hasScope: URIRef  # target -> the web page the article's text was taken from
    SpecificResource: URIRef  # a part of a source picked out by selectors: one piece of evidence
    TextPositionSelector: URIRef  # selects text by code-point offsets, start inclusive, end exclusive
    TextQuoteSelector: URIRef  # selects text by its exact words plus the words around them
    hasSource: URIRef  # the resource (the article) a SpecificResource is part of
    hasSelector: URIRef  # a selector that picks the part out of the source
    start: URIRef  # first code point of the selection (kb writes xsd:integer >= 0)
    end: URIRef  # code point just after the selection (kb writes xsd:integer >= 0)
    exact: URIRef  # the selected text, exactly
    prefix: URIRef  # up to 32 code points before the selection
    suffix: URIRef  # up to 32 code points after the selection


class KB(DefinedNamespace):
    """kb's own classes and properties, used only where no standard term fits (defined in schema/kb.ttl)."""

    _fail = True
    _NS = Namespace(VOCAB_IRI)

    # classes
    Statement: URIRef  # a fact as a node of its own (like wikibase:Statement), with evidence
    AttributeStatement: URIRef  # one source's version of one attribute of a fact (duration, title...)
    Utterance: URIRef  # something a person or body said, as an article reports it
    Sanction: URIRef  # a sanction: target, imposer, date, reason
    Dispute: URIRef  # statements that sources give differently, kept side by side
    Link: URIRef  # one triple of a fact (a topic, a participant...) with its own evidence or basis
    Derivation: URIRef  # one triple a rule made (rdf:subject, rdf:predicate, rdf:object), with its premises
    Rule: URIRef  # a rule that derives triples from stated ones (a prov:Plan)

    # reasons
    basis: URIRef  # link or dispute -> kbv:stated, kbv:inferred or kbv:curator: how a curator knows it

    # every statement
    disputed: URIRef  # xsd:boolean: true when sources disagree on this statement
    certainty: URIRef  # kbv:stated or kbv:hedged
    hedge: URIRef  # the article's hedging words ("likely a reference to")
    attributeStatement: URIRef  # fact -> one of its attribute statements
    attribute: URIRef  # attribute statement or dispute -> the property it is about (e.g. schema:duration)
    asWritten: URIRef  # the words of the article for a value or date ("about 90 minutes", "Thursday")
    saidBy: URIRef  # attribute statement -> the agent the article credits with this version
    resolvedAgainst: URIRef  # time:Instant -> the source whose dateline resolved a relative date

    # disputes
    disputedStatement: URIRef  # dispute -> a statement it groups

    # meetings
    kind: URIRef  # meeting or place -> its kind (a kbv: concept)
    status: URIRef  # meeting -> kbv:held, kbv:planned, kbv:declined or kbv:cancelled
    met: URIRef  # derived: person -> person, both in a held meeting of a meeting kind (symmetric)
    attended: URIRef  # derived: agent -> a held conference, forum, summit or news conference it took part in
    inPlaceOf: URIRef  # meeting -> the agent a participant stood in for ("in place of Qin Gang")
    characterization: URIRef  # how a source characterized a meeting ("candid and constructive")
    outcome: URIRef  # a result of a meeting, as a source words it

    # utterances
    speaker: URIRef  # utterance -> the agent who said it
    channel: URIRef  # utterance -> how it was said (kbv:readout, kbv:spokesperson ...)
    via: URIRef  # utterance -> the agent through whom it was said (a spokesperson, an outlet)
    audience: URIRef  # utterance -> an agent it was said to
    atMeeting: URIRef  # utterance -> the meeting where it was said

    # sanctions
    target: URIRef  # sanction -> the agent sanctioned
    imposedBy: URIRef  # sanction -> the agent who imposed it
    reason: URIRef  # sanction -> why, as the sources give it
    relatedStatement: URIRef  # sanction -> an utterance that demands or answers it
    sanctionedBy: URIRef  # truthy: target -> imposer

    # roles
    titleAsWritten: URIRef  # a title exactly as one article words it for the holder of a role

    # entities
    country: URIRef  # person, organization or place -> the country it belongs to

    # articles
    file: URIRef  # article -> its file name under seeds/
    sha256: URIRef  # article -> sha256 of its bytes (hex)
    text: URIRef  # article -> its full text, exactly as stored (offsets count its code points)
    dateline: URIRef  # article -> its dateline as written
    publishedBasis: URIRef  # article -> kbv:stated or kbv:inferred: how its publication date is known

    # web annotations (kb export --format annotations)
    stating: URIRef  # motivation: the body is what the target passage states (skos:broader oa:describing)

    # publishing (the catalogue graph)
    digest: URIRef  # article graph -> sha256 (hex) of its sorted N-Triples lines

    _extras = (  # the rules (schema/kb.ttl gives each its label and comment): kb.vocab.RULES
        "rule-met", "rule-attended", "rule-member-of", "rule-sanctioned-by", "rule-agreed-value", "rule-office",
        "rule-attribute-dispute",
    )


class KBV(DefinedNamespace):
    """Controlled values: SKOS concepts named after the YAML value they stand for (schema/kb.ttl)."""

    _fail = True
    _NS = Namespace(VALUE_IRI)
    _extras = (  # a tuple, so the class holds no mutable state
        # certainty, publication basis
        "stated",  # the article states it plainly
        "hedged",  # the article hedges it ("likely", "may")
        "inferred",  # a publication date inferred from the text, not printed
        "curator",  # supplied by a curator from outside the articles
        # meeting status
        "held",  # it took place
        "planned",  # announced, not yet held
        "declined",  # one side declined it
        "cancelled",  # called off
        # meeting kinds
        "meeting", "talks", "visit", "call", "summit", "conference", "forum",
        "news-conference",  # also an utterance channel
        # utterance channels
        "readout", "spokesperson", "unnamed-official", "interview", "statement", "remarks",
        "state-media", "website", "report",
        # organization kinds
        "government", "ministry", "department", "party-body", "military", "international-organization",
        "company", "media", "legislature",
        "other",  # organization or place kind not listed
        # place kinds
        "country", "city", "region", "sea", "strait", "building",
        # the concept schemes that group them
        "certainty", "meeting-status", "meeting-kind", "channel", "organization-kind", "place-kind",
    )


PREFIXES: dict[str, str] = {
    "kb": VOCAB_IRI,
    "kbv": VALUE_IRI,
    "oa": str(OA._NS),
    "org": str(ORG._NS),
    "prov": str(PROV._NS),
    "schema": str(SDO._NS),
    "skos": str(SKOS._NS),
    "dcterms": str(DCTERMS._NS),
    "time": str(TIME._NS),
    "rdf": str(RDF._NS),
    "rdfs": str(RDFS._NS),
    "xsd": str(XSD._NS),
}
"""Prefix -> namespace, bound in every graph and used by the docs' SPARQL."""

# The same IRIs as plain strings, for code that compares them with the strings of query results and N-Triples
# text: an rdflib URIRef never equals a str.
XSD_IRI = str(XSD._NS)
XSD_STRING = str(XSD.string)
XSD_INTEGER = str(XSD.integer)
RDF_TYPE = str(RDF.type)
RDF_LANG_STRING = str(RDF.langString)
RDFS_LABEL = str(RDFS.label)
DCTERMS_VERSION = str(DCTERMS.hasVersion)
DCTERMS_REPLACES = str(DCTERMS.replaces)

ATTRIBUTES: dict[str, URIRef] = {
    "duration": SDO.duration, "characterization": KB.characterization, "outcome": KB.outcome,
    "title": KB.titleAsWritten,
}
"""A fact's attribute, as its name appears in IRIs -> the property that carries its value (the same on an
attribute statement and as a truthy triple)."""

RULES: dict[str, tuple[str, ...]] = {
    "met": (str(KB.met),),
    "attended": (str(KB.attended),),
    "member-of": (str(ORG.memberOf), str(ORG.holds), str(ORG.heldBy)),
    "sanctioned-by": (str(KB.sanctionedBy),),
    "agreed-value": tuple(str(prop) for prop in ATTRIBUTES.values()),
    "office": (),
    "attribute-dispute": (),
}
"""Each rule (``kb:rule-{name}``) -> the predicates of the truthy triples it makes (``kb:Derivation`` nodes);
``office`` and ``attribute-dispute`` make whole nodes instead (``prov:wasGeneratedBy`` on the node)."""

RULE_PREDICATES = frozenset(p for predicates in RULES.values() for p in predicates)
"""Predicates whose triples on a fact or entity only a rule makes: its evidence does not state them."""


def rule(name: str) -> URIRef:
    """Return the IRI of the rule ``name`` (a key of RULES): ``kb:rule-{name}``. Raises KeyError."""
    if name not in RULES:
        raise KeyError(name)
    return KB[f"rule-{name}"]


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Return ``text`` lower-cased with every run of other characters than a-z and 0-9 turned into ``-``."""
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


class Mint:
    """Makes every instance IRI from YAML ids under one base IRI (ends with ``/``).

    ``{base}{kind}/{id}`` for records; facts' parts hang below their fact's IRI.
    """

    KIND_PATHS: ClassVar[dict[str, str]] = {
        "sources": "source", "people": "person", "organizations": "organization", "places": "place",
        "topics": "topic", "roles": "role", "meetings": "meeting", "statements": "statement",
        "sanctions": "sanction", "disputes": "dispute",
    }

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith(("/", "#")) else base + "/"
        self._records: dict[tuple[str, str], URIRef] = {}  # records are referred to many times; URIRef checks

    def record(self, kind: str, rid: str) -> URIRef:
        """Return the IRI of the record ``rid`` of ``kind`` (a curation kind such as ``people``)."""
        found = self._records.get((kind, rid))
        if found is None:
            found = self._records[(kind, rid)] = URIRef(f"{self.base}{self.KIND_PATHS[kind]}/{rid}")
        return found

    def attribute(self, fact: URIRef, attribute: str, n: int) -> URIRef:
        """Return the IRI of the ``n``-th (1-based, in sorted order) version of an attribute of ``fact``."""
        return URIRef(f"{fact}/{attribute}/{n}")

    def evidence(self, key: str, n: int) -> URIRef:
        """Return the IRI of the ``n``-th (1-based, sorted) evidence of the statement or record ``key``."""
        return URIRef(f"{self.base}evidence/{key}/{n}")

    def annotation(self, evidence: URIRef | str) -> URIRef:
        """Return the IRI of the web annotation of an evidence node: ``{base}evidence/{key}/{n}`` gives
        ``{base}annotation/{key}/{n}``. Raises ValueError for an IRI that is not an evidence node's."""
        key = self.key(URIRef(evidence))
        if not key.startswith("evidence/"):
            raise ValueError(f"{evidence} is not an evidence IRI")
        return URIRef(f"{self.base}annotation/{key.removeprefix('evidence/')}")

    def annotations(self, source_id: str | None = None) -> URIRef:
        """Return the IRI of the annotation collection of one article (``{base}source/{id}/annotations``) or,
        for None, of the whole knowledge base (``{base}annotations``)."""
        if source_id is None:
            return URIRef(f"{self.base}annotations")
        return URIRef(f"{self.record('sources', source_id)}/annotations")

    def selector(self, evidence: URIRef, kind: str) -> URIRef:
        """Return the IRI of an evidence's ``position`` or ``quote`` selector."""
        return URIRef(f"{evidence}/{kind}")

    def time(self, fact: URIRef, part: str) -> URIRef:
        """Return the IRI of a fact's time node: ``during`` (interval) or ``start``/``end``/``date``
        (instant)."""
        return URIRef(f"{fact}/{part}")

    def post(self, organization: str, title: str) -> URIRef:
        """Return the IRI of the office ``title`` in ``organization``: ``{base}post/{org-id}/{slug}``."""
        return URIRef(f"{self.base}post/{organization}/{slug(title)}")

    def attribute_dispute(self, fact_id: str, attribute: str) -> URIRef:
        """Return the IRI of the dispute between versions of one attribute:
        ``{base}dispute/{fact}/{attr}``."""
        return URIRef(f"{self.base}dispute/{fact_id}/{attribute}")

    def derivation(self, rule: str, key: str) -> URIRef:
        """Return the IRI of the derivation of one triple by ``rule``: ``{base}derivation/{rule}/{key}``, key
        the first 16 hex digits of the sha1 of the triple's N-Triples text (``s p o``, IRIs under the base
        written relative to it, so that the key does not depend on the base)."""
        return URIRef(f"{self.base}derivation/{rule}/{key}")

    def link(self, fact: URIRef, attribute: str, n: int) -> URIRef:
        """Return the IRI of the ``n``-th (1-based) link of ``attribute`` of ``fact``:
        ``{fact}/link/{attribute}/{n}``."""
        return URIRef(f"{fact}/link/{attribute}/{n}")

    def named_graph(self, source_id: str) -> URIRef:
        """Return the IRI of the named graph holding one article's statements and evidence."""
        return URIRef(f"{self.base}graph/{source_id}")

    def topic_scheme(self) -> URIRef:
        """Return the IRI of the SKOS concept scheme holding every topic."""
        return URIRef(f"{self.base}topics")

    def value(self, name: str) -> URIRef:
        """Return the kbv: IRI of a controlled value (a YAML value such as ``held``). Raises
        AttributeError."""
        return KBV[name]

    def record_id(self, iri: URIRef | str) -> str | None:
        """Return the YAML id of the record an IRI belongs to (a fact for its parts, evidence, time nodes and
        attribute disputes; the organization for an office), or None for an IRI no record owns."""
        try:
            parts = self.key(URIRef(iri)).split("/")
        except ValueError:
            return None
        return parts[1] if len(parts) > 1 and parts[1] else None

    def key(self, iri: URIRef) -> str:
        """Return what follows the base in ``iri`` (``person/wang-yi``). Raises ValueError for a foreign
        IRI."""
        text = str(iri)
        if not text.startswith(self.base):
            raise ValueError(f"{iri} is not under {self.base}")
        return text[len(self.base):]
