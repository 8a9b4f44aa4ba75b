"""What every page shares: the service and clock of the app, the signed-in session, CSRF checks,
rendering with safe headers, and the Dutch error pages. The checks every page runs before it runs (signed in,
role, CSRF token) are declared with :mod:`web.guards`.

Cookies are always ``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` whenever the request came over
https (behind a TLS-terminating proxy, run uvicorn with ``--proxy-headers`` so that it knows). Plain
http is only for http://localhost in tests and on a developer's laptop.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from domain.roles import ADMIN, BTO, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.terms import last_day_of
from infra.clock import SIMULATED
from infra.clock_words import describe_nl
from infra.identity import web_sessions
from infra.identity.web_sessions import WebSession
from service import Service
from web import names, texts

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
SESSION_COOKIE = "leerlingroute_sessie"
SIGN_IN_COOKIE = "leerlingroute_inlogformulier"
CSRF_FIELD = "csrf"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""On every page: nothing cached (pages show personal data), no framing, no inline script or style."""

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(role_label=texts.role_label, code_label=texts.code_label, sentence=texts.sentence,
                             ADMIN=ADMIN, LIST_ROLES=(ZORGCOORDINATOR, SWV_COORDINATOR, BTO))
templates.env.filters.update(names.FILTERS)
templates.env.filters.update(datum=texts.date_nl, tijdstip=texts.instant_nl, iso=texts.iso,
                             laatste_dag=last_day_of)


def service(request: Request) -> Service:
    """The service the app runs on."""
    found: Service = request.app.state.service
    return found


def now(request: Request) -> datetime:
    """The app's clock (tests move it): the instance's now, simulated in an oefenomgeving."""
    instant: datetime = request.app.state.clock()
    return instant


def wall_now(request: Request) -> datetime:
    """The real now, for sign-in, TOTP codes, sessions and accounts (also in an oefenomgeving)."""
    instant: datetime = request.app.state.wall_clock()
    return instant


def signed_in(request: Request) -> WebSession | None:
    """The live session of this browser, or None."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return web_sessions.find_session(service(request).engine, session_id, wall_now(request))


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]
"""The posted form, read in the event loop so that the page itself can be a plain (threadpool) function."""


def form_text(form: FormData, name: str) -> str:
    """A text field of the form ('' when it is missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def tokens_match(expected: str | None, given: str) -> bool:
    """Constant-time comparison of a CSRF token; never true for an empty one."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), given)


def csrf_ok(session: WebSession, form: FormData) -> bool:
    """Whether the form carries this session's CSRF token."""
    return tokens_match(session.csrf_token, form_text(form, CSRF_FIELD))


def set_cookie(response: Response, request: Request, name: str, value: str, path: str = "/") -> None:
    """A session-lifetime cookie: HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(name, value, path=path, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def page(request: Request, template: str, context: Mapping[str, Any], status: int = 200,
         session: WebSession | None = None) -> HTMLResponse:
    """Render ``template`` with the session (for the header) and the safe headers."""
    response = templates.TemplateResponse(request, template, {"session": session,
                                                              "oefenomgeving": _simulated_day(request), **context},
                                          status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _simulated_day(request: Request) -> str | None:
    """In an oefenomgeving the simulated day ('maandag 7 december 2026') every page shows in its banner."""
    if service(request).settings.clock != SIMULATED:
        return None
    return describe_nl(now(request), with_time=False)


def error_page(request: Request, status: int, title: str, message: str,
               session: WebSession | None) -> HTMLResponse:
    """A Dutch error page (404, 403, ...)."""
    return page(request, "fout.html", {"title": title, "message": message, "status": status}, status, session)


def not_found(request: Request, session: WebSession | None) -> HTMLResponse:
    """The one 404 page: an unknown case and a case out of scope look exactly alike."""
    return error_page(request, 404, "Niet gevonden",
                      "Dit dossier bestaat niet, of het valt niet onder uw account.", session)


def unknown_page(request: Request) -> HTMLResponse:
    """The 404 page for an address that is no page at all (a browser asked; API clients get problem+json)."""
    return error_page(request, 404, "Pagina niet gevonden",
                      "Deze pagina bestaat niet. Controleer het adres, of ga via de startpagina verder.",
                      signed_in(request))


def forbidden(request: Request, session: WebSession) -> HTMLResponse:
    """The 403 page for a page this role may not use."""
    return error_page(request, 403, "Geen toegang",
                      f"Met de rol {texts.role_label(session.principal.role)} hebt u geen toegang tot deze pagina.",
                      session)


def form_refused(request: Request, session: WebSession | None) -> HTMLResponse:
    """The 403 page for a form without this session's CSRF token: nothing was done."""
    return error_page(request, 403, "Formulier geweigerd",
                      "Het formulier mist een geldig beveiligingskenmerk (het is verlopen of komt niet van deze "
                      "site). Er is niets opgeslagen. Laad de pagina opnieuw en probeer het nog eens.", session)


def safe_next(path: str) -> str:
    """Where to go after signing in: a local path only (no other site, no scheme), else home."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path and ":" not in path:
        return path
    return "/"
