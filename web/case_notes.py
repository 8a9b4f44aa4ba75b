"""Notes on the case page: write one, and as an SWV coordinator ask the school ('vraag de school').

The form posts to ``/dossiers/{id}/notities``; the service checks the scope (a case out of scope is the one
404 page), the role, and the text, and stores the note, the school's alert and the audit row in one
transaction. A refused note shows the case page again with the Dutch reason and what was typed.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import may_note
from domain.errors import DomainError, InvalidCommand, NotFound, RoleNotAllowed
from infra.identity.web_sessions import WebSession
from web.cases import case_context
from web.common import form_text, not_found, now, page, service
from web.guards import CheckedForm, SignedIn, page_router
from web.texts import role_label

router = page_router()
ASK_FIELD = "vraag_school"
KEY_PREFIX = "web:"


@router.post("/dossiers/{case_id}/notities", response_class=HTMLResponse)
def write_note(request: Request, case_id: str, form: CheckedForm, session: SignedIn) -> Response:
    """Store the note (and with 'vraag de school' alert the school); back to the case page's notes."""
    text, ask = form_text(form, "tekst"), form_text(form, ASK_FIELD) == "ja"
    try:
        service(request).add_case_note(session.principal, case_id, text, now(request), ask_school=ask,
                                       key=_key(form_text(form, "sleutel")))
    except NotFound:
        return not_found(request, session)
    except DomainError as error:
        status, message = _refusal(session, error, ask=ask)
        return _refused(request, session, case_id, text, ask, status, message)
    return RedirectResponse(f"/dossiers/{case_id}?notitie={'vraag' if ask else 'ja'}#notities", status_code=303)


def _key(posted: str) -> str | None:
    """The form's one-time key (so a double click stores the note once), if it is well-formed."""
    try:
        return f"{KEY_PREFIX}{uuid.UUID(posted)}"
    except ValueError:
        return None


def _refusal(session: WebSession, error: DomainError, *, ask: bool) -> tuple[int, str]:
    """The status and Dutch reason of a refused note."""
    if isinstance(error, RoleNotAllowed):
        role = role_label(session.principal.role)
        if ask and may_note(session.principal.role):
            return 403, f"Met de rol {role} kunt u de school geen vraag sturen; dat doet de coördinator van het SWV."
        return 403, f"Met de rol {role} kunt u geen notities bij een dossier schrijven."
    return (422 if isinstance(error, InvalidCommand) else 400), error.detail_nl


def _refused(request: Request, session: WebSession, case_id: str, text: str, ask: bool, status: int,
             message: str) -> Response:
    try:
        context = case_context(service(request), session.principal, case_id, now(request))
    except NotFound:
        return not_found(request, session)
    return page(request, "dossier.html", {**context, "note_error": message, "note_text": text, "note_ask": ask},
                status, session)
