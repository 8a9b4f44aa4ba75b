"""The one error mapper: domain errors and bad requests as RFC 9457 problem+json.

``title`` is English; ``detail`` is the Dutch sentence a person reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.status import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    GuardFailed,
    IdempotencyKeyReused,
    ImportRejected,
    InvalidCommand,
    NotAuthenticated,
    NotFound,
    OutOfScope,
    RoleNotAllowed,
    TransitionNotAllowed,
    UnknownProfile,
)

PROBLEM = "application/problem+json"
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]
_STATUS: list[tuple[type[DomainError], int]] = [
    (NotAuthenticated, 401),
    (NotFound, 404),
    (OutOfScope, 403),
    (TransitionNotAllowed, 409),
    (ConcurrencyConflict, 409),
    (RoleNotAllowed, 403),
    (GuardFailed, 422),
    (InvalidCommand, 422),
    (IdempotencyKeyReused, 422),
    (UnknownProfile, 422),
    (ImportRejected, 422),
]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ProblemResponse(JSONResponse):
    """A JSON response that always renders: a lone surrogate (U+D800-U+DFFF) in any string of the body
    becomes U+FFFD. Such a character cannot be encoded as UTF-8; an error text quoting the input that held
    one (a CSV cell, a JSON field) must still answer its 4xx, not fail into a 500. The JSON edge
    (:mod:`api.json_text`) and the CSV reader refuse such input first; this is the mapper's own guarantee.
    """

    def render(self, content: Any) -> bytes:
        """The body as UTF-8 JSON, with lone surrogates replaced."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def problem(
    status: int, code: str, title: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    """A problem+json response (it renders whatever text its fields quote, see :class:`ProblemResponse`)."""
    body = {"type": f"https://leerlingroute.nl/problems/{code}", "title": title, "status": status,
            "detail": detail, **extra}
    return ProblemResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _extra(error: DomainError) -> dict[str, Any]:
    if isinstance(error, TransitionNotAllowed):
        return {"stage": error.stage, "allowed": list(error.allowed)}
    if isinstance(error, GuardFailed):
        return {"missing": [{"code": m.code, "detail": m.detail_nl} for m in error.missing]}
    if isinstance(error, InvalidCommand):
        return {"problems": list(error.problems)}
    if isinstance(error, ImportRejected):
        return {"errors": [{"line": e.line, "column": e.column, "detail": e.detail_nl} for e in error.errors]}
    if isinstance(error, RoleNotAllowed):
        return {"roles": list(error.roles)}
    return {}


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)  # noqa: S101 - registered for DomainError only
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
    return problem(status, error.code, error.message, error.detail_nl, headers, **_extra(error))


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for this type only
    problems = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
    detail = "De aanvraag is onvolledig of onjuist: " + "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems)
    return problem(422, "invalid-request", "Malformed request", detail, problems=problems)


def _http_error(unknown_page: Callable[[Request], Response] | None) -> ExceptionHandler:
    async def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)  # noqa: S101 - registered for this type only
        if (unknown_page is not None and error.status_code == HTTP_404_NOT_FOUND
                and "text/html" in request.headers.get("accept", "")):
            return await run_in_threadpool(unknown_page, request)  # a person's browser: a Dutch page
        return _http_problem(error)
    return handle


def _http_problem(error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == HTTP_400_BAD_REQUEST and isinstance(error.__cause__, ValueError):
        # FastAPI's 400 for a body it cannot decode (not UTF-8): malformed like a JSON syntax error, so 422.
        problems = [{"loc": ["body"], "msg": "Body is not valid UTF-8 JSON"}]
        return problem(422, "invalid-request", "Malformed request",
                       "De aanvraag is onvolledig of onjuist: body: de inhoud is geen geldige JSON (UTF-8).",
                       problems=problems)
    return problem(error.status_code, "http-error", str(error.detail), str(error.detail), error.headers)


def install_error_handlers(app: FastAPI, unknown_page: Callable[[Request], Response] | None = None) -> None:
    """Register the mapper on ``app``; ``unknown_page`` answers a browser's request for an unknown address."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error(unknown_page))
