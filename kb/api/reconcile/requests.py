"""Reading a reconciliation query batch: the JSON the protocol sends, checked against models that mirror the
specification's JSON Schema (version 0.2, ``reconciliation-query-batch.json``; the tests hold the two together),
then against what kb knows (its types and properties), into :class:`~kb.api.reconcile.matching.Query` values.

Anything wrong raises :class:`~kb.errors.ReconcileRefused` with a message that names the query and the field:
bad JSON, JSON nested too deep (pydantic's parser stops at its recursion limit), a field of the wrong type, an
unknown type or property (400), more queries than the batch size (413).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from kb.api.reconcile.entities import PROPERTIES, TYPES
from kb.api.reconcile.matching import Query, Value
from kb.errors import ReconcileRefused

MAX_QUERY_CHARS = 500
"""The longest query string (a name with a title is far shorter): longer ones are refused, not cut."""
MAX_VALUES = 50
"""The most property values one query may give, over all its properties."""
DEFAULT_LIMIT = 5
"""Candidates returned when a query gives no limit."""
SHOWN_ERRORS = 5
"""How many validation errors a refusal lists."""
TYPE_IDS = tuple(TYPES.values())


class EntityValue(BaseModel):
    """A property value that is an entity (reconciled before): its id, and maybe its name."""

    model_config = ConfigDict(strict=True)

    id: StrictStr
    name: StrictStr | None = None


PropertyValue = StrictBool | StrictInt | StrictFloat | StrictStr | EntityValue


class PropertyConstraint(BaseModel):
    """``{"pid": ..., "v": ...}``: a property and one value or several."""

    model_config = ConfigDict(strict=True)

    pid: StrictStr
    v: PropertyValue | list[PropertyValue]


class QueryModel(BaseModel):
    """One query of a batch, as the 0.2 schema defines it (no other field allowed)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    query: StrictStr | None = None
    type: StrictStr | list[StrictStr] | None = None
    limit: StrictInt | StrictFloat | None = None
    properties: list[PropertyConstraint] | None = None
    type_strict: Literal["any", "should", "all"] | None = None

    @field_validator("query", "type", "limit", "properties", "type_strict", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # the schema allows a field to be left out, not to be null
            raise ValueError("must not be null (leave the field out instead)")
        return value

    @model_validator(mode="after")
    def _asks_something(self) -> QueryModel:
        if self.query is None and not self.properties:
            raise ValueError("a query needs a 'query' string or at least one of 'properties'")
        return self


BATCH = TypeAdapter(dict[str, QueryModel])


def batch(text: str | bytes, max_batch: int, max_limit: int) -> dict[str, Query]:
    """Return the queries of a 0.2 query batch (JSON text), by their keys. Raises ReconcileRefused: 400 for
    anything malformed or unknown, 413 for more than ``max_batch`` queries. A limit above ``max_limit`` is
    lowered to it."""
    try:
        parsed = BATCH.validate_json(text)
    except ValidationError as exc:
        raise ReconcileRefused(400, explain(exc)) from None
    if len(parsed) > max_batch:
        raise ReconcileRefused(413, f"the batch has {len(parsed)} queries: at most {max_batch} are answered at once")
    return {key: query(key, model, max_limit) for key, model in parsed.items()}


def explain(exc: ValidationError) -> str:
    """Return a validation error as one line naming where each problem is (``q0.limit: ...``)."""
    shown = []
    errors = exc.errors()
    if errors and errors[0]["type"] == "json_invalid":
        return f"the query batch is not JSON kb reads: {errors[0].get('ctx', {}).get('error', errors[0]['msg'])}"
    for error in errors[:SHOWN_ERRORS]:
        where = ".".join(str(part) for part in error["loc"] if not _is_branch(part))
        shown.append(f"{where}: {error['msg']}" if where else error["msg"])
    more = exc.error_count() - len(shown)
    return "invalid query batch: " + "; ".join(dict.fromkeys(shown)) + (f" (and {more} more)" if more > 0 else "")


def _is_branch(part: object) -> bool:
    """Return whether a location part names a branch of a union (``str``, ``EntityValue``...), not a field."""
    return isinstance(part, str) and (part in {"str", "int", "float", "bool", "EntityValue", "list[...]"}
                                      or part.startswith(("list[", "literal[", "function-")))


def query(key: str, model: QueryModel, max_limit: int) -> Query:
    """Return one checked query. Raises ReconcileRefused (400) for an unknown type or property, a limit that is
    not a positive integer, a query string over :data:`MAX_QUERY_CHARS` or over :data:`MAX_VALUES` values."""
    types = (model.type,) if isinstance(model.type, str) else tuple(model.type or ())
    for name in types:
        if name not in TYPE_IDS:
            raise ReconcileRefused(400, f"{key}.type: unknown type {name!r}; the types are {', '.join(TYPE_IDS)}")
    limit = DEFAULT_LIMIT if model.limit is None else model.limit
    if not math.isfinite(limit) or limit != int(limit) or limit < 1:
        raise ReconcileRefused(400, f"{key}.limit: must be a positive integer, not {limit}")
    text = model.query or ""
    if len(text) > MAX_QUERY_CHARS:
        raise ReconcileRefused(400, f"{key}.query: {len(text)} characters; at most {MAX_QUERY_CHARS}")
    properties = tuple((_pid(key, n, constraint.pid), values(constraint.v))
                       for n, constraint in enumerate(model.properties or ()))
    if sum(len(given) for _, given in properties) > MAX_VALUES:
        raise ReconcileRefused(400, f"{key}.properties: more than {MAX_VALUES} values")
    return Query(text=text, types=types, strict=model.type_strict or "any", limit=min(int(limit), max_limit),
                 properties=properties)


def _pid(key: str, n: int, pid: str) -> str:
    if pid not in PROPERTIES:
        raise ReconcileRefused(400, f"{key}.properties.{n}.pid: unknown property {pid!r}; the properties are "
                                    f"{', '.join(PROPERTIES)}")
    return pid


def values(given: PropertyValue | list[PropertyValue]) -> tuple[Value, ...]:
    """Return a property's values: text for strings, numbers and booleans, an id (and name) for an entity."""
    found = []
    for value in given if isinstance(given, list) else [given]:
        if isinstance(value, EntityValue):
            found.append(Value(text=value.name or "", id=value.id))
        elif isinstance(value, bool):
            found.append(Value(text=str(value).lower()))
        else:
            found.append(Value(text=str(value)))
    return tuple(found)
