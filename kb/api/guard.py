"""Hostile GraphQL: a cost check that runs before graphql-core's validation, and a deadline on execution.

Validation itself can be the attack. Strawberry's alias and depth limiters walk a fragment once per spread,
so the time a small "fragment bomb" (F0 spreads F1 twice, F1 spreads F2 twice, ...) costs doubles with each
level; and the specified rule OverlappingFieldsCanBeMerged is quadratic in fields sharing a response name
(many copies of ``node(id: "x") { id }``).
:func:`measure` reads the parsed document once, each fragment once (memoised), and :class:`QueryCost`
refuses a document over any limit before a single validation rule runs:

    depth     fields nested below a root field, fragments expanded (as Strawberry's QueryDepthLimiter)
    nodes     fields once every fragment spread is expanded: what execution would walk
    aliases   aliased fields once every spread is expanded
    repeats   fields sharing one response name in one selection set: what makes field merging quadratic
    introspection lists   schema lists nested in schema lists (``types { fields { type { fields ...``)

:class:`Deadline` stops an operation that has run longer than its time limit: every look-up made after the
deadline fails, so execution unwinds at the next field that fetches anything, and the response carries one
error.

:class:`KnownDocuments` remembers the documents that passed every check (tokens, cost, depth, aliases and the
specified validation rules) by their text: clients send the same few query texts with different variables, and
parsing and validating a typical question is a large part of answering it. A text seen before is neither
parsed nor checked again; what a check depends on (the text, the schema, the limits) has not changed.

:func:`extensions` puts these three first among the schema's extensions, before Strawberry's limiters and the
masking of internal errors.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from kb.api import codes
from kb.api import strawberry_compat as compat
from kb.api.limits import MASKED_MESSAGE, should_mask
from kb.config import Limits
from kb.errors import UserError

INTROSPECTION_LISTS = frozenset({"types", "fields", "interfaces", "possibleTypes", "enumValues",
                                 "inputFields", "args", "directives"})
MAX_INTROSPECTION_LISTS = 3
"""Introspection adds no depth (as in Strawberry's limiter: its standard query nests ``ofType`` nine deep),
but lists of the schema nested in lists multiply: ``types { fields { type { fields { ... }}}}`` grows tenfold
a level. The standard introspection query nests three (``__schema { types { fields { args }}}}``)."""
MAX_INTROSPECTION_NESTING = 40
clock: Callable[[], float] = time.monotonic
"""Where deadlines read the time (a module attribute, so that a test can make time pass)."""
MAX_SPREAD_CHAIN = 100
"""Fragments spreading fragments this many levels deep are refused, so measuring never nears Python's
recursion limit (2,000 tokens allow about 280 levels)."""
TIMEOUT_MESSAGE = ("the query ran longer than {seconds:g} s and was stopped; "
                   "ask for less (smaller first:, fewer fields)")


@dataclass(frozen=True)
class Cost:
    """What a document would cost: see the module docstring for each measure."""

    depth: int = 0
    nodes: int = 0
    aliases: int = 0
    repeats: int = 0
    introspection_lists: int = 0


class _TooDeep(Exception):
    """Nesting passed the depth limit: measuring stops there (and Python's recursion limit is never near)."""


@dataclass
class _Sum:
    depth: int = 0
    nodes: int = 0
    aliases: int = 0
    lists: int = 0
    names: Counter[str] | None = None


class _Measure:
    def __init__(self, document: DocumentNode, max_depth: int) -> None:
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.max_depth = max_depth
        self.memo: dict[tuple[str, bool], _Sum] = {}
        self.active: set[str] = set()
        self.repeats = 0

    def fragment(self, name: str, level: int, introspecting: bool) -> _Sum:
        if (name, introspecting) in self.memo:
            return self.memo[name, introspecting]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return _Sum(names=Counter())  # unknown or cyclic: the specified rules say so, cheaply
        if len(self.active) >= MAX_SPREAD_CHAIN:
            raise _TooDeep
        self.active.add(name)
        try:
            found = self.selections(definition.selection_set, level, introspecting)
        finally:
            self.active.discard(name)
        # Depth below a fragment depends on where it is spread only through ``level``, checked on the way in.
        self.memo[name, introspecting] = found
        return found

    def selections(self, selection_set: SelectionSetNode, level: int, introspecting: bool = False) -> _Sum:
        total = _Sum(names=Counter())
        assert total.names is not None
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                inside = introspecting or (name.startswith("__") and name != "__typename")
                inner = _Sum()
                if selection.selection_set is not None:
                    if level + 1 > (MAX_INTROSPECTION_NESTING if inside else self.max_depth):
                        raise _TooDeep
                    inner = self.selections(selection.selection_set, level + 1, inside)
                # As Strawberry's QueryDepthLimiter, introspection adds no depth; its lists are bounded
                # instead.
                total.depth = max(total.depth, 0 if inside else inner.depth + 1)
                total.lists = max(total.lists, inner.lists + (introspecting and name in INTROSPECTION_LISTS))
                total.nodes += inner.nodes + 1
                total.aliases += inner.aliases + (selection.alias is not None)
                total.names[(selection.alias or selection.name).value] += 1
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set, level, introspecting)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value, level, introspecting)
            total.depth = max(total.depth, inner.depth)
            total.lists = max(total.lists, inner.lists)
            total.nodes += inner.nodes
            total.aliases += inner.aliases
            total.names.update(inner.names or Counter())
        self.repeats = max(self.repeats, max(total.names.values(), default=0))
        return total


