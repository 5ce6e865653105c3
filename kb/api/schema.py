"""The GraphQL schema: root fields, and the Schema object with its limits and error handling."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from functools import partial
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types import ExecutionContext

from kb.api import lists, search, searchindex
from kb.api import strawberry_compat as compat
from kb.api.context import QUERIES_HEADER, Context, Info
from kb.api.guard import extensions
from kb.api.limits import check_first, check_text, should_mask
from kb.api.pagination import Connection, connection, constant, decode_offset, encode_offset
from kb.api.textindex import KINDS, Facets, Hit
from kb.api.types import args, registry
from kb.api.types.dispute import Dispute
from kb.api.types.enums import Channel, MeetingKind, MeetingStatus, OrganizationKind, to_iri
from kb.api.types.meeting import Meeting
from kb.api.types.node import Fact, Node
from kb.api.types.organization import Organization
from kb.api.types.person import Person
from kb.api.types.place import Place
from kb.api.types.role import Role
from kb.api.types.sanction import Sanction
from kb.api.types.search import SearchConnection, hit_of
from kb.api.types.source import Source
from kb.api.types.statement import Statement
from kb.api.types.topic import Topic
from kb.api.types.version import Version
from kb.config import Limits
from kb.errors import QueryError, UserError
from kb.graph.pool import off_loop

log = logging.getLogger("kb.api")
GlobalId = Annotated[strawberry.ID, strawberry.argument(
    description="A global id: the node's kind and its curation id (\"person/wang-yi\").")]
NodeId = Annotated[strawberry.ID, strawberry.argument(
    description="A curation id (\"wang-yi\") or a global id (\"person/wang-yi\").")]

DATE = compat.date_scalar(
    "A calendar day, YYYY-MM-DD: RFC 3339's full-date, the ISO 8601 extended form. A date an article gives "
    "only to the month or the year is a DateValue (value: \"2023-07\", with earliest and latest days).",
    "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")
NameFilter = Annotated[str | None, strawberry.argument(
    description="Keep those with a name or alias containing this text (case ignored).")]


def _by_id(kind: type[Node], description: str) -> Node | None:
    """Return the root field finding one node of ``kind`` by a curation id or a global id; the kind's key in
    :data:`registry.TYPES` is its type's name in lower case."""
    key = kind.__name__.lower()

    async def resolve(info: Info, id: NodeId) -> Node | None:
        candidates = registry.iris_for(info, id, (key,))
        node = await registry.load_node(info, candidates[0], selected=True) if candidates else None
        return node if isinstance(node, kind) else None

    return strawberry.field(resolver=resolve, description=description, graphql_type=kind | None)


def _enum(member: Any) -> str | None:
    return to_iri(member) if member is not None else None


