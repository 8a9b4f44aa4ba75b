r"""Text in JSON bodies is Unicode: a lone surrogate anywhere in a JSON body is a 422 before any route sees it.

JSON may escape a UTF-16 surrogate on its own (``"\ud800"``), and Python's ``json`` — which FastAPI uses
— turns it into a str holding that surrogate; so does a body carrying the surrogate's bytes raw (UTF-8
forbids them, ``json.loads`` lets them through). Such a str is no text: it cannot be encoded as UTF-8, so
it fails at the first database write or in the error text that quotes it, as a 500 instead of the clear
422 every other bad input gets. It is refused here, once for every JSON body of the API (case payloads,
commands, notes, descriptions, addresses, ids), rather than field by field in the schemas, where the next
field added would forget it; dictionary keys are checked too. A valid pair (an emoji escaped as two
surrogates) is one character and passes.

The CSV imports (``/imports/…``, ``/verzuim/imports/…``) are left to their reader, which refuses such text
too, naming the lines that hold it (``infra.reference.csv_import``): a file sent as a JSON string is still a file,
and the person fixing it wants to know where.

Only JSON can carry a surrogate into the app: the path, the query string and form posts are decoded
with replacement characters, headers as Latin-1, and a ``text/csv`` body must be valid UTF-8. A CSV file
sent as a JSON string is checked by the CSV reader, as said.

The check runs inside :class:`api.edge.Edge`, which has already bounded the body, and costs one regular
expression search over it; a body is parsed a second time only when that search finds an escaped or raw
surrogate. A body that is no JSON at all is left to FastAPI's own 422.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

_MAYBE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
r"""An escaped surrogate (``\uD800``-``\uDFFF``) or one's raw bytes: the only ways a body holds one."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_IMPORT_PATH = re.compile(r"^/(?:verzuim/)?imports/")


class JsonText:
    """ASGI middleware: 422 problem+json for a JSON body with a lone surrogate; anything else passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or _IMPORT_PATH.match(scope["path"])
                or not _is_json(dict(scope["headers"]).get(b"content-type", b""))):
            await self.app(scope, receive, send)
            return
        body, first = await _read(receive)
        where = _lone_surrogate(body) if _MAYBE.search(body) else None
        if where is not None:
            await _refusal(where)(scope, receive, send)
            return
        await self.app(scope, _replay(first, receive), send)


def _is_json(content_type: bytes) -> bool:
    """Whether FastAPI reads a body of this type as JSON: no type at all, ``application/json`` or ``…+json``."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return not media or media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


async def _read(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body and the messages it came in (to replay them unchanged)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()
    return replayed


def _lone_surrogate(body: bytes) -> list[str | int] | None:
    """Where the body's first string (or key) with a lone surrogate is, as a location; None if there is none."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # no JSON (or nested too deep to read): FastAPI refuses it the same way
    pending: list[tuple[list[str | int], Any]] = [(["body"], value)]
    while pending:  # depth first without recursion: a body nested as deep as json reads cannot overflow it
        at, item = pending.pop()
        if isinstance(item, str) and _SURROGATE.search(item):
            return at
        children: list[tuple[str | int, Any]] = (
            list(enumerate(item)) if isinstance(item, list) else list(item.items()) if isinstance(item, dict) else [])
        for key, child in reversed(children):
            if isinstance(key, str) and _SURROGATE.search(key):
                return [*at, _SURROGATE.sub("\ufffd", key)]
            pending.append(([*at, key], child))
    return None


def _refusal(where: list[str | int]) -> JSONResponse:
    field = ".".join(str(part) for part in where)
    return problem(422, "invalid-request", "Malformed request",
                   f"De aanvraag is onvolledig of onjuist: {field}: de tekst bevat een los surrogaatteken "
                   "(U+D800 tot U+DFFF); dat is geen geldige Unicode. Stuur tekst in UTF-8.",
                   problems=[{"loc": where, "msg": "String contains a lone surrogate"}])
