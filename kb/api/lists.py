"""The SPARQL behind every list and filter, and running a list as a page.

Each builder returns a group graph pattern binding ``?item`` and its sort key ``?key`` (a string). A filter
on a related node takes either candidate IRIs or :data:`PARENT`, meaning "the node this list hangs off":
``person.meetings(...)`` is ``meetings(participant=PARENT, ...)`` run for every person of the request at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from kb.api.context import Info
from kb.api.limits import check_first, check_text
from kb.api.pagination import (
    Connection,
    Window,
    connection,
    constant,
    decode_cursor,
    encode_cursor,
    window,
)
from kb.errors import QueryError, UserError
from kb.graph.query import PROLOGUE, iri, literal, values

T = TypeVar("T")
PARENT = "?parent"
Ref = str | Sequence[str] | None
"""A filter on a related node: None (no filter), :data:`PARENT`, or the IRIs it may be."""


def _match(name: str, ref: Ref, pattern: str) -> str:
    """Return ``pattern`` (which names ``{}`` for the related node) restricted by ``ref``."""
    if ref is None:
        return ""
    if isinstance(ref, str):
        return pattern.format(PARENT) if ref == PARENT else pattern.format(iri(ref))
    return f"{values(name, ref)} {pattern.format('?' + name)}"


def _text(value: str) -> str:
    try:
        return literal(check_text(value).lower())
    except QueryError as exc:
        raise UserError(str(exc)) from exc


def _contains(var: str, text: str | None) -> str:
    return "" if text is None else f"FILTER(CONTAINS(LCASE(STR({var})), {_text(text)}))"


def _between(start: str, end: str, after: dt.date | None, before: dt.date | None) -> str:
    """Keep items whose date (``?{start}`` to ``?{end}``, partial dates allowed) overlaps after..before."""
    if after is None and before is None:
        return ""
    clauses = ([f"?item {start} ?d_from . OPTIONAL {{ ?item {end} ?d_to }}"] if end
               else [f"?item {start} ?d_from ."])
    if before is not None:
        clauses.append(f"FILTER(STR(?d_from) <= {literal(before.isoformat())})")
    if after is not None:
        last = "IF(BOUND(?d_to), ?d_to, ?d_from)" if end else "?d_from"
        # "2023-07" ends after 2023-07-15: "~" sorts after every digit and "-"
        clauses.append(f'FILTER(CONCAT(STR({last}), "~") >= {literal(after.isoformat())})')
    return " ".join(clauses)


def _by_date(prop: str) -> str:
    # IF(BOUND()) rather than COALESCE: Virtuoso, filtering on a key made with COALESCE, gave a row the value
    # of another row (the second page of a list came back forever).
    return (f"OPTIONAL {{ ?item {prop} ?sort_date }} "
            'BIND(CONCAT(IF(BOUND(?sort_date), STR(?sort_date), "~"), " ", STR(?item)) AS ?key)')


def _named(name: str | None) -> str:
    """Keep items whose name or an alias contains ``name``, ignoring case."""
    if name is None:
        return ""
    return f"FILTER EXISTS {{ ?item rdfs:label|skos:altLabel ?n {_contains('?n', name)} }}"


def _by_label() -> str:
    return '?item rdfs:label ?sort_label . BIND(CONCAT(LCASE(STR(?sort_label)), " ", STR(?item)) AS ?key)'


def people(name: str | None = None, role: str | None = None, organization: Ref = None) -> str:
    """People, by name; ``name`` matches name or alias, ``role`` an office or a title as written."""
    role_clause = "" if role is None else (
        "FILTER EXISTS { ?m org:member ?item . { ?m org:role/rdfs:label ?t } "
        f"UNION {{ ?m kb:attributeStatement/kb:titleAsWritten ?t }} {_contains('?t', role)} }}"
    )
    return " ".join([
        "?item a schema:Person .", _named(name), role_clause,
        _match("org", organization, "?item org:memberOf {} ."), _by_label(),
    ])


def organizations(name: str | None = None, kind: str | None = None) -> str:
    """Organizations, by name."""
    kind_clause = "" if kind is None else f"?item org:classification {iri(kind)} ."
    return f"?item a org:Organization . {_named(name)} {kind_clause} {_by_label()}"


def places() -> str:
    """Places, by name."""
    return "?item a schema:Place . " + _by_label()


def topics(scheme: str) -> str:
    """Topics of the knowledge base's concept scheme, by label."""
    return f"?item skos:inScheme {iri(scheme)} . " + _by_label()


