"""Phase two of loading: check records alone (pydantic), then across records.

Across records: ids unique in all files, every reference resolves to a record of the right kind, every
evidence quote equals its article's text between ``start`` and ``end``, each article's sha256 matches,
and disputes are consistent. Errors are collected, not raised one at a time.

:func:`check` does all of it. The checks across records that follow parsing (references, evidence, dates,
disputes) are a public :class:`Checker`, which can be given only some records to check:
:mod:`kb.load.incremental` re-checks the records of the files that changed and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from kb.errors import CurationError, CurationErrors
from kb.load import attribution, hints, links
from kb.load.gc import gc_paused
from kb.load.loader import PathKey, RawFile, RawKnowledgeBase
from kb.model import dates
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import (
    KINDS,
    CuratedRecord,
    DateValue,
    Dispute,
    Evidence,
    Meeting,
    Organization,
    Person,
    Place,
    Record,
    Role,
    Sanction,
    Statement,
    Topic,
    Version,
)

ENTITY_KINDS = frozenset({"people", "organizations", "places", "topics"})
FACT_KINDS = ("roles", "meetings", "statements", "sanctions")
AGENTS = frozenset({"people", "organizations"})
ANY = frozenset(KINDS) - {"disputes"}

Origin = Mapping[str, tuple[RawFile, int]]
"""Record id -> the file it was read from and its index there: where its errors point."""


def walk(model: BaseModel, key: PathKey = ()) -> Iterator[tuple[PathKey, Any]]:
    """Yield ``(path, value)`` for every nested model in ``model``, itself included."""
    yield key, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from walk(value, (*key, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from walk(item, (*key, name, index))


_SOURCES = frozenset({"sources"})

_REFERENCES: dict[type[Record], dict[str, frozenset[str]]] = {
    Person: {"country": frozenset({"places"})},
    Organization: {"country": frozenset({"places"}), "parent": frozenset({"organizations"})},
    Place: {"country": frozenset({"places"})},
    Topic: {"broader": frozenset({"topics"})},
    Role: {"holder": frozenset({"people"}), "organization": frozenset({"organizations"})},
    Meeting: {
        "participants": AGENTS, "place": frozenset({"places"}), "occasion": frozenset({"meetings"}),
        "topics": frozenset({"topics"}),
    },
    Statement: {
        "speaker": AGENTS, "via": AGENTS, "audience": AGENTS, "about": ANY,
        "topics": frozenset({"topics"}), "meeting": frozenset({"meetings"}),
    },
    Sanction: {"target": AGENTS, "imposed_by": AGENTS, "related_statements": frozenset({"statements"})},
    Dispute: {"facts": frozenset(FACT_KINDS)},
}
"""The fields of each kind that name another record, and the kinds they may name."""


def references(record: Record) -> Iterator[tuple[str, str, frozenset[str]]]:
    """Yield ``(field, id, allowed kinds)`` for each reference a record makes to another record."""
    for name, kinds in _REFERENCES.get(type(record), {}).items():
        value = getattr(record, name)
        for index, ref in enumerate(value if isinstance(value, list) else [value]):
            if ref is not None:
                yield (f"{name}.{index}" if isinstance(value, list) else name), ref, kinds


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _key(path: str) -> PathKey:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".") if p)


def _error(file: RawFile, key: PathKey, message: str, field: str = "") -> CurationError:
    return CurationError(file.location(key), message, field)


class _Parser:
    """Parses every record read into a knowledge base, and checks each source against its article."""

    def __init__(self, raw: RawKnowledgeBase) -> None:
        self.raw = raw
        self.kb = KnowledgeBase()
        self.errors: list[CurationError] = []
        self.origin: dict[str, tuple[RawFile, int]] = {}

    def error(self, file: RawFile, key: PathKey, message: str, field: str = "") -> None:
        self.errors.append(_error(file, key, message, field))

    def parse(self) -> None:
        for file in self.raw.files:
            model = KINDS[file.kind]
            for index, data in enumerate(file.records):
                self.parse_record(file, index, data, model)

    def parse_record(self, file: RawFile, index: int, data: Any, model: type[CuratedRecord]) -> None:
        if not isinstance(data, dict):
            self.error(file, (index,), f"expected a mapping (one {file.kind} record), got {_described(data)}")
            return
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            for problem in exc.errors():
                loc = (index, *problem["loc"])
                self.error(file, loc, _message(problem), _field_path(problem["loc"]))
            if isinstance(data.get("id"), str):
                # Known by id, so references to a malformed record do not add a second, misleading error.
                self.kb.kinds.setdefault(data["id"], file.kind)
            return
        rid = record.id
        if rid in self.origin:
            first, first_index = self.origin[rid]
            where = first.location((first_index, "id"))
            self.error(file, (index, "id"), f"duplicate id {rid!r}, first defined at {where}", "id")
            return
        self.origin[rid] = (file, index)
        self.kb.add(record)
        self.kb.locations[rid] = file.location((index,))

    def check_sources(self) -> None:
        for sid, source in self.kb.sources.items():
            file, index = self.origin[sid]
            article = self.raw.articles.get(source.file)
            if article is None:
                # seeds/ itself refused (a link): its own error says why every article is missing
                if not any(e.location.path in (f"seeds/{source.file}", "seeds") for e in self.raw.errors):
                    self.error(file, (index, "file"), f"no article seeds/{source.file}", "file")
                continue
            if article.sha256 != source.sha256:
                self.error(
                    file, (index, "sha256"),
                    f"seeds/{source.file} changed: its sha256 is {article.sha256}, curation records "
                    f"{source.sha256}; run kb anchor --fix, review, then update sha256",
                    "sha256",
                )
            self.kb.articles[sid] = article


class Checker:
    """The checks across records, for the records ``origin`` names, in a knowledge base already parsed.

    ``origin`` names the records to check (the id of each, with the file and index it was read from, where
    its errors point): their references, evidence, dates and versions are checked against ``kb``, whose
    articles must already be checked against their sources. :func:`check` passes every record;
    :mod:`kb.load.incremental` passes only the records of the files that changed. ``origin`` must hold every
    dispute: whether a fact is in two disputes is a question about all of them. With ``unreadable`` (a
    curation file could not be read), an unknown id is not reported: it may be one of that file's.
    """

    def __init__(self, kb: KnowledgeBase, origin: Origin, unreadable: bool = False) -> None:
        self.kb = kb
        self.origin = origin
        self.unreadable = unreadable
        self.errors: list[CurationError] = []

    def run(self) -> list[CurationError]:
        """Run every check; return the errors found (empty when the records are consistent)."""
        self.check_references()
        self.check_dates()
        self.check_disputes()
        self.check_reasons()
        return self.errors

    def error(self, file: RawFile, key: PathKey, message: str, field: str = "") -> None:
        self.errors.append(_error(file, key, message, field))

    def check_references(self) -> None:
        for rid, (file, index) in self.origin.items():
            record = self.kb.of(file.kind)[rid]
            for name, ref, kinds in references(record):
                self.check_ref(file, (index, *_key(name)), name, ref, kinds)
            for key, value in walk(record):
                if isinstance(value, Evidence):
                    self.check_evidence(file, (index, *key), _field_path(key), value)
                elif isinstance(value, DateValue) and value.resolved_against is not None:
                    self.check_ref(file, (index, *key, "resolved_against"),
                                   f"{_field_path(key)}.resolved_against", value.resolved_against, _SOURCES)
                elif isinstance(value, Version) and value.said_by is not None:
                    self.check_ref(file, (index, *key, "said_by"), f"{_field_path(key)}.said_by",
                                   value.said_by, AGENTS)

    def check_reasons(self) -> None:
        for rid, (file, index) in self.origin.items():
            record = self.kb.of(file.kind)[rid]
            for key, name, message in (*links.problems(record, self.kb), *attribution.problems(record, self.kb)):
                self.error(file, (index, *key), message, name)

    def check_ref(self, file: RawFile, key: PathKey, name: str, ref: str, kinds: frozenset[str]) -> None:
        kind = self.kb.kinds.get(ref)
        if kind is None:
            if not self.unreadable:
                self.error(file, key, f"unknown id {ref!r}", name)
        elif kind not in kinds:
            expected = ", ".join(sorted(kinds))
            self.error(file, key, f"{ref!r} is one of {kind}, expected one of {expected}", name)

    def check_evidence(self, file: RawFile, key: PathKey, name: str, evidence: Evidence) -> None:
        if self.kb.kinds.get(evidence.source) != "sources":
            if self.unreadable and evidence.source not in self.kb.kinds:
                return
            self.error(file, (*key, "source"), f"unknown source {evidence.source!r}", f"{name}.source")
            return
        article = self.kb.articles.get(evidence.source)
        if article is None:
            return  # the source's own error already says why
        if evidence.start is None or evidence.end is None:
            if evidence.quote in article.text:
                self.error(file, key, "evidence has no start/end offsets; run kb anchor --fix to fill them", name)
            else:
                self.error(file, (*key, "quote"), _not_found(article.text, evidence), f"{name}.quote")
            return
        if evidence.start >= evidence.end:
            self.error(file, (*key, "end"), f"start {evidence.start} is not before end {evidence.end}",
                       f"{name}.end")
            return
        if evidence.end > len(article.text):
            self.error(file, (*key, "end"),
                       f"offsets {evidence.start}..{evidence.end} out of range (article has "
                       f"{len(article.text)} code points)", f"{name}.end")
            return
        found = article.text[evidence.start : evidence.end]
        if found != evidence.quote:
            # --fix moves offsets to where the quote is, and re-anchors a quote whose article was edited; a quote
            # an unchanged article never held needs its words fixed, which --fix would only make an orphan.
            edited = self.kb.sources[evidence.source].sha256 != article.sha256
            fix = ("run kb anchor --fix" if edited or evidence.quote in article.text
                   else _not_found(article.text, evidence))
            self.error(file, (*key, "quote"),
                       f"article text at {evidence.start}..{evidence.end} is {_excerpt(found)}, not the quote; {fix}",
                       f"{name}.quote")

    def check_dates(self) -> None:
        for rid, (file, index) in self.origin.items():
            record = self.kb.of(file.kind)[rid]
            for first, last in (("date", "end_date"), ("start", "end")):
                begin, finish = getattr(record, first, None), getattr(record, last, None)
                if (isinstance(begin, DateValue) and isinstance(finish, DateValue)
                        and dates.latest(finish.value) < dates.earliest(begin.value)):
                    self.error(file, (index, last), f"{finish.value} is before {first} {begin.value}", last)

    def check_disputes(self) -> None:
        seen: dict[str, str] = {}
        for did, dispute in self.kb.disputes.items():
            file, index = self.origin[did]
            kinds = {self.kb.kinds.get(f) for f in dispute.facts}
            if len(kinds) > 1:
                self.error(file, (index, "facts"), "a dispute groups facts of one kind", "facts")
            for position, fact in enumerate(dispute.facts):
                if fact in seen:
                    self.error(file, (index, "facts", position),
                               f"{fact!r} is already in dispute {seen[fact]!r}", f"facts.{position}")
                seen[fact] = did
        for rid, (file, index) in self.origin.items():
            record = self.kb.of(file.kind)[rid]
            for name in ("duration", "characterization"):
                versions = getattr(record, name, [])
                values = [v.value or v.as_written for v in versions]
                for position, value in enumerate(values):
                    if values.index(value) != position:
                        message = f"version {value!r} repeats an earlier one; add its evidence there instead"
                        self.error(file, (index, name, position), message, f"{name}.{position}")


DRAFTS = "drafts"  # curation/drafts/: where kb suggest writes the drafts kb validate refuses until reviewed


def _not_found(text: str, evidence: Evidence) -> str:
    """Say that a quote is not in its article, with the closest passage and the fix when one is alike."""
    found = hints.hint(text, evidence.quote, evidence.source)
    return "the quote is not in the article" + (f"; {found}" if found else "; check its words against the article")


def _excerpt(text: str) -> str:
    """Quote at most 60 code points of one line of an article: an error shows where, never a passage."""
    line = text.split("\n", 1)[0]
    return repr(line[:60]) + ("..." if line != text[:60] else "")


def _message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    message = "Input should be a mapping" if kind in {"model_type", "dict_type"} else str(problem["msg"])
    got = problem.get("input")
    message = message.removeprefix("Value error, ")
    if isinstance(got, (list, dict)) and not kind.endswith("_type"):
        return message  # a length or shape problem: the message says it all
    quote = kind == "string_type" and isinstance(got, (bool, int, float))
    return f"{message}, got {_described(got)}" + ("; quote it" if quote else "")


def _described(value: object) -> str:
    """Name a YAML value for an error message: ``the number 2023``, ``'no'``, ``a list``."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    kinds = {type(None): "an empty value", list: "a list", dict: "a mapping"}
    return kinds.get(type(value), type(value).__name__)


def _draft(error: CurationError) -> CurationError:
    """Say what a draft of ``kb suggest`` left in curation/drafts/ needs, rather than "unknown file kind"."""
    if not error.location.path.startswith(f"curation/{DRAFTS}/"):
        return error
    return CurationError(error.location, "a kb suggest draft, not reviewed yet: delete the records that are wrong, "
                         f"then run kb suggest --accept {error.location.path} (or delete the file)", "file")


@gc_paused()
def check(raw: RawKnowledgeBase) -> KnowledgeBase:
    """Validate everything read from disk. Returns the KnowledgeBase; raises CurationErrors listing every
    problem.

    The cyclic garbage collector is paused, as for reading: the models are not cyclic.
    """
    parser = _Parser(raw)
    parser.parse()
    parser.check_sources()
    # A curation file that could not be read hides its ids: "unknown id" would then be noise, not news.
    unreadable = any(e.location.path.startswith("curation/") for e in raw.errors)
    errors = [*map(_draft, raw.errors), *parser.errors, *Checker(parser.kb, parser.origin, unreadable).run()]
    if errors:
        raise CurationErrors(errors)
    return parser.kb
