"""The edge of every HTTP request, before routing and authentication: bounded bodies, no NUL characters.

A body may be at most ``max_bytes`` (1 MiB: JSON and forms). Only a ``POST`` to one of the CSV import
routes themselves (:data:`IMPORT_PATHS`: ``/imports/<kind>`` and ``/verzuim/imports/<kind>`` for the kinds
that exist; not an unknown kind, nor another method) may carry more, up to ``max_import_bytes`` (20 MiB),
and only when it carries an API token that authenticates (``Authorization: Bearer``; 401 otherwise) and
one of the ``large_in_flight`` places (4) for such bodies is free (503 with ``Retry-After`` otherwise, at
once). So what anyone can make one worker process hold is bounded: anonymous requests at most 1 MiB each,
large bodies at most ``large_in_flight`` × 20 MiB in all (a place is held until the app has answered).

A declared ``Content-Length`` over the limit is refused (413) before a byte of the body is read, and one
over 1 MiB is authenticated and given its place before a byte is read too; a chunked body is counted as it
arrives, authenticated and given a place once it passes 1 MiB, and refused as soon as it passes its
limit, so no more than the limit is ever held. The whole body must arrive within ``timeout_s`` (30 s),
else 408: a client that trickles a body in cannot hold a connection for long. A client that leaves
before its body is complete is not answered, and the app never runs for it.

No field of the product may hold a NUL character (0x00), and PostgreSQL refuses them in text and JSON
columns, so a NUL that got through would end as a server error instead of the clear 422 every other bad
input gets. It is refused here for the API and the pages alike: raw in the path, the query string or any
body; percent-encoded in the query string and in form posts; escaped (a backslash, then u0000) in JSON.
The body is checked chunk by chunk as it arrives, with enough overlap that a marker split across two
chunks is still found.

A request that passes reaches the app with its body (at most the limit) replayed as one message, built
once from the pieces as they came (no further copy).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import NotAuthenticated
from infra.reference.resources import IMPORTS
from infra.verzuim.inputs import Kind as VerzuimKind

MIB = 1024 * 1024
DETAIL = "De aanvraag bevat een NUL-teken (0x00); dat is in geen enkel veld toegestaan."
IMPORT_PATHS = frozenset({f"/imports/{kind}" for kind in IMPORTS}
                         | {f"/verzuim/imports/{kind}" for kind in get_args(VerzuimKind)})
"""The routes (``POST``) that take a CSV file, the only ones that may carry more than ``max_bytes``."""
BUSY_RETRY_AFTER_S = 10
BEARER_NEEDED = (
    "Een aanvraag groter dan {limit} vraagt een API-token in de header 'Authorization: Bearer <token>'.")
_ENCODED = re.compile(rb"%00")
_JSON_ESCAPED = re.compile(rb"\\u0000", re.IGNORECASE)
_OVERLAP = len(b"\\u0000") - 1
"""Bytes of the previous chunks searched again with each new one: a marker split across chunks is found."""
Authenticate = Callable[[str], Awaitable[None]]
"""Checks an API token; raises NotAuthenticated (with the Dutch reason) unless it authenticates."""


@dataclass(frozen=True)
class BodyLimits:
    """How large a request body may be, how long it may take to arrive, and how many large ones at once."""

    max_bytes: int = MIB
    max_import_bytes: int = 20 * MIB
    timeout_s: float = 30.0
    large_in_flight: int = 4
    """Bodies over ``max_bytes`` (imports only) a worker holds at once; one more gets 503 at once."""

    def for_request(self, method: str, path: str) -> int:
        """The largest body a ``method`` request to ``path`` may carry."""
        return self.max_import_bytes if method == "POST" and path in IMPORT_PATHS else self.max_bytes


def token_check(authenticate: Callable[[str, datetime], object], clock: Callable[[], datetime]) -> Authenticate:
    """An :data:`Authenticate` over the service's (blocking) token lookup, run on a worker thread."""
    async def check(token: str) -> None:
        await anyio.to_thread.run_sync(authenticate, token, clock())
    return check


