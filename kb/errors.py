"""The one error tree of kb.

    KBError                      any failure kb reports to a user
    ├── CurationError            one problem in a curation or seed file (file, line, column, field, message)
    ├── CurationErrors           several CurationError, collected so a curator sees all of them at once
    └── DiffError                a git revision kb diff compares cannot be read or does not validate

Only the CLI and the HTTP layer turn these into exit codes or responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class KBError(Exception):
    """Root of every error kb raises on purpose."""


@dataclass(frozen=True, order=True)
class Location:
    """Where in which file a problem is: 1-based line and column, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class CurationError(KBError):
    """One problem in one file, pointing at the field that causes it."""

    def __init__(self, location: Location, message: str, field: str = "") -> None:
        self.location = location
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.location}: {where}{self.message}"

    def as_dict(self) -> dict[str, object]:
        """Return the error as a JSON-ready mapping."""
        return {
            "path": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "field": self.field,
            "message": self.message,
        }


class CurationErrors(KBError):
    """Every problem found in one pass, sorted by file and line."""

    def __init__(self, errors: Iterable[CurationError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.location, e.field, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))

    def __iter__(self) -> Iterator[CurationError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)


class DiffError(KBError):
    """A revision could not be read or does not validate; ``errors`` lists its curation errors, if any."""

    def __init__(self, revision: str, message: str, errors: CurationErrors | None = None) -> None:
        self.revision = revision
        self.errors = errors
        super().__init__(f"{revision}: {message}")
