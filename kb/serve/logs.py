"""The server's logs: one record per request on the ``kb.access`` logger, and ``kb serve --log-format json``.

:class:`AccessLog` always records a request (method, path, status, duration, the version that answered, the
client) on ``kb.access``, but only when that logger is enabled for INFO: by default it is not, and uvicorn's own
access log prints the text lines it always did. ``--log-format json`` (:func:`uvicorn_log_config`) turns
uvicorn's access lines off and prints every log record, kb's and uvicorn's, as one JSON object a line on
stderr, for a log shipper.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS = logging.getLogger("kb.access")
FORMATS = ("text", "json")
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "version", "client")


class AccessLog:
    """ASGI middleware, outside the one that names the version: logs each request once its answer is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not ACCESS.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, version = 500, None

        async def noted(message: Message) -> None:
            nonlocal status, version
            if message["type"] == "http.response.start":
                status = message["status"]
                found = dict(message.get("headers", [])).get(b"x-kb-version")
                version = found.decode() if found is not None else None
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            client = scope.get("client")
            request = {"method": scope["method"], "path": scope["path"], "status": status,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 3), "version": version,
                       "client": f"{client[0]}:{client[1]}" if client else None}
            ACCESS.info("%s %s %s", scope["method"], scope["path"], status, extra={"request": request})


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, and a request's fields when it has them."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                                "logger": record.name}
        request = getattr(record, "request", None)
        if isinstance(request, dict):
            body |= request
        else:
            body["message"] = record.getMessage()
        if record.exc_info:
            body["error"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def uvicorn_log_config(fmt: str) -> dict[str, Any] | None:
    """Return uvicorn's ``log_config`` for ``fmt`` (``text``: None, uvicorn's own default)."""
    if fmt == "text":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # kb.access says it
            "kb": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
