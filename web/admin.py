"""The admin page: every account with its role, scopes, sign-in state and alert-mail address, the alert mail
waiting or failing (counts only), a form to set an account's address and preference, and the audit log searched
by case or pupil and by user (through the service, which lets only an admin read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.errors import RoleNotAllowed
from domain.roles import ADMIN
from infra import accounts, mail_queue, web_accounts
from infra.accounts import AccountError, User
from infra.web_accounts import CredentialState, WebSession
from web.common import (
    FormDep,
    csrf_ok,
    forbidden,
    form_refused,
    form_text,
    page,
    service,
    signed_in,
    to_sign_in,
    wall_now,
)
from web.texts import date_nl

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
KINDS = {"case": "Dossier", "pupil": "Leerling"}
"""What the audit log can be searched by (its resources are ``case:<id>`` and ``pupil:<id>``)."""
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class UserRow:
    """An account as the admin page lists it."""

    user: User
    token_state: str
    web_state: str


@dataclass(frozen=True)
class AuditQuery:
    """The search form's values: resource kind and id, user id, and where the page starts."""

    kind: str
    ident: str
    user_id: str
    offset: int

    @property
    def resource(self) -> str | None:
        """The audit resource searched for (``case:<id>``), or None for any."""
        return f"{self.kind}:{self.ident}" if self.ident else None


@router.get("/beheer", response_class=HTMLResponse)
def admin_page(request: Request, soort: str = "case", kenmerk: str = "", gebruiker: str = "",
               vanaf: str = "0", mail: str = "") -> Response:
    """Users, alert mail and audit log search, for admins (others: the 403 page)."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    if session.principal.role != ADMIN:
        return forbidden(request, session)
    query = AuditQuery(soort if soort in KINDS else "case", kenmerk.strip()[:80], gebruiker.strip()[:36],
                       _offset(vanaf))
    return _render(request, session, query, MailNote(saved=mail == "1"))


@router.post("/beheer/e-mail", response_class=HTMLResponse)
def set_mail(request: Request, form: FormDep) -> Response:
    """Set an account's alert-mail address and preference (admins; CSRF-checked); back to the page."""
    session = signed_in(request)
    if session is None:
        return to_sign_in(request)
    if session.principal.role != ADMIN:
        return forbidden(request, session)
    if not csrf_ok(session, form):
        return form_refused(request, session)
    try:
        mail_queue.set_preference(service(request).engine, form_text(form, "gebruiker"), form_text(form, "adres"),
                                  form_text(form, "wijze"))
    except AccountError as error:
        return _render(request, session, AuditQuery("case", "", "", 0), MailNote(error=str(error)), 422)
    return RedirectResponse("/beheer?mail=1#mail-kop", status_code=303)


@dataclass(frozen=True)
class MailNote:
    """What the alert-mail form says after a post: saved, or the Dutch error."""

    saved: bool = False
    error: str | None = None


def _render(request: Request, session: WebSession, query: AuditQuery, note: MailNote, status: int = 200) -> Response:
    svc, at = service(request), wall_now(request)
    try:
        entries = svc.audit_entries(session.principal, query.resource, query.user_id or None, PAGE_SIZE,
                                    query.offset)
    except RoleNotAllowed:
        return forbidden(request, session)
    found, states = accounts.list_users(svc.engine), web_accounts.credential_states(svc.engine)
    rows = [_row(u, states.get(u.id), at) for u in found]
    return page(request, "beheer.html", {
        "title": "Beheer", "nav": "beheer", "users": rows, "names": {u.id: u.name for u in found},
        "entries": entries, "query": query, "kinds": KINDS, "page_size": PAGE_SIZE,
        "searched": bool(query.resource or query.user_id), "mail": mail_queue.counts(svc.engine),
        "mail_note": note, "mail_modes": mail_queue.MAIL_MODES, "addresses": mail_queue.preferences(svc.engine)},
        status, session)


def _offset(text: str) -> int:
    return min(int(text), MAX_OFFSET) if text.isdigit() and len(text) < 10 else 0  # noqa: PLR2004


def _row(user: User, credentials: CredentialState | None, at: datetime) -> UserRow:
    token = ("ingetrokken" if user.revoked_at else "verlopen" if user.expires_at <= at
             else f"geldig tot {date_nl(user.expires_at)}")
    if credentials is None:
        web = "geen wachtwoord"
    elif credentials.locked_until is not None and credentials.locked_until > at:
        web = "geblokkeerd"
    else:
        web = "kan inloggen"
    return UserRow(user, token, web)