def roles(holder: Ref = None, organization: Ref = None, title: str | None = None,
          as_of: dt.date | None = None, certainty: str | None = None) -> str:
    """Roles, by start date. ``as_of`` keeps roles held on that day: begun by then (or with no known start)
    and not ended before it (or with no known end); a partial date counts as its whole month or year."""
    title_clause = "" if title is None else (
        "FILTER EXISTS { { ?item org:role/rdfs:label ?t } "
        "UNION { ?item kb:attributeStatement/kb:titleAsWritten ?t } "
        f"{_contains('?t', title)} }}"
    )
    as_of_clause = "" if as_of is None else (
        "OPTIONAL { ?item schema:startDate ?r_start } OPTIONAL { ?item schema:endDate ?r_end } "
        f"FILTER(!BOUND(?r_start) || STR(?r_start) <= {literal(as_of.isoformat())}) "
        f'FILTER(!BOUND(?r_end) || CONCAT(STR(?r_end), "~") >= {literal(as_of.isoformat())})'
    )
    return " ".join([
        "?item a org:Membership .", _match("holder", holder, "?item org:member {} ."),
        _match("organization", organization, "?item org:organization {} ."), title_clause, as_of_clause,
        _certain(certainty),
        _by_date("schema:startDate"),
    ])


IN_PLACE = "(kb:country|schema:containedInPlace)"
WITHIN_DEPTH = 3
"""How many steps up the place hierarchy a place filter follows (a building in a city of a province of a country).
A fixed depth rather than the path ``IN_PLACE*``: Virtuoso refuses a transitive path whose two ends are not
bound by equality, which a place taken from a parent field's ``VALUES`` is not."""


def _located(place: str) -> str:
    """Return the filter keeping an ``?item`` located at ``place`` or in a place within it, once however many
    ways lead there (``place``: a ``{0}``-style format field for :func:`_match`; braces doubled)."""
    paths = ["schema:location", *("schema:location/" + "/".join([IN_PLACE] * n) for n in range(1, WITHIN_DEPTH + 1))]
    return "FILTER EXISTS {{ " + " UNION ".join(f"{{{{ ?item {path} {place} . }}}}" for path in paths) + " }}"

FACT_TYPES = {"meeting": "schema:Event", "role": "org:Membership", "statement": "kb:Utterance",
              "sanction": "kb:Sanction"}
"""The kinds of facts the articles report, and their types in the graph."""

INVOLVED = "schema:attendee|org:member|kb:speaker|schema:about|kb:target|kb:imposedBy"
"""The predicates that tie a fact to a person or organization it is about."""


def _certain(certainty: str | None) -> str:
    """Keep facts of ``certainty`` (a ``kbv:`` IRI): every curated fact carries one."""
    return "" if certainty is None else f"?item kb:certainty {iri(certainty)} ."


