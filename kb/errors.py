"""The one error tree of kb: every error it raises for a caller to catch is defined here.

    KBError                      any failure kb reports to a user
    ├── CurationError            one problem in a curation or seed file (file, line, column, field, message)
    ├── CurationErrors           several CurationError, collected so a curator sees all of them at once
    ├── StoreError               a store backend kb does not know
    ├── QueryError               the engine refused a query, or a value cannot be put into query text
    ├── GitError                 git failed or is not there
    ├── DiffError                a git revision kb diff compares cannot be read or does not validate
    ├── ExportError              an export format kb does not write
    ├── PublishError             the store refused a write, or cannot be reached
    │   └── LoadError            isql failed, or Virtuoso's bulk loader refused or skipped a file
    ├── UserError                an API request the client can fix; its message is shown as is
    ├── PageQueryError           a page's GraphQL query came back with errors
    ├── RemoteError              a remote endpoint cannot be reached, refuses kb, or holds no knowledge base
    ├── ReloadError              live reloading cannot work with these settings
    ├── SparqlRefused            a /sparql request not answered: its HTTP status, message and headers
    └── ReconcileRefused         a /reconcile request not answered: its HTTP status and message

    ValueError
    └── AnchorError              a quote cannot be placed unambiguously in its article

AnchorError is no KBError: ``kb anchor`` turns it into the reason an evidence entry is an orphan, and code
that places quotes catches it as the ValueError it is. Only the CLI and the HTTP layer turn these errors into
exit codes or responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar


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


class StoreError(KBError):
    """A store backend kb does not know."""


class QueryError(KBError):
    """The engine refused a query (syntax, unsupported form) or a value cannot be put into query text."""


class GitError(KBError):
    """git failed or is not there: the message says what was asked and what git answered."""


class ExportError(KBError):
    """An export format kb does not write."""


class PublishError(KBError):
    """The store refused a write, or cannot be reached."""


class LoadError(PublishError):
    """isql failed, or Virtuoso's bulk loader refused or skipped a file."""


class UserError(KBError):
    """A request the API refuses for a reason the client can fix; its message is shown as is."""

    # graphql-core copies these into the error: clients (and tools like Schemathesis) tell "you asked for
    # something wrong" from "the server failed" by this code, as Apollo's servers spell it.
    extensions: ClassVar[dict[str, str]] = {"code": "BAD_USER_INPUT"}


class PageQueryError(KBError):
    """A page's GraphQL query came back with errors: the query and the API disagree."""


class RemoteError(KBError):
    """The remote endpoint cannot be reached, refuses kb, or holds no published knowledge base."""


class ReloadError(KBError):
    """Live reloading cannot work with these settings."""


class SparqlRefused(KBError):
    """A /sparql request not answered: its HTTP status, a message for the client, and extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class ReconcileRefused(KBError):
    """A /reconcile request not answered (malformed, too large, naming an unknown type or property): its HTTP
    status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AnchorError(ValueError):
    """A quote cannot be placed unambiguously in its article."""