@strawberry.type(description="Everything the knowledge base knows, each fact with the words behind it.")
class Query:
    @strawberry.field(description="Any node by its global id (\"person/wang-yi\", \"meeting/...\").")
    async def node(self, info: Info, id: GlobalId) -> Node | None:
        key = str(id)
        registry.segments(key)  # raises UserError for a malformed id: the client's mistake, never put in an IRI
        if registry.type_of(key) is None:
            return None
        return await registry.load_node(info, info.context.snapshot.mint.base + key, selected=True)

    person = _by_id(Person, "A person by id.")
    organization = _by_id(Organization, "An organization by id.")
    place = _by_id(Place, "A place by id.")
    topic = _by_id(Topic, "A topic by id.")
    meeting = _by_id(Meeting, "A meeting by id.")
    role = _by_id(Role, "A role by id.")
    statement = _by_id(Statement, "A statement by id.")
    sanction = _by_id(Sanction, "A sanction by id.")
    source = _by_id(Source, "An article by id.")
    dispute = _by_id(Dispute, "A dispute by id.")

    @strawberry.field(description="People by name. name matches a name or an alias; role matches an office "
                                  "or a title as an article words it (\"foreign minister\").")
    async def people(
        self, info: Info, name: NameFilter = None,
        role: Annotated[str | None, strawberry.argument(
            description="Keep people with an office or a title containing this text, as an article words it.")]
        = None,
        organization: args.OrganizationId = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Person]:
        pattern = lists.people(name, role, args.ids(info, organization, "organization"))
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Organizations by name.")
    async def organizations(
        self, info: Info, name: NameFilter = None,
        kind: Annotated[OrganizationKind | None, strawberry.argument(description="Keep organizations of this kind.")]
        = None,
        first: args.First = None, after: args.After = None,
    ) -> Connection[Organization]:
        pattern = lists.organizations(name, _enum(kind))
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Places by name.")
    async def places(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Place]:
        return await lists.page(info, lists.places(), first, after, registry.load_listed)

    @strawberry.field(description="Topics by label.")
    async def topics(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Topic]:
        scheme = str(info.context.snapshot.mint.topic_scheme())
        return await lists.page(info, lists.topics(scheme), first, after, registry.load_listed)

    @strawberry.field(description="Roles by start date. asOf: who held an office on that day.")
    async def roles(
        self, info: Info, as_of: args.AsOf = None, holder: args.PersonId = None,
        organization: args.OrganizationId = None,
        title: Annotated[str | None, strawberry.argument(
            description="Keep roles whose title, as an article words it, contains this text.")] = None,
        certainty: args.CertaintyArg = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Role]:
        pattern = lists.roles(
            holder=args.ids(info, holder, "person"),
            organization=args.ids(info, organization, "organization"), title=title, as_of=as_of,
            certainty=args.certainty(certainty),
        )
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Meetings by date (undated last), filtered by participant, place, topic, "
                                  "status, kind and a date range.")
    async def meetings(
        self, info: Info, participant: args.AgentId = None, place: args.PlaceId = None,
        topic: args.TopicId = None,
        status: Annotated[MeetingStatus | None, strawberry.argument(description="Keep meetings of this status.")]
        = None,
        kind: Annotated[MeetingKind | None, strawberry.argument(description="Keep meetings of this kind.")] = None,
        date_from: args.DateFrom = None, date_to: args.DateTo = None,
        certainty: args.CertaintyArg = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Meeting]:
        pattern = lists.meetings(
            participant=args.agents(info, participant), place=args.ids(info, place, "place"),
            topic=args.topics(info, topic), status=_enum(status), kind=_enum(kind),
            after=date_from, before=date_to, certainty=args.certainty(certainty),
        )
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Statements by date (undated last), filtered by speaker, topic, subject, "
                                  "meeting, channel and a date range.")
    async def statements(
        self, info: Info, speaker: args.AgentId = None, topic: args.TopicId = None, about: args.AnyId = None,
        meeting: args.MeetingId = None,
        channel: Annotated[Channel | None, strawberry.argument(
            description="Keep statements made public through this channel.")] = None,
        date_from: args.DateFrom = None, date_to: args.DateTo = None,
        certainty: args.CertaintyArg = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Statement]:
        pattern = lists.statements(
            speaker=args.agents(info, speaker), topic=args.topics(info, topic),
            about=args.ids(info, about, *registry.TYPES), meeting=args.ids(info, meeting, "meeting"),
            channel=_enum(channel), after=date_from, before=date_to, certainty=args.certainty(certainty),
        )
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Sanctions by date, filtered by target and by who imposed them.")
    async def sanctions(
        self, info: Info, target: args.AgentId = None, imposed_by: args.AgentId = None,
        certainty: args.CertaintyArg = None, first: args.First = None, after: args.After = None,
    ) -> Connection[Sanction]:
        pattern = lists.sanctions(args.agents(info, target), args.agents(info, imposed_by),
                                  args.certainty(certainty))
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Facts of every kind (meetings, roles, statements, sanctions) by date "
                                  "(undated last), in one list: filtered by kind, by the article that supports "
                                  "them, by how many articles state them (minSources: 3 is \"reported by three "
                                  "or more articles\"), by dispute, topic, person and certainty.")
    async def facts(
        self, info: Info, kind: args.FactKindArg = None, source: args.SourceId = None,
        min_sources: args.MinSources = None, disputed: args.Disputed = None, topic: args.TopicId = None,
        person: args.AgentId = None, certainty: args.CertaintyArg = None,
        first: args.First = None, after: args.After = None,
    ) -> Connection[Fact]:
        if min_sources is not None and not 1 <= min_sources <= MAX_MIN_SOURCES:
            raise UserError(f"minSources must be 1 to {MAX_MIN_SOURCES}")
        pattern = lists.facts(
            kind=str(kind.value) if kind else None, source=args.ids(info, source, "source"), min_sources=min_sources,
            disputed=disputed, topic=args.topics(info, topic), person=args.agents(info, person),
            certainty=args.certainty(certainty),
        )
        return await lists.page(info, pattern, first, after, registry.load_listed)

    @strawberry.field(description="Articles by publication date.")
    async def sources(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Source]:
        return await lists.page(info, lists.sources(), first, after, registry.load_listed)

    @strawberry.field(description="Every disagreement between sources, with every version and its evidence.")
    async def disputes(
        self, info: Info, first: args.First = None, after: args.After = None,
    ) -> Connection[Dispute]:
        return await lists.page(info, lists.disputes(), first, after, registry.load_listed)

    @strawberry.field(description="Full-text search of names, aliases, titles as worded, labels, statement "
                                  "summaries, descriptions, quotes and article text: every word counts, case, "
                                  "accents and British spelling ignored, the last word may be a prefix, longer "
                                  "words may be off by one or two letters. Ranked best first, one hit per node; "
                                  "kind keeps one kind of node (\"meeting\").")
    async def search(
        self, info: Info,
        text: Annotated[str, strawberry.argument(description="The words to find, 1 to 200 characters.")],
        kind: Annotated[str | None, strawberry.argument(
            description=f"Keep hits of one kind of node: {', '.join(KINDS)}.")] = None,
        first: args.First = None, after: args.After = None,
    ) -> SearchConnection:
        limits = info.context.limits
        needle = search.normalize(check_text(text))
        if not needle or len(needle) > limits.max_search_chars:
            raise UserError(f"search text must have 1 to {limits.max_search_chars} characters")
        if kind is not None and kind not in KINDS:
            raise UserError(f"kind must be one of {', '.join(KINDS)}")
        size, start = check_first(first, limits), decode_offset(after)
        sparql = _slow_query(needle)  # refuses on every backend what the slow path could not put in a query
        index = await searchindex.index_for(info.context.snapshot)
        if index is not None:
            found = await off_loop(index.search, needle, size, start, kind)

            async def facets() -> Facets:
                return await off_loop(index.facets, needle, kind)
        else:
            hits = await _slow_hits(info, needle, sparql)
            found = search.found(hits, size, start, kind)

            async def facets() -> Facets:
                return {"kind": search.kind_counts(hits), "source": [], "person": []}
        nodes = await registry.load_nodes(info, [h.doc.iri for h in found.hits])
        shown = [hit_of(h, node) for h, node in zip(found.hits, nodes, strict=True) if node is not None]
        cursors = [encode_offset(start + i) for i in range(len(shown))]
        page = connection(shown, cursors, start + size < found.total, start > 0, constant(found.total))
        return SearchConnection(edges=page.edges, page_info=page.page_info, counter=page.counter,
                                facet_counter=facets)


