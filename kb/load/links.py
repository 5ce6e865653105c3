"""Checks of a record's reasons: its links name what the record says, a meeting's topics have evidence of their
own, and a relative date is resolved against one of the fact's own sources. An article's metadata without a
link of its own (a byline span, a basis) is only warned about (:func:`unsupported`).

Each check reads one record (and the articles), so :class:`kb.load.validate.Checker` runs them on just the
records an edit touched. Every function yields ``(path in the record, field, message)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import LINK_ATTRIBUTES, SOURCE_FIELDS, CuratedRecord, DateValue, Fact, Meeting, Source, link_field

Problem = tuple[tuple[int | str, ...], str, str]
"""Where in the record (a path of keys), the field as written, and the message."""

_AGENTS = frozenset({"people", "organizations"})


def problems(record: CuratedRecord, kb: KnowledgeBase) -> Iterator[Problem]:
    """Yield every problem with the reasons of ``record``."""
    if isinstance(record, Fact):
        yield from _links(record, kb)
        yield from _dates(record)
    if isinstance(record, Meeting):
        yield from _topics(record)
    if isinstance(record, Source):
        yield from _source(record)


def _links(fact: Fact, kb: KnowledgeBase) -> Iterator[Problem]:
    for index, link in enumerate(fact.links):
        key = ("links", index)
        attribute, _, rid = link.of.partition(" ")
        name = link_field(attribute)
        if attribute not in LINK_ATTRIBUTES or name not in type(fact).model_fields:
            yield (*key, "of"), f"links.{index}.of", f"a {type(fact).__name__.lower()} has no {attribute}"
            continue
        value = getattr(fact, name)
        if value is None or value == []:
            yield (*key, "of"), f"links.{index}.of", f"the record gives no {name} to link"
        elif isinstance(value, list) and rid not in value:
            yield ((*key, "of"), f"links.{index}.of",
                   f"{rid or '(no id)'} is not one of its {name}: {', '.join(value)}")
        elif isinstance(value, str) and rid and rid != value:
            yield (*key, "of"), f"links.{index}.of", f"its {name} is {value}, not {rid}"
        elif isinstance(value, DateValue) and rid:
            yield (*key, "of"), f"links.{index}.of", f"write `of: {attribute}`: a date has no id"
        if link.in_place_of is not None:
            if attribute != "participant":
                yield (*key, "in_place_of"), f"links.{index}.in_place_of", "only a participant stands in for another"
            elif kb.kinds.get(link.in_place_of) not in _AGENTS:
                yield ((*key, "in_place_of"), f"links.{index}.in_place_of",
                       f"{link.in_place_of!r} is not a person or organization")
        if link.certainty == "hedged" and link.hedge is None:
            yield (*key, "hedge"), f"links.{index}.hedge", "a hedged link gives the hedging words (hedge)"


def _topics(meeting: Meeting) -> Iterator[Problem]:
    linked = {link.of.partition(" ")[2] for link in meeting.links if link.of.startswith("topic ")}
    for index, topic in enumerate(meeting.topics):
        if topic not in linked:
            yield (("topics", index), f"topics.{index}",
                   f"topic {topic!r} needs evidence of its own: add a link `of: topic {topic}` with the words")


def _dates(fact: Fact) -> Iterator[Problem]:
    own = {e.source for e in fact.evidence} | {e.source for link in fact.links for e in link.evidence}
    for name in ("date", "end_date"):
        date = getattr(fact, name, None)
        against = date.resolved_against if isinstance(date, DateValue) else None
        if isinstance(date, DateValue) and against is not None and against not in own and date.note is None:
            yield ((name, "resolved_against"), f"{name}.resolved_against",
                   (f"{against!r} is not among the fact's own sources ({', '.join(sorted(own))}); "
                   "resolve against one of them, or say why in the date's note"))


def _source(source: Source) -> Iterator[Problem]:
    values = [f"author {a}" for a in source.authors] + ["publisher"]
    values += [name for name in SOURCE_FIELDS[2:] if getattr(source, name) is not None]
    for index, link in enumerate(source.links):
        if link.of not in values:
            yield ("links", index, "of"), f"links.{index}.of", f"the source gives no {link.of}"
        if bool(link.evidence) == (link.basis is not None):
            yield (("links", index), f"links.{index}",
                   "give either evidence (the words of the article) or a basis with a note, not both")
        if link.basis is not None and link.note is None:
            yield ("links", index, "note"), f"links.{index}.note", "a basis needs a note saying how it is known"


def unsupported(source: Source) -> list[str]:
    """Return the metadata of ``source`` that no link supports (no byline span, no basis): the graph says a
    curator supplied it, and kb validate warns."""
    given = {link.of for link in source.links}
    values = [f"author {a}" for a in source.authors] + ["publisher"]
    values += [name for name in SOURCE_FIELDS[2:] if getattr(source, name) is not None]
    return [v for v in values if v not in given and not (v == "published" and source.published_basis is not None)]
