"""Pages for people: server-rendered Dutch HTML (Jinja2, no JavaScript) in the same app as the API.

Sign-in is username + password + TOTP code (see :mod:`infra.identity.web_accounts`); a signed-in person is
the same principal as their API token, so every page reads and writes through the service's
scope-checked, audited methods. Every POST form carries a CSRF token (the session's, or for the
sign-in form a token that is also set as a cookie). No page puts a name or BSN in a URL: cases are
addressed by UUID, pupils by their pseudonymous id. None of these routes is in the OpenAPI document.
Each page states in its signature what it needs before it runs, signed in, a role, a form with its CSRF token,
and gets the sign-in redirect, the 403 page or the refused form otherwise (:mod:`web.guards`).
"""

from __future__ import annotations

from fastapi import APIRouter

from web import admin, admin_accounts, admin_audit, auth, case_notes, caseload, cases, inbox, monitor, search, worklist
from web.common import STATIC_DIR, unknown_page

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(cases.router)
router.include_router(case_notes.router)
router.include_router(admin.router)
router.include_router(admin_audit.router)
router.include_router(admin_accounts.router)
router.include_router(worklist.router)
router.include_router(monitor.router)
router.include_router(inbox.router)
router.include_router(search.router)
router.include_router(caseload.router)

__all__ = ["STATIC_DIR", "router", "unknown_page"]
