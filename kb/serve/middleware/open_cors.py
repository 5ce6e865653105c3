"""Cross-origin access for every origin on some paths, whatever ``KB_CORS_ORIGINS`` allows elsewhere.

The reconciliation API requires CORS on all of its endpoints (0.2, "Cross-Origin Access"): OpenRefine's page
and other web clients call it from their own origin. It answers public data and takes no credentials, so any
origin may read it. Placed outside the app's own CORS middleware, this one answers the paths it owns (preflight
included) and passes every other request on untouched.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class OpenCORS:
    """ASGI middleware: CORS for any origin on paths starting with one of ``prefixes``."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes
        self.open = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "POST"],
                                   allow_headers=["content-type", "accept-language"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        owned = any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)
        await (self.open if owned else self.app)(scope, receive, send)
