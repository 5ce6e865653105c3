"""Settings: paths, base IRI and store backend, from arguments and the environment (``KB_*``); and the
limits on what one request may ask of the server."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_BASE_IRI = "https://kb.example.org/"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask. The defaults fit every query of docs/api.md with room to spare."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_body_bytes: int = 64 * 1024
    max_page_size: int = 100
    default_page_size: int = 20
    max_search_chars: int = 200
    # kb.api.guard: measured before validation, and a deadline on execution
    max_nodes: int = 500
    max_repeats: int = 20
    timeout_seconds: float = 10.0
    # kb.serve.sparql.guard: /sparql queries run in worker processes
    sparql_timeout_seconds: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_concurrent: int = 2


@dataclass(frozen=True)
class Settings:
    """Everything kb needs to know about where its data is and how to serve it."""

    root: Path = field(default_factory=Path.cwd)
    base_iri: str = DEFAULT_BASE_IRI
    store: str = "oxigraph"
    production: bool = False
    cors_origins: tuple[str, ...] = ()

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def curation(self) -> Path:
        return self.root / "curation"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read ``KB_ROOT``, ``KB_BASE_IRI``, ``KB_STORE``, ``KB_PRODUCTION``, ``KB_CORS_ORIGINS``; overrides
        win."""
        origins = tuple(o for o in os.environ.get("KB_CORS_ORIGINS", "").split(",") if o)
        settings = cls(
            root=Path(os.environ.get("KB_ROOT", Path.cwd())),
            base_iri=os.environ.get("KB_BASE_IRI", DEFAULT_BASE_IRI),
            store=os.environ.get("KB_STORE", "oxigraph"),
            production=_env_bool("KB_PRODUCTION", False),
            cors_origins=origins,
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