class _Refused(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str,
                 headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail, self.headers = status, code, title, detail, headers


class Edge:
    """ASGI middleware: 413, 408, 422, 401 or 503 problem+json at the edge; a request that passes is unchanged.

    ``authenticate`` checks the token of a body over ``max_bytes``; without it no body over ``max_bytes``
    is taken at all (the import routes then have the small limit too).
    """

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None, authenticate: Authenticate | None = None,
                 ) -> None:
        self.app = app
        self.limits = limits or BodyLimits()
        self.authenticate = authenticate
        self.large_now = 0
        """Bodies over ``max_bytes`` being received or handled right now (one event loop: no lock needed)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _ENCODED.search(scope["query_string"]):
            await _refuse(send, _nul(), close=False)
            return
        large = _LargeBody(self, dict(scope["headers"]))
        try:
            body = await self._receive(scope, receive, large)
            if body is not None:  # else the client left before its body was complete: nobody to answer
                await self.app(scope, _replay(body, receive), send)
        except _Refused as refused:
            await _refuse(send, refused, close=True)  # the unread rest of the body is never read
        finally:
            large.release()  # a large body's place is held until the app has answered

    async def _receive(self, scope: Scope, receive: Receive, large: _LargeBody) -> bytes | None:
        """The body (None if the client left first); _Refused for one too large, too slow, holding a NUL,
        or over ``max_bytes`` without a token that authenticates or a free place.
        """
        limit = self.limits.for_request(scope["method"], scope["path"]) if self.authenticate else self.limits.max_bytes
        declared = large.declared_length()
        if declared is not None and declared > limit:
            raise _too_large(limit)  # before reading: nothing of it is buffered
        try:
            with anyio.fail_after(self.limits.timeout_s):
                if declared is not None and declared > self.limits.max_bytes:
                    await large.admit()  # before reading too
                return await _read_body(receive, limit, large)
        except TimeoutError:
            raise _too_slow(self.limits.timeout_s) from None


class _LargeBody:
    """One request's claim on the edge's places for bodies over ``max_bytes``: taken at most once, after
    its token authenticated, and given back once (when the app has answered, or on a refusal).
    """

    def __init__(self, edge: Edge, headers: dict[bytes, bytes]) -> None:
        self.edge, self.headers, self.holding = edge, headers, False
        self.markers = _markers(headers.get(b"content-type", b""))
        self.threshold = edge.limits.max_bytes

    def declared_length(self) -> int | None:
        declared = self.headers.get(b"content-length", b"").strip()
        return int(declared) if declared.isdigit() else None

    async def admit(self) -> None:
        """Authenticate the token, then take a place: 401 or 503 (_Refused) if either fails."""
        if self.holding:
            return
        await self._authenticate()
        limits = self.edge.limits
        if self.edge.large_now >= limits.large_in_flight:  # no await from here to the increment: atomic
            raise _busy(limits.large_in_flight, limits.max_bytes)
        self.edge.large_now += 1
        self.holding = True

    async def _authenticate(self) -> None:
        scheme, _, token = self.headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        error = NotAuthenticated(BEARER_NEEDED.format(limit=size_nl(self.threshold)))
        if scheme.lower() == "bearer" and token.strip() and self.edge.authenticate is not None:
            try:
                await self.edge.authenticate(token.strip())
            except NotAuthenticated as refused:
                error = refused
            else:
                return
        raise _Refused(401, error.code, error.message, error.detail_nl, ((b"www-authenticate", b"Bearer"),))

    def release(self) -> None:
        if self.holding:
            self.holding = False
            self.edge.large_now -= 1


def _markers(content_type: bytes) -> re.Pattern[bytes] | None:
    """How a NUL is written in a body of this type, besides raw."""
    lowered = content_type.lower()
    if b"json" in lowered:
        return _JSON_ESCAPED
    if b"x-www-form-urlencoded" in lowered:
        return _ENCODED
    return None


async def _read_body(receive: Receive, limit: int, large: _LargeBody) -> bytes | None:
    """The body, checked piece by piece as it arrives; None if the client left before it was complete.

    Raises _Refused when the body passes ``max_bytes`` without a valid token or a free place, and as soon
    as it passes ``limit`` or holds a NUL (nothing after that is read). The pieces are copied as they come
    into one growing buffer whose bytes are then handed on as they are (``BytesIO.getvalue`` shares its
    buffer): the body is never held twice.
    """
    buffer, tail = io.BytesIO(), b""
    message = await receive()
    while message["type"] == "http.request":
        piece: bytes = message.get("body", b"")
        size = buffer.tell() + len(piece)
        if size > large.threshold:
            await large.admit()
        if size > limit:
            raise _too_large(limit)
        if _holds_nul(piece, tail, large.markers):
            raise _nul()
        tail = (tail + piece[-_OVERLAP:])[-_OVERLAP:]
        buffer.write(piece)
        if not message.get("more_body", False):
            return buffer.getvalue()
        message = await receive()
    return None


def _holds_nul(piece: bytes, tail: bytes, markers: re.Pattern[bytes] | None) -> bool:
    """Whether ``piece`` holds a NUL, raw or as a marker; ``tail`` (the last bytes before it) catches a
    marker cut across pieces, however small they are.
    """
    if b"\x00" in piece:
        return True
    return markers is not None and bool(markers.search(tail + piece[:_OVERLAP]) or markers.search(piece))


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replayed


def _nul() -> _Refused:
    return _Refused(422, "invalid-request", "Malformed request", DETAIL)


def _too_large(limit: int) -> _Refused:
    return _Refused(413, "payload-too-large", "Payload too large",
                    f"De aanvraag is te groot: de inhoud mag hoogstens {size_nl(limit)} zijn.")


def _busy(places: int, threshold: int) -> _Refused:
    return _Refused(503, "too-many-large-requests", "Too many large requests",
                    f"De server ontvangt nu al {places} grote aanvragen (meer dan {size_nl(threshold)}) tegelijk; "
                    f"probeer het over {BUSY_RETRY_AFTER_S} seconden opnieuw.",
                    ((b"retry-after", str(BUSY_RETRY_AFTER_S).encode()),))


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
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
               *refused.headers]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