def measure(document: DocumentNode, max_depth: int = 1_000) -> Cost | None:
    """Return the cost of the document's operations, or None once nesting passes ``max_depth``.

    Time is linear in the document's size: each fragment is measured once, however often it is spread.
    """
    measuring = _Measure(document, max_depth)
    depth = nodes = aliases = lists = 0
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                found = measuring.selections(definition.selection_set, 0)
                depth = max(depth, found.depth - 1)
                nodes, aliases = nodes + found.nodes, aliases + found.aliases
                lists = max(lists, found.lists)
            elif isinstance(definition, FragmentDefinitionNode):
                measuring.fragment(definition.name.value, 0, False)  # unused fragments are validated too
    except _TooDeep:
        return None
    return Cost(depth=depth, nodes=nodes, aliases=aliases, repeats=measuring.repeats,
                introspection_lists=lists)


def refusal(cost: Cost | None, limits: Limits) -> str | None:
    """Return why a document of ``cost`` is refused under ``limits``, or None."""
    if cost is None or cost.depth > limits.max_depth:
        return f"the query is nested more than {limits.max_depth} levels deep"
    if cost.nodes > limits.max_nodes:
        return (f"the query asks for {cost.nodes} fields once fragments are expanded; "
                f"the limit is {limits.max_nodes}")
    if cost.aliases > limits.max_aliases:
        return (f"the query uses {cost.aliases} aliases once fragments are expanded; "
                f"the limit is {limits.max_aliases}")
    if cost.introspection_lists > MAX_INTROSPECTION_LISTS:
        return (f"the introspection query nests {cost.introspection_lists} lists of the schema; "
                f"the limit is {MAX_INTROSPECTION_LISTS} (what GraphiQL and code generators ask)")
    if cost.repeats > limits.max_repeats:
        return (f"one selection asks for the same field {cost.repeats} times; "
                f"the limit is {limits.max_repeats} (GraphQL merges repeated fields: ask once)")
    return None


class QueryCost(SchemaExtension):
    """Refuses a document over the cost limits before validation (which it would otherwise make expensive)."""

    def __init__(self, *, limits: Limits, execution_context: Any = None) -> None:
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        parsed = compat.document(context)
        if parsed is not None and compat.pre_execution_errors(context) is None:
            reason = refusal(measure(parsed, self.limits.max_depth + 1), self.limits)
            if reason is not None:
                refused = GraphQLError(reason, extensions={"code": codes.TOO_COMPLEX})
                compat.set_pre_execution_errors(context, [refused])  # Strawberry then skips validation
        yield