def meetings(participant: Ref = None, place: Ref = None, topic: Ref = None, status: str | None = None,
             kind: str | None = None, after: dt.date | None = None, before: dt.date | None = None,
             certainty: str | None = None) -> str:
    """Meetings, by date (undated last). ``after``/``before`` keep meetings overlapping that range; ``place``
    keeps meetings held there or anywhere within it (a city of a country)."""
    return " ".join([
        "?item a schema:Event .", _match("participant", participant, "?item schema:attendee {} ."),
        _match("place", place, _located("{0}")), _certain(certainty),
        _match("topic", topic, "?item dcterms:subject {} ."),
        "" if status is None else f"?item kb:status {iri(status)} .",
        "" if kind is None else f"?item kb:kind {iri(kind)} .",
        _between("schema:startDate", "schema:endDate", after, before), _by_date("schema:startDate"),
    ])


def statements(speaker: Ref = None, topic: Ref = None, about: Ref = None, meeting: Ref = None,
               channel: str | None = None, after: dt.date | None = None,
               before: dt.date | None = None, certainty: str | None = None) -> str:
    """Statements (utterances), by date (undated last)."""
    return " ".join([
        "?item a kb:Utterance .", _certain(certainty), _match("speaker", speaker, "?item kb:speaker {} ."),
        _match("topic", topic, "?item dcterms:subject {} ."),
        _match("about", about, "?item schema:about {} ."),
        _match("meeting", meeting, "?item kb:atMeeting {} ."),
        "" if channel is None else f"?item kb:channel {iri(channel)} .",
        _between("dcterms:date", "", after, before), _by_date("dcterms:date"),
    ])


def sanctions(target: Ref = None, imposed_by: Ref = None, certainty: str | None = None) -> str:
    """Sanctions, by date."""
    return " ".join([
        "?item a kb:Sanction .", _certain(certainty), _match("target", target, "?item kb:target {} ."),
        _match("imposer", imposed_by, "?item kb:imposedBy {} ."), _by_date("dcterms:date"),
    ])


def sources() -> str:
    """Articles, by publication date."""
    return "?item a schema:NewsArticle . " + _by_date("dcterms:date")


def disputes() -> str:
    """Disputes, by IRI."""
    return "?item a kb:Dispute . BIND(STR(?item) AS ?key)"


def facts_of_source() -> str:
    """The facts an article states (directly or through one of their attribute versions), in reading order:
    by the first offset at which the article supports them. Nested only: ``?parent`` is the article."""
    return (
        "{ SELECT ?parent ?item (MIN(?at) AS ?pos) WHERE { "
        "{ ?item prov:wasDerivedFrom ?ev } UNION { ?item kb:attributeStatement/prov:wasDerivedFrom ?ev } "
        "?ev oa:hasSource ?parent ; oa:hasSelector/oa:start ?at . ?item a kb:Statement . "
        "FILTER NOT EXISTS { ?item a kb:AttributeStatement } } GROUP BY ?parent ?item } "
        'BIND(CONCAT(SUBSTR(CONCAT("0000000000", STR(?pos)), STRLEN(STR(?pos)) + 1), " ", STR(?item)) '
        "AS ?key)"
    )


def facts(kind: str | None = None, source: Ref = None, min_sources: int | None = None,
          disputed: bool | None = None, topic: Ref = None, person: Ref = None,
          certainty: str | None = None) -> str:
    """Facts of every kind (or of one ``kind``, a key of :data:`FACT_TYPES`), by date (undated last).
    ``source`` keeps the facts an article supports (directly or through a version of an attribute);
    ``min_sources`` those whose own evidence comes from at least that many articles (their ``sourceCount``);
    ``disputed`` those in a dispute (or not), as ``Fact.disputed`` says; ``person`` those a person or
    organization takes part in."""
    typed = (f"?item a {FACT_TYPES[kind]} ." if kind
             else f"VALUES ?type {{ {' '.join(FACT_TYPES.values())} }} ?item a ?type .")
    counted = "" if min_sources is None else (
        "{ SELECT ?item (COUNT(DISTINCT ?counted) AS ?source_count) WHERE { "
        "?item prov:wasDerivedFrom/oa:hasSource ?counted } GROUP BY ?item } "
        f"FILTER(?source_count >= {int(min_sources)})"
    )
    in_dispute = ("EXISTS { ?item kb:disputed true } || EXISTS { ?dispute kb:disputedStatement ?item } || "
                  "EXISTS { ?item kb:attributeStatement ?version . ?other kb:disputedStatement ?version }")
    supported = ("{{ ?item prov:wasDerivedFrom/oa:hasSource {0} }} UNION "
                 "{{ ?item kb:attributeStatement/prov:wasDerivedFrom/oa:hasSource {0} }}")
    return " ".join([
        typed, _match("source", source, supported), counted,
        "" if disputed is None else f"FILTER({'' if disputed else '!'}({in_dispute}))",
        _match("topic", topic, "?item dcterms:subject {} ."), _match("person", person, f"?item {INVOLVED} {{}} ."),
        _certain(certainty), _by_first_date(),
    ])


