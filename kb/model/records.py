"""The shape of a curated fact: pydantic models, one per kind of record.

Each curation file holds a list of records of one kind (``curation/<kind>.yaml`` or
``curation/<kind>/*.yaml``). Ids are unique across all files, so a reference never needs a kind.
These models check one record alone; checks across records live in :mod:`kb.load.validate`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kb.model import dates

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=120)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]

# [0-9], not \d (which takes Arabic-Indic and fullwidth digits), and matched in full (``$`` would take a final
# line break): see kb.model.dates.
_DURATION = re.compile(r"P(?!\Z)([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?")
DURATION_SCHEMA_PATTERN = r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
"""The same form for JSON Schema editors (ECMA-262: ``\\d`` is ASCII only, ``$`` ends the text)."""


def _check_partial_date(value: str) -> str:
    return dates.check(value)


def _check_duration(value: str) -> str:
    if not _DURATION.fullmatch(value):
        digit = dates.non_ascii_digit(value)
        where = f", in ASCII digits 0-9, not {digit}" if digit else ""
        raise ValueError(f"expected an ISO 8601 duration such as PT1H30M{where}")
    return value


PartialDate = Annotated[str, AfterValidator(_check_partial_date)]
Duration = Annotated[str, AfterValidator(_check_duration)]


class Record(BaseModel):
    """Base of every model: unknown fields are errors, strings are not coerced into numbers or back."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Evidence(Record):
    """The exact words of an article that state a fact.

    ``start``/``end`` are code-point offsets (end exclusive). ``kb anchor --fix`` fills them from the quote;
    ``occurrence`` (1-based) or ``near`` (a longer passage holding the quote once) disambiguate a repeated quote.
    """  # the docstring is the schema's description: its lines are the editors' text

    source: Id
    quote: Text
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    occurrence: int | None = Field(default=None, ge=1)
    near: Text | None = None
    as_written: Text | None = None
    """For a version's evidence: these words' own wording of the value ("about 90 minutes")."""


EvidenceList = Annotated[list[Evidence], Field(min_length=1)]


class DateValue(Record):
    """A date with its precision (YYYY, YYYY-MM or YYYY-MM-DD) and how the article put it.

    ``resolved_against`` names the source whose dateline turned a relative date ("Thursday") into this one: one
    of the fact's own sources, or ``note`` says why another.
    """

    value: PartialDate
    as_written: Text | None = None
    resolved_against: Id | None = None
    note: Text | None = None


class Version(Record):
    """One source's version of a single-valued attribute. Two versions of one attribute make a dispute."""

    value: Text | None = None
    as_written: Text | None = None
    said_by: Id | None = None
    evidence: EvidenceList


class DurationVersion(Version):
    """A duration as ISO 8601 (``PT1H30M``); ``value`` is left out where the article gives none ("for hours")."""

    value: Duration | None = None


LINK_ATTRIBUTES = (
    "topic", "participant", "place", "date", "end-date", "occasion", "speaker", "audience", "about", "via",
    "meeting", "target", "imposed-by", "related-statement", "reason",
)
"""What a fact's link may give evidence for (``of: topic south-china-sea``): its record field is the name with
``-`` as ``_`` (``participant``/``topic``/``related-statement`` name list fields in the plural)."""

_LINK_FIELDS = {"topic": "topics", "participant": "participants", "related-statement": "related_statements"}


def link_field(attribute: str) -> str:
    """Return the record field a link attribute names (``topic`` -> ``topics``, ``end-date`` -> ``end_date``)."""
    return _LINK_FIELDS.get(attribute, attribute.replace("-", "_"))


_LINK_OF = "(" + "|".join(LINK_ATTRIBUTES) + ")( [a-z0-9][a-z0-9-]*)?"


class Link(Record):
    """Evidence for one attribute or link of a fact: ``of`` names it, ``topic south-china-sea``,
    ``participant wang-yi``, ``place``, ``date``; the id may be left out of a single-valued one.

    ``certainty: hedged`` (with ``hedge``, the words) qualifies this link alone, not the fact;
    ``in_place_of`` names whom a participant stood in for ("in place of China’s Foreign Minister, Qin Gang").
    """

    of: Annotated[str, StringConstraints(pattern=f"^{_LINK_OF}$")]
    evidence: EvidenceList
    certainty: Literal["stated", "hedged"] = "stated"
    hedge: Text | None = None
    in_place_of: Id | None = None
    note: Text | None = None


class Fact(Record):
    """A claim the articles make. ``certainty: hedged`` keeps an article's hedge ("likely a reference to").

    ``links`` give single attributes and links of the fact (a topic, a participant, the place) evidence of
    their own; what has none shares the fact's evidence, but for topics, which always need their own.
    """

    id: Id
    evidence: EvidenceList
    certainty: Literal["stated", "hedged"] = "stated"
    hedge: Text | None = None
    note: Text | None = None
    links: list[Link] = []


SOURCE_FIELDS = ("author", "publisher", "published", "dateline", "url")
"""The metadata of an article that needs a reason of its own: a span of its text, or a curator's basis."""


