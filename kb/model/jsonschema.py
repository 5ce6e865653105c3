"""JSON Schema of every curation file kind, generated from the pydantic models, for editors.

``schema/<kind>.schema.json`` describes one file of ``curation/``: a list of records of that kind. Each YAML
file names its schema in a first-line comment that the YAML language server (VS Code, Neovim, JetBrains)
reads, so an editor completes field names, shows each record's docstring and flags a wrong field as the
curator types. The models stay the single source of truth: ``kb schema-json`` regenerates the files, and a
test fails when they are stale. Pure functions: the CLI reads and writes the files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from kb.model import dates
from kb.model import records as models
from kb.model.records import KINDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = "schema"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=\S*\n")

# The models check these strings with functions, which JSON Schema cannot call; their regular expressions
# say the same for editors (kb validate still checks the calendar: 2023-02-30 passes the pattern only).
_PATTERNS: dict[Callable[..., Any], str] = {
    models._check_partial_date: dates.SCHEMA_PATTERN,
    models._check_duration: models.DURATION_SCHEMA_PATTERN,
}


class _Generator(GenerateJsonSchema):
    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        inner = super().function_after_schema(schema)
        pattern = _PATTERNS.get(schema["function"]["function"])
        return {**inner, "pattern": pattern} if pattern else inner


def file_name(kind: str) -> str:
    """Return the schema file name of a curation kind: ``<kind>.schema.json``."""
    return f"{kind}.schema.json"


def schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a ``curation/<kind>.yaml`` file. Raises KeyError for an
    unknown kind."""
    model = KINDS[kind]
    generated = TypeAdapter(list[model]).json_schema(schema_generator=_Generator)  # type: ignore[valid-type]
    return {
        "$schema": DIALECT,
        "title": f"kb curation file: {kind}",
        "description": f"curation/{kind}.yaml (or curation/{kind}/*.yaml): "
                       f"a list of {model.__name__} records. "
                       "Generated from kb/model/records.py by `kb schema-json`; do not edit.",
        **generated,
    }


def render(kind: str) -> str:
    """Return the schema of ``kind`` as the text written to ``schema/<kind>.schema.json``."""
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """Return every kind's schema text by file name."""
    return {file_name(kind): render(kind) for kind in KINDS}


def modeline(kind: str, depth: int) -> str:
    """Return the first-line comment pointing a YAML file ``depth`` folders below the root at its schema."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_DIR}/{file_name(kind)}\n"


def with_modeline(text: str, line: str) -> str:
    """Return ``text`` starting with ``line``, replacing a schema comment already on the first line."""
    match = MODELINE.match(text)
    return line + (text[match.end() :] if match else text)
