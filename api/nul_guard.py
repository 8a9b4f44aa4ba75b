"""Refuse requests that carry a NUL character (0x00) anywhere: in the path, the query string or the body.

No field of the product may hold one, and PostgreSQL refuses them in text and JSON columns, so a NUL
that got through would end as a server error instead of the clear 422 every other bad input gets.
Checked once, at the edge, for the API and the pages alike: raw in any body, percent-encoded in the
query string and in form posts, escaped (a backslash, then u0000) in JSON.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DETAIL = "De aanvraag bevat een NUL-teken (0x00); dat is in geen enkel veld toegestaan."
_ENCODED = (b"%00",)
_JSON_ESCAPED = (b"\\u0000",)


class RejectNul:
    """ASGI middleware: a 422 problem+json for a request with a NUL character; nothing else changes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _has(scope["query_string"].lower(), _ENCODED):
            await _refuse(send)
            return
        body, more = await _read_body(receive)
        if b"\x00" in body or _has(body.lower(), _markers(scope)):
            await _refuse(send)
            return
        await self.app(scope, _replay(body, more, receive), send)


def _markers(scope: Scope) -> tuple[bytes, ...]:
    content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
    if b"json" in content_type:
        return _JSON_ESCAPED
    if b"x-www-form-urlencoded" in content_type:
        return _ENCODED
    return ()


def _has(data: bytes, markers: tuple[bytes, ...]) -> bool:
    return any(marker in data for marker in markers)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body (the routes read it whole anyway), and whether the client is still there."""
    parts, message = [], await receive()
    while message["type"] == "http.request":
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), True
        message = await receive()
    return b"".join(parts), False


def _replay(body: bytes, connected: bool, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if connected:
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}
        return await receive()
    return replayed


async def _refuse(send: Send) -> None:
    body = json.dumps({"type": "https://leerlingroute.nl/problems/invalid-request", "title": "Malformed request",
                       "status": 422, "detail": DETAIL}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
