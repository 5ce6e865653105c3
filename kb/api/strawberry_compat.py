"""Everything kb relies on in Strawberry beyond its documented public API, in one module.

Strawberry changes things in minor releases. What kb needs of its internals goes through here, and
tests/test_strawberry_compat.py checks each of these names and behaviours against the installed Strawberry, so
an upgrade that changes one fails there, by name, instead of somewhere in the guards:

- ``ExecutionContext.graphql_document``: Strawberry parses only when no document is set yet (the document cache
  of kb.api.guard sets it in ``on_parse``).
- ``ExecutionContext.pre_execution_errors``: Strawberry validates only while it is None; errors set there before
  validation are the operation's answer (the cost limits of kb.api.guard refuse a document that way).
- ``ExecutionContext._provided_operation_name``: the operationName the request sent (``operation_name`` falls
  back to the document's first operation, which hides a request that named none; kb.api.codes refuses it).
- ``Info._raw_info``: graphql-core's resolve info under Strawberry's, whose field nodes and fragments
  kb.api.selection reads.
- ``__strawberry_definition__.values`` of an enum registered with ``strawberry.enum(cls)``: its values'
  descriptions, for an enum that must stay free of GraphQL (kb.api.search.Field), where ``strawberry.enum_value``
  would put Strawberry into its members.
- ``strawberry.schema.types.base_scalars.DateDefinition``: Strawberry's Date scalar, which kb gives a
  description and a ``specifiedByURL`` and otherwise keeps (its parser and its clean coercion errors).
- ``cross_web.HTTPException``: what Strawberry's HTTP views raise to refuse a request (kb.serve.app raises and
  catches it too).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, GraphQLResolveInfo
from strawberry.schema.types.base_scalars import DateDefinition
from strawberry.types import ExecutionContext, Info
from strawberry.types.scalar import ScalarDefinition

__all__ = ["HTTPException", "date_scalar", "describe_values", "document", "pre_execution_errors",
           "provided_operation_name", "raw_info", "set_document", "set_pre_execution_errors"]


def document(context: ExecutionContext) -> DocumentNode | None:
    """The parsed document of the operation, or None before Strawberry (or an extension) has parsed it."""
    return context.graphql_document


def set_document(context: ExecutionContext, parsed: DocumentNode) -> None:
    """Give the operation its parsed document: Strawberry then does not parse the query text."""
    context.graphql_document = parsed


def pre_execution_errors(context: ExecutionContext) -> list[GraphQLError] | None:
    """The errors found before execution, or None when validation has not run (nor been settled)."""
    return context.pre_execution_errors


def set_pre_execution_errors(context: ExecutionContext, errors: list[GraphQLError]) -> None:
    """Settle validation before Strawberry runs it: [] skips it, a refusal becomes the operation's answer."""
    context.pre_execution_errors = errors


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The operationName the request sent, or None when it sent none."""
    name: str | None = context._provided_operation_name
    return name


def raw_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info under Strawberry's ``info``."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    return raw


def describe_values(enum: type[Enum], descriptions: dict[str, str]) -> None:
    """Give the values of ``enum`` (registered with ``strawberry.enum``) their GraphQL descriptions, by member
    name. Raises KeyError for a member without one."""
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = descriptions[value.name]


def date_scalar(description: str, specified_by_url: str) -> ScalarDefinition:
    """Strawberry's Date scalar (``datetime.date``) with ``description`` and ``specified_by_url``."""
    return dataclasses.replace(DateDefinition, description=description, specified_by_url=specified_by_url)