def _by_first_date() -> str:
    """Sort facts of every kind by their date: a meeting's or role's start, a statement's or sanction's date."""
    return ("OPTIONAL { ?item schema:startDate ?sort_start } OPTIONAL { ?item dcterms:date ?sort_date } "
            'BIND(CONCAT(IF(BOUND(?sort_start), STR(?sort_start), IF(BOUND(?sort_date), STR(?sort_date), "~")), '
            '" ", STR(?item)) AS ?key)')


# ---------------------------------------------------------------------------------------------------------
# running a list

Build = Callable[[Info, Sequence[str]], Awaitable[list[Any | None]]]
"""Makes the typed node of each IRI, None where there is none (kb.api.types.registry.load_listed)."""


async def page(info: Info, pattern: str, first: int | None, after: str | None,
               build: Build) -> Connection[Any]:
    """Return one page of a top-level list: the engine orders, filters past the cursor and limits."""
    size, key = check_first(first, info.context.limits), decode_cursor(after)
    past = "" if key is None else f"FILTER(?key > {literal(key)})"
    table = await info.context.backend.select(
        PROLOGUE + f"SELECT DISTINCT ?item ?key WHERE {{ {pattern} {past} }} ORDER BY ?key LIMIT {size + 1}"
    )
    rows = [(row["key"].value, row["item"].value) for row in table.rows]
    backend = info.context.backend

    async def count() -> int:
        counted = await backend.select(
            PROLOGUE + f"SELECT (COUNT(DISTINCT ?item) AS ?n) WHERE {{ {pattern} }}")
        return counted.rows[0]["n"].as_int() if counted.rows else 0

    return await _assemble(info, window(rows, size, None), build, count, key is not None)


async def child_page(info: Info, pattern: str, parent: str, first: int | None, after: str | None,
                     build: Build) -> Connection[Any]:
    """Return one page of a list hanging off ``parent``: the engine cuts the page when one parent asks (a
    hub's hundreds of meetings), and the lists of many parents sharing ``pattern`` come from one query."""
    size, key = check_first(first, info.context.limits), decode_cursor(after)
    loaders = info.context.loaders
    found = await loaders.pages.load((pattern, parent, size + 1, key))

    async def count() -> int:
        return await loaders.counts.load((pattern, parent))

    counter = count if found.total is None else constant(found.total)
    return await _assemble(info, window(found.children, size, None), build, counter, after is not None)


async def children(info: Info, pattern: str, parent: str) -> list[str]:
    """Return every item of a list hanging off ``parent``, in order (batched like :func:`child_page`)."""
    return [item for _, item in await info.context.loaders.children.load((pattern, parent))]


async def _assemble(info: Info, cut: Window, build: Build, count: Callable[[], Awaitable[int]],
                    has_previous: bool) -> Connection[Any]:
    built = await build(info, cut.items)
    kept = [(encode_cursor(k), node) for k, node in zip(cut.keys, built, strict=True) if node is not None]
    return connection([n for _, n in kept], [c for c, _ in kept], cut.has_next, has_previous, count)