MAX_MIN_SOURCES = 10_000
"""The largest minSources a client may ask: any larger names no fact and only costs a query."""


def _slow_query(needle: str) -> str:
    """Return the slow path's query for ``needle``. Raises UserError when it cannot be put into a query."""
    try:
        return search.candidates_query(needle)
    except QueryError as exc:
        raise UserError(str(exc)) from exc


async def _slow_hits(info: Info, needle: str, sparql: str) -> list[Hit]:
    """Return every hit for ``needle`` (normalized) found by the engine's ``CONTAINS`` (``sparql``) and ranked
    here: the slow path, for a store without an index (remote) or a version whose index is not ready."""
    candidates = search.candidates_of((await info.context.backend.select(sparql)).rows)
    rows = [(node, registry.key_of(info, node), field, text) for node, field, text in candidates]
    return [h for h in search.rank(needle, rows) if registry.type_of(h.doc.key) is not None]


class CountQueries(SchemaExtension):
    """Names in a response header how many SPARQL queries the request cost (see docs/api.md)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context) and context.response is not None:
            context.response.headers[QUERIES_HEADER] = str(len(context.backend.queries))


class Schema(strawberry.Schema):
    """The kb schema: logs every error it masks with its traceback, and the rest briefly."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if should_mask(error):
                log.error("masked error at %s: %s", error.path, error.message, exc_info=error.original_error)
            else:
                log.info("refused: %s", error.message)


def make_schema(limits: Limits | None = None, *, introspection: bool = True) -> Schema:
    """Return the schema with ``limits`` (the defaults when None) enforced; without ``introspection``, a
    document asking for ``__schema`` or ``__type`` fails validation (``__typename`` stays: it is not
    introspection, and clients need it for unions and interfaces)."""
    refuse = [] if introspection else [partial(AddValidationRules, [NoSchemaIntrospectionCustomRule])]
    return Schema(
        query=Query, extensions=[*extensions(limits or Limits()), *refuse, CountQueries],
        types=[Person, Organization, Place, Topic, Meeting, Role, Statement, Sanction, Source, Dispute,
               Version, Fact],
        scalar_overrides={dt.date: DATE},
    )


def sdl() -> str:
    """Return the schema as SDL, ending with a newline (what schema/schema.graphql holds)."""
    return str(make_schema()) + "\n"