class Deadline(SchemaExtension):
    """Fails every look-up a request makes after ``limits.timeout_seconds`` from the start of the operation.

    Every field that fetches anything (a node, a list, evidence: each DataLoader load and each SPARQL query)
    checks the deadline through the request's :class:`kb.api.context.Guard`, so execution unwinds at the next
    look-up and the response carries one error. Fields that only read what was fetched are not checked: a
    check on every field (a resolver middleware) would slow every answer, and what a request fetched before
    its deadline bounds the reading that is left.
    """

    def __init__(self, *, limits: Limits, execution_context: Any = None) -> None:
        self.seconds = limits.timeout_seconds
        self.deadline = float("inf")
        self.expired = False

    def on_operation(self) -> Iterator[None]:
        self.deadline = clock() + self.seconds
        guard = getattr(self.execution_context.context, "guard", None)
        if guard is not None:
            guard.checks.append(self.check)
        yield
        result = self.execution_context.result
        if self.expired and result is not None and result.errors:
            # One error says it; the fields that failed after it add nothing but bytes.
            message = TIMEOUT_MESSAGE.format(seconds=self.seconds)
            first = next((e for e in result.errors if e.message == message), None)
            if first is not None:
                first.extensions = {**(first.extensions or {}), "code": codes.TIMEOUT}
                result.errors = [e for e in result.errors if e.message != message] + [first]

    def check(self) -> None:
        """Raise UserError once the deadline has passed."""
        if clock() > self.deadline:
            self.expired = True
            raise UserError(TIMEOUT_MESSAGE.format(seconds=self.seconds))


class DocumentCache:
    """Query texts that passed every check, with their parsed documents; the least recently used leave
    first."""

    def __init__(self, entries: int = 128, max_chars: int = 4 << 20) -> None:
        self.entries = entries
        self.max_chars = max_chars
        self.chars = 0
        self.documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, text: str) -> DocumentNode | None:
        """Return the checked document of ``text``, or None when it was not seen (or has aged out)."""
        found = self.documents.get(text)
        if found is not None:
            self.documents.move_to_end(text)
        return found

    def put(self, text: str, document: DocumentNode) -> None:
        """Remember that ``text`` parses to ``document`` and passed every check."""
        if text in self.documents:
            return
        self.documents[text] = document
        self.chars += len(text)
        while len(self.documents) > self.entries or self.chars > self.max_chars:
            old, _ = self.documents.popitem(last=False)
            self.chars -= len(old)


class KnownDocuments(SchemaExtension):
    """Skips parsing and every check for a query text that passed them before (see the module docstring).

    It must come before every other extension that checks the document: on a known text it marks validation
    done (no errors), which makes :class:`QueryCost` and Strawberry's validation step stand aside.
    """

    def __init__(self, *, cache: DocumentCache, execution_context: Any = None) -> None:
        self.cache = cache
        self.known = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if compat.document(context) is None and context.query:
            found = self.cache.get(context.query)
            if found is not None:
                compat.set_document(context, found)  # Strawberry parses only when no document is set
                self.known = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.known and compat.pre_execution_errors(context) is None:
            compat.set_pre_execution_errors(context, [])  # checked when first seen: Strawberry validates only on None
        yield
        parsed = compat.document(context)
        if not self.known and compat.pre_execution_errors(context) == [] and context.query and parsed is not None:
            self.cache.put(context.query, parsed)


def guards(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Return factories of the extensions enforcing ``limits`` (one instance per operation, as Strawberry
    wants).

    The known documents are per call: a schema made with other limits checks every text again."""
    known = DocumentCache()
    return [lambda: KnownDocuments(cache=known), lambda: QueryCost(limits=limits),
            lambda: Deadline(limits=limits)]


def extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Return factories of the schema extensions enforcing ``limits`` and masking internal errors (a fresh
    extension per request, as Strawberry asks)."""
    return [
        *guards(limits),  # first: refuses a costly document before the limiters below walk it
        partial(QueryDepthLimiter, max_depth=limits.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=limits.max_aliases),
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        codes.OneOperation,  # several operations and no operationName: refused, not the first one run
        codes.ErrorCodes,  # every error of parsing, validation and execution coded (kb.api.codes)
        partial(codes.MaskInternal, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
    ]
