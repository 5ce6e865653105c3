"""Settings: paths, base IRI and store backend, from arguments and the environment (``KB_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_BASE_IRI = "https://kb.example.org/"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


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
        """Read ``KB_ROOT``, ``KB_BASE_IRI``, ``KB_STORE``, ``KB_PRODUCTION``, ``KB_CORS_ORIGINS``; overrides win."""
        origins = tuple(o for o in os.environ.get("KB_CORS_ORIGINS", "").split(",") if o)
        settings = cls(
            root=Path(os.environ.get("KB_ROOT", Path.cwd())),
            base_iri=os.environ.get("KB_BASE_IRI", DEFAULT_BASE_IRI),
            store=os.environ.get("KB_STORE", "oxigraph"),
            production=_env_bool("KB_PRODUCTION", False),
            cors_origins=origins,
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
