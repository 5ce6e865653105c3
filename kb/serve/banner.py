"""A broken live edit, visible on every page: a banner naming each error while the served version is stale.

Under ``kb serve --reload`` a save that does not validate leaves the last good version serving
(:mod:`kb.serve.reload`). Without a sign on the pages a curator would read the old facts as if the edit had
taken. :class:`StaleBanner`, outermost middleware, adds a banner right after ``<body>`` of every HTML answer
while the reloader's status is not ok, listing each error as ``path:line:col: field: message``; it is gone
with the next good save.

It works on the answer as it leaves the app, after the answer cache (which keys pages by served version, and
the version does not change while an edit is refused), so a cached page gets the banner too. While stale, a
revalidation (``If-None-Match``) always gets the whole page, and its ETag is marked with the refused version,
so a browser never keeps a clean page for a bannered one or the other way round.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_SHOWN = 20
STYLE = ("background:#fff3cd;color:#3d2b00;border-bottom:2px solid #d39e00;padding:.6em 1em;margin:0;"
         "font:14px/1.4 system-ui,sans-serif")


def banner(serving: str, errors: list[str]) -> str:
    """Return the banner's HTML: which version still serves, and each error of the refused edit."""
    items = "".join(f"<li><code>{html.escape(e)}</code></li>" for e in errors[:MAX_SHOWN])
    more = f"<li>… and {len(errors) - MAX_SHOWN} more (see /health)</li>" if len(errors) > MAX_SHOWN else ""
    shown = "error" if len(errors) == 1 else f"{len(errors)} errors"
    return (f'<div id="kb-stale" role="alert" style="{STYLE}"><strong>Your last edit was not loaded</strong> '
            f"({shown}): these pages still show version <code>{html.escape(serving[:12])}</code>. "
            f"Fix the files and save; this banner goes away once they validate.<ul>{items}{more}</ul></div>")


Stale = Callable[[], tuple[str, str, list[str]] | None]
"""Returns (version served, version refused, errors) while an edit is refused, else None."""


class StaleBanner:
    """ASGI middleware: the banner in every HTML answer while ``stale()`` says an edit was refused."""

    def __init__(self, app: ASGIApp, stale: Stale) -> None:
        self.app = app
        self.stale = stale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.stale() if scope["type"] == "http" else None
        if state is None:
            await self.app(scope, receive, send)
            return
        serving, refused, errors = state
        # A browser revalidating the clean page must get the bannered one, not "304: keep what you have".
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]}
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                if not headers.get("content-type", "").startswith("text/html"):
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_with_banner(send, start, b"".join(chunks), banner(serving, errors), refused)

        await self.app(scope, receive, capture)


async def _send_with_banner(send: Send, start: Message, body: bytes, text: str, refused: str) -> None:
    index = body.find(b"<body")
    if index != -1:
        index = body.find(b">", index) + 1
        body = body[:index] + text.encode() + body[index:]
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["content-length"] = str(len(body))
    if "etag" in headers:
        headers["etag"] = headers["etag"].rstrip('"') + f'-stale-{refused[:12]}"'
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
