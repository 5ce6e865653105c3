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
    # kb.serve.persisted: Automatic Persisted Queries, kept in memory, least recently used out first
    persisted_queries: int = 2000  # query texts kept by hash
    persisted_query_bytes: int = 8 << 20  # their UTF-8 in all (a text is at most max_body_bytes)
    # kb.serve.sparql.guard: /sparql queries run in worker processes
    sparql_timeout_seconds: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_concurrent: int = 2
    # kb.serve.http: what one connection may send before its request reaches the app (kb serve reads each from
    # its KB_* variable: KB_MAX_HEADER_BYTES, KB_MAX_HEADERS, KB_HEADER_TIMEOUT_SECONDS, ...)
    max_header_bytes: int = 64 * 1024  # the request line and header fields together -> 431
    max_headers: int = 100  # header fields in one request -> 431
    header_timeout_seconds: float = 10.0  # from the connection's start or the request's first byte -> 408
    keep_alive_seconds: float = 5.0  # an idle kept-alive connection is closed
    max_connections: int = 1000  # a request on a connection beyond these -> 503
    # kb.serve.middleware.admission: GraphQL, pages and SPARQL pass one gate; /health never waits
    max_executing: int = 8
    max_queued: int = 128
    max_queue_seconds: float = 0.5
    # kb.graph.pool: the threads store queries run in
    store_threads: int = 4
    # kb.serve.reconcile: the reconciliation service (docs/reconcile.md). A batch over reconcile_max_batch
    # queries -> 413 (the manifest's batchSize); OpenRefine sends 10 at a time, a script 500 in one.
    reconcile_max_batch: int = 1000
    reconcile_max_body_bytes: int = 1 << 20  # a POSTed batch (form or JSON); 1000 queries fit with properties
    reconcile_max_candidates: int = 100  # a query's limit above this is lowered to it

    @classmethod
    def from_env(cls, **overrides: object) -> Limits:
        """Read the server's bounds (``KB_MAX_HEADER_BYTES``, ``KB_MAX_HEADERS``, ``KB_HEADER_TIMEOUT_SECONDS``,
        ``KB_KEEP_ALIVE_SECONDS``, ``KB_MAX_CONNECTIONS``); overrides win (None overrides nothing)."""
        read: dict[str, object] = {}
        for name in SERVER_LIMITS:
            value = os.environ.get(f"KB_{name.upper()}", "").strip()
            if value:
                read[name] = type(getattr(cls, name))(value)
        read.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**read)  # type: ignore[arg-type]


# The fields of Limits that bound connections (kb.serve.http) rather than what a request asks.
SERVER_LIMITS = ("max_header_bytes", "max_headers", "header_timeout_seconds", "keep_alive_seconds", "max_connections")



@dataclass(frozen=True)
class Settings:
    """Everything kb needs to know about where its data is and how to serve it."""

    root: Path = field(default_factory=Path.cwd)
    base_iri: str = DEFAULT_BASE_IRI
    store: str = "oxigraph"
    """Where the graph lives: ``disk`` (Oxigraph on disk, kept in :attr:`cache_folder` between runs: kb serve's
    default), ``memory`` or ``oxigraph`` (Oxigraph in memory, built at every start), ``rdflib`` (rdflib's own
    engine, the reference), or ``sparql+http://…`` (a store kb publish loaded)."""
    cache: Path | None = None
    """The folder kept builds live in (kb.graph.kept); None: ``.kb/`` in the root."""
    production: bool = False
    cors_origins: tuple[str, ...] = ()
    introspection: bool | None = None
    """Answer GraphQL introspection (``__schema``, ``__type``); None: on in development, off in production."""

    @property
    def answers_introspection(self) -> bool:
        """Whether /graphql answers introspection: :attr:`introspection`, or when unset, unless production."""
        return not self.production if self.introspection is None else self.introspection

    @property
    def cache_folder(self) -> Path:
        return self.cache if self.cache is not None else self.root / ".kb"

    @property
    def keeps_store(self) -> bool:
        """Whether the graph is built into a kept on-disk store (``store`` is ``disk``)."""
        return self.store == "disk"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def curation(self) -> Path:
        return self.root / "curation"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read ``KB_ROOT``, ``KB_BASE_IRI``, ``KB_STORE`` (default ``disk``), ``KB_CACHE``, ``KB_PRODUCTION``,
        ``KB_CORS_ORIGINS``, ``KB_INTROSPECTION``; overrides win (None overrides nothing)."""
        origins = tuple(o for o in os.environ.get("KB_CORS_ORIGINS", "").split(",") if o)
        unset = not os.environ.get("KB_INTROSPECTION", "").strip()  # an empty value leaves the default
        settings = cls(
            root=Path(os.environ.get("KB_ROOT", Path.cwd())),
            base_iri=os.environ.get("KB_BASE_IRI", DEFAULT_BASE_IRI),
            store=os.environ.get("KB_STORE", "disk"),
            cache=Path(os.environ["KB_CACHE"]) if os.environ.get("KB_CACHE") else None,
            production=_env_bool("KB_PRODUCTION", False),
            cors_origins=origins,
            introspection=None if unset else _env_bool("KB_INTROSPECTION", False),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
