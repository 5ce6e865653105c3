"""Every GraphQL error carries ``extensions.code``: clients (Apollo's among them) branch on the code, never on
the message. The codes are Apollo Server's where it has one, kb's own for its limits:

    GRAPHQL_PARSE_FAILED           the query text is not GraphQL
    GRAPHQL_VALIDATION_FAILED      it is GraphQL, but not valid against kb's schema
    BAD_USER_INPUT                 a variable or an argument the client can fix (kb.errors.UserError)
    OPERATION_RESOLUTION_FAILURE   which operation to run is unclear (several and no operationName, or a name
                                   the document does not hold)
    QUERY_TOO_COMPLEX              over a limit of kb.api.guard or the token limit (kb.config.Limits)
    QUERY_TIMEOUT                  stopped at its deadline (kb.config.Limits.timeout_seconds)
    PERSISTED_QUERY_NOT_FOUND      a persisted query's hash kb does not know (yet): send the query with it
    PERSISTED_QUERY_NOT_SUPPORTED  a persisted query of a version other than 1
    BAD_REQUEST                    the HTTP request itself (its JSON, method, parameters; a hash that is not
                                   the query's)
    NOT_ACCEPTABLE                 no media type the client accepts (406)
    INTERNAL_SERVER_ERROR          kb failed: the message is masked, the traceback logged

:class:`ErrorCodes` gives the code by the phase an error came from; :class:`MaskInternal` codes the masked
errors; :class:`OneOperation` refuses a document of several operations sent without an operationName (where
graphql-core would pick the first) before it runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError

from kb.api import strawberry_compat as compat

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TIMEOUT = "QUERY_TIMEOUT"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
BAD_REQUEST = "BAD_REQUEST"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
INTERNAL = "INTERNAL_SERVER_ERROR"
TOKEN_LIMIT = "tokens. Parsing aborted."
"""How graphql-core ends the syntax error of a document over its ``max_tokens`` (Strawberry's MaxTokensLimiter)."""


def code_of(error: GraphQLError) -> str | None:
    """Return the error's ``extensions.code``, or None."""
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


def give(errors: list[GraphQLError] | None, code: str) -> None:
    """Give ``code`` to every error of ``errors`` that has none yet."""
    for error in errors or ():
        if code_of(error) is None:
            error.extensions = {**(error.extensions or {}), "code": code}


class ErrorCodes(SchemaExtension):
    """Codes the errors of each phase: parsing, validation, and execution's request errors (a variable that
    does not coerce: no field was run, no path)."""

    def on_parse(self) -> Iterator[None]:
        yield
        for error in compat.pre_execution_errors(self.execution_context) or ():
            if isinstance(error, GraphQLSyntaxError):
                give([error], TOO_COMPLEX if error.message.endswith(TOKEN_LIMIT) else PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        give(compat.pre_execution_errors(self.execution_context), VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors: list[GraphQLError] = list(getattr(result, "errors", None) or ())
        give([e for e in errors if e.path is None], BAD_USER_INPUT)  # a resolver's error has a path


class MaskInternal(MaskErrors):
    """Strawberry's MaskErrors, its masked errors coded INTERNAL_SERVER_ERROR."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        give([masked], INTERNAL)
        return masked


class OperationNameRequired(CannotGetOperationTypeError):
    """A document holds several operations and the request names none of them."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(None)
        self.names = names

    def as_http_error_reason(self) -> str:
        return (f"the document holds {len(self.names)} operations ({', '.join(self.names)}): "
                "say which to run in operationName")


class OneOperation(SchemaExtension):
    """Refuses a document of several operations sent without an operationName: graphql-core would run the
    first, which the client may not have meant (the GraphQL spec's GetOperation raises a request error)."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        parsed = compat.document(context)
        if parsed is None or compat.provided_operation_name(context) is not None:
            return
        operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) > 1:
            raise OperationNameRequired([o.name.value if o.name else "(anonymous)" for o in operations])
