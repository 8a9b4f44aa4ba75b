"""The edge of every HTTP request, before routing and authentication: bounded bodies, no NUL characters.

A body may be at most ``max_bytes`` (1 MiB: JSON and forms) or, for the CSV imports (``/imports/…`` and
``/verzuim/imports/…``), ``max_import_bytes`` (20 MiB). A declared ``Content-Length`` over the limit is
refused (413) before a byte of the body is read; a chunked body is counted as it arrives and refused as
soon as it passes the limit, so no more than the limit is ever held. The whole body must arrive within
``timeout_s`` (30 s), else 408: a client that trickles a body in cannot hold a connection for long.

No field of the product may hold a NUL character (0x00), and PostgreSQL refuses them in text and JSON
columns, so a NUL that got through would end as a server error instead of the clear 422 every other bad
input gets. It is refused here for the API and the pages alike: raw in the path, the query string or any
body; percent-encoded in the query string and in form posts; escaped (a backslash, then u0000) in JSON.
The body is checked chunk by chunk as it arrives, with enough overlap that a marker split across two
chunks is still found.

A request that passes reaches the app with its body (at most the limit) replayed as one message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
DETAIL = "De aanvraag bevat een NUL-teken (0x00); dat is in geen enkel veld toegestaan."
_IMPORT_PATH = re.compile(r"^/(?:verzuim/)?imports/")
_ENCODED = re.compile(rb"%00")
_JSON_ESCAPED = re.compile(rb"\\u0000", re.IGNORECASE)
_OVERLAP = len(b"\\u0000") - 1
"""Bytes of the previous chunks searched again with each new one: a marker split across chunks is found."""


@dataclass(frozen=True)
class BodyLimits:
    """How large a request body may be and how long it may take to arrive."""

    max_bytes: int = MIB
    max_import_bytes: int = 20 * MIB
    timeout_s: float = 30.0

    def for_path(self, path: str) -> int:
        """The largest body a request to ``path`` may carry."""
        return self.max_import_bytes if _IMPORT_PATH.match(path) else self.max_bytes


class _Refused(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail


class Edge:
    """ASGI middleware: 413, 408 or 422 problem+json at the edge; a request that passes is unchanged."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _ENCODED.search(scope["query_string"]):
            await _refuse(send, _nul(), close=False)
            return
        limit = self.limits.for_path(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, _too_large(limit), close=True)  # before reading: nothing of it is buffered
            return
        try:
            with anyio.fail_after(self.limits.timeout_s):
                body, connected = await _read_body(receive, limit, _markers(headers.get(b"content-type", b"")))
        except TimeoutError:
            await _refuse(send, _too_slow(self.limits.timeout_s), close=True)
            return
        except _Refused as refused:
            await _refuse(send, refused, close=True)
            return
        await self.app(scope, _replay(body, connected, receive), send)


def _markers(content_type: bytes) -> re.Pattern[bytes] | None:
    """How a NUL is written in a body of this type, besides raw."""
    lowered = content_type.lower()
    if b"json" in lowered:
        return _JSON_ESCAPED
    if b"x-www-form-urlencoded" in lowered:
        return _ENCODED
    return None


async def _read_body(receive: Receive, limit: int, markers: re.Pattern[bytes] | None) -> tuple[bytes, bool]:
    """The body, checked chunk by chunk, and whether the client is still there.

    Raises _Refused as soon as the body passes ``limit`` or holds a NUL: nothing after that is read.
    """
    body = bytearray()
    message = await receive()
    while message["type"] == "http.request":
        chunk: bytes = message.get("body", b"")
        if len(body) + len(chunk) > limit:
            raise _too_large(limit)
        start = max(0, len(body) - _OVERLAP)
        body += chunk
        if b"\x00" in chunk or (markers is not None and markers.search(body, start)):
            raise _nul()
        if not message.get("more_body", False):
            return bytes(body), True
        message = await receive()
    return bytes(body), False


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


def _nul() -> _Refused:
    return _Refused(422, "invalid-request", "Malformed request", DETAIL)


def _too_large(limit: int) -> _Refused:
    return _Refused(413, "payload-too-large", "Payload too large",
                    f"De aanvraag is te groot: de inhoud mag hoogstens {size_nl(limit)} zijn.")


def _too_slow(timeout_s: float) -> _Refused:
    return _Refused(408, "request-timeout", "Request timeout",
                    f"De inhoud van de aanvraag is niet binnen {seconds_nl(timeout_s)} volledig ontvangen; "
                    "verstuur de aanvraag opnieuw.")


def size_nl(size: int) -> str:
    """A number of bytes as a person reads it: '1 MiB', '256 KiB', '1500 bytes'."""
    for unit, factor in (("MiB", MIB), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def seconds_nl(seconds: float) -> str:
    """A number of seconds in Dutch: '30 seconden', '1 seconde', '1,5 seconde'."""
    return f"{seconds:g}".replace(".", ",") + (" seconden" if seconds > 1 else " seconde")


async def _refuse(send: Send, refused: _Refused, *, close: bool) -> None:
    """The problem+json answer; ``close`` ends the connection, so an unread rest of the body is never read."""
    body = json.dumps({"type": f"https://leerlingroute.nl/problems/{refused.code}", "title": refused.title,
                       "status": refused.status, "detail": refused.detail}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
