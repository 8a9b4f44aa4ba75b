"""The admin page: every account with its role, scopes, sign-in state and alert-mail address, forms to make,
revoke and re-enrol accounts (:mod:`web.admin_accounts`), the alert mail waiting or failing (counts only), a
form to set an account's address and preference, and the audit log in Dutch, searched by part of a case or
pupil id, by user and by date, and downloadable (:mod:`web.admin_audit`; through the service, which lets only
an admin read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.errors import RoleNotAllowed
from infra.delivery import mail_queue
from infra.identity import accounts, web_accounts
from infra.identity.accounts import ACCOUNT_ROLES, AccountError, User
from infra.identity.web_accounts import CredentialState, Enrolment, NewAccount
from infra.identity.web_sessions import WebSession
from web.admin_audit import EXPORT_MAX_ROWS, KINDS, AuditForm, audit_form, audit_rows
from web.common import forbidden, form_text, page, service, wall_now
from web.guards import AdminForm, AdminSession, page_router
from web.texts import date_nl, local_date

router = page_router()
PAGE_SIZE = 50


@dataclass(frozen=True)
class UserRow:
    """An account as the admin page lists it."""

    user: User
    token_state: str
    web_state: str


@dataclass(frozen=True)
class MailNote:
    """What the alert-mail form says after a post: saved, or the Dutch error."""

    saved: bool = False
    error: str | None = None


@dataclass(frozen=True)
class AccountNote:
    """What the account forms say after a post: the account made (with its token, first password and TOTP
    secret, shown this once), the account revoked, the new second factor (shown this once), or the Dutch
    error with what was typed.
    """

    made: NewAccount | None = None
    revoked: User | None = None
    reset: Enrolment | None = None
    error: str | None = None
    form: str = ""
    """Which form the error belongs to: 'nieuw', 'intrekken' or 'tweede-factor'."""
    typed: dict[str, str] | None = None


@router.get("/beheer", response_class=HTMLResponse)
def admin_page(request: Request, session: AdminSession, soort: str = "case", kenmerk: str = "", gebruiker: str = "",
               van: str = "", tot: str = "", vanaf: str = "0", mail: str = "") -> Response:
    """Users, alert mail and audit log search, for admins (others: the 403 page)."""
    form = audit_form(soort, kenmerk, gebruiker, van, tot, vanaf, local_date(wall_now(request)))
    return render_admin(request, session, form, MailNote(saved=mail == "1"), status=200 if form.error is None else 422)


@router.post("/beheer/e-mail", response_class=HTMLResponse)
def set_mail(request: Request, form: AdminForm, session: AdminSession) -> Response:
    """Set an account's alert-mail address and preference (admins; CSRF-checked); back to the page."""
    try:
        service(request).set_mail_preference(session.principal, form_text(form, "gebruiker"), form_text(form, "adres"),
                                             form_text(form, "wijze"), wall_now(request))
    except AccountError as error:
        return render_admin(request, session, AuditForm(), MailNote(error=str(error)), status=422)
    return RedirectResponse("/beheer?mail=1#mail-kop", status_code=303)


def render_admin(request: Request, session: WebSession, form: AuditForm, note: MailNote | None = None,
                 account: AccountNote | None = None, status: int = 200) -> Response:
    """The admin page with this audit search (no rows if it has an error) and what a form said."""
    svc, at = service(request), wall_now(request)
    found, states = accounts.list_users(svc.engine), web_accounts.credential_states(svc.engine)
    names = {u.id: u.name for u in found}
    try:
        entries = [] if form.search is None else svc.audit_search(session.principal, form.search, PAGE_SIZE,
                                                                  form.offset)
    except RoleNotAllowed:
        return forbidden(request, session)
    return page(request, "beheer.html", {
        "title": "Beheer", "nav": "beheer", "users": [_row(u, states.get(u.id), at) for u in found], "names": names,
        "entries": audit_rows(entries, names), "more": len(entries) == PAGE_SIZE, "query": form, "kinds": KINDS,
        "page_size": PAGE_SIZE, "export_max": EXPORT_MAX_ROWS, "mail": mail_queue.counts(svc.engine),
        "mail_note": note or MailNote(), "mail_modes": mail_queue.MAIL_MODES,
        "addresses": mail_queue.preferences(svc.engine), "account": account or AccountNote(),
        "roles": ACCOUNT_ROLES, "today": local_date(at).isoformat()}, status, session)


def _row(user: User, credentials: CredentialState | None, at: datetime) -> UserRow:
    token = ("ingetrokken" if user.revoked_at else "verlopen" if user.expires_at <= at
             else f"geldig tot {date_nl(user.expires_at)}")
    if user.revoked_at is not None or user.expires_at <= at:
        web = "kan niet inloggen"
    elif credentials is None:
        web = "geen wachtwoord"
    elif credentials.locked_until is not None and credentials.locked_until > at:
        web = "geblokkeerd"
    else:
        web = "kan inloggen"
    return UserRow(user, token, web)
