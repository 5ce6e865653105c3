"""What kb relies on in Strawberry beyond its public API (kb/api/strawberry_compat.py), checked against the
installed Strawberry: a failure here names the internal an upgrade changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.http import async_base_view
from strawberry.types import ExecutionContext, Info

from kb.api import strawberry_compat as compat


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, info: strawberry.Info) -> str:
        raw = compat.raw_info(info)
        return f"{raw.field_nodes[0].name.value} {len(raw.fragments)}"


def schema(*extensions: type[SchemaExtension]) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=list(extensions))


def test_execution_context_has_the_fields_kb_sets() -> None:
    fields = {field.name for field in dataclasses.fields(ExecutionContext)}
    assert {"graphql_document", "pre_execution_errors", "query"} <= fields


def test_info_wraps_graphql_cores_resolve_info() -> None:
    assert "_raw_info" in {field.name for field in dataclasses.fields(Info)}
    result = schema().execute_sync("{ hello ...F } fragment F on Query { hello }")
    assert result.errors is None and result.data == {"hello": "hello 1"}


def test_a_document_set_before_parsing_is_not_parsed_again() -> None:
    class Cached(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            compat.set_document(self.execution_context, parse("{ hello }"))
            yield

    # The query text is not GraphQL: only the document set by the extension can answer.
    result = schema(Cached).execute_sync("this is not parsed")
    assert result.errors is None and result.data == {"hello": "hello 0"}


def test_an_error_set_before_validation_is_the_answer() -> None:
    class Refuse(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            assert compat.document(self.execution_context) is not None
            assert compat.pre_execution_errors(self.execution_context) is None
            compat.set_pre_execution_errors(self.execution_context, [GraphQLError("too costly")])
            yield

    result = schema(Refuse).execute_sync("{ hello }")
    assert result.data is None and [e.message for e in result.errors or []] == ["too costly"]


def test_no_errors_set_before_validation_skips_validation() -> None:
    class Known(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            compat.set_pre_execution_errors(self.execution_context, [])
            yield

    # Validation would refuse the unknown field; skipped, execution just leaves it out.
    assert schema().execute_sync("{ hello nosuch }").errors
    result = schema(Known).execute_sync("{ hello nosuch }")
    assert result.errors is None and result.data == {"hello": "hello 0"}


def test_strawberrys_views_refuse_with_cross_webs_http_exception() -> None:
    view_exception: Any = vars(async_base_view)["HTTPException"]  # imported there, not exported
    assert view_exception is compat.HTTPException
    refused = compat.HTTPException(400, "no")
    assert (refused.status_code, refused.reason) == (400, "no")


@pytest.mark.parametrize(("sent", "expected"), [(None, None), ("B", "B")])
def test_the_operation_name_the_request_sent_is_kept_apart(sent: str | None, expected: str | None) -> None:
    seen: list[tuple[str | None, str | None]] = []

    class Look(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            seen.append((compat.provided_operation_name(context), context.operation_name))
            yield

    schema(Look).execute_sync("query A { hello } query B { hello }", operation_name=sent)
    # Strawberry's own operation_name falls back to the first operation: only the sent name tells them apart.
    assert seen == [(expected, expected or "A")]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


strawberry.enum(Colour)  # as kb registers kb.api.search.Field: before a type uses it


@strawberry.type
class Paint:
    colour: Colour = Colour.RED


@strawberry.type
class Day:
    @strawberry.field
    def next(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=1)


def test_enum_values_registered_from_a_plain_enum_take_descriptions() -> None:
    compat.describe_values(Colour, {"RED": "Like blood.", "BLUE": "Like the sky."})
    printed = str(strawberry.Schema(query=Paint))
    assert '"""Like blood."""\n  RED' in printed and '"""Like the sky."""\n  BLUE' in printed
    assert Colour("red") is Colour.RED  # the members stay plain
    with pytest.raises(KeyError):
        compat.describe_values(Colour, {"RED": "only one"})


def test_the_date_scalar_keeps_strawberrys_parser_with_a_url() -> None:
    date = compat.date_scalar("A day.", "https://example.org/day")
    day_schema = strawberry.Schema(query=Day, scalar_overrides={dt.date: date})
    assert 'scalar Date @specifiedBy(url: "https://example.org/day")' in str(day_schema)
    assert day_schema.execute_sync('{ next(day: "2023-07-13") }').data == {"next": "2023-07-14"}
    refused = day_schema.execute_sync('{ next(day: "13/07/2023") }').errors or []
    assert refused and "Value cannot represent a Date" in refused[0].message
