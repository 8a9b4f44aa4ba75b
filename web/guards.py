"""Who may use a page, checked in one place before the page runs: signed in, then the role, then (on a POST) the
form's CSRF token.

A page states what it needs in its signature and gets it, or never runs::

    @router.get("/werkvoorraad")
    def caseload_page(request: Request, session: Annotated[WebSession, Depends(only(LEERPLICHT))]) -> Response: ...

    @router.post("/dossiers/{case_id}/notities")
    def write_note(request: Request, case_id: str, form: CheckedForm, session: SignedIn) -> Response: ...

- :data:`SignedIn`: the browser's live session; without one, the redirect to the sign-in page (a GET with the
  page as its ``volgende`` target, so that the person comes back here).
- :func:`only` / :data:`AdminSession`: a session of one of these roles; any other role gets the 403 page.
- :data:`CheckedForm` / :data:`AdminForm`: the posted form, after the session (and for :data:`AdminForm` the admin
  role) and then the form's CSRF token are checked; a form without this session's token gets the refused page
  (403) and nothing is done. The form is read first, as a page reads its form before it runs, so name the form
  before the session in a POST's signature; the session is looked up once per request whichever names it.

A refusal is a :class:`PageRefused` carrying the response; :class:`PageRoute`, the route class of every
:func:`page_router`, answers with it. No refusal writes anything (no audit row): the page never ran.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from domain.roles import ADMIN
from infra.identity.web_sessions import WebSession
from web.common import FormDep, csrf_ok, forbidden, form_refused, signed_in


class PageRefused(Exception):
    """A page that may not run for this request, with the answer the browser gets instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PageRoute(APIRoute):
    """A page's route: a :class:`PageRefused` raised by its checks (or by the page) is answered with its response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, answering a refusal with the refusal's response."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except PageRefused as refused:
                return refused.response

        return guarded


def page_router() -> APIRouter:
    """A router for pages: not in the OpenAPI document, its routes :class:`PageRoute` s."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


def to_sign_in(request: Request) -> RedirectResponse:
    """Send a browser without a session to the sign-in page, to come back here afterwards (GET only)."""
    target = "/inloggen"
    if request.method == "GET" and request.url.path != "/":
        target += "?" + urlencode({"volgende": request.url.path})
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


async def _session(request: Request) -> WebSession:
    """The live session of this browser (looked up on a worker thread: it reads the database)."""
    session = await run_in_threadpool(signed_in, request)
    if session is None:
        raise PageRefused(to_sign_in(request))
    return session


SignedIn = Annotated[WebSession, Depends(_session)]
"""The signed-in person's session; without one, the page is the redirect to the sign-in page."""


def only(*roles: str) -> Callable[..., Coroutine[Any, Any, WebSession]]:
    """A check for ``Depends``: the session of a person with one of ``roles``; anyone else gets the 403 page."""
    allowed = frozenset(roles)

    async def session_of_role(request: Request, session: SignedIn) -> WebSession:
        if session.principal.role not in allowed:
            raise PageRefused(forbidden(request, session))
        return session

    return session_of_role


AdminSession = Annotated[WebSession, Depends(only(ADMIN))]
"""An admin's session; others get the 403 page."""


def _checked(request: Request, form: FormData, session: WebSession) -> FormData:
    if not csrf_ok(session, form):
        raise PageRefused(form_refused(request, session))
    return form


async def _checked_form(request: Request, form: FormDep, session: SignedIn) -> FormData:
    return _checked(request, form, session)


async def _admin_form(request: Request, form: FormDep, session: AdminSession) -> FormData:
    return _checked(request, form, session)


CheckedForm = Annotated[FormData, Depends(_checked_form)]
"""The posted form of a signed-in person, carrying their session's CSRF token (else the refused page)."""
AdminForm = Annotated[FormData, Depends(_admin_form)]
"""The posted form of an admin (others: the 403 page), carrying their session's CSRF token (else the refused
page)."""
