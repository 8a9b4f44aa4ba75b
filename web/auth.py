"""Signing in (password + TOTP code), signing out, and the home page that says who you are."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Principal
from infra.identity import sign_in_limits, web_accounts, web_sessions
from infra.identity.sign_in_limits import Limits, SignInLimited
from infra.identity.web_accounts import SignInRefused
from web.common import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    FormDep,
    form_text,
    page,
    safe_next,
    service,
    set_cookie,
    signed_in,
    tokens_match,
    wall_now,
)
from web.guards import CheckedForm, SignedIn, page_router

router = page_router()
SIGN_IN_PATH = "/inloggen"
SIGN_IN_DB_THREADS = 4
"""Threads the database steps of sign-ins may use at once (short transactions; the rest wait in the loop)."""
T = TypeVar("T")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SignedIn) -> Response:
    """Who you are and where you can go; the sign-in page without a session."""
    return page(request, "home.html", {"title": "Start", "nav": "home"}, session=session)


@router.get(SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in_form(request: Request, volgende: str = "/", uitgelogd: str = "") -> Response:
    """The sign-in form (or home, when this browser is signed in already)."""
    if signed_in(request) is not None:
        return RedirectResponse(safe_next(volgende), status_code=303)
    notice = "U bent uitgelogd." if uitgelogd else None
    return _sign_in_page(request, safe_next(volgende), notice=notice)


@router.post(SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in(request: Request, form: FormDep) -> Response:
    """Check the form's token and the rate limits, then username, password and code; start a session.

    Asynchronous on purpose: the database steps run on at most :data:`SIGN_IN_DB_THREADS` threads and
    argon2 on at most ``sign_in_hashing_threads``, each with its own limiter, and an attempt waiting for
    one holds no thread. A flood of sign-ins therefore never takes the threads the API's (synchronous)
    routes run on, nor blocks the event loop.
    """
    name, target = form_text(form, "gebruikersnaam").strip(), safe_next(form_text(form, "volgende"))
    if not tokens_match(request.cookies.get(SIGN_IN_COOKIE), form_text(form, CSRF_FIELD)):
        return _sign_in_page(request, target, name, error="Het inlogformulier was verlopen. Probeer het opnieuw.",
                             status=403)
    try:
        principal = await _attempt(request, name, form_text(form, "wachtwoord"), form_text(form, "code"))
    except SignInLimited as limited:
        response = _sign_in_page(request, target, name, error=str(limited), status=429)
        response.headers["Retry-After"] = str(limited.retry_after_s)
        return response
    except SignInRefused as refused:
        return _sign_in_page(request, target, name, error=str(refused), status=400)
    engine, at = service(request).engine, wall_now(request)
    if previous := request.cookies.get(SESSION_COOKIE):
        await _db(request, web_sessions.end_session, engine, previous, at)
    session_id = await _db(request, web_sessions.start_session, engine, principal, at)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_cookie(response, request, SESSION_COOKIE, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


async def _attempt(request: Request, name: str, password: str, code: str) -> Principal:
    """One sign-in attempt: SignInLimited over a rate limit (nothing else done), SignInRefused when refused."""
    svc, at = service(request), wall_now(request)
    limits = Limits(svc.settings.sign_in_per_address_per_minute, svc.settings.sign_in_per_name_per_minute,
                    svc.settings.sign_in_per_minute)
    await _db(request, sign_in_limits.admit, svc.engine, client_address(request), name, at, limits)
    attempt = await _db(request, web_accounts.begin_attempt, svc.engine, name, at)
    verdict = await to_thread.run_sync(web_accounts.check_attempt, attempt, password, code, at,
                                       limiter=_limiter(request, "hashing"))
    return await _db(request, web_accounts.finish_attempt, svc.engine, attempt, verdict, at)


def client_address(request: Request) -> str:
    """The address the attempt came from: the socket's peer (behind a proxy, run uvicorn with
    ``--proxy-headers --forwarded-allow-ips <proxy>`` so that this is the client, not the proxy).
    """
    return request.client.host if request.client is not None else "onbekend"


def _limiter(request: Request, kind: str) -> CapacityLimiter:
    """The app's limiter of sign-in threads of ``kind`` ('db' or 'hashing'), made on first use (in the
    app's event loop: a limiter belongs to one loop).
    """
    state = request.app.state
    limiters: dict[str, CapacityLimiter] | None = getattr(state, "sign_in_limiters", None)
    if limiters is None:
        hashing = service(request).settings.sign_in_hashing_threads
        limiters = {"db": CapacityLimiter(SIGN_IN_DB_THREADS), "hashing": CapacityLimiter(hashing)}
        state.sign_in_limiters = limiters
    return limiters[kind]


async def _db(request: Request, function: Callable[..., T], *args: object) -> T:
    """Run a database step of a sign-in on one of the sign-in threads."""
    return await to_thread.run_sync(function, *args, limiter=_limiter(request, "db"))


@router.post("/uitloggen", response_class=HTMLResponse)
def sign_out(request: Request, form: CheckedForm, session: SignedIn) -> Response:
    """End this browser's session (with the session's CSRF token only)."""
    del form  # checked: it carries the session's token
    web_sessions.end_session(service(request).engine, request.cookies[SESSION_COOKIE], wall_now(request),
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
