"""Accounts on the admin page: make one (name, role, scopes; its API token, a first password and a TOTP secret are
shown once), revoke one (after 'Ik weet het zeker'), and give one a new second factor (the new TOTP secret shown
once). Admins only, CSRF-checked; each is one transaction with its audit row (see the service), and bad input
gets a Dutch error and changes nothing.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from domain.errors import RoleNotAllowed
from infra.identity.accounts import AccountError
from infra.identity.web_sessions import WebSession
from web.admin import AccountNote, render_admin
from web.admin_audit import AuditForm
from web.common import forbidden, form_text, service, wall_now
from web.guards import AdminForm, AdminSession, page_router
from web.texts import role_label

router = page_router()
CONFIRM_FIELD = "bevestigd"
NOT_CONFIRMED = ("Vink 'Ik weet het zeker' aan om het account in te trekken: daarna werken het API-token en het "
                 "inloggen niet meer. Er is niets ingetrokken.")
NO_ACCOUNT = "Kies een account."
MAX_SCOPES_TEXT = 400
PAGE_WORDS = {"geen scope; laat --scope weg": "geen werkgebied; laat het veld Werkgebied leeg",
              "minstens één --scope nodig": "minstens één werkgebied nodig", "als scope": "als werkgebied"}
"""The CLI's words in the account messages, as the page says them."""


@router.post("/beheer/accounts", response_class=HTMLResponse)
def create_account(request: Request, form: AdminForm, session: AdminSession) -> Response:
    """Make an account; the page shows its token, first password and TOTP secret this once."""
    name, role, scopes = form_text(form, "naam"), form_text(form, "rol"), form_text(form, "scopes")
    typed = {"naam": name[:64], "rol": role[:30], "scopes": scopes[:MAX_SCOPES_TEXT]}
    try:
        _require(len(scopes) <= MAX_SCOPES_TEXT,
                 "Er zijn te veel scopes ingevuld; een account krijgt er hoogstens enkele tientallen.")
        _require(bool(name), "Vul een gebruikersnaam in.")
        made = service(request).create_account(session.principal, role, scopes.replace(",", " ").split(), name,
                                               wall_now(request))
    except AccountError as error:
        return _refused(request, session, "nieuw", _page_words(str(error), role), typed)
    except RoleNotAllowed:
        return forbidden(request, session)
    return render_admin(request, session, AuditForm(), account=AccountNote(made=made), status=201)


@router.post("/beheer/accounts/intrekken", response_class=HTMLResponse)
def revoke_account(request: Request, form: AdminForm, session: AdminSession) -> Response:
    """Revoke an account after 'Ik weet het zeker': its token and sessions stop working at once."""
    user_id = form_text(form, "gebruiker")[:36]
    try:
        _require(bool(user_id), NO_ACCOUNT)
        _require(form_text(form, CONFIRM_FIELD) == "ja", NOT_CONFIRMED)
        revoked = service(request).revoke_account(session.principal, user_id, wall_now(request))
    except AccountError as error:
        return _refused(request, session, "intrekken", str(error), {"gebruiker": user_id})
    except RoleNotAllowed:
        return forbidden(request, session)
    return render_admin(request, session, AuditForm(), account=AccountNote(revoked=revoked))


@router.post("/beheer/accounts/tweede-factor", response_class=HTMLResponse)
def reset_second_factor(request: Request, form: AdminForm, session: AdminSession) -> Response:
    """A new TOTP secret for an account, shown this once; the old codes stop working."""
    user_id = form_text(form, "gebruiker")[:36]
    try:
        _require(bool(user_id), NO_ACCOUNT)
        reset = service(request).reset_second_factor(session.principal, user_id, wall_now(request))
    except AccountError as error:
        return _refused(request, session, "tweede-factor", str(error), {"gebruiker": user_id})
    except RoleNotAllowed:
        return forbidden(request, session)
    return render_admin(request, session, AuditForm(), account=AccountNote(reset=reset))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AccountError(message)


def _refused(request: Request, session: WebSession, which: str, error: str, typed: dict[str, str]) -> Response:
    return render_admin(request, session, AuditForm(), account=AccountNote(error=error, form=which, typed=typed),
                        status=422)


def _page_words(message: str, role: str) -> str:
    for cli, words in PAGE_WORDS.items():
        message = message.replace(cli, words)
    return message.replace(f"De rol '{role}'", f"De rol {role_label(role)}") if role else message
