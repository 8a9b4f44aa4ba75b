"""Signing in (password + TOTP code), signing out, and the home page that says who you are."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from infra import web_accounts
from infra.web_accounts import SignInRefused
from web.common import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    FormDep,
    csrf_ok,
    form_refused,
    form_text,
    now,
    page,
    safe_next,
    service,
    set_cookie,
    signed_in,
    to_sign_in,
    tokens_match,
)

router = APIRouter(include_in_schema=False)
SIGN_IN_PATH = "/inloggen"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Who you are and where you can go; the sign-in page without a session."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    return page(request, "home.html", {"title": "Start", "nav": "home"}, session=session)


@router.get(SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in_form(request: Request, volgende: str = "/", uitgelogd: str = "") -> Response:
    """The sign-in form (or home, when this browser is signed in already)."""
    if signed_in(request) is not None:
        return RedirectResponse(safe_next(volgende), status_code=303)
    notice = "U bent uitgelogd." if uitgelogd else None
    return _sign_in_page(request, safe_next(volgende), notice=notice)


@router.post(SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in(request: Request, form: FormDep) -> Response:
    """Check the form's token, then username, password and code; start a session on success."""
    name, target = form_text(form, "gebruikersnaam").strip(), safe_next(form_text(form, "volgende"))
    if not tokens_match(request.cookies.get(SIGN_IN_COOKIE), form_text(form, CSRF_FIELD)):
        return _sign_in_page(request, target, name, error="Het inlogformulier was verlopen. Probeer het opnieuw.",
                             status=403)
    engine, at = service(request).engine, now(request)
    try:
        principal = web_accounts.sign_in(engine, name, form_text(form, "wachtwoord"), form_text(form, "code"), at)
    except SignInRefused as refused:
        return _sign_in_page(request, target, name, error=str(refused), status=400)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        web_accounts.end_session(engine, previous, at)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_cookie(response, request, SESSION_COOKIE, web_accounts.start_session(engine, principal, at))
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/uitloggen", response_class=HTMLResponse)
def sign_out(request: Request, form: FormDep) -> Response:
    """End this browser's session (with the session's CSRF token only)."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    if not csrf_ok(session, form):
        return form_refused(request, session)
    web_accounts.end_session(service(request).engine, request.cookies[SESSION_COOKIE], now(request),
                             session.principal)
    response = RedirectResponse(f"{SIGN_IN_PATH}?uitgelogd=1", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _sign_in_page(request: Request, target: str, name: str = "", *, error: str | None = None,
                  notice: str | None = None, status: int = 200) -> Response:
    """The form with a fresh token, which is also set as a cookie the POST must send back."""
    token = secrets.token_urlsafe(32)
    response = page(request, "inloggen.html", {"title": "Inloggen", "csrf": token, "volgende": target,
                                               "name": name, "error": error, "notice": notice}, status)
    set_cookie(response, request, SIGN_IN_COOKIE, token, path=SIGN_IN_PATH)
    return response
