"""Unions: who can act (a person or an organization) and what a dispute can hold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeAlias

import strawberry

if TYPE_CHECKING:
    from kb.api.types.meeting import Meeting
    from kb.api.types.organization import Organization
    from kb.api.types.person import Person
    from kb.api.types.role import Role
    from kb.api.types.sanction import Sanction
    from kb.api.types.statement import Statement
    from kb.api.types.version import Version

Agent: TypeAlias = Annotated[
    Annotated["Person", strawberry.lazy("kb.api.types.person")]
    | Annotated["Organization", strawberry.lazy("kb.api.types.organization")],
    strawberry.union("Agent", description="Who can meet, speak, sanction or be sanctioned."),
]

DisputedVersion: TypeAlias = Annotated[
    Annotated["Meeting", strawberry.lazy("kb.api.types.meeting")]
    | Annotated["Role", strawberry.lazy("kb.api.types.role")]
    | Annotated["Statement", strawberry.lazy("kb.api.types.statement")]
    | Annotated["Sanction", strawberry.lazy("kb.api.types.sanction")]
    | Annotated["Version", strawberry.lazy("kb.api.types.version")],
    strawberry.union("DisputedVersion", description="One side of a disagreement: a whole fact, or one "
                                                    "source's version of an attribute. Each has its own "
                                                    "evidence."),
]
