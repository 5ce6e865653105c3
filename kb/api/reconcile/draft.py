"""Reading a query batch in the shape of the API's 1.0 draft (``POST /match``, a JSON body): a list of queries,
each a list of conditions on the name, the id or a property, into the same
:class:`~kb.api.reconcile.matching.Query` values as a 0.2 batch.

The manifest stays 0.2 (the draft's manifest cannot validate against 0.2's: its ``suggest`` holds booleans where
0.2 holds objects); kb's routes are already where the draft puts them (``/suggest/entity``, ``/preview?id=``),
and this reader lets the current reconciliation testbench, which speaks the draft, send its queries. What the
draft allows and kb does not do is refused, not ignored: ``matchQuantifier`` other than ``any``, and
``matchQualifier``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError

from kb.api.reconcile.matching import Query
from kb.api.reconcile.requests import PropertyValue, QueryModel, explain, query, values
from kb.errors import ReconcileRefused


class Condition(BaseModel):
    """One condition of a query: on the name, the id, or a property (``propertyId``)."""

    model_config = ConfigDict(strict=True)

    matchType: Literal["name", "id", "property"]
    propertyId: StrictStr | None = None
    propertyValue: PropertyValue | list[PropertyValue]
    required: StrictBool = False
    matchQuantifier: Literal["any", "all", "none"] = "any"
    matchQualifier: StrictStr | None = None


class DraftQuery(BaseModel):
    """One query of a draft batch (no other field allowed)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    type: StrictStr | None = None
    limit: StrictInt | StrictFloat | None = None
    lang: StrictStr | None = None
    dir: Literal["ltr", "rtl", "auto"] | None = None
    conditions: list[Condition]


class DraftBatch(BaseModel):
    """``{"queries": [...]}``."""

    model_config = ConfigDict(strict=True)

    queries: list[DraftQuery]


BATCH = TypeAdapter(DraftBatch)


def batch(text: str | bytes, max_batch: int, max_limit: int) -> list[Query]:
    """Return the queries of a 1.0-draft batch (JSON text), in order. Raises ReconcileRefused: 400 for anything
    malformed, unknown or not supported, 413 for more than ``max_batch`` queries."""
    try:
        parsed = BATCH.validate_json(text)
    except ValidationError as exc:
        raise ReconcileRefused(400, explain(exc)) from None
    if len(parsed.queries) > max_batch:
        raise ReconcileRefused(413, f"the batch has {len(parsed.queries)} queries: at most {max_batch} are "
                                    "answered at once")
    return [_query(f"queries.{n}", draft, max_limit) for n, draft in enumerate(parsed.queries)]


def _query(key: str, draft: DraftQuery, max_limit: int) -> Query:
    """Return one draft query as a 0.2 one would be, checked the same way."""
    if not draft.conditions:
        raise ReconcileRefused(400, f"{key}.conditions: at least one condition is needed")
    text = ""
    properties = []
    required = set()
    for n, condition in enumerate(draft.conditions):
        where = f"{key}.conditions.{n}"
        if condition.matchQuantifier != "any" or condition.matchQualifier is not None:
            raise ReconcileRefused(400, f"{where}: kb matches any of the values as it sees fit: matchQuantifier "
                                        "'all' or 'none' and matchQualifier are not supported")
        if condition.matchType == "property":
            if condition.propertyId is None:
                raise ReconcileRefused(400, f"{where}.propertyId: a property condition names its property")
            properties.append({"pid": condition.propertyId, "v": condition.propertyValue})
            if condition.required:
                required.add(condition.propertyId)
            continue
        given = values(condition.propertyValue)
        if len(given) != 1 or text:
            raise ReconcileRefused(400, f"{where}: one name or id condition, with one value, per query")
        text = given[0].id or given[0].text
    try:
        model = QueryModel.model_validate({"properties": properties, **({"query": text} if text else {}),
                                           **({"type": draft.type} if draft.type else {}),
                                           **({"limit": draft.limit} if draft.limit is not None else {})})
    except ValidationError as exc:
        raise ReconcileRefused(400, f"{key}: {explain(exc)}") from None
    checked = query(key, model, max_limit)
    return Query(checked.text, checked.types, checked.strict, checked.limit, checked.properties,
                 frozenset(required))