class SourceLink(Record):
    """Why an article's author, publisher, date, dateline or URL is what the record says: ``of`` names it
    (``author Jennifer Hansler``, ``publisher``); either ``evidence`` (a byline's span) or a ``basis`` with a
    ``note`` (``inferred`` from the text, or supplied by a ``curator``; ``stated`` outside the text's spans)."""

    of: Annotated[str, StringConstraints(pattern="^(author .+|publisher|published|dateline|url)$")]
    evidence: list[Evidence] = []
    basis: Literal["stated", "inferred", "curator"] | None = None
    note: Text | None = None


class Source(Record):
    """One article under ``seeds/``: its metadata as the text gives it, and the sha256 of its bytes.

    ``links`` say how each author, the publisher, the date, dateline and URL are known (see SourceLink).
    """

    id: Id
    file: Text
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    publisher: Text
    headline: Text
    authors: list[Text] = []
    published: PartialDate | None = None
    published_basis: Literal["stated", "inferred"] | None = None
    dateline: Text | None = None
    url: Text | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"
    note: Text | None = None
    links: list[SourceLink] = []


class Person(Record):
    """A person the articles name, with every variant of the name they use."""

    id: Id
    name: Text
    aliases: list[Text] = []
    country: Id | None = None
    description: Text | None = None
    evidence: list[Evidence] = []


class Organization(Record):
    """A body people serve: a government, ministry, party office, international organisation or company."""

    id: Id
    name: Text
    aliases: list[Text] = []
    kind: Literal[
        "government", "ministry", "department", "party-body", "military", "international-organization",
        "company", "media", "legislature", "other",
    ]
    country: Id | None = None
    parent: Id | None = None
    evidence: list[Evidence] = []


class Place(Record):
    """A city, country, region or body of water."""

    id: Id
    name: Text
    aliases: list[Text] = []
    kind: Literal["country", "city", "region", "sea", "strait", "building", "other"]
    country: Id | None = None
    evidence: list[Evidence] = []


class Topic(Record):
    """A subject of talks or statements (a SKOS concept)."""

    id: Id
    label: Text
    aliases: list[Text] = []
    broader: Id | None = None
    description: Text | None = None


class Title(Record):
    """A title exactly as one article words it for the holder of a role."""

    text: Text
    evidence: EvidenceList


class Role(Record):
    """Who holds which office in which body, when, and every way the articles word that title."""

    id: Id
    holder: Id
    organization: Id
    title: Text
    start: DateValue | None = None
    end: DateValue | None = None
    titles: Annotated[list[Title], Field(min_length=1)]
    certainty: Literal["stated", "hedged"] = "stated"
    hedge: Text | None = None
    note: Text | None = None


class Meeting(Fact):
    """A meeting, visit, call or gathering: who, where, when, for how long, about what, with what result.

    ``duration`` and ``characterization`` are single-valued: more than one version is a dispute.
    ``occasion`` is the id of the larger event (a summit) the meeting happened beside.
    """

    kind: Literal["meeting", "talks", "visit", "call", "summit", "conference", "forum", "news-conference"]
    status: Literal["held", "planned", "declined", "cancelled"]
    label: Text
    participants: Annotated[list[Id], Field(min_length=1)]
    place: Id | None = None
    date: DateValue | None = None
    end_date: DateValue | None = None
    occasion: Id | None = None
    duration: list[DurationVersion] = []
    characterization: list[Version] = []
    topics: list[Id] = []
    outcomes: list[Version] = []


class Statement(Fact):
    """Who said what, to or about whom, on which topic, when, and through which channel.

    The words are the evidence quotes themselves; ``summary`` is a curator's short label, never the evidence.
    """

    speaker: Id
    summary: Text
    channel: Literal[
        "readout", "spokesperson", "unnamed-official", "news-conference", "interview", "statement",
        "remarks", "state-media", "website", "report",
    ]
    via: Id | None = None
    audience: list[Id] = []
    about: list[Id] = []
    topics: list[Id] = []
    date: DateValue | None = None
    meeting: Id | None = None


class Sanction(Fact):
    """A sanction: its target, who imposed it, when, why, and the statements that demand or answer it."""

    target: Id
    imposed_by: Id
    label: Text
    date: DateValue | None = None
    reason: Text | None = None
    related_statements: list[Id] = []


class Dispute(Record):
    """Facts that sources report differently, kept side by side. Each fact keeps its own evidence."""

    id: Id
    label: Text
    description: Text | None = None
    facts: Annotated[list[Id], Field(min_length=2)]


CuratedRecord = (
    Source | Person | Organization | Place | Topic | Role | Meeting | Statement | Sanction | Dispute
)
"""A record of one of the KINDS: what a curation file lists, always with an ``id``."""

KINDS: dict[str, type[CuratedRecord]] = {
    "sources": Source,
    "people": Person,
    "organizations": Organization,
    "places": Place,
    "topics": Topic,
    "roles": Role,
    "meetings": Meeting,
    "statements": Statement,
    "sanctions": Sanction,
    "disputes": Dispute,
}
"""Curation file kind (its file or folder name) -> the model of its records."""
